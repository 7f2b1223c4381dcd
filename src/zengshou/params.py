"""Dated parameters: amounts, thresholds and years live in data files, each citing its clause and source.

A parameter file is YAML under ``zengshou/data/params/`` (or a path the user passes)::

    monitoring_line:
      code: M05                      # catalogue code the parameter serves
      unit: 元/人·年
      label: 防止返贫监测范围（人均纯收入）
      source: 国家乡村振兴局…（2024）
      values:
        - {from: 2023-01-01, value: 6900}
        - {from: 2024-01-01, value: 7100}

A value holds from its ``from`` date until the next one, so a 2026 change never rewrites 2025 results.
A later file layered on top (a county's toolbox, a user's override) replaces values key by key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PARAMS_DIR = Path(__file__).parent / "data" / "params"


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
    source: str = ""
    origin: str = ""  # the file the current values came from

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
    """Parameters from a loaded YAML mapping; ``origin`` names the file in error messages."""
    out: dict[str, Parameter] = {}
    for key, spec in doc.items():
        where = f"{origin}: {key}"
        if not isinstance(spec, Mapping):
            raise ParameterError(f"{where}: 应为映射（code/source/values）/ expected a mapping")
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
            source=str(spec.get("source", "")),
            origin=origin,
        )
    return out


def read_file(path: Path) -> dict[str, Parameter]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: 不是有效的 YAML / not valid YAML: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise ParameterError(f"{path}: 顶层应为映射 / top level must be a mapping")
    return parse(doc, str(path))


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
    def shipped(cls, *names: str, overrides: Iterable[Path | str] = ()) -> ParameterSet:
        """The package's own files by name (``monitoring`` → data/params/monitoring.yaml), then overrides."""
        return cls.load(*(PARAMS_DIR / f"{n}.yaml" for n in names), *overrides)

    def layer(self, params: Mapping[str, Parameter]) -> None:
        self.params.update(params)

    def overridden_by(self, other: ParameterSet) -> ParameterSet:
        """A copy where the keys this set has take ``other``'s values (a user's ``--params`` file
        layered over a part's own files, without pulling in the other parts' keys)."""
        return ParameterSet({**self.params, **{k: v for k, v in other.params.items() if k in self.params}})

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
            source=base.source,
            origin=origin,
        )
        return ParameterSet({**self.params, key: new})
