"""M06/S01: the quarterly figures per county, city and region, and the counties called in (约谈提醒).

Everything is computed from frames (the pipeline's accounts, tiers and alerts); counts that live
only in the database (alert workflow, plans) come in as an optional frame. A figure whose source is
missing stays null and is shown as "无数据", never invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population
from zengshou.params import ParameterSet
from zengshou.registry.areas import Level, area_expr, ningxia
from zengshou.tiers.rules import with_scope

LEVELS: tuple[Level, ...] = ("county", "city", "region")
#: 脱贫人口: persons of households that left poverty (脱贫户 and 脱贫不稳定户 among monitoring objects).
TUOPIN_TYPES = ("脱贫户", "监测对象-脱贫不稳定户")
DB_COLUMNS = ("open_alerts", "inclusions", "risk_eliminations", "measures_planned", "measures_delivered")

LABELS = {
    "tuopin_income": "脱贫人口人均纯收入(元)",
    "tuopin_income_growth": "脱贫人口人均收入同比增幅",
    "monitoring_income": "监测对象人均纯收入(元)",
    "monitoring_income_growth": "监测对象人均收入同比增幅",
    "fell_share": "低收入组收入不增反降人数占比",
    "fell_share_national": "不增反降人数占比全国平均（参数）",
    "fell_share_vs_national": "不增反降人数占比与全国平均之差",
    "fell_share_above_national": "不增反降人数占比高于全国平均",
    "under_line": "监测线以下户数",
    "under_line_change": "监测线以下户数同比变化",
    "pairing_coverage": "结对帮扶覆盖率",
    "open_alerts": "未处置预警",
    "inclusions": "纳入监测对象",
    "risk_eliminations": "风险消除",
    "measures_planned": "计划帮扶措施",
    "measures_delivered": "已落实帮扶措施",
}


@dataclass
class Assessment:
    """One quarter's figures (all levels) and the counties called in (S01)."""

    year: int
    quarter: int
    figures: pl.DataFrame
    interviews: pl.DataFrame
    #: households per county and tier (area_code, tier, households), for the report's chart
    tiers: pl.DataFrame | None = None
    #: the targets' status at the quarter's end (zengshou.assess.targets.status)
    targets: pl.DataFrame | None = None
    #: per-capita income of 脱贫人口 and 监测对象 by year, all levels (:func:`income_trend`)
    trend: pl.DataFrame | None = None
    #: households needing action, personal data masked (:func:`action_list`)
    actions: pl.DataFrame | None = None


def _income(frame: pl.LazyFrame, types: tuple[str, ...], name: str) -> list[pl.Expr]:
    """Person-weighted per-capita income now and in the same period a year earlier (M06)."""
    sel = pl.col("household_type").is_in(types)
    both = sel & pl.col("prev_per_capita_income").is_not_null()
    now = pl.col("net_income").filter(sel).sum() / pl.col("size").filter(sel).sum()
    # growth on the households with both periods, so new entrants do not distort it
    cur = (pl.col("per_capita_income") * pl.col("size")).filter(both).sum()
    prev = (pl.col("prev_per_capita_income") * pl.col("size")).filter(both).sum()
    return [
        pl.when(pl.col("size").filter(sel).sum() > 0).then(now).otherwise(None).round(2).alias(name),
        pl.when(prev > 0).then(cur / prev - 1).otherwise(None).alias(f"{name}_growth"),
    ]


