"""Pairing of cadres with households (S02): frames from a population, the solver, the 结对 table."""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from zengshou.frames import Population
from zengshou.pairing.solver import MAX_HOUSEHOLDS, PairingInputError, PairingResult, solve
from zengshou.params import ParameterSet
from zengshou.tiers.rules import with_scope

__all__ = [
    "PairingInputError",
    "PairingResult",
    "cadre_frame",
    "household_frame",
    "max_households",
    "pair_population",
    "pairing_table",
    "solve",
]


def household_frame(pop: Population, accounts: pl.DataFrame, tiers: pl.DataFrame) -> pl.DataFrame:
    """S02 scope: 脱贫户 and 监测对象 in the 低收入组, with fell (M04), income and the current cadre.

    The current cadre is read from the cadres table's 现帮扶户编号 (the interchange format's record
    of existing pairs); the county is the first six digits of the village code.
    """
    current = _current(pop).unique(subset="household_id", keep="first", maintain_order=True)
    return (
        pop.households.lazy()
        .select("household_id", "village_code")
        .join(
            with_scope(tiers, pop.households)
            .lazy()
            .filter(pl.col("in_scope").fill_null(False))
            .select("household_id"),
            on="household_id",
        )
        .join(
            accounts.lazy().select("household_id", "fell", "per_capita_income"), on="household_id", how="left"
        )
        .join(current.lazy(), on="household_id", how="left")
        .with_columns(
            pl.col("village_code").str.slice(0, 6).alias("county_code"), pl.col("fell").fill_null(False)
        )
        .select("household_id", "county_code", "village_code", "fell", "per_capita_income", "cadre_id")
        .sort("household_id")  # the solver breaks ties between equally good cadres in this order
        .collect()
    )


def cadre_frame(
    pop: Population, proposal: Collection[str] | None = None, falling: Collection[str] = ()
) -> pl.DataFrame:
    """Cadres with ``area_code`` (the township or village their unit names, if any) and the pairs
    they keep outside the proposal.

    A unit such as "某某镇人民政府" or "某某村委会" is responsible for that township or village of
    its own county; the solver then prefers it for households there. ``fixed_households`` counts a
    cadre's current households outside ``proposal`` (another area, or out of scope: he still helps
    them, so they count against the limit), ``fixed_falling`` those of them in ``falling`` (falling
    households in scope, which hold his one-to-one place).
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
    held = _current(pop).filter(~pl.col("household_id").is_in(list(proposal or ())))
    fixed = held.group_by("cadre_id").agg(
        pl.len().cast(pl.Int64).alias("fixed_households"),
        pl.col("household_id").is_in(list(falling)).sum().cast(pl.Int64).alias("fixed_falling"),
    )
    return (
        cadres.join(matched, on="cadre_id", how="left")
        .join(fixed, on="cadre_id", how="left")
        .with_columns(pl.col("fixed_households").fill_null(0), pl.col("fixed_falling").fill_null(0))
    )


def _current(pop: Population) -> pl.DataFrame:
    """Every open pair the cadres table records (现帮扶户编号): cadre_id, household_id."""
    return (
        pop.cadres.select("cadre_id", pl.col("current_households").str.split(";"))
        .explode("current_households")
        .select("cadre_id", pl.col("current_households").str.strip_chars().alias("household_id"))
        .filter(pl.col("household_id").is_not_null() & (pl.col("household_id") != ""))
        .unique(subset=["cadre_id", "household_id"], keep="first", maintain_order=True)
    )


def pair_population(
    pop: Population,
    accounts: pl.DataFrame,
    tiers: pl.DataFrame,
    max_households: int = MAX_HOUSEHOLDS,
    area: str | None = None,
) -> PairingResult:
    """S02 over a population after income accounting and tiers (the batch pipeline's frames).

    With ``area`` only its households are paired; the pairs of the population's other households
    stay as they are and count against their cadres' limit and one-to-one place, so a county's
    proposal over its city's population may take any senior cadre of the city that is still free.
    """
    scope = household_frame(pop, accounts, tiers)
    free = scope
    if area:
        from zengshou.registry.areas import code_prefix

        free = scope.filter(pl.col("village_code").str.starts_with(code_prefix(area)))
    proposal = free["household_id"].to_list()
    falling = scope.filter(pl.col("fell") & ~pl.col("household_id").is_in(proposal))["household_id"]
    return solve(free, cadre_frame(pop, proposal, falling.to_list()), max_households)


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
    "interim": pl.Boolean,
}


def max_households(params: ParameterSet, year: int) -> int:
    """S02's limit for ``year``: ``S02.max_households`` of the tree, or of the user's file."""
    return int(params.with_shipped().for_year("S02.max_households", year))
