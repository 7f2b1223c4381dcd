"""C01–C03: five equal groups of persons, the three tiers and the override for unmet guarantees.

Quintiles (C01) rank *persons* by their household's per-capita net income, so every member counts
and the five groups hold (as nearly as whole households allow) the same number of persons. Households
with the same per-capita income form one block and always share a group; a block goes to the group
in which its middle person falls (the midpoint rule), so a household spanning a boundary joins the
group where most of its members rank, and the groups differ from one fifth by at most half a block.
Official cut points, when a parameter file gives them for the year, replace the computed groups; a
household whose income equals a cut point then belongs to the lower group.
"""

from __future__ import annotations

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population
from zengshou.income.text import yuan_text
from zengshou.params import ParameterError, ParameterSet

QUINTILE_TIER = {
    "低收入组": "风险防范户",
    "中间偏下收入组": "风险防范户",
    "中间收入组": "巩固提升户",
    "中间偏上收入组": "示范引领户",
    "高收入组": "示范引领户",
}
RISK_TIER = "风险防范户"

TIER_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "household_id": pl.Utf8,
    "size": pl.Int64,
    "per_capita_income": pl.Float64,
    "quintile": pl.Utf8,
    "tier": pl.Utf8,
    "reasons": pl.Utf8,
    # Extras for the stored result and group monitoring.
    "quintile_index": pl.Int64,  # 0 = 低收入组 … 4 = 高收入组
    "c03_override": pl.Boolean,
}


def _param(params: ParameterSet, key: str, year: int, default: object) -> object:
    try:
        return params.for_year(key, year)
    except ParameterError:
        return default


def official_cut_points(params: ParameterSet, year: int) -> list[float] | None:
    """C01: the four official cut points for ``year``, or None to compute the groups from the data."""
    raw = _param(params, "quintile_cut_points", year, None)
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != 4:
        raise ParameterError(
            f"quintile_cut_points {year}: 应为4个由低到高的分界点 / expected four ascending cut points, got {raw!r}"
        )
    cuts = [float(c) for c in raw]
    if cuts != sorted(cuts):
        raise ParameterError(f"quintile_cut_points {year}: 分界点应由低到高 / cut points must ascend: {cuts}")
    return cuts


def _with_quintile_index(accounts: pl.LazyFrame, cut_points: list[float] | None) -> pl.LazyFrame:
    """Add ``quintile_index`` (0–4, null when unranked) to the accounts, without reordering them."""
    rankable = pl.col("per_capita_income").is_not_null() & (pl.col("size") > 0)
    if cut_points is not None:
        idx = pl.sum_horizontal([(pl.col("per_capita_income") > c).cast(pl.Int64) for c in cut_points])
        return accounts.with_columns(pl.when(rankable).then(idx).alias("quintile_index"))
    blocks = (
        accounts.filter(rankable)
        .group_by("per_capita_income")
        .agg(pl.col("size").sum().alias("persons"))
        .sort("per_capita_income")
        .with_columns(pl.col("persons").cum_sum().alias("through"))
        .select(
            "per_capita_income",
            # middle person of the block, as a share of all persons, times five
            ((pl.col("through") - pl.col("persons") / 2) * 5 / pl.col("persons").sum())
            .floor()
            .clip(0, 4)
            .cast(pl.Int64)
            .alias("quintile_index"),
        )
    )
    # every rankable household's income is in ``blocks``; size-0 households have no income to match
    return accounts.join(blocks, on="per_capita_income", how="left", maintain_order="left").with_columns(
        pl.when(rankable).then(pl.col("quintile_index")).alias("quintile_index")
    )


def quintile_index(accounts: pl.DataFrame, cut_points: list[float] | None = None) -> pl.DataFrame:
    """C01: ``household_id, quintile_index`` (0–4) for households with a per-capita income and size > 0.

    Computed groups use the midpoint rule on blocks of equal income (module docstring); official cut
    points place a household in group k when its income is above k cut points.
    """
    lf = accounts.lazy().select("household_id", "size", "per_capita_income")
    return (
        _with_quintile_index(lf, cut_points)
        .filter(pl.col("quintile_index").is_not_null())
        .select("household_id", "quintile_index")
        .collect()
    )