def indicators(
    pop: Population,
    accounts: pl.DataFrame,
    tiers: pl.DataFrame,
    alerts: pl.DataFrame,
    prev_alerts: pl.DataFrame | None = None,
    database_counts: pl.DataFrame | None = None,
    fell_share_national: float | None = None,
) -> pl.DataFrame:
    """M06: one row per area (county, city, region) with the quarter's figures.

    ``prev_alerts`` are the alerts of the same period a year earlier (for the change in the number
    under the monitoring line); ``database_counts`` has area_code (county) and :data:`DB_COLUMNS`.
    ``fell_share_national`` (M04, ``M04.fell_share_national_average``) is the national share of the
    low-income group's persons whose income fell: the plan wants each area's share below it, so
    ``fell_share_above_national`` flags an area at or above it, ``fell_share_vs_national`` the gap.
    """
    under_now = _under_line(alerts)
    under_prev = _under_line(prev_alerts) if prev_alerts is not None else None
    paired = (
        pop.cadres.select(pl.col("current_households").str.split(";"))
        .explode("current_households")
        .select(pl.col("current_households").str.strip_chars().alias("household_id"))
        .unique()
        .with_columns(pl.lit(True).alias("paired"))
    )
    base = (
        accounts.lazy()
        .select(
            "household_id",
            "village_code",
            "size",
            "net_income",
            "per_capita_income",
            "prev_per_capita_income",
            "fell",
        )
        .join(pop.households.lazy().select("household_id", "household_type"), on="household_id", how="left")
        .join(
            with_scope(tiers, pop.households)
            .lazy()
            .select("household_id", "quintile", pl.col("in_scope").alias("scope")),
            on="household_id",
            how="left",
        )
        .join(paired.lazy(), on="household_id", how="left")
        .join(under_now.lazy(), on="household_id", how="left")
        .with_columns(
            pl.col("paired").fill_null(False),
            pl.col("under").fill_null(False),
        )
    )
    if under_prev is not None:
        base = base.join(
            under_prev.lazy().rename({"under": "under_prev"}), on="household_id", how="left"
        ).with_columns(pl.col("under_prev").fill_null(False))
    frames = []
    for level in LEVELS:
        aggs = [
            *_income(base, TUOPIN_TYPES, "tuopin_income"),
            *_income(base, ix.MONITORING_TYPES, "monitoring_income"),
            (
                pl.col("size").filter(pl.col("scope") & pl.col("fell").fill_null(False)).sum()
                / pl.col("size").filter(pl.col("scope") & pl.col("fell").is_not_null()).sum()
            ).alias("fell_share"),
            pl.col("under").sum().cast(pl.Int64).alias("under_line"),
            (
                (pl.col("under").sum().cast(pl.Int64) - pl.col("under_prev").sum().cast(pl.Int64))
                if under_prev is not None
                else pl.lit(None, dtype=pl.Int64)
            ).alias("under_line_change"),
            pl.col("scope").sum().cast(pl.Int64).alias("scope_households"),
            (
                pl.when(pl.col("scope").sum() > 0)
                .then(pl.col("paired").filter(pl.col("scope")).sum() / pl.col("scope").sum())
                .otherwise(None)
            ).alias("pairing_coverage"),
        ]
        f = base.with_columns(area_expr(level).alias("area_code")).group_by("area_code").agg(aggs)
        frames.append(f.with_columns(pl.lit(level).alias("level")).collect())
    out = pl.concat(frames, how="vertical_relaxed")
    out = out.with_columns(pl.col("fell_share").fill_nan(None)).with_columns(
        pl.lit(fell_share_national, dtype=pl.Float64).alias("fell_share_national")
    )
    out = out.with_columns(
        (pl.col("fell_share") - pl.col("fell_share_national")).alias("fell_share_vs_national"),
        (pl.col("fell_share") >= pl.col("fell_share_national")).alias("fell_share_above_national"),
    )
    if database_counts is not None:
        counts = _roll_up(database_counts)
        out = out.join(counts, on="area_code", how="left").with_columns(
            [pl.col(c).fill_null(0) for c in DB_COLUMNS]
        )
    else:
        out = out.with_columns([pl.lit(None, dtype=pl.Int64).alias(c) for c in DB_COLUMNS])
    names = pl.DataFrame(
        [(a.code, a.name) for a in ningxia()], schema=["area_code", "area_name"], orient="row"
    )
    return out.join(names, on="area_code", how="left").sort(["level", "area_code"])


def _under_line(alerts: pl.DataFrame) -> pl.DataFrame:
    """Households with an M05 alert (income under the year's monitoring line) in the period."""
    return (
        alerts.filter((pl.col("code") == "M05") & pl.col("household_id").is_not_null())
        .select("household_id")
        .unique()
        .with_columns(pl.lit(True).alias("under"))
    )


