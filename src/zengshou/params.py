"""Dated parameters: amounts, thresholds and years, one tree keyed by catalogue code.

The shipped tree is the YAML files under ``zengshou/data/params/``, read once; a user's files
(``--params``) are layered on top. Every key is ``<catalogue code>.<name>``::

    M05.monitoring_line:
      code: M05
      unit: 元/人·年
      label: 防止返贫监测范围（人均纯收入）
      reference: 目录 M05
      assumption: true               # no published figure backs the values
      values:
        - {from: 2023-01-01, value: 6900}
        - {from: 2024-01-01, value: 7100}

``reference`` is the clause as officials cite it; the notes behind a value (what was searched,
why a placeholder) are in ``docs/parameter-sources.md``. A value holds from its ``from`` date
until the next one, so a 2026 change never rewrites 2025 results. A later file layered on top (a
county's toolbox, a user's override) replaces values key by key.

A measure is enabled unless a parameter ``<code>.enabled`` says false: the tree holds an
``enabled`` default of true for every code of :data:`MEASURE_CODES`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PARAMS_DIR = Path(__file__).parent / "data" / "params"

#: Earlier key → its key in the tree. A file naming an earlier key is refused with the new name.
RENAMED: dict[str, str] = {
    "pairing_max_households": "S02.max_households",
    "assessment_indicators": "S01.indicators",
    "interview_score_threshold": "S01.interview_score_threshold",
    "plausible_max": "M01.plausible_max",
    "monitoring_line": "M05.monitoring_line",
    "monitoring_line_national": "M05.monitoring_line_national",
    "fell_share_national_average": "M04.fell_share_national_average",
    "fall_ratio_level1": "M04.fall_ratio_level1",
    "fall_ratio_level2": "M04.fall_ratio_level2",
    "component_fall_ratio": "M03a.component_fall_ratio",
    "component_fall_min_pc": "M03a.component_fall_min_pc",
    "rigid_spending_ratio": "M03c.rigid_spending_ratio",
    "rigid_spending_min": "M03c.rigid_spending_min",
    "medical_selfpay_high": "M03d.medical_selfpay_high",
    "disaster_level1_households": "M03k.level1_households",
    "disaster_level1_loss_10k": "M03k.level1_loss_10k",
    "scale_operating_fall_ratio": "M03l.operating_fall_ratio",
    "scale_operating_fall_share": "M03l.operating_fall_share",
    "scale_operating_min_households": "M03l.min_households",
    "risk_elimination_periods": "M05.risk_elimination_periods",
    "period_complete_share": "M01.period_complete_share",
    "risk_alert_code": "M02.alert_code",
    "visit_budget_share": "M02.visit_budget_share",
    "alert_share": "M02.alert_share",
    "level_cutoffs": "M02.level_cutoffs",
    "shown_probability": "M02.shown_probability",
    "min_training_households": "M02.min_training_households",
    "min_training_positives": "M02.min_training_positives",
    "drift_psi_threshold": "M02.drift_psi_threshold",
    "boosting": "M02.boosting",
    "quintile_cut_points": "C01.cut_points",
    "c03_risk_alert_codes": "C03.risk_alert_codes",
    "compulsory_school_age": "C03.compulsory_school_age",
    "def.healthy_labourer.min_age": "L00.healthy_labourer_min_age",
    "def.healthy_labourer.max_age": "L00.healthy_labourer_max_age",
    "def.working_age.min": "L00.working_age_min",
    "def.working_age.max_male": "L00.working_age_max_male",
    "def.working_age.max_female": "L00.working_age_max_female",
    "scope.household_types": "L00.household_types",
    "scope.quintiles": "L00.quintiles",
    "L04.max_spare_labourers": "L04a.max_spare_labourers",
    "L09.labourers": "L09b.labourers",
}

#: The measures of the regional toolbox (W01): each is enabled unless ``<code>.enabled`` is false.
MEASURE_CODES: tuple[str, ...] = (
    "L01a", "L01b", "L01c", "L02", "L03", "L04a", "L04b", "L05", "L06", "L06b", "L07", "L08", "L09a",
    "L09b", "L09c", "L10", "L10a", "L10b", "L11", "L12", "L12b", "L13a", "L13b", "T03", "T06", "T09", "T10", "T10a", "T14", "T15", "T16", "T17", "T17a", "T17b", "T17c", "T18",
)  # fmt: skip

#: The section (file) of the shipped tree that holds the ``enabled`` defaults: the county toolbox's.
_ENABLED_SECTION = "toolbox"
_ENABLED_FROM = dt.date(2024, 1, 1)


class ParameterError(ValueError):
    """A parameter file or lookup that cannot be honoured; the message names the file and key."""


@dataclass(frozen=True)
class DatedValue:
    start: dt.date
    value: Any


@dataclass
class Parameter:
    key: str
    values: list[DatedValue]
    code: str = ""
    unit: str = ""
    label: str = ""
    reference: str = ""
    origin: str = ""  # the file the current values came from
    assumption: bool = False

    @property
    def reference_text(self) -> str:
        """The reference as pages show it, with 假设值 where no published figure backs the value."""
        return "；".join(t for t in (self.reference, "假设值" if self.assumption else "") if t)

    def at(self, on: dt.date) -> Any:
        current = None
        for v in self.values:
            if v.start <= on:
                current = v
        if current is None:
            first = self.values[0].start if self.values else None
            raise ParameterError(f"参数 {self.key} 在 {on} 尚无取值（最早生效 {first}）/ no value on {on}")
        return current.value


def _as_date(raw: Any, where: str) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int):
        return dt.date(raw, 1, 1)
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ParameterError(f"{where}: 生效日期 {raw!r} 不是日期 / 'from' is not a date") from exc


def parse(doc: Mapping[str, Any], origin: str) -> dict[str, Parameter]:
    """Parameters from a loaded YAML mapping; ``origin`` names the file in error messages.

    ``source`` is read as ``reference`` (a county toolbox cites its own document there)."""
    out: dict[str, Parameter] = {}
    for key, spec in doc.items():
        where = f"{origin}: {key}"
        if str(key) in RENAMED:
            new = RENAMED[str(key)]
            raise ParameterError(
                f"{where}: 参数 {key} 已更名为 {new}，请在文件中改用 {new} / parameter {key!r} is now {new!r}"
            )
        if not isinstance(spec, Mapping):
            raise ParameterError(f"{where}: 应为映射（code/reference/values）/ expected a mapping")
        raw_values = spec.get("values")
        if raw_values is None and "value" in spec:
            raw_values = [{"from": spec.get("from", "1900-01-01"), "value": spec["value"]}]
        if not isinstance(raw_values, list) or not raw_values:
            raise ParameterError(f"{where}: 缺少 values 列表 / missing 'values'")
        values = sorted(
            (DatedValue(_as_date(v.get("from"), where), v.get("value")) for v in raw_values),
            key=lambda d: d.start,
        )
        out[str(key)] = Parameter(
            key=str(key),
            values=values,
            code=str(spec.get("code", "")),
            unit=str(spec.get("unit", "")),
            label=str(spec.get("label", "")),
            reference=str(spec.get("reference") or spec.get("source") or ""),
            origin=origin,
            assumption=spec.get("assumption") is True,
        )
    return out


#: libyaml's safe loader where PyYAML has it (its wheels do): the same documents, about seven times
#: faster than the pure-Python one.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_file(path: Path) -> dict[str, Parameter]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER) or {}
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: 不是有效的 YAML / not valid YAML: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise ParameterError(f"{path}: 顶层应为映射 / top level must be a mapping")
    return parse(doc, str(path))


def _enabled_default(code: str) -> Parameter:
    return Parameter(
        key=f"{code}.enabled",
        values=[DatedValue(_ENABLED_FROM, True)],
        code="W01",
        unit="是/否",
        label="启用本措施",
        reference="分层方案 二（三）以县为单位建立帮扶政策工具箱",
        origin="默认启用",
    )


@functools.cache
def _shipped() -> tuple[dict[str, Parameter], dict[str, str]]:
    """Every shipped parameter, and the section (file name) each comes from; read once per process."""
    params: dict[str, Parameter] = {}
    sections: dict[str, str] = {}
    for path in sorted(PARAMS_DIR.glob("*.yaml")):
        for key, p in read_file(path).items():
            if key in params:
                raise ParameterError(f"{path}: 参数 {key} 已在 {params[key].origin} 中定义 / defined twice")
            params[key] = p
            sections[key] = path.stem
    for code in MEASURE_CODES:
        params.setdefault(f"{code}.enabled", _enabled_default(code))
        sections.setdefault(f"{code}.enabled", _ENABLED_SECTION)
    return params, sections


def tree(overrides: Iterable[Path | str] = ()) -> ParameterSet:
    """The whole shipped tree, with the user's files (``--params``) layered on top in order."""
    ps = ParameterSet(dict(_shipped()[0]))
    for p in overrides:
        ps.layer(read_file(Path(p)))
    return ps


