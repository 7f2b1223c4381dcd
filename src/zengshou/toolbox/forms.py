"""The toolbox as forms: every parameter with its Chinese label, unit, value, effective date and source.

A county edits its toolbox here instead of writing YAML: :func:`county_fields` lists the parameters
grouped by measure, :func:`read_county_form` checks what was posted (type, range, date, a source for
every override) and :func:`toolbox_text` turns the accepted changes into the county's toolbox text,
which :func:`zengshou.toolbox.county.parse_text` validates and the page saves as a new version. The
what-if page reads the same fields without dates or sources (:func:`read_whatif_form`).

Labels and units live beside each parameter in ``toolbox.yaml``; a list's unit names its vocabulary
(:data:`VOCABULARIES`), so lists are shown 、-joined and edited as check boxes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from zengshou import interchange as ix
from zengshou.params import Parameter, ParameterError, ParameterSet
from zengshou.rules.dsl import params_in
from zengshou.rules.text import PLACEHOLDER
from zengshou.toolbox import definitions as d
from zengshou.toolbox.county import CountyToolbox

#: The values a list parameter may hold, by its unit.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "户类型": ix.HOUSEHOLD_TYPES,
    "五等份组": ix.QUINTILES,
    "层级": ix.TIERS,
}
#: Allowed range of a number, by its unit (a unit not named here: not negative).
RANGES: dict[str, tuple[float, float]] = {
    "岁": (0, 120),
    "个月": (0, 240),
    "年": (0, 100),
    "比例": (0, 1),
}
#: Earliest and latest effective date a form accepts.
FIRST_DATE, LAST_DATE = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
GENERAL = "通用定义与适用范围"


def value_text(value: Any, unit: str = "") -> str:
    """A parameter value as a user reads it: 是/否, lists joined by 、, shares as percentages."""
    if value is None:
        return "未设定"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Mapping):
        return "；".join(f"{k}：{v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) if value else "（无）"
    if unit == "比例" and isinstance(value, int | float):
        return f"{round(value * 100, 4):g}%"
    if isinstance(value, float) and value == int(value):
        value = int(value)
    shown = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{shown} {unit}" if unit and unit not in VOCABULARIES and unit not in ("是/否", "比例") else shown


def kind_of(value: Any, unit: str) -> str:
    """How a parameter is edited: bool, int, float, choices (check boxes), mapping (a select per key) or text."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, list | tuple):
        return "choices" if unit in VOCABULARIES else "text"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "text"


@dataclass
class ParamField:
    """One parameter on a form, with the region's value and the county's on the date shown."""

    key: str
    label: str
    unit: str
    kind: str
    shipped: Any
    value: Any
    own: bool
    since: dt.date | None
    source: str
    shipped_source: str = ""
    first_own: dt.date | None = None
    last_own: dt.date | None = None
    #: What the user entered on a form shown again (an error, a preview); None: not posted.
    entered: Any = None
    entered_from: str = ""
    entered_source: str | None = None
    reset: bool = False
    error: str = ""

    @property
    def choices(self) -> tuple[str, ...]:
        if self.kind == "mapping":
            return ix.TIERS
        return VOCABULARIES.get(self.unit, ())

    @property
    def value_text(self) -> str:
        return value_text(self.value, self.unit)

    @property
    def shipped_text(self) -> str:
        return value_text(self.shipped, self.unit)

    @property
    def number_unit(self) -> str:
        return self.unit if self.kind in ("int", "float") and self.unit != "比例" else ""

    @property
    def input_value(self) -> Any:
        """The value as an input shows it (a share as a percentage)."""
        if self.kind == "float" and self.unit == "比例" and isinstance(self.value, int | float):
            return f"{round(self.value * 100, 4):g}"
        return self.value

    @property
    def form_value(self) -> Any:
        return self.input_value if self.entered is None else self.entered

    @property
    def form_source(self) -> str:
        return self.source if self.entered_source is None else self.entered_source

    @property
    def mapping_rows(self) -> list[tuple[str, str]]:
        v = self.form_value
        return list(v.items()) if isinstance(v, Mapping) else []

    def keep_entered(self, data: Mapping[str, Any]) -> None:
        """Hold what was posted so the form shows it again."""
        name = f"v-{self.key}"
        if self.kind == "choices":
            self.entered = _getlist(data, name)
        elif self.kind == "mapping":
            self.entered = {k: str(_get(data, f"{name}-{k}") or "") for k in (self.value or {})}
        elif self.kind == "bool":
            raw = _get(data, name)
            self.entered = None if raw is None else raw == "是"
        elif name in data:
            self.entered = str(_get(data, name) or "")
        self.entered_from = str(_get(data, f"from-{self.key}") or "")
        src = _get(data, f"src-{self.key}")
        self.entered_source = None if src is None else str(src)
        self.reset = bool(_get(data, f"reset-{self.key}"))


