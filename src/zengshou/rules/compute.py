"""The facts of a population for one year, computed once: person facts, one group-by, household facts.

:func:`compute` runs before anything else in a batch; the classification (C01–C03) then adds the
quintile, tier and scope (:func:`classified`) for the measures. All work is columnar: each fact is
one expression over the registry's frames and the feed facts joined onto them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from zengshou.frames import Population
from zengshou.params import ParameterError, ParameterSet
from zengshou.rules import facts as f
from zengshou.rules.dsl import Env, Expr, Fact, NotInForce, compile_polars, compile_polars_agg

#: polars engine for the batch plans: the streaming engine keeps the big group-by and joins fast and lean.
ENGINE: Any = "streaming"

#: Household facts a person rule reads (joined onto the members once the tiers are known).
HOUSEHOLD_FACTS_FOR_PERSONS = (
    "village_code",
    "household_type",
    "quintile",
    "tier",
    "in_scope",
    "labourers",
    "dibao_household",
    "assets_within_dibao_rules",
    "whole_ill_or_disabled",
    "whole_no_labour",
    "hardship_household",
    "dibao_phase_out",
)

_DTYPES: dict[str, Any] = {"bool": pl.Boolean, "num": pl.Float64, "text": pl.Utf8}


@dataclass
class Facts:
    """Household and person facts of one population and year, with the parameters they were read with.

    ``unavailable`` names the facts whose parameters are not in force that year (their columns are
    null) and why: a rule reading them cannot be evaluated for the year.
    """

    env: Env
    households: pl.DataFrame
    members: pl.DataFrame
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def year(self) -> int:
        return self.env.year

    def require(self, names: Iterable[str] | None = None) -> None:
        """Raise :class:`ParameterError` when a needed fact (any fact, by default) could not be computed."""
        missing = [n for n in (self.unavailable if names is None else names) if n in self.unavailable]
        if missing:
            raise ParameterError(self.unavailable[missing[0]])


def environment(params: ParameterSet, year: int) -> Env:
    """Region-wide parameter values in force at the end of ``year`` (not yet in force: reading raises)."""
    values: dict[str, Any] = {}
    for key, p in params.params.items():
        try:
            values[key] = p.at(dt.date(year, 12, 31))
        except ParameterError as exc:
            values[key] = NotInForce(str(exc))
    return Env(year=year, values=values)


def blank_to_null(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Empty text is a missing value (the registry stores blank enumerations as ``""``)."""
    text = pl.col(pl.Utf8)
    return frame.with_columns(pl.when(text.str.len_bytes() == 0).then(None).otherwise(text).name.keep())


def _compiled(fact: Fact, expr: Expr, env: Env, unavailable: dict[str, str]) -> pl.Expr:
    try:
        return compile_polars(expr, env)
    except ParameterError as exc:
        unavailable[fact.name] = str(exc)
        return pl.lit(None, dtype=_DTYPES.get(fact.kind, pl.Float64))


def apply(
    frame: pl.LazyFrame, defined: Iterable[Fact], env: Env, unavailable: dict[str, str]
) -> pl.LazyFrame:
    """Add each defined fact as a column, in order (a later fact may read an earlier one)."""
    for fact in defined:
        if fact.expr is not None:
            uses = [n for n in _reads(fact.expr) if n in unavailable]
            if uses:
                unavailable[fact.name] = unavailable[uses[0]]
            frame = frame.with_columns(_compiled(fact, fact.expr, env, unavailable).alias(fact.name))
    return frame


def _reads(expr: Expr) -> set[str]:
    from zengshou.rules.dsl import columns_in

    return columns_in(expr)


def fact_column(name: str, year: int, params: ParameterSet | None = None) -> pl.Expr:
    """One fact as a polars expression over the registry's columns (``age`` from the ID number),
    for a part that reads a single fact on its own frame."""
    fact = f.FACTS[name]
    if fact.expr is None:
        return pl.col(name)
    env = environment(params, year) if params is not None else Env(year=year, values={})
    return compile_polars(fact.expr, env)


