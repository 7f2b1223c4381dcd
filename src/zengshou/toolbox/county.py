"""County toolboxes (W01): which measures a county offers, its own amounts, and its local measures.

A county's toolbox is a YAML file (``data/toolboxes/<county code>.yaml``, or a version saved from
the web app, which takes precedence)::

    county: "640522"
    name: 海原县
    params:                       # the same dated format as data/params/*.yaml
      L02.amount:
        source: 海原县庭院经济实施方案
        values: [{from: 2025-01-01, value: 3000}]
      L13a.enabled: {依据: 海原县联农带农实施意见, values: [{from: 2025-01-01, value: false}]}
    local_measures:               # measures of the county's own, from the same building blocks
      - code: X640522-01
        title: 肉牛养殖贴息
        level: household          # household | member
        for: low_income           # low_income (rule L00) | all | a list of tiers
        units: [海原县农业农村局]
        conditions:
          - {fact: cattle, op: ">=", param: X640522-01.min_cattle,
             requirement: "牛存栏不少于 {X640522-01.min_cattle} 头"}
        amount: {param: X640522-01.amount}

An override holds from its own dates; before them the region's values apply, so a county change
in 2026 does not rewrite 2025. Every entry under ``params`` cites the county's own document in
``source`` (or ``依据``); a file without one is rejected with its line and key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zengshou import interchange as ix
from zengshou.params import DatedValue, Parameter, ParameterError, ParameterSet, parse
from zengshou.rules.dsl import Condition, Expr, Lit, col, lit, param
from zengshou.rules.facts import FACTS
from zengshou.toolbox import definitions as d

TOOLBOX_DIR = Path(__file__).resolve().parent.parent / "data" / "toolboxes"


class ToolboxError(ValueError):
    """A county toolbox that cannot be used; the message names the file (or version) and the key."""


@dataclass
class CountyToolbox:
    county_code: str
    name: str
    params: dict[str, Parameter] = field(default_factory=dict)
    local_measures: tuple[d.Measure, ...] = ()
    source: str = ""
    version: int | None = None
    text: str = ""

    def is_local_key(self, key: str) -> bool:
        return any(key.startswith(m.code + ".") for m in self.local_measures)

    def merged(self, base: ParameterSet, key: str) -> Parameter:
        """The county's parameter: the region's values before the county's first date, then its own."""
        own = self.params[key]
        if key not in base.params or not own.values:
            return own
        first = own.values[0].start
        kept = [v for v in base.params[key].values if v.start < first]
        b = base.params[key]
        return Parameter(
            key, [*kept, *own.values], b.code, b.unit, b.label, own.reference or b.reference, own.origin
        )

    def values_for_year(self, base: ParameterSet, year: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in self.params:
            try:
                out[key] = self.merged(base, key).at(dt.date(year, 12, 31))
            except ParameterError:
                continue
        return out

    def parameter_set(self, base: ParameterSet) -> ParameterSet:
        ps = ParameterSet(dict(base.params))
        ps.layer({k: self.merged(base, k) for k in self.params})
        return ps


_OPS = {"==", "!=", ">=", ">", "<=", "<", "in", "true", "false"}

#: Columns a local measure may read besides the named facts (the interchange columns).
_RAW_COLUMNS = (
    {c.key for c in ix.HOUSEHOLDS.columns}
    | {c.key for c in ix.MEMBERS.columns}
    | {
        "county_code",
        "livestock",
        "operating_income",
        "collective_income_10k",
        "labourer",
        "healthy_labourer",
        "working_age",
        "in_work",
        "serious_ill",
        "children",
    }
)


def _condition_expr(spec: Mapping[str, Any], where: str) -> Expr:
    if "any" in spec or "all" in spec:
        kind = "any" if "any" in spec else "all"
        parts = [_condition_expr(s, f"{where}.{kind}[{i}]") for i, s in enumerate(spec[kind])]
        if not parts:
            raise ToolboxError(f"{where}: {kind} 为空 / empty list")
        out = parts[0]
        for p in parts[1:]:
            out = (out | p) if kind == "any" else (out & p)
        return out
    fact = spec.get("fact")
    if fact not in FACTS and fact not in _RAW_COLUMNS:
        raise ToolboxError(
            f"{where}: 未知事实 {fact!r} / unknown fact (可用 / known: {', '.join(sorted(FACTS))})"
        )
    op = str(spec.get("op", "true"))
    if op not in _OPS:
        raise ToolboxError(f"{where}: 未知比较 {op!r} / unknown op (可用 / known: {', '.join(sorted(_OPS))})")
    c = col(str(fact))
    if op == "true":
        return c.fill_null(False) == True  # noqa: E712
    if op == "false":
        return c.fill_null(False) == False  # noqa: E712
    if "param" in spec:
        rhs: Expr = param(str(spec["param"]))
    elif "value" in spec:
        rhs = lit(spec["value"])
    else:
        raise ToolboxError(f"{where}: 需要 value 或 param / needs 'value' or 'param'")
    if op == "in":
        return c.isin(rhs if not isinstance(rhs, Lit) else lit(tuple(spec["value"])))
    return {
        "==": c == rhs,
        "!=": c != rhs,
        ">=": c >= rhs,
        ">": c > rhs,
        "<=": c <= rhs,
        "<": c < rhs,
    }[op]


def _shows(spec: Mapping[str, Any]) -> tuple[str, ...]:
    if "any" in spec or "all" in spec:
        out: list[str] = []
        for s in spec.get("any") or spec.get("all") or []:
            out.extend(x for x in _shows(s) if x not in out)
        return tuple(out)
    return (str(spec["fact"]),) if spec.get("fact") in FACTS else ()


def _local_measure(spec: Mapping[str, Any], county: str, where: str) -> d.Measure:
    code = str(spec.get("code", ""))
    if not code.startswith("X"):
        raise ToolboxError(f"{where}: 本县措施代码应以 X 开头（如 X{county}-01）/ local codes start with X")
    level = str(spec.get("level", "household"))
    if level not in ("household", "member"):
        raise ToolboxError(f"{where}: level 应为 household 或 member")
    scope = spec.get("for", "low_income")
    head: list[Condition] = [
        Condition(f"本县（{county}）措施", col("county_code") == county),
        d.enabled(code),
    ]
    if scope == "low_income":
        head.append(d.in_scope())
    elif isinstance(scope, list):
        bad = [t for t in scope if t not in ix.TIERS]
        if bad:
            raise ToolboxError(f"{where}: 未知层级 {bad} / unknown tiers")
        head.append(Condition(f"层级属于 {'、'.join(scope)}", col("tier").isin(tuple(scope)), ("tier",)))
    elif scope != "all":
        raise ToolboxError(f"{where}: for 应为 low_income、all 或层级列表 / bad 'for'")
    conds = []
    for i, c in enumerate(spec.get("conditions") or []):
        w = f"{where}.conditions[{i}]"
        req = str(c.get("requirement") or c.get("fact") or "")
        conds.append(Condition(req, _condition_expr(c, w), _shows(c)))
    amount = None
    a = spec.get("amount")
    if a is not None:
        base: Expr = param(str(a["param"])) if isinstance(a, Mapping) and "param" in a else lit(a)
        if isinstance(a, Mapping) and a.get("per"):
            base = base * col(str(a["per"]))
        amount = base
    units = spec.get("units") or []
    return d.Measure(
        code=code,
        title=str(spec.get("title", code)),
        level=level,
        units=tuple(str(u) for u in units),
        conditions=(*head, *conds),
        amount=amount,
        to_household=bool(spec.get("to_household", True)),
        amount_note=str(spec.get("amount_note", "")),
        clause=f"{county} 县级工具箱",
        county=county,
    )


def parse_text(text: str, origin: str, base: ParameterSet | None = None) -> CountyToolbox:
    """A county toolbox from YAML text; every problem names ``origin`` and the key (Chinese/English)."""
    from zengshou.registry.areas import counties

    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ToolboxError(f"{origin}: 不是有效的 YAML / not valid YAML: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise ToolboxError(f"{origin}: 顶层应为映射 / top level must be a mapping")
    county = str(doc.get("county", "")).strip()
    known = {c.code: c.name for c in counties()}
    if county not in known:
        raise ToolboxError(f"{origin}: county {county!r} 不是宁夏的县（区）代码 / not a Ningxia county code")
    try:
        params = parse(_with_sources(doc.get("params") or {}, text, origin), origin)
    except ParameterError as exc:
        raise ToolboxError(str(exc)) from exc
    measures = tuple(
        _local_measure(m, county, f"{origin}: local_measures[{i}]")
        for i, m in enumerate(doc.get("local_measures") or [])
    )
    codes = [m.code for m in measures]
    if len(set(codes)) != len(codes):
        raise ToolboxError(f"{origin}: 本县措施代码重复 / duplicate local codes")
    for m in measures:
        key = f"{m.code}.enabled"
        if key not in params:
            params[key] = Parameter(key, [DatedValue(dt.date(1900, 1, 1), True)], code="W01", origin=origin)
    base = base or ParameterSet.shipped("toolbox")
    local_prefixes = tuple(c + "." for c in codes)
    for key in params:
        if key not in base.params and not key.startswith(local_prefixes):
            raise ToolboxError(
                f"{origin}: 参数 {key} 不在区级工具箱中，本县措施参数须以其代码开头 / unknown parameter"
            )
    tb = CountyToolbox(county, str(doc.get("name") or known[county]), params, measures, origin, text=text)
    for m in measures:
        for c in m.conditions:
            for k in _params_of(c.expr):
                if k not in params and k not in base.params:
                    raise ToolboxError(f"{origin}: {m.code} 引用了未定义参数 {k} / undefined parameter")
    return tb


def _param_lines(text: str) -> dict[str, int]:
    """The line (1-based) of each key under ``params:`` in the YAML text."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    for k, v in root.value:
        if k.value == "params" and isinstance(v, yaml.MappingNode):
            return {str(pk.value): pk.start_mark.line + 1 for pk, _ in v.value}
    return {}


def _with_sources(raw: Any, text: str, origin: str) -> Mapping[str, Any]:
    """The ``params`` mapping with ``依据`` read as ``source``; an entry citing nothing is an error."""
    if not isinstance(raw, Mapping):
        raise ToolboxError(f"{origin}: params 应为映射（参数=取值）/ params must be a mapping")
    lines = _param_lines(text)
    out: dict[str, Any] = {}
    for key, spec in raw.items():
        if isinstance(spec, Mapping):
            source = str(spec.get("source") or spec.get("依据") or "").strip()
            if not source:
                line = lines.get(str(key))
                at = f"{origin} 第 {line} 行" if line else origin
                raise ToolboxError(
                    f"{at}: 参数 {key} 没有写明依据（source 或 依据：本县文件名称、文号）"
                    f" / {origin}:{line}: override {key!r} needs a source"
                )
            spec = {**spec, "source": source}
        out[str(key)] = spec
    return out


def _params_of(e: Expr) -> set[str]:
    from zengshou.rules.dsl import params_in

    return params_in(e)


def load_file(path: Path, base: ParameterSet | None = None) -> CountyToolbox:
    return parse_text(path.read_text(encoding="utf-8"), str(path), base)


def shipped_toolboxes(
    directory: Path = TOOLBOX_DIR, base: ParameterSet | None = None
) -> dict[str, CountyToolbox]:
    out: dict[str, CountyToolbox] = {}
    for path in sorted(directory.glob("*.yaml")):
        tb = load_file(path, base)
        out[tb.county_code] = tb
    return out


def effective_toolboxes(
    use_database: bool = True, directory: Path = TOOLBOX_DIR, base: ParameterSet | None = None
) -> dict[str, CountyToolbox]:
    """The files, with the latest version saved in the web app taking precedence per county."""
    out = shipped_toolboxes(directory, base)
    if use_database:
        from zengshou.toolbox.models import CountyToolboxVersion

        for v in CountyToolboxVersion.latest():
            tb = parse_text(v.content, f"{v.county_code} 第{v.version}版", base)
            tb.version = v.version
            out[v.county_code] = tb
    return out


@dataclass(frozen=True)
class ToolboxEntry:
    code: str
    title: str
    level: str
    enabled: bool
    local: bool
    params: tuple[tuple[str, str, Any, str, str], ...]  # key, label, value, unit, origin (区级/本县)
    units: str


def show(
    county: str, on: dt.date, toolbox: CountyToolbox | None, base: ParameterSet | None = None
) -> list[ToolboxEntry]:
    """The effective toolbox of a county on a date: each measure, on or off, with its parameters."""
    base = base or ParameterSet.shipped("toolbox")
    ps = toolbox.parameter_set(base) if toolbox else base
    own = set(toolbox.params) if toolbox else set()
    measures = list(d.MEASURES) + list(toolbox.local_measures if toolbox else ())
    out = []
    for m in measures:
        rows = []
        for key in sorted(k for k in ps.params if k.startswith(m.code + ".") or _shared_key(k, m)):
            p = ps.params[key]
            try:
                value = p.at(on)
            except ParameterError:
                continue
            rows.append((key, p.label, value, p.unit, "本县" if key in own else "区级"))
        try:
            on_ = bool(ps.at(f"{m.code}.enabled", on))
        except ParameterError:
            on_ = True
        out.append(
            ToolboxEntry(m.code, m.title, m.level, on_, m.county is not None, tuple(rows), "、".join(m.units))
        )
    return out


#: The working definitions every measure reads through the facts, not shown with each measure.
_DEFINITIONS = ("L00.healthy_labourer_", "L00.working_age_")


def _shared_key(key: str, m: d.Measure) -> bool:
    """Parameters under another measure's code that a measure reads (L04b reads ``L04a.``, T03 ``L05.``)."""
    from zengshou.rules.dsl import params_in

    used: set[str] = set()
    for c in m.conditions:
        used |= params_in(c.expr)
    if m.amount is not None:
        used |= params_in(m.amount)
    return key in used and not key.endswith(".enabled") and not key.startswith(_DEFINITIONS)