@dataclass
class MeasureGroup:
    code: str
    title: str
    local: bool
    enabled: ParamField | None
    fields: list[ParamField] = field(default_factory=list)


def _in_force(p: Parameter, on: dt.date) -> tuple[Any, dt.date | None]:
    current = None
    for v in p.values:
        if v.start <= on:
            current = v
    if current is None:  # before its first date: the first value is what applies when it starts
        current = p.values[0] if p.values else None
    return (current.value, current.start) if current else (None, None)


def _field(key: str, base: ParameterSet, tb: CountyToolbox | None, on: dt.date) -> ParamField:
    own = tb is not None and key in tb.params
    shipped_p = base.params.get(key)
    p = tb.merged(base, key) if own and tb is not None else base.params[key]
    shipped, _ = _in_force(shipped_p, on) if shipped_p else (None, None)
    value, since = _in_force(p, on)
    unit = p.unit or (shipped_p.unit if shipped_p else "")
    label = p.label or (shipped_p.label if shipped_p else "") or "本县措施参数"
    own_values = tb.params[key].values if own and tb is not None else []
    return ParamField(
        key=key,
        label=label,
        unit=unit,
        kind=kind_of(value if value is not None else shipped, unit),
        shipped=shipped,
        value=value,
        own=own,
        since=since,
        source=(tb.params[key].reference if own and tb is not None else "") or "",
        shipped_source=shipped_p.reference_text if shipped_p else "",
        first_own=own_values[0].start if own_values else None,
        last_own=own_values[-1].start if own_values else None,
    )


def _readers(m: d.Measure) -> set[str]:
    keys: set[str] = set()
    for c in m.conditions:
        keys |= params_in(c.expr)
        keys |= {x.group(1) for x in PLACEHOLDER.finditer(c.requirement)}
    if m.amount is not None:
        keys |= params_in(m.amount)
    return keys | {x.group(1) for x in PLACEHOLDER.finditer(m.amount_note)}


def groups(
    on: dt.date, tb: CountyToolbox | None = None, base: ParameterSet | None = None
) -> list[MeasureGroup]:
    """Every parameter once, under the measure it belongs to (its code, else the first measure that
    reads it); definitions, scope and tier mapping under :data:`GENERAL`."""
    base = base or ParameterSet.shipped("toolbox")
    measures = list(d.MEASURES) + list(tb.local_measures if tb else ())
    out: dict[str, MeasureGroup] = {GENERAL: MeasureGroup("", GENERAL, False, None)}
    for m in measures:
        out[m.code] = MeasureGroup(m.code, m.title, m.county is not None, None)
    readers = [(m.code, _readers(m)) for m in measures]
    keys = list(base.params) + [k for k in (tb.params if tb else {}) if k not in base.params]
    for key in keys:
        prefix = key.split(".", 1)[0]
        owner = prefix if prefix in out else next((c for c, ks in readers if key in ks), GENERAL)
        f = _field(key, base, tb, on)
        if key == f"{owner}.enabled":
            out[owner].enabled = f
        else:
            out[owner].fields.append(f)
    return [g for g in out.values() if g.fields or g.enabled]


def all_fields(gs: list[MeasureGroup]) -> list[ParamField]:
    return [f for g in gs for f in ([g.enabled] if g.enabled else []) + g.fields]


# --- reading a posted form ----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    key: str
    value: Any
    start: dt.date
    source: str


