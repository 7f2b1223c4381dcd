"""The administrative hierarchy: Ningxia's region, 5 cities and 22 counties (GB/T 2260), lookups, and
the code-prefix helpers every scope filter and per-area count uses."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import polars as pl
from django.db.models import Q

Level = Literal["region", "city", "county", "township", "village"]

FIXTURE = Path(__file__).parent / "fixtures" / "ningxia_areas.csv"
REGION_CODE = "640000"


@dataclass(frozen=True)
class AreaRow:
    code: str
    name: str
    level: str
    parent: str | None


@cache
def ningxia() -> tuple[AreaRow, ...]:
    """Region, cities and counties as shipped (source: GB/T 2260 / 民政部行政区划代码)."""
    with FIXTURE.open(encoding="utf-8") as f:
        return tuple(
            AreaRow(r["code"], r["name"], r["level"], r["parent"] or None) for r in csv.DictReader(f)
        )


def ensure_loaded(area_model: Any = None) -> int:
    """Put back any of Ningxia's region, cities and counties missing from the database; returns how many.

    The migration loads them once, but a database emptied by hand (or by a test's flush) loses them,
    and every township and village hangs below a county.
    """
    if area_model is None:
        from zengshou.registry.models import Area as area_model
    present = set(
        area_model.objects.filter(code__in=[r.code for r in ningxia()]).values_list("code", flat=True)
    )
    missing = [r for r in ningxia() if r.code not in present]
    for row in missing:
        area_model.objects.create(code=row.code, name=row.name, level=row.level, parent_id=row.parent)
    return len(missing)


def counties() -> list[AreaRow]:
    return [a for a in ningxia() if a.level == "county"]


def level_of(code: str) -> str:
    """The level a division code denotes by its length and trailing zeros."""
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "township"
    if code.endswith("0000"):
        return "region"
    if code.endswith("00"):
        return "city"
    return "county"


def parent_code(code: str) -> str | None:
    """The code one level up: village → township → county → city → region."""
    level = level_of(code)
    if level == "village":
        return code[:9]
    if level == "township":
        return code[:6]
    if level == "county":
        return code[:4] + "00"
    if level == "city":
        return code[:2] + "0000"
    return None


def code_prefix(code: str) -> str:
    """The prefix every descendant's code starts with (scope filters: ``code__startswith``)."""
    level = level_of(code)
    if level == "region":
        return code[:2]
    if level == "city":
        return code[:4]
    return code


def code_range(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix`` as an index range (division codes are digits; ':' follows '9').

    Same rows as ``__startswith``, but SQLite's LIKE cannot use an index and a range can.
    """
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + ":"})


def area_expr(level: Level) -> pl.Expr:
    """The area code at ``level`` of a 12-digit village code."""
    v = pl.col("village_code")
    if level == "village":
        return v
    if level == "township":
        return v.str.slice(0, 9)
    if level == "county":
        return v.str.slice(0, 6)
    if level == "city":
        return pl.concat_str([v.str.slice(0, 4), pl.lit("00")])
    if level == "region":
        return pl.concat_str([v.str.slice(0, 2), pl.lit("0000")])
    raise ValueError(f"未知的区划级别 {level!r} / unknown level")