def _roll_up(counts: pl.DataFrame) -> pl.DataFrame:
    """County counts summed to city and region."""
    c = counts.select("area_code", *DB_COLUMNS)
    city = c.with_columns(
        pl.concat_str([pl.col("area_code").str.slice(0, 4), pl.lit("00")]).alias("area_code")
    )
    region = c.with_columns(
        pl.concat_str([pl.col("area_code").str.slice(0, 2), pl.lit("0000")]).alias("area_code")
    )
    return pl.concat([c, city, region]).group_by("area_code").agg([pl.col(k).sum() for k in DB_COLUMNS])


def income_trend(pop: Population, years: list[int], quarter: int | None = None) -> pl.DataFrame:
    """M06: per-capita income of 脱贫人口 and 监测对象 per area (all levels) for each year with income rows.

    The same cumulative quarter of each year (``quarter`` None: the annual rows); columns level,
    area_code, year, tuopin_income, monitoring_income.
    """
    from zengshou.income import account

    types = pop.households.lazy().select("household_id", "household_type")
    frames = []
    for year in sorted(years):
        acc = account(pop, year, quarter)
        if acc.height == 0:
            continue
        base = (
            acc.lazy()
            .select("household_id", "village_code", "size", "net_income", "per_capita_income")
            .join(types, on="household_id", how="left")
        )
        for level in LEVELS:
            aggs = [
                _income(base, TUOPIN_TYPES, "tuopin_income")[0],
                _income(base, ix.MONITORING_TYPES, "monitoring_income")[0],
            ]
            frames.append(
                base.with_columns(area_expr(level).alias("area_code"))
                .group_by("area_code")
                .agg(aggs)
                .with_columns(pl.lit(level).alias("level"), pl.lit(year, dtype=pl.Int64).alias("year"))
                .select("level", "area_code", "year", "tuopin_income", "monitoring_income")
                .collect()
            )
    if not frames:
        return pl.DataFrame(
            schema={
                "level": pl.Utf8,
                "area_code": pl.Utf8,
                "year": pl.Int64,
                "tuopin_income": pl.Float64,
                "monitoring_income": pl.Float64,
            }
        )
    return pl.concat(frames, how="vertical_relaxed").sort(["level", "area_code", "year"])


#: Why a household is on the list of those needing action (report, section 需重点关注的农户).
FELL_UNPAIRED = "收入不增反降且未结对帮扶干部（M04、S02）"
OPEN_LEVEL1 = "一级预警未处置"