@dataclass
class FormResult:
    changes: dict[str, Change] = field(default_factory=dict)
    resets: set[str] = field(default_factory=set)
    #: An existing override whose source text alone was changed.
    sources: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.changes or self.resets or self.sources)


def _number(raw: str, f: ParamField) -> Any:
    text = raw.strip().replace(",", "").replace("，", "")
    if not text:
        raise ValueError(f"「{f.label}」不能为空")
    if f.kind == "int":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"「{f.label}」应为整数（单位：{f.unit or '无'}），填写的是“{raw.strip()}”")
        value: float = int(text)
    else:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"「{f.label}」应为数字，填写的是“{raw.strip()}”") from None
        if f.unit == "比例":
            value = round(value / 100, 6)
    low, high = RANGES.get(f.unit, (0, float("inf")))
    if not low <= value <= high:
        shown = f"{low:g}—{high:g}" if high != float("inf") else f"不小于 {low:g}"
        if f.unit == "比例":
            shown = "0—100%"
        raise ValueError(
            f"「{f.label}」应在 {shown}{'' if f.unit == '比例' else ' ' + f.unit} 之间，填写的是 {raw.strip()}"
        )
    return value


def _value(data: Mapping[str, Any], f: ParamField) -> Any:
    """The posted value of a field, typed like the parameter; ValueError with a Chinese message."""
    name = f"v-{f.key}"
    if f.kind == "bool":
        raw = str(_get(data, name) or "")
        if raw not in ("是", "否"):
            raise ValueError(f"「{f.label}」请选择 是 或 否")
        return raw == "是"
    if f.kind == "choices":
        picked = _getlist(data, name)
        bad = [v for v in picked if v not in f.choices]
        if bad:
            raise ValueError(f"「{f.label}」只能从 {'、'.join(f.choices)} 中选择（不认识：{'、'.join(bad)}）")
        if not picked and f.shipped:  # a list the region leaves empty may stay empty
            raise ValueError(f"「{f.label}」至少选择一项")
        return [c for c in f.choices if c in picked]
    if f.kind == "mapping":
        out = {}
        for k in f.value or {}:
            v = str(_get(data, f"{name}-{k}") or "")
            if v not in ix.TIERS:
                raise ValueError(f"「{f.label}」中 {k} 应对应 {'、'.join(ix.TIERS)} 之一")
            out[k] = v
        return out
    if f.kind in ("int", "float"):
        return _number(str(_get(data, name) or ""), f)
    text = str(_get(data, name) or "").strip()
    if not text:
        raise ValueError(f"「{f.label}」不能为空")
    return text


def _get(data: Mapping[str, Any], name: str) -> Any:
    return data.get(name)


def _getlist(data: Any, name: str) -> list[str]:
    if hasattr(data, "getlist"):
        return [str(v) for v in data.getlist(name)]
    v = data.get(name)
    return [str(x) for x in v] if isinstance(v, list | tuple) else ([str(v)] if v else [])


def _posted(data: Mapping[str, Any], f: ParamField) -> bool:
    """Whether the form carried the field (a list's check boxes come with a hidden ``has-`` marker)."""
    if f.kind == "choices":
        return f"has-{f.key}" in data or f"v-{f.key}" in data
    if f.kind == "mapping":
        return any(f"v-{f.key}-{k}" in data for k in (f.value or {}))
    return f"v-{f.key}" in data


def _date(raw: str, f: ParamField) -> dt.date:
    try:
        on = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(
            f"「{f.label}」的生效日期“{raw.strip()}”不是日期，应写成 年-月-日，如 2026-01-01"
        ) from None
    if not FIRST_DATE <= on <= LAST_DATE:
        raise ValueError(f"「{f.label}」的生效日期应在 {FIRST_DATE} 至 {LAST_DATE} 之间")
    if f.last_own and on < f.last_own:
        raise ValueError(
            f"「{f.label}」的生效日期 {on} 早于本县上次调整的生效日期 {f.last_own}；"
            "新取值只能自该日或其后生效（以前年度按当时取值计算）"
        )
    return on