def _operating_income(pop: Population, year: int) -> pl.LazyFrame:
    """Gross operating income of ``year``: the whole-year row, else the latest cumulative quarter."""
    return (
        pop.income.lazy()
        .filter(pl.col("year") == year)
        .with_columns(pl.col("quarter").fill_null(5).alias("_q"))
        .sort("_q")
        .group_by("household_id")
        .agg(pl.col("operating_gross").last().alias("operating_income"))
    )


def compute(pop: Population, env: Env) -> Facts:
    """Every fact of :mod:`zengshou.rules.facts` for the year of ``env`` (ages on 31 December)."""
    unavailable: dict[str, str] = {}
    households = blank_to_null(pop.households.lazy()).with_columns(
        pl.col("village_code").str.slice(0, 6).alias("county_code")
    )
    members = (
        blank_to_null(pop.members.lazy())
        .join(households.select("household_id", "county_code"), on="household_id", how="left")
        .join(f.education_dropouts(pop), on="id_number", how="left")
    )
    members = apply(members, f.PERSON_FACTS, env, unavailable).collect(engine=ENGINE).lazy()
    parts = []
    for fact in f.HOUSEHOLD_COUNTS:
        assert fact.expr is not None
        try:
            parts.append(compile_polars_agg(fact.name, fact.expr, env))
        except ParameterError as exc:
            unavailable[fact.name] = str(exc)
            tmp = f"__agg_{fact.name}"
            parts.append((pl.lit(0, pl.Int64).alias(tmp), pl.col(tmp).sum().alias(fact.name)))
    counts = (
        members.select("household_id", *[row for row, _ in parts])
        .group_by("household_id")
        .agg([agg for _, agg in parts])
    )
    villages = pop.villages.lazy().select("village_code", "collective_income_10k")
    hh = (
        households.join(_operating_income(pop, env.year), on="household_id", how="left")
        .join(villages, on="village_code", how="left")
        .join(counts, on="household_id", how="left")
        .with_columns([pl.col(c.name).fill_null(0) for c in f.HOUSEHOLD_COUNTS])
        .join(f.assessed_grades(pop), on="household_id", how="left")
        .join(f.year_figures(pop, env.year), on="household_id", how="left")
    )
    hh = apply(hh, f.HOUSEHOLD_FACTS, env, unavailable)
    return Facts(env, hh.collect(engine=ENGINE), members.collect(), unavailable)


def tier_of_quintile(quintiles: pl.DataFrame, env: Env) -> pl.DataFrame:
    """``household_id, quintile, tier``: the tier given (C03 may have moved it), else C02's of the quintile."""
    missing = [c for c in ("household_id", "quintile") if c not in quintiles.columns]
    if missing:
        raise ValueError(
            f"五等份分组表缺少列 {missing}（应有 household_id, quintile[, tier]）/ quintile frame lacks columns"
        )
    q = quintiles.select(
        pl.col("household_id").cast(pl.Utf8),
        pl.col("quintile").cast(pl.Utf8),
        (pl.col("tier").cast(pl.Utf8) if "tier" in quintiles.columns else pl.lit(None, pl.Utf8)).alias(
            "tier"
        ),
    )
    mapping: Mapping[str, str] = dict(env.value("C02.tier_of_quintile"))
    q = q.with_columns(
        pl.col("tier").fill_null(
            pl.col("quintile").replace_strict(dict(mapping), default=None, return_dtype=pl.Utf8)
        )
    )
    return q.unique("household_id", keep="first")


def classified(facts: Facts, quintiles: pl.DataFrame, env: Env | None = None) -> Facts:
    """The facts with the classification: quintile and tier (C01–C03) and the scope (L00) per household,
    and the household facts person rules read on every member. ``env`` may carry county values (W01)."""
    env = env or facts.env
    unavailable = dict(facts.unavailable)
    joined = facts.households.lazy().join(
        tier_of_quintile(quintiles, env).lazy(), on="household_id", how="left"
    )
    hh = apply(joined, f.CLASSIFICATION_FACTS, env, unavailable).collect(engine=ENGINE)
    cols = list(HOUSEHOLD_FACTS_FOR_PERSONS)
    mem = (
        facts.members.lazy()
        .join(hh.lazy().select("household_id", *cols), on="household_id", how="left")
        .collect(engine=ENGINE)
    )
    return Facts(env, hh, mem, unavailable)