def guarantee_counts(pop: Population, year: int, params: ParameterSet) -> pl.DataFrame:
    """C03 facts per household as figures: 住建 grade, unsafe house or water, dropouts, uninsured, open
    monitoring. Only households with at least one fact have a row (T14 reads the same frame).

    Housing is unsafe when the 家庭 sheet says 否 or the latest 住建 assessment grades the house C or D;
    a dropout is a member of compulsory-school age (on 31 December) recorded 辍学 in the member sheet
    or the 教育 feed.
    """
    ages = _param(params, "compulsory_school_age", year, [6, 16])
    assert isinstance(ages, list)
    low, high = int(ages[0]), int(ages[1])

    def aged(lf: pl.LazyFrame) -> pl.LazyFrame:
        # age on 31 December from the birth year in the ID number (computed only on the few rows needed)
        age = pl.lit(year) - pl.col("id_number").str.slice(6, 4).cast(pl.Int64, strict=False)
        return lf.filter(age.is_between(low, high))

    members = pop.members.lazy()
    dropout_ids = aged(members.filter(pl.col("schooling") == "辍学").select("household_id", "id_number"))
    edu = pop.feeds.get("education")
    if edu is not None and edu.height:
        feed_dropouts = aged(
            edu.lazy()
            .filter(pl.col("status") == "辍学")
            .select("id_number")
            .join(members.select("household_id", "id_number"), on="id_number")
        )
        dropout_ids = pl.concat([dropout_ids, feed_dropouts.select("household_id", "id_number")])
    dropouts = dropout_ids.unique().group_by("household_id").agg(pl.len().alias("dropouts"))
    uninsured = (
        members.filter(pl.col("medical_insured").not_())
        .group_by("household_id")
        .agg(pl.len().alias("uninsured"))
    )
    hh = (
        pop.households.lazy()
        .select("household_id", "housing_safe", "water_safe", "household_type")
        .join(dropouts, on="household_id", how="left")
        .join(uninsured, on="household_id", how="left")
        .join(housing_grades(pop), on="household_id", how="left")
    )
    return (
        hh.select(
            "household_id",
            pl.col("grade").alias("housing_grade"),
            (
                pl.col("grade").is_in(["C", "D"]).fill_null(False)
                | pl.col("housing_safe").not_().fill_null(False)
            ).alias("housing_unsafe"),
            pl.col("water_safe").not_().fill_null(False).alias("water_unsafe"),
            pl.col("dropouts").fill_null(0),
            pl.col("uninsured").fill_null(0),
            pl.col("household_type").str.starts_with("监测对象-").fill_null(False).alias("monitoring_open"),
            "household_type",
        )
        .filter(
            pl.col("housing_unsafe")
            | pl.col("water_unsafe")
            | (pl.col("dropouts") > 0)
            | (pl.col("uninsured") > 0)
            | pl.col("monitoring_open")
            | pl.col("housing_grade").is_not_null()
        )
        .collect()
    )


def guarantee_facts(pop: Population, year: int, params: ParameterSet) -> pl.DataFrame:
    """C03 facts per household as Chinese phrases (null = none), from :func:`guarantee_counts`.

    Only households with at least one fact have a row. Columns ``household_id, housing, water,
    schooling, insurance, monitoring``.
    """
    counts = guarantee_counts(pop, year, params)
    return (
        counts.lazy()
        .select(
            "household_id",
            pl.when(pl.col("housing_grade").is_in(["C", "D"]))
            .then(pl.concat_str([pl.lit("住房不安全（住建鉴定"), pl.col("housing_grade"), pl.lit("级）")]))
            .when(pl.col("housing_unsafe"))
            .then(pl.lit("住房不安全"))
            .alias("housing"),
            pl.when(pl.col("water_unsafe")).then(pl.lit("饮水不安全")).alias("water"),
            pl.when(pl.col("dropouts") > 0)
            .then(pl.format("义务教育阶段辍学{}人", pl.col("dropouts")))
            .alias("schooling"),
            pl.when(pl.col("uninsured") > 0)
            .then(pl.format("未参加基本医疗保险{}人", pl.col("uninsured")))
            .alias("insurance"),
            pl.when(pl.col("monitoring_open"))
            .then(pl.concat_str([pl.col("household_type"), pl.lit("，风险未消除")]))
            .alias("monitoring"),
        )
        .filter(pl.any_horizontal(pl.all().exclude("household_id").is_not_null()))
        .collect()
    )


