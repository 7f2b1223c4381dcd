"""Vectorised text for reasons and explanations: yuan with thousands separators, percentages."""

from __future__ import annotations

import polars as pl


def _pad3(expr: pl.Expr) -> pl.Expr:
    """0–999 as three digits ("007"), by arithmetic rather than a per-row string pad."""
    return (expr + 1000).cast(pl.Utf8).str.slice(1)


def yuan_text(expr: pl.Expr) -> pl.Expr:
    """6512.4 → "6,512": whole yuan (half away from zero) with thousands separators, sign kept."""
    v = expr.round(0, mode="half_away_from_zero").cast(pl.Int64)
    a = v.abs()
    millions, thousands, units = a // 1_000_000, (a // 1000) % 1000, a % 1000
    head = (
        pl.when(millions > 0)
        .then(pl.concat_str([millions.cast(pl.Utf8), pl.lit(","), _pad3(thousands)]))
        .otherwise(thousands.cast(pl.Utf8))
    )
    body = (
        pl.when(a >= 1000)
        .then(pl.concat_str([head, pl.lit(","), _pad3(units)]))
        .otherwise(units.cast(pl.Utf8))
    )
    return pl.concat_str([pl.when(v < 0).then(pl.lit("-")).otherwise(pl.lit("")), body])


def percent_text(expr: pl.Expr) -> pl.Expr:
    """0.3512 → "35.1%"."""
    return pl.concat_str([(expr * 100).round(1, mode="half_away_from_zero").cast(pl.Utf8), pl.lit("%")])