def action_list(
    pop: Population,
    accounts: pl.DataFrame,
    tiers: pl.DataFrame,
    level1_alerts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Households needing action (M04, S02, M06): fell and not paired, or with an open 一级 alert.

    "Fell and not paired" looks at the low-income plan's scope (脱贫户/监测对象 in 低收入组), whose
    households S02 pairs. ``level1_alerts`` (household_id, code) are the open 一级 alerts — from the
    database's workflow, or the run's own alerts when there is no database. The household head's
    name and ID number are masked (:mod:`zengshou.registry.idnumber`); households with both reasons
    come first, then the lower incomes.
    """
    from zengshou.registry.idnumber import mask, mask_name

    paired = (
        pop.cadres.select(pl.col("current_households").str.split(";"))
        .explode("current_households")
        .select(pl.col("current_households").str.strip_chars().alias("household_id"))
        .drop_nulls()
        .unique()
    )
    fell_unpaired = (
        accounts.filter(pl.col("fell").fill_null(False))
        .select("household_id")
        .join(
            with_scope(tiers, pop.households)
            .filter(pl.col("in_scope").fill_null(False))
            .select("household_id"),
            on="household_id",
        )
        .join(paired, on="household_id", how="anti")
        .with_columns(pl.lit(FELL_UNPAIRED).alias("reason"))
    )
    level1 = (
        level1_alerts.filter(pl.col("household_id").is_not_null())
        .group_by("household_id")
        .agg(pl.col("code").unique().sort().str.join("、").alias("codes"))
        .select("household_id", pl.concat_str([pl.lit(OPEN_LEVEL1 + "："), pl.col("codes")]).alias("reason"))
        if level1_alerts is not None and level1_alerts.height
        else pl.DataFrame(schema={"household_id": pl.Utf8, "reason": pl.Utf8})
    )
    reasons = (
        pl.concat([fell_unpaired, level1], how="vertical_relaxed")
        .group_by("household_id", maintain_order=True)
        .agg(pl.col("reason").str.join("；"), pl.len().alias("n_reasons"))
    )
    # masked here, on the listed households only: personal data never leaves this function in clear
    heads = (
        pop.members.filter(pl.col("relation") == "户主")
        .join(reasons.select("household_id"), on="household_id", how="semi")
        .unique(subset="household_id", keep="first")
        .select(
            "household_id",
            pl.col("name").map_elements(mask_name, return_dtype=pl.Utf8).alias("head_name"),
            pl.col("id_number").map_elements(mask, return_dtype=pl.Utf8).alias("head_id_number"),
        )
    )
    return (
        reasons.join(pop.households.select("household_id", "village_code"), on="household_id", how="left")
        .join(accounts.select("household_id", "per_capita_income"), on="household_id", how="left")
        .join(heads, on="household_id", how="left")
        .sort(
            ["n_reasons", "per_capita_income", "household_id"],
            descending=[True, False, False],
            nulls_last=True,
        )
        .select(
            "household_id",
            "village_code",
            "head_name",
            "head_id_number",
            "per_capita_income",
            "reason",
        )
    )


def tier_counts(accounts: pl.DataFrame, tiers: pl.DataFrame) -> pl.DataFrame:
    """Households per county and tier (C02)."""
    return (
        tiers.join(accounts.select("household_id", "village_code"), on="household_id")
        .group_by(pl.col("village_code").str.slice(0, 6).alias("area_code"), "tier")
        .agg(pl.len().cast(pl.Int64).alias("households"))
        .sort(["area_code", "tier"])
    )


def interviews(figures: pl.DataFrame, params: ParameterSet, year: int) -> pl.DataFrame:
    """S01: counties worse than the regional figure on balance, with the indicators that put them there.

    Each indicator of ``S01.indicators`` scores +weight when the county is at least as good
    as the region and −weight when worse; a missing figure scores nothing. Counties whose total is
    below ``S01.interview_score_threshold`` are listed (约谈提醒).
    """
    spec: dict[str, dict[str, Any]] = params.for_year("S01.indicators", year)
    threshold = float(params.for_year("S01.interview_score_threshold", year))
    region = figures.filter(pl.col("level") == "region")
    counties = figures.filter(pl.col("level") == "county")
    if region.height != 1 or counties.height == 0:
        return pl.DataFrame(
            schema={"area_code": pl.Utf8, "area_name": pl.Utf8, "score": pl.Float64, "worse": pl.Utf8}
        )
    ref = region.row(0, named=True)
    score_exprs = []
    worse_exprs = []
    for key, s in spec.items():
        if key not in counties.columns or ref.get(key) is None:
            continue
        w = float(s["weight"])
        worse = (pl.col(key) < ref[key]) if s["direction"] == "higher" else (pl.col(key) > ref[key])
        score_exprs.append(pl.when(pl.col(key).is_null()).then(0.0).when(worse).then(-w).otherwise(w))
        worse_exprs.append(pl.when(worse.fill_null(False)).then(pl.lit(LABELS.get(key, key))).otherwise(None))
    if not score_exprs:
        return pl.DataFrame(
            schema={"area_code": pl.Utf8, "area_name": pl.Utf8, "score": pl.Float64, "worse": pl.Utf8}
        )
    return (
        counties.with_columns(
            pl.sum_horizontal(score_exprs).alias("score"),
            pl.concat_str(worse_exprs, separator="、", ignore_nulls=True).alias("worse"),
        )
        .filter(pl.col("score") < threshold)
        .select("area_code", "area_name", "score", "worse")
        .sort(["score", "area_code"])
    )
