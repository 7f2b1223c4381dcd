"""Pairing of cadres with households (S02): frames from a population, the solver, the 结对 table."""

from __future__ import annotations

import sys
from typing import Any

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population
from zengshou.pairing.solver import MAX_HOUSEHOLDS, PairingInputError, PairingResult, solve
from zengshou.params import ParameterError, ParameterSet

__all__ = [
    "PairingInputError",
    "PairingResult",
    "cadre_frame",
    "household_frame",
    "max_households",
    "pair_population",
    "pairing_table",
    "pipeline_stage",
    "pipeline_table",
    "solve",
]

#: Household types of the low-income plan's scope (catalogue working definitions).
SCOPE_TYPES = ("脱贫户", *ix.MONITORING_TYPES)
LOW_INCOME = ix.QUINTILES[0]


def household_frame(pop: Population, accounts: pl.DataFrame, tiers: pl.DataFrame) -> pl.DataFrame:
    """S02 scope: 脱贫户 and 监测对象 in the 低收入组, with fell (M04), income and the current cadre.

    The current cadre is read from the cadres table's 现帮扶户编号 (the interchange format's record
    of existing pairs); the county is the first six digits of the village code.
    """
    current = (
        pop.cadres.select("cadre_id", pl.col("current_households").str.split(";"))
        .explode("current_households")
        .select(pl.col("current_households").str.strip_chars().alias("household_id"), "cadre_id")
        .filter(pl.col("household_id").is_not_null() & (pl.col("household_id") != ""))
        .unique(subset="household_id", keep="first")
    )
    return (
        pop.households.lazy()
        .filter(pl.col("household_type").is_in(SCOPE_TYPES))
        .select("household_id", "village_code")
        .join(tiers.lazy().filter(pl.col("quintile") == LOW_INCOME).select("household_id"), on="household_id")
        .join(
            accounts.lazy().select("household_id", "fell", "per_capita_income"), on="household_id", how="left"
        )
        .join(current.lazy(), on="household_id", how="left")
        .with_columns(
            pl.col("village_code").str.slice(0, 6).alias("county_code"), pl.col("fell").fill_null(False)
        )
        .select("household_id", "county_code", "village_code", "fell", "per_capita_income", "cadre_id")
        .collect()
    )


def cadre_frame(pop: Population) -> pl.DataFrame:
    """Cadres with ``area_code``: the township (9 digits) or village (12) their unit names, if any.

    A unit such as "某某镇人民政府" or "某某村委会" is responsible for that township or village of
    its own county; the solver then prefers it for households there.
    """
    cadres = pop.cadres.select("cadre_id", "rank", "county_code", pl.col("unit").fill_null(""))
    names = pl.concat(
        [
            pop.villages.select(
                pl.col("township_name").alias("name"), pl.col("village_code").str.slice(0, 9).alias("code")
            ),
            pop.villages.select(pl.col("village_name").alias("name"), pl.col("village_code").alias("code")),
        ]
    ).filter(pl.col("name").is_not_null() & (pl.col("name").str.len_chars() >= 2))
    names = names.unique().with_columns(pl.col("code").str.slice(0, 6).alias("county_code"))
    matched = (
        cadres.join(names, on="county_code", how="inner")
        .filter(pl.col("unit").str.contains(pl.col("name"), literal=True))
        .sort(pl.col("code").str.len_chars(), descending=True)
        .unique(subset="cadre_id", keep="first")
        .select("cadre_id", pl.col("code").alias("area_code"))
    )
    return cadres.join(matched, on="cadre_id", how="left")


def pair_population(
    pop: Population, accounts: pl.DataFrame, tiers: pl.DataFrame, max_households: int = MAX_HOUSEHOLDS
) -> PairingResult:
    """S02 over a population after income accounting and tiers (the batch pipeline's frames)."""
    return solve(household_frame(pop, accounts, tiers), cadre_frame(pop), max_households)


def pairing_table(result: PairingResult) -> pl.DataFrame:
    """The spec's 结对 result table: 户编号, 干部编号, 干部职级 (unpaired households have empty cadre)."""
    return result.pairs.select(
        pl.col("household_id").alias("户编号"),
        pl.col("cadre_id").alias("干部编号"),
        pl.col("rank").alias("干部职级"),
    )


#: The stage's frame when nothing is paired (the columns of ``PairingResult.pairs``).
PAIRS_SCHEMA = {
    "household_id": pl.Utf8,
    "county_code": pl.Utf8,
    "fell": pl.Boolean,
    "per_capita_income": pl.Float64,
    "previous_cadre_id": pl.Utf8,
    "cadre_id": pl.Utf8,
    "reason": pl.Utf8,
    "rank": pl.Utf8,
    "change": pl.Utf8,
}


def max_households(params: ParameterSet, year: int) -> int:
    """S02's limit for ``year``: ``pairing_max_households`` of assess.yaml, or of the user's file."""
    return int(ParameterSet.shipped("assess").overridden_by(params).for_year("pairing_max_households", year))


def pipeline_stage(result: Any) -> pl.DataFrame:
    """S02 as the batch pipeline's "pairing" stage (:mod:`zengshou.pairing.stage`): the proposal's pairs.

    An input without cadres (a file with no 帮扶干部 table) gives an empty frame at once: there is
    nobody to pair with, and listing every household as unpaired would only say the file has none.
    """
    if result.population.cadres.height == 0:
        return pl.DataFrame(schema=PAIRS_SCHEMA)
    try:
        cap = max_households(result.params, result.year)
    except ParameterError as exc:  # a year before the plans: the other tables are still written
        print(f"结对未计算 / pairing not computed: {exc}", file=sys.stderr)
        return pl.DataFrame(schema=PAIRS_SCHEMA)
    return pair_population(result.population, result.accounts, result.tiers, cap).pairs


def pipeline_table(result: Any) -> pl.DataFrame:
    """The 结对 result table from the "pairing" stage's frame (for ``register_result_table``)."""
    return result.frames["pairing"].select(
        pl.col("household_id").alias("户编号"),
        pl.col("cadre_id").alias("干部编号"),
        pl.col("rank").alias("干部职级"),
    )