def _check_pairs(fs: list[ParamField], values: dict[str, Any], errors: dict[str, str]) -> None:
    """A lower bound may not exceed its upper bound (``min_age``/``max_age``, ``…_min``/``…_max``)."""
    by_key = {f.key: f for f in fs}
    for key, low in values.items():
        if "min" not in key:
            continue
        for high_key in {
            key.replace("min", "max"),
            key.replace(".min", ".max_male"),
            key.replace(".min", ".max_female"),
        }:
            high = values.get(high_key)
            if high_key == key or high is None or high_key not in by_key:
                continue
            if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
                errors.setdefault(
                    high_key,
                    f"「{by_key[high_key].label}」{value_text(high, by_key[high_key].unit)}"
                    f"不能小于「{by_key[key].label}」{value_text(low, by_key[key].unit)}",
                )


def read_county_form(data: Mapping[str, Any], fs: list[ParamField]) -> FormResult:
    """What a county's posted toolbox form changes: a new dated value (with its source), an override
    reset to the region's value, or an override's source corrected; every problem in Chinese, by field."""
    out = FormResult()
    effective: dict[str, Any] = {}
    for f in fs:
        if f.own and _get(data, f"reset-{f.key}"):
            out.resets.add(f.key)
            effective[f.key] = f.shipped
            continue
        if not _posted(data, f):
            effective[f.key] = f.value
            continue
        try:
            value = _value(data, f)
        except ValueError as exc:
            out.errors[f.key] = str(exc)
            continue
        effective[f.key] = value
        source = str(_get(data, f"src-{f.key}") or "").strip()
        if value == f.value:
            if f.own and source and source != f.source:
                out.sources[f.key] = source
            elif f.own and f.source and not source:
                out.errors[f.key] = f"「{f.label}」是本县调整的取值，依据不能删除（本县文件名称、文号）"
            continue
        try:
            start = _date(str(_get(data, f"from-{f.key}") or ""), f)
        except ValueError as exc:
            out.errors[f.key] = str(exc)
            continue
        if not source:
            out.errors[f.key] = (
                f"「{f.label}」改为 {value_text(value, f.unit)}：请写明依据（本县文件名称、文号）"
            )
            continue
        if len(source) > 300:
            out.errors[f.key] = f"「{f.label}」的依据过长（不超过 300 字）"
            continue
        out.changes[f.key] = Change(f.key, value, start, source)
    _check_pairs(fs, effective, out.errors)
    for key in out.errors:
        out.changes.pop(key, None)
    return out