def housing_grades(pop: Population) -> pl.LazyFrame:
    """The latest 住建 grade per household (matched by 户编号, else by a member's 证件号码)."""
    housing = pop.feeds.get("housing")
    if housing is None or housing.height == 0:
        return pl.LazyFrame(schema={"household_id": pl.Utf8, "grade": pl.Utf8})
    lf = housing.lazy()
    by_member = pop.members.lazy().select(
        pl.col("id_number"), pl.col("household_id").alias("member_household")
    )
    if "household_id" not in housing.columns:
        lf = lf.with_columns(pl.lit(None, dtype=pl.Utf8).alias("household_id"))
    lf = (
        lf.join(by_member, on="id_number", how="left")
        .with_columns(pl.coalesce("household_id", "member_household").alias("household_id"))
        .filter(pl.col("household_id").is_not_null())
        .sort("assessed_on", nulls_last=False)
        .group_by("household_id")
        .agg(pl.col("safety_grade").last().alias("grade"))
    )
    return lf


def classify(
    accounts: pl.DataFrame,
    pop: Population,
    params: ParameterSet,
    year: int,
    alerts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """C01–C03: quintile, tier and reasons per household of ``accounts`` (see :data:`TIER_SCHEMA`).

    C02 maps the quintile to a tier; C03 keeps a household with an unmet guarantee (housing, water,
    compulsory schooling, basic medical insurance), an open monitoring object, or a 一级 alert of the
    codes in ``c03_risk_alert_codes`` at 风险防范户. Households without members have no per-capita
    income: no quintile, no tier, and the reason says so.
    """
    cuts = official_cut_points(params, year)
    facts = guarantee_facts(pop, year, params).lazy()
    risk_codes = _param(params, "c03_risk_alert_codes", year, [])
    if alerts is not None and alerts.height and risk_codes:
        risky = (
            alerts.lazy()
            .filter(
                pl.col("household_id").is_not_null()
                & (pl.col("level") == "一级")
                & pl.col("code").is_in(list(risk_codes))  # type: ignore[call-overload]
            )
            .group_by("household_id")
            .agg(pl.col("code").unique().sort().str.join("、").alias("risk_codes"))
            .select("household_id", pl.format("一级预警{}", pl.col("risk_codes")).alias("risk"))
        )
        facts = facts.join(risky, on="household_id", how="full", coalesce=True)
    else:
        facts = facts.with_columns(pl.lit(None, dtype=pl.Utf8).alias("risk"))
    c03_parts = ["housing", "water", "schooling", "insurance", "monitoring", "risk"]
    # only households with a fact have a row: the C03 phrase is built on that small frame
    c03 = facts.select(
        "household_id",
        pl.concat_str([pl.col(c) for c in c03_parts], separator="、", ignore_nulls=True).alias("c03"),
    )
    idx = pl.col("quintile_index")
    base_tier = (
        pl.when(idx >= 3)
        .then(pl.lit(QUINTILE_TIER[ix.QUINTILES[3]]))
        .when(idx == 2)
        .then(pl.lit(QUINTILE_TIER[ix.QUINTILES[2]]))
        .when(idx.is_not_null())
        .then(pl.lit(RISK_TIER))
    )
    override = (pl.col("c03").is_not_null() & (idx >= 2)).fill_null(False)
    base_source = "官方分界点" if cuts is not None else "按人口五等份"
    c03_text = pl.concat_str(
        [
            pl.lit("；C03 "),
            pl.col("c03"),
            pl.when(pl.col("c03_override")).then(pl.lit("，调整为风险防范户")).otherwise(pl.lit("")),
        ]
    ).fill_null("")
    lf = (
        _with_quintile_index(accounts.lazy().select("household_id", "size", "per_capita_income"), cuts)
        .join(c03, on="household_id", how="left", maintain_order="left")
        .with_columns(
            idx.replace_strict(list(range(5)), list(ix.QUINTILES), default=None, return_dtype=pl.Utf8).alias(
                "quintile"
            ),
            base_tier.alias("base_tier"),
            override.alias("c03_override"),
        )
        .with_columns(
            pl.when(pl.col("c03_override"))
            .then(pl.lit(RISK_TIER))
            .otherwise(pl.col("base_tier"))
            .alias("tier"),
            # null when unranked (quintile null), then the fixed explanation
            pl.concat_str(
                [
                    pl.lit("C01 人均纯收入"),
                    yuan_text(pl.col("per_capita_income")),
                    pl.lit(f"元，{base_source}位于"),
                    pl.col("quintile"),
                    pl.lit("；C02 对应"),
                    pl.col("base_tier"),
                    c03_text,
                ]
            )
            .fill_null(pl.lit("C01 无家庭成员或收入，无法计算人均纯收入，未分组"))
            .alias("reasons"),
        )
    )
    # rows stay in the order of ``accounts``
    return lf.select([pl.col(k).cast(t) for k, t in TIER_SCHEMA.items()]).collect()
