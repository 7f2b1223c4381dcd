"""The evaluator of the quality checks: one columnar pass over a population's households and persons.

:func:`prepare` computes the facts (:func:`zengshou.rules.compute.compute`), the quality facts and the
prepared columns of :mod:`zengshou.quality.checks`; :func:`evaluate` turns every declared check into
a filter and a message and returns one frame of :data:`FINDING_SCHEMA`; :func:`exempt` drops the
findings of households on the exemption list for that rule. Nothing here touches the database: the
store (:mod:`zengshou.quality.store`) reads the registry and writes the results.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population
from zengshou.income.accounting import fen
from zengshou.params import ParameterSet
from zengshou.quality import checks as q
from zengshou.rules import compute as rc
from zengshou.rules.dsl import Env, compile_polars, compile_polars_agg
from zengshou.rules.text import text_expr

FINDING_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "code": pl.Utf8,
    "severity": pl.Utf8,
    "household_id": pl.Utf8,
    "village_code": pl.Utf8,
    #: The member concerned, by relation (户主, 之子 …); empty for a household check.
    "subject": pl.Utf8,
    "message": pl.Utf8,
}

MONITORING_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "household_id": pl.Utf8,
    "monitoring_type": pl.Utf8,
    "included_on": pl.Date,
    "risk_eliminated_on": pl.Date,
    **{slot: pl.Utf8 for slot in ix.RISK_SLOTS},
    "elimination_method": pl.Utf8,
}

_TRANSFER_ITEMS = (
    "transfer_dibao",
    "transfer_pension",
    "transfer_tekun",
    "transfer_eco",
    "transfer_family_planning",
    "transfer_other",
)

#: Columns of a region-wide person list for the duplicate checks (an area's run still sees other counties).
PERSON_KEY_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "household_id": pl.Utf8,
    "village_code": pl.Utf8,
    "id_number": pl.Utf8,
    "name": pl.Utf8,
    "relation": pl.Utf8,
}

_HOUSEHOLD_TO_PERSON = ("village_code", "household_type", "dibao_household", "heads", "head_age", "head_male")


@dataclass
class Prepared:
    """The rows the checks read: one per household, one per person, with the year's parameters."""

    env: Env
    households: pl.DataFrame
    persons: pl.DataFrame


def environment(params: ParameterSet, year: int) -> Env:
    """The parameters in force at the end of ``year``, and ``period.year`` for the messages."""
    env = rc.environment(params, year)
    return Env(year=year, values={**env.values, "period.year": year})