@dataclass
class ParameterSet:
    """Parameters layered from several files; later layers replace earlier ones key by key."""

    params: dict[str, Parameter] = field(default_factory=dict)

    @classmethod
    def load(cls, *paths: Path | str) -> ParameterSet:
        ps = cls()
        for p in paths:
            ps.layer(read_file(Path(p)))
        return ps

    @classmethod
    def shipped(cls, *sections: str, overrides: Iterable[Path | str] = ()) -> ParameterSet:
        """The shipped tree (:func:`tree`), or only the named sections of it (``toolbox``: the keys a
        county toolbox may set), then ``overrides``."""
        if not sections:
            return tree(overrides)
        params, of = _shipped()
        ps = cls({k: p for k, p in params.items() if of[k] in sections})
        for p in overrides:
            ps.layer(read_file(Path(p)))
        return ps

    def layer(self, params: Mapping[str, Parameter]) -> None:
        self.params.update(params)

    def overridden_by(self, other: ParameterSet) -> ParameterSet:
        """A copy where the keys this set has take ``other``'s values (a user's ``--params`` file
        layered over a part's own files, without pulling in the other parts' keys)."""
        return ParameterSet({**self.params, **{k: v for k, v in other.params.items() if k in self.params}})

    def with_shipped(self) -> ParameterSet:
        """This set over the whole shipped tree: a key it lacks is read from the tree."""
        return ParameterSet({**_shipped()[0], **self.params})

    def get(self, key: str) -> Parameter:
        try:
            return self.params[key]
        except KeyError:
            raise ParameterError(f"未定义参数 {key} / unknown parameter {key!r}") from None

    def at(self, key: str, on: dt.date) -> Any:
        return self.get(key).at(on)

    def for_year(self, key: str, year: int) -> Any:
        """The value in force at the end of ``year`` (results for a year use its year-end rules)."""
        return self.at(key, dt.date(year, 12, 31))

    def with_value(self, key: str, value: Any, start: dt.date, origin: str = "what-if") -> ParameterSet:
        """A copy where ``key`` takes ``value`` from ``start`` on (what-if, county overrides)."""
        base = self.get(key)
        kept = [v for v in base.values if v.start < start]
        new = Parameter(
            key=key,
            values=[*kept, DatedValue(start, value)],
            code=base.code,
            unit=base.unit,
            label=base.label,
            reference=base.reference,
            origin=origin,
            assumption=base.assumption,
        )
        return ParameterSet({**self.params, key: new})
