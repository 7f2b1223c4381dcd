"""M05's monitoring line (防止返贫监测范围) of a year and an area: the region's, or a higher one a city or
county sets.

``M05.monitoring_line`` is the region's line per year; ``M05.monitoring_line_by_area`` (dated, a
mapping of area code → line) holds the lines cities and counties set above it: the longest area code
that prefixes a household's village code wins, the region's line otherwise. "以下" includes the line,
so a household exactly on its line is under it (:func:`under`). Every reader of the line — M05, the
monitoring workflow's income check, the dashboard, the risk model — asks here, and says "（假设值）"
where the value it used is an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from zengshou.params import ParameterError, ParameterSet

ASSUMED = "（假设值）"


@dataclass(frozen=True)
class Lines:
    """The lines of one year: the region's and those of areas, each with whether it is assumed."""

    year: int
    region: float
    region_assumed: bool
    areas: dict[str, float] = field(default_factory=dict)
    areas_assumed: bool = False

    def area_of(self, code: str | None) -> str | None:
        """The area code whose own line applies to ``code`` (longest prefix), or None for the region's."""
        if not code:
            return None
        matches = [a for a in self.areas if code.startswith(a)]
        return max(matches, key=len) if matches else None

    def line(self, code: str | None = None) -> float:
        area = self.area_of(code)
        return self.areas[area] if area is not None else self.region

    def assumed(self, code: str | None = None) -> bool:
        return self.areas_assumed if self.area_of(code) is not None else self.region_assumed

    def note(self, code: str | None = None) -> str:
        """``（假设值）`` where the line used for ``code`` is an assumption, else empty."""
        return ASSUMED if self.assumed(code) else ""

    def area_expr(self, area_col: str = "village_code") -> pl.Expr:
        """The area code whose own line applies to each row (null: the region's)."""
        expr: pl.Expr = pl.lit(None, pl.Utf8)
        # shortest first, so a longer prefix written later wins
        for code in sorted(self.areas, key=len):
            expr = pl.when(pl.col(area_col).str.starts_with(code)).then(pl.lit(code)).otherwise(expr)
        return expr

    def line_expr(self, area_col: str = "village_code") -> pl.Expr:
        """The line of each row's area."""
        expr: pl.Expr = pl.lit(self.region, pl.Float64)
        for code in sorted(self.areas, key=len):
            expr = (
                pl.when(pl.col(area_col).str.starts_with(code))
                .then(pl.lit(self.areas[code], pl.Float64))
                .otherwise(expr)
            )
        return expr

    def note_expr(self, area_col: str = "village_code") -> pl.Expr:
        """``（假设值）`` on rows whose line is an assumption, null elsewhere."""
        assumed = (
            pl.when(self.area_expr(area_col).is_not_null())
            .then(pl.lit(self.areas_assumed))
            .otherwise(pl.lit(self.region_assumed))
        )
        return pl.when(assumed).then(pl.lit(ASSUMED)).otherwise(pl.lit(None, pl.Utf8))


def lines(params: ParameterSet, year: int) -> Lines:
    """The year's lines; ParameterError when an area's line is not a number above the region's."""
    region = float(params.for_year("M05.monitoring_line", year))
    region_assumed = params.get("M05.monitoring_line").assumption
    try:
        raw = params.for_year("M05.monitoring_line_by_area", year) or {}
        areas_assumed = params.get("M05.monitoring_line_by_area").assumption
    except ParameterError:
        raw, areas_assumed = {}, False
    if not isinstance(raw, dict):
        raise ParameterError(
            f"M05.monitoring_line_by_area {year}: 应为“区划代码: 监测范围”的对照表 / expected a mapping, got {raw!r}"
        )
    areas: dict[str, float] = {}
    for code, value in raw.items():
        text = str(code).strip()
        if not text.isdigit() or value is None:
            raise ParameterError(
                f"M05.monitoring_line_by_area {year}: 区划代码 {code!r} 的监测范围 {value!r} 无效 / bad entry"
            )
        line = float(value)
        if line < region:
            raise ParameterError(
                f"M05.monitoring_line_by_area {year}: 区划 {text} 的监测范围 {line:,.0f} 元低于全区 {region:,.0f} 元"
                "（市、县只能定更高的标准） / an area's line must not be below the region's"
            )
        areas[text] = line
    return Lines(year, region, region_assumed, areas, areas_assumed)


def under(per_capita_income: float | None, line: float) -> bool:
    """M05: income at or below the line ("以下" includes the line itself)."""
    return per_capita_income is not None and per_capita_income <= line