def _monitoring(monitoring: pl.DataFrame | None, income: pl.DataFrame) -> pl.LazyFrame:
    """Per household: the open record (type, risks, a method it should not have yet), else the latest
    eliminated one (dates, months, method, income after); the risks are the open record's, else the
    latest eliminated one's."""
    given = monitoring if monitoring is not None else pl.DataFrame(schema=MONITORING_SCHEMA)
    text = [k for k, t in MONITORING_SCHEMA.items() if t == pl.Utf8 and k != "household_id"]
    mo = given.lazy().with_columns(
        [
            pl.when(pl.col(k).cast(pl.Utf8).str.strip_chars() != "").then(pl.col(k).cast(pl.Utf8)).alias(k)
            if k in given.columns
            else pl.lit(None, pl.Utf8).alias(k)
            for k in text
        ]
    )
    risks = [pl.col(slot).first() for slot in ix.RISK_SLOTS]
    open_ = (
        mo.filter(pl.col("risk_eliminated_on").is_null())
        .group_by("household_id")
        .agg(
            pl.col("monitoring_type").first().alias("mo_type"),
            pl.col("elimination_method").first().alias("mo_open_method"),
            *[r.alias(f"_open_{r.meta.output_name()}") for r in risks],
        )
        .with_columns(pl.lit(True).alias("mo_open"))
    )
    last_income = income.lazy().group_by("household_id").agg(pl.col("year").max().alias("_last_income_year"))
    months = (
        pl.col("mo_eliminated_on").dt.year() * 12
        + pl.col("mo_eliminated_on").dt.month()
        - pl.col("mo_included_on").dt.year() * 12
        - pl.col("mo_included_on").dt.month()
    )
    eliminated = (
        mo.filter(pl.col("risk_eliminated_on").is_not_null())
        .sort("risk_eliminated_on")
        .group_by("household_id")
        .agg(
            pl.col("included_on").last().alias("mo_included_on"),
            pl.col("risk_eliminated_on").last().alias("mo_eliminated_on"),
            pl.col("elimination_method").last().alias("mo_elimination_method"),
            *[pl.col(slot).last().alias(f"_last_{slot}") for slot in ix.RISK_SLOTS],
        )
        .join(last_income, on="household_id", how="left")
        .with_columns(
            months.cast(pl.Int64).alias("monitored_months"),
            (pl.col("_last_income_year") >= pl.col("mo_eliminated_on").dt.year())
            .fill_null(False)
            .alias("income_after_elimination"),
        )
        .drop("_last_income_year")
    )
    is_open = pl.col("mo_open").fill_null(False)
    return (
        open_.join(eliminated, on="household_id", how="full", coalesce=True)
        .with_columns(
            pl.col("mo_open").fill_null(False),
            (pl.col("mo_eliminated_on").is_not_null() & ~is_open).alias("mo_eliminated"),
            *[
                pl.when(is_open).then(pl.col(f"_open_{slot}")).otherwise(pl.col(f"_last_{slot}")).alias(slot)
                for slot in ix.RISK_SLOTS
            ],
        )
        .with_columns(
            pl.concat_str([pl.col(slot) for slot in ix.RISK_SLOTS], separator="、", ignore_nulls=True).alias(
                "mo_risks"
            )
        )
        .drop([f"_{w}_{slot}" for w in ("open", "last") for slot in ix.RISK_SLOTS])
    )


def _year_income(pop: Population, year: int, sizes: pl.LazyFrame) -> pl.LazyFrame:
    """The year's whole-year row per household, with net and per-capita income as M01 computes them
    (:func:`zengshou.income.accounting.account`) over the facts' household size."""
    have = set(pop.income.columns)
    amounts = (
        "wage",
        "operating_gross",
        "operating_cost",
        "property",
        "transfer",
        "claims",
        *_TRANSFER_ITEMS,
    )
    size = pl.col("size")
    net = (
        pl.col("wage")
        + (pl.col("operating_gross") - pl.col("operating_cost"))
        + pl.col("property")
        + pl.col("transfer")
        + pl.col("claims")
    )
    return (
        pop.income.lazy()
        .filter((pl.col("year") == year) & pl.col("quarter").is_null())
        .group_by("household_id")
        .agg([(pl.col(c).fill_null(0.0).sum() if c in have else pl.lit(0.0).alias(c)) for c in amounts])
        .join(sizes, on="household_id", how="left")
        .with_columns(
            fen(net).alias("net_income"),
            fen(pl.when(size.fill_null(0) > 0).then(net / size)).alias("per_capita_income"),
            pl.lit(True).alias("has_income"),
        )
        .drop("size", "property", "claims")
    )


def _certificates(pop: Population) -> pl.LazyFrame:
    disability = pop.feeds.get("disability")
    if disability is None or disability.height == 0:
        return pl.LazyFrame(schema={"id_number": pl.Utf8, "certificate_grade": pl.Utf8})
    return (
        disability.lazy()
        .sort("issued_on", nulls_last=False)
        .group_by("id_number")
        .agg(pl.col("grade").last().alias("certificate_grade"))
    )


def _civil_dibao(pop: Population, year: int) -> pl.LazyFrame:
    civil = pop.feeds.get("civil")
    if civil is None or civil.height == 0:
        return pl.LazyFrame(schema={"id_number": pl.Utf8, "civil_dibao": pl.Boolean})
    end = dt.date(year, 12, 31)
    return (
        civil.lazy()
        .filter(
            (pl.col("assistance_type") == "低保")
            & (pl.col("start_date").is_null() | (pl.col("start_date") <= end))
            & (pl.col("end_date").is_null() | (pl.col("end_date") > end))
        )
        .select("id_number")
        .unique()
        .with_columns(pl.lit(True).alias("civil_dibao"))
    )


