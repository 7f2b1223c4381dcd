"""M02 group monitoring: monitoring objects, 低保, 特困, disabled and low-income persons by area.

Also the M04 measure the low-income plan is assessed on: among the low-income-group 脱贫人口
(persons of 脱贫户 and 监测对象 households in 低收入组, the plan's scope), the share whose household's
per-capita income fell year on year, against the national average (a parameter).
"""

from __future__ import annotations

import polars as pl

from zengshou.frames import Population
from zengshou.params import ParameterSet
from zengshou.registry import areas
from zengshou.registry.areas import Level, area_expr
from zengshou.rules.compute import fact_column
from zengshou.tiers.rules import with_scope

#: group name → (Chinese label, household condition). Persons are counted per member unless noted.
GROUPS: dict[str, str] = {
    "monitoring": "防止返贫致贫监测对象",
    "dibao": "低保",
    "tekun": "农村特困",
    "disabled": "残疾人",
    "low_income": "低收入组",
    "plan_scope": "低收入组脱贫人口（含监测对象）",
    "fell": "收入不增反降",
}


def _person_frame(pop: Population, accounts: pl.DataFrame, tiers: pl.DataFrame, level: Level) -> pl.LazyFrame:
    """One row per person with the flags every count needs."""
    hh = (
        pop.households.lazy()
        .select("household_id", "village_code", "household_type", "dibao_household", "tekun")
        .join(
            with_scope(tiers, pop.households).lazy().select("household_id", "quintile", "in_scope"),
            on="household_id",
            how="left",
        )
        .join(accounts.lazy().select("household_id", "fell"), on="household_id", how="left")
    )
    return (
        pop.members.lazy()
        .select("household_id", "disability_grade", "dibao")
        .join(hh, on="household_id", how="inner")
        .with_columns(
            area_expr(level).alias("area_code"),
            fact_column("is_monitoring_object", 0).fill_null(False).alias("monitoring"),
            (pl.col("dibao").fill_null(False) | pl.col("dibao_household").fill_null(False)).alias("dibao_p"),
            pl.col("tekun").fill_null(False).alias("tekun_p"),
            pl.col("disability_grade").is_not_null().alias("disabled"),
            fact_column("severe_disabled", 0).fill_null(False).alias("severe"),
            (pl.col("quintile") == "低收入组").fill_null(False).alias("low_income"),
        )
        .with_columns(pl.col("in_scope").fill_null(False).alias("plan_scope"))
        .with_columns(
            (pl.col("plan_scope") & pl.col("fell").fill_null(False)).alias("plan_scope_fell"),
            (pl.col("low_income") & pl.col("fell").fill_null(False)).alias("low_income_fell"),
        )
    )


def group_counts(
    pop: Population,
    accounts: pl.DataFrame,
    tiers: pl.DataFrame,
    level: Level = "county",
    params: ParameterSet | None = None,
    year: int | None = None,
) -> pl.DataFrame:
    """M02, M04: counts of households and persons per group, by area at ``level``.

    Columns: area_code, area_name, households, persons, monitoring_households, monitoring_persons,
    dibao_persons, tekun_persons, disabled_persons, severe_disabled_persons, low_income_persons,
    low_income_fell_persons, low_income_fell_share, plan_scope_persons, plan_scope_fell_persons,
    plan_scope_fell_share and, when ``params`` and ``year`` are given, fell_share_national_average
    and above_national_average (the plan wants the share *below* the national average).
    """
    persons = _person_frame(pop, accounts, tiers, level)
    out = (
        persons.group_by("area_code")
        .agg(
            pl.col("household_id").n_unique().alias("households"),
            pl.len().alias("persons"),
            pl.col("household_id").filter(pl.col("monitoring")).n_unique().alias("monitoring_households"),
            pl.col("monitoring").sum().alias("monitoring_persons"),
            pl.col("dibao_p").sum().alias("dibao_persons"),
            pl.col("tekun_p").sum().alias("tekun_persons"),
            pl.col("disabled").sum().alias("disabled_persons"),
            pl.col("severe").sum().alias("severe_disabled_persons"),
            pl.col("low_income").sum().alias("low_income_persons"),
            pl.col("low_income_fell").sum().alias("low_income_fell_persons"),
            pl.col("plan_scope").sum().alias("plan_scope_persons"),
            pl.col("plan_scope_fell").sum().alias("plan_scope_fell_persons"),
        )
        .with_columns(
            pl.when(pl.col("low_income_persons") > 0)
            .then(pl.col("low_income_fell_persons") / pl.col("low_income_persons"))
            .alias("low_income_fell_share"),
            pl.when(pl.col("plan_scope_persons") > 0)
            .then(pl.col("plan_scope_fell_persons") / pl.col("plan_scope_persons"))
            .alias("plan_scope_fell_share"),
        )
        .sort("area_code")
        .collect()
    )
    out = out.with_columns(
        pl.col("area_code").replace_strict(_area_names(pop), default=None).alias("area_name")
    )
    out = out.select(
        "area_code", "area_name", *[c for c in out.columns if c not in ("area_code", "area_name")]
    )
    if params is not None and year is not None:
        avg = float(params.for_year("M04.fell_share_national_average", year))
        out = out.with_columns(
            pl.lit(avg).alias("fell_share_national_average"),
            (pl.col("plan_scope_fell_share") >= avg).alias("above_national_average"),
        )
    return out


def _area_names(pop: Population) -> dict[str, str]:
    names = {a.code: a.name for a in areas.ningxia()}
    v = pop.villages
    if v.height:
        for code, name, township in v.select("village_code", "village_name", "township_name").iter_rows():
            if code and name:
                names[code] = name
            if code and township:
                names.setdefault(code[:9], township)
    return names


def group_list(
    pop: Population,
    accounts: pl.DataFrame,
    tiers: pl.DataFrame,
    group: str,
    area_code: str | None = None,
) -> pl.DataFrame:
    """M02: the households of one group (keys of :data:`GROUPS`) under ``area_code``, with counts.

    Columns: household_id, village_code, household_type, size, persons_in_group, per_capita_income,
    quintile, tier, fell.
    """
    if group not in GROUPS:
        raise ValueError(f"未知的群体 {group!r}，应为 {', '.join(GROUPS)} / unknown group")
    flag = {
        "monitoring": "monitoring",
        "dibao": "dibao_p",
        "tekun": "tekun_p",
        "disabled": "disabled",
        "low_income": "low_income",
        "plan_scope": "plan_scope",
        "fell": "fell",
    }[group]
    persons = _person_frame(pop, accounts, tiers, "village")
    if area_code:
        persons = persons.filter(pl.col("village_code").str.starts_with(areas.code_prefix(area_code)))
    hh = (
        persons.with_columns(pl.col(flag).fill_null(False).alias("in_group"))
        .group_by("household_id", "village_code", "household_type")
        .agg(pl.len().alias("size"), pl.col("in_group").sum().alias("persons_in_group"))
        .filter(pl.col("persons_in_group") > 0)
    )
    return (
        hh.join(
            tiers.lazy().select("household_id", "per_capita_income", "quintile", "tier"),
            on="household_id",
            how="left",
        )
        .join(accounts.lazy().select("household_id", "fell"), on="household_id", how="left")
        .sort("village_code", "household_id")
        .collect()
    )
