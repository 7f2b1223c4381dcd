"""Tier results as they leave the batch: the 分层结果 result table, the stored ``TierResult`` rows and
the region's C01 cut points of a period (``CutPointSet``).

Storing replaces the results of the run's period for the households it covered, in bulk
(:mod:`zengshou.registry.bulk`), inside the caller's transaction. The region's cut points are
computed from the per-capita incomes of every household of the region (:func:`region_accounts`), so a
run for one county still places it with the region's groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import connection

from zengshou.registry import bulk
from zengshou.tiers.rules import CutPoints, compute_cut_points, official_cut_points

_CHUNK = 5000

#: The accounts' columns a stored tier result keeps beside the tier (income components, M04 change).
ACCOUNT_COLUMNS = (
    "net_income",
    "wage_pc",
    "operating_net_pc",
    "property_pc",
    "transfer_pc",
    "consumption_pc",
    "prev_per_capita_income",
    "change_ratio",
    "fell",
)


def result_table(tiers: pl.DataFrame, year: int) -> pl.DataFrame:
    """The spec's 分层结果 table with its Chinese columns."""
    return tiers.select(
        pl.col("household_id").alias("户编号"),
        pl.lit(year, dtype=pl.Int64).alias("年度"),
        pl.col("size").alias("家庭人口"),
        pl.col("per_capita_income").alias("人均纯收入"),
        pl.col("quintile").alias("五等份组"),
        pl.col("tier").alias("层级"),
        pl.col("reasons").alias("依据"),
    )


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def store_tiers(
    tiers: pl.DataFrame, accounts: pl.DataFrame, year: int, quarter: int | None, username: str, now: Any
) -> int:
    """Replace the stored tier results of the period for the households in ``tiers``; rows written."""
    from zengshou.tiers.models import TierResult

    acc = accounts.select("household_id", *ACCOUNT_COLUMNS)
    rows = (
        tiers.select(
            "household_id",
            "size",
            "per_capita_income",
            "quintile",
            "tier",
            "reasons",
            pl.col("in_scope") if "in_scope" in tiers.columns else pl.lit(None, pl.Boolean).alias("in_scope"),
        )
        .join(acc, on="household_id", how="left")
        .select(
            pl.col("household_id"),
            pl.lit(year, dtype=pl.Int64).alias("year"),
            pl.lit(quarter, dtype=pl.Int64).alias("quarter"),
            "size",
            "per_capita_income",
            *ACCOUNT_COLUMNS,
            pl.col("quintile").fill_null(""),
            pl.col("tier").fill_null(""),
            "in_scope",
            pl.col("reasons").fill_null(""),
            pl.lit(str(connection.ops.adapt_datetimefield_value(now))).alias("computed_at"),
            pl.lit(username).alias("computed_by"),
        )
    )
    ids = rows["household_id"].to_list()
    period = TierResult.objects.filter(year=year, quarter=quarter)
    for chunk in _chunks(ids):
        period.filter(household_id__in=chunk).delete()
    return bulk.insert_frame(TierResult._meta.db_table, rows)


def region_accounts(year: int, quarter: int | None = None) -> pl.DataFrame:
    """``household_id, size, per_capita_income`` of every household of the region with an income row
    for the period, from the income rows of that period and the member counts only (no other table),
    computed by the accounting itself so the figures are those the pipeline ranks."""
    from zengshou import interchange as ix
    from zengshou.frames import Population, schema
    from zengshou.income import account
    from zengshou.registry.read import query_frame

    inc_cols = [c.key for c in ix.INCOME.columns]
    period = "i.quarter IS NULL" if quarter is None else "i.quarter = %s"
    income = query_frame(
        f"SELECT {', '.join('i.' + c for c in inc_cols)} FROM registry_income i WHERE i.year = %s AND {period}",
        [year] if quarter is None else [year, quarter],
        schema(ix.INCOME),
    )
    sizes = query_frame(
        "SELECT m.household_id, COUNT(*) FROM registry_member m GROUP BY m.household_id",
        [],
        {"household_id": pl.Utf8, "n": pl.Int64},
    )
    members = sizes.select(pl.col("household_id").repeat_by("n").explode())
    households = (
        income.select("household_id").unique().with_columns(pl.lit(None, pl.Utf8).alias("village_code"))
    )
    pop = Population(households=households, members=members, income=income)
    return account(pop, year, quarter).select("household_id", "size", "per_capita_income")


def region_cut_points(params: Any, year: int, quarter: int | None = None) -> CutPoints | None:
    """C01's cut points for the period: official (``C01.cut_points``) when entered, else computed over
    every household of the region (None when the region has no rankable household)."""
    official = official_cut_points(params, year)
    if official is not None:
        return CutPoints.given(official, "官方")
    return compute_cut_points(region_accounts(year, quarter), "计算")


def store_cut_points(cuts: CutPoints, year: int, quarter: int | None, now: Any) -> None:
    """Keep the period's cut points and their source (official or computed for the region); those of a
    file's own ranking or given to a run are not the region's and are not stored."""
    from zengshou.tiers.models import CutPointSet

    if cuts.source not in ("官方", "计算"):
        return
    values = {f"cut_{i + 1}": Decimal(f"{v:.2f}") for i, v in enumerate(cuts.values)}
    CutPointSet.objects.update_or_create(
        year=year,
        quarter=quarter,
        defaults={**values, "source": cuts.source, "households": cuts.households, "computed_at": now},
    )


def stored_cut_points(year: int, quarter: int | None = None) -> CutPoints | None:
    """The region's stored cut points of the period, or None."""
    from zengshou.tiers.models import CutPointSet

    row = CutPointSet.objects.filter(year=year, quarter=quarter).first()
    if row is None or None in (row.cut_1, row.cut_2, row.cut_3, row.cut_4):
        return None
    a, b, c, d = (float(v) for v in (row.cut_1, row.cut_2, row.cut_3, row.cut_4))  # type: ignore[arg-type]
    return CutPoints((a, b, c, d), "官方" if row.source == "官方" else "计算", row.households)