def prepare(
    pop: Population,
    year: int,
    params: ParameterSet,
    monitoring: pl.DataFrame | None = None,
    paired: pl.DataFrame | None = None,
) -> Prepared:
    """Facts, quality facts and prepared columns of every household and person for ``year``.

    ``monitoring`` has :data:`MONITORING_SCHEMA` (the registry's monitoring records), ``paired`` a
    ``household_id`` column of households with an open pairing; both default to what ``pop`` implies
    (no records, no pairs).
    """
    env = environment(params, year)
    facts = rc.compute(pop, env)
    persons = facts.members.lazy().join(
        facts.households.lazy().select("household_id", "village_code"), on="household_id", how="left"
    )
    persons = rc.apply(persons, q.PERSON_FACTS, env, {}).collect().lazy()
    parts = [compile_polars_agg(f.name, f.expr, env) for f in q.HOUSEHOLD_COUNTS if f.expr is not None]
    counts = (
        persons.select("household_id", *[row for row, _ in parts])
        .group_by("household_id")
        .agg([agg for _, agg in parts])
    )
    pairs = (
        paired.lazy().select("household_id").unique().with_columns(pl.lit(True).alias("paired"))
        if paired is not None
        else pl.LazyFrame(schema={"household_id": pl.Utf8, "paired": pl.Boolean})
    )
    phone = pl.col("phone")
    joined = (
        facts.households.lazy()
        .join(counts, on="household_id", how="left")
        .with_columns(
            pl.col(
                [f.name for f in q.HOUSEHOLD_COUNTS if f.kind == "num" and f.name != "head_age"]
            ).fill_null(0),
            pl.col("head_male").fill_null(False),
        )
        .join(
            _year_income(pop, year, facts.households.lazy().select("household_id", "size")),
            on="household_id",
            how="left",
        )
        .join(_monitoring(monitoring, pop.income), on="household_id", how="left")
        .join(pairs, on="household_id", how="left")
        .with_columns(
            phone.str.len_chars().cast(pl.Int64).alias("phone_length"),
            pl.when(phone.str.len_chars() >= 7)
            .then(pl.concat_str([phone.str.slice(0, 3), pl.lit("****"), phone.str.slice(-4, 4)]))
            .otherwise(pl.lit("***"))
            .alias("phone_masked"),
        )
    )
    households = rc.apply(joined, q.HOUSEHOLD_FACTS, env, {}).collect()
    person_rows = (
        persons.join(
            households.lazy().select(
                "household_id",
                *[c for c in _HOUSEHOLD_TO_PERSON if c != "village_code"],
                pl.col("tekun").alias("household_tekun"),
            ),
            on="household_id",
            how="left",
        )
        .join(_certificates(pop), on="id_number", how="left")
        .join(_civil_dibao(pop, year), on="id_number", how="left")
        .collect()
    )
    return Prepared(env, households, person_rows)


def _rows(check: q.Check, prepared: Prepared) -> pl.LazyFrame:
    env = prepared.env
    frame = prepared.households if check.entity == q.HOUSEHOLD else prepared.persons
    lf = frame.lazy()
    for name, expr in check.derived:
        lf = lf.with_columns(compile_polars(expr, env).alias(name))
    subject = pl.col("who") if check.entity == q.PERSON else pl.lit("")
    return lf.filter(compile_polars(check.condition, env).fill_null(False)).select(
        pl.lit(check.code).alias("code"),
        pl.lit(check.severity).alias("severity"),
        "household_id",
        "village_code",
        subject.alias("subject"),
        text_expr(check.message, env).alias("message"),
    )


def person_keys(persons: pl.DataFrame) -> pl.DataFrame:
    """The key columns of the duplicate checks: ``id_key`` (the number as written, X upper-case) and
    ``birth_date_text`` (YYYYMMDD from the number)."""
    return persons.select([pl.col(k) for k in PERSON_KEY_SCHEMA]).with_columns(
        pl.col("id_number").str.strip_chars().str.to_uppercase().alias("id_key"),
        pl.col("id_number").str.slice(6, 8).alias("birth_date_text"),
        pl.col("relation").fill_null("成员").alias("who"),
    )