def read_whatif_form(data: Mapping[str, Any], fs: list[ParamField]) -> tuple[dict[str, Any], dict[str, str]]:
    """The what-if's changed values (typed) and the problems, by parameter."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    effective: dict[str, Any] = {}
    for f in fs:
        if not _posted(data, f):
            effective[f.key] = f.value
            continue
        try:
            value = _value(data, f)
        except ValueError as exc:
            errors[f.key] = str(exc)
            continue
        effective[f.key] = value
        if value != f.value:
            changes[f.key] = value
    _check_pairs(fs, effective, errors)
    return {k: v for k, v in changes.items() if k not in errors}, errors


# --- the county's toolbox text --------------------------------------------------------------------


def toolbox_text(
    tb: CountyToolbox | None, county: str, name: str, form: FormResult, clamp: dt.date | None = None
) -> str:
    """The county's toolbox with the form's changes: new dated values after the earlier ones (the
    region's values still apply before the county's first date), resets removed, sources corrected.

    ``clamp`` moves a change's date back to that day at the latest (a what-if on an earlier year's data).
    """
    doc: dict[str, Any] = {}
    if tb is not None and tb.text:
        loaded = yaml.safe_load(tb.text)
        doc = dict(loaded) if isinstance(loaded, Mapping) else {}
    doc["county"] = county
    doc.setdefault("name", name)
    params: dict[str, Any] = dict(doc.get("params") or {})
    for key in form.resets:
        params.pop(key, None)
    for key, source in form.sources.items():
        spec = dict(params.get(key) or {})
        spec.pop("依据", None)
        params[key] = {"source": source, **{k: v for k, v in spec.items() if k != "source"}}
    for key, ch in form.changes.items():
        start = min(ch.start, clamp) if clamp else ch.start
        current_spec = params.get(key)
        kept: list[dict[str, Any]] = []
        extra: dict[str, Any] = {}
        if isinstance(current_spec, Mapping) and tb is not None and key in tb.params:
            kept = [{"from": v.start, "value": v.value} for v in tb.params[key].values if v.start < start]
            extra = {k: v for k, v in current_spec.items() if k in ("code", "unit", "label")}
        params[key] = {**extra, "source": ch.source, "values": [*kept, {"from": start, "value": ch.value}]}
    doc["params"] = params
    doc.setdefault("local_measures", [])
    return str(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120))


# --- the difference from the shipped toolbox ----------------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    measure: str
    label: str
    shipped: str
    county: str
    since: dt.date | None
    source: str


def diff(tb: CountyToolbox | None, base: ParameterSet | None = None) -> list[DiffRow]:
    """Each value the county sets against the region's value on the same date, with its date and source;
    and each local measure."""
    if tb is None:
        return []
    base = base or ParameterSet.shipped("toolbox")
    titles = {g.code: g.title for g in groups(dt.date.today(), tb, base)}
    owner = {
        f.key: g
        for g in groups(dt.date.today(), tb, base)
        for f in ([g.enabled] if g.enabled else []) + g.fields
    }
    rows: list[DiffRow] = []
    local = {m.code for m in tb.local_measures}
    for key, p in tb.params.items():
        if key.endswith(".enabled") and key.split(".", 1)[0] in local:
            continue
        g = owner.get(key)
        measure = f"{g.code} {g.title}".strip() if g else ""
        shipped_p = base.params.get(key)
        unit = p.unit or (shipped_p.unit if shipped_p else "")
        label = p.label or (shipped_p.label if shipped_p else "") or "本县措施参数"
        for v in p.values:
            try:
                shipped = value_text(shipped_p.at(v.start), unit) if shipped_p else "（本县措施）"
            except ParameterError:
                shipped = "（当时尚无取值）"
            rows.append(DiffRow(measure, label, shipped, value_text(v.value, unit), v.start, p.reference))
    for m in tb.local_measures:
        rows.append(
            DiffRow(
                f"{m.code} {titles.get(m.code, m.title)}",
                "本县自定措施",
                "（区级无此措施）",
                "新增",
                None,
                m.clause,
            )
        )
    return rows


# --- what-if figures as a page shows them -------------------------------------------------------


@dataclass(frozen=True)
class WhatIfTotals:
    households_before: int
    households_after: int
    gained: int
    lost: int
    cost_before: float
    cost_after: float
    income_before: float
    income_after: float

    @property
    def households_change(self) -> int:
        return self.households_after - self.households_before

    @property
    def cost_change(self) -> float:
        return self.cost_after - self.cost_before

    @property
    def income_change(self) -> float:
        return self.income_after - self.income_before


def whatif_totals(base: Any, scenario: Any) -> WhatIfTotals:
    """Households with a measure before and after, households that gain or lose one, cost and yearly
    income effect before and after (from :class:`~zengshou.toolbox.engine.WhatIfResult`'s frames)."""
    import polars as pl

    key = ["household_id", "code", "id_number"]
    b = base.with_columns(pl.col("id_number").fill_null(""))
    s = scenario.with_columns(pl.col("id_number").fill_null(""))

    def total(frame: Any, column: str) -> float:
        return float(frame[column].fill_null(0).sum() or 0)

    return WhatIfTotals(
        b["household_id"].n_unique(),
        s["household_id"].n_unique(),
        s.join(b.select(key), on=key, how="anti")["household_id"].n_unique(),
        b.join(s.select(key), on=key, how="anti")["household_id"].n_unique(),
        total(b, "amount"),
        total(s, "amount"),
        total(b, "income_effect"),
        total(s, "income_effect"),
    )


def measure_titles(tb: CountyToolbox | None = None) -> dict[str, str]:
    return {m.code: m.title for m in (*d.MEASURES, *(tb.local_measures if tb else ()))}