def _duplicates(check: q.DuplicateCheck, keys: pl.DataFrame, households: pl.Series) -> pl.DataFrame:
    """One finding per person whose key another household also holds, naming the other household(s)."""
    group = [*check.within, *check.key]
    valid = keys.filter(pl.all_horizontal([pl.col(k).is_not_null() & (pl.col(k) != "") for k in group]))
    shared = (
        valid.group_by(group)
        .agg(pl.col("household_id").n_unique().alias("_n"), pl.col("household_id").unique().alias("_all"))
        .filter(pl.col("_n") > 1)
    )
    rows = valid.join(shared, on=group, how="inner").filter(
        pl.col("household_id").is_in(households.implode())
    )
    others = rows.with_columns(
        pl.col("_all").list.set_difference(pl.concat_list(pl.col("household_id"))).alias("_others")
    ).with_columns(
        pl.concat_str(
            [pl.lit("户编号 "), pl.col("_others").list.sort().list.join("、户编号 "), pl.lit(" 的成员")]
        ).alias("other")
    )
    env = Env(year=0, values={})
    return others.select(
        pl.lit(check.code).alias("code"),
        pl.lit(check.severity).alias("severity"),
        "household_id",
        "village_code",
        pl.col("who").alias("subject"),
        text_expr(check.message, env).alias("message"),
    )


def duplicate_pairs(keys: pl.DataFrame, check: q.DuplicateCheck, households: pl.Series) -> pl.DataFrame:
    """Every pair of records (a, b) of one duplicate check, one of them in ``households``: both shown."""
    group = [*check.within, *check.key]
    valid = keys.filter(pl.all_horizontal([pl.col(k).is_not_null() & (pl.col(k) != "") for k in group]))
    a = valid.select(*group, *[pl.col(c).alias(f"{c}_a") for c in PERSON_KEY_SCHEMA])
    b = valid.select(*group, *[pl.col(c).alias(f"{c}_b") for c in PERSON_KEY_SCHEMA])
    return (
        a.join(b, on=group, how="inner")
        .filter(
            (pl.col("household_id_a") < pl.col("household_id_b"))
            & (
                pl.col("household_id_a").is_in(households.implode())
                | pl.col("household_id_b").is_in(households.implode())
            )
        )
        .with_columns(pl.lit(check.code).alias("code"))
        .sort("household_id_a", "household_id_b")
    )


def evaluate(
    prepared: Prepared,
    codes: tuple[str, ...] | None = None,
    region_persons: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every finding of the declared checks (or of ``codes``) over the prepared rows.

    ``region_persons`` (:data:`PERSON_KEY_SCHEMA`) is the person list the duplicate checks compare
    against, the whole region by default the population itself; findings are only for the
    population's own households.
    """
    out: list[pl.LazyFrame] = []
    own = prepared.households["household_id"]
    keys = person_keys(region_persons if region_persons is not None else prepared.persons)
    for check in q.CHECKS:
        if codes is not None and check.code not in codes:
            continue
        if isinstance(check, q.DuplicateCheck):
            out.append(_duplicates(check, keys, own).lazy())
        else:
            out.append(_rows(check, prepared))
    if not out:
        return pl.DataFrame(schema=FINDING_SCHEMA)
    typed = [f.select([pl.col(k).cast(t) for k, t in FINDING_SCHEMA.items()]) for f in out]
    return pl.concat(pl.collect_all(typed)).sort("code", "household_id", "subject", "message")


def exempt(findings: pl.DataFrame, exemptions: pl.DataFrame | None) -> tuple[pl.DataFrame, int]:
    """The findings without those of an exempted (rule, household) pair, and how many were dropped."""
    if exemptions is None or exemptions.height == 0:
        return findings, 0
    kept = findings.join(
        exemptions.select("code", "household_id").unique(), on=["code", "household_id"], how="anti"
    )
    return kept, findings.height - kept.height
