"""The PySpark runner of the toolbox: the same facts and measures compiled to Spark Column expressions.

PySpark is an optional extra of zengshou; everything here imports it on first use. The runner
mirrors :func:`zengshou.rules.compute.compute` and the toolbox's ``evaluate_full`` step for step
(person facts, one group-by, household facts, the classification, one filter per measure) and
returns the same frame: measures, amounts, units, reason texts, county and income effect. The feed
facts (住建 grade, 教育 dropouts, the year's medical and assistance figures) are summarised by
polars — per county inside Spark tasks in ``zengshou spark run`` — and joined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from zengshou.frames import Population
from zengshou.params import ParameterSet
from zengshou.rules import facts as rf
from zengshou.rules.compute import HOUSEHOLD_FACTS_FOR_PERSONS, tier_of_quintile
from zengshou.rules.dsl import Env, Param
from zengshou.rules.spark import compile_spark, to_spark
from zengshou.rules.text import ABSENT
from zengshou.toolbox import definitions as d


def _fact_text(name: str) -> Any:
    """As the polars runner: ``label value unit`` with 是/否, whole numbers without decimals, 无."""
    from pyspark.sql import functions as F

    fact = rf.fact(name)
    c = F.col(name)
    if fact.kind == "bool":
        value = F.when(c.isNull(), None).when(c, F.lit("是")).otherwise(F.lit("否"))
    elif fact.kind == "num":
        f = c.cast("double")
        value = F.when(f == F.round(f, 0), f.cast("long").cast("string")).otherwise(
            F.round(f, 2).cast("string")
        )
    else:
        value = c.cast("string")
    unit = F.when(c.isNull(), F.lit("")).otherwise(F.lit(" " + fact.unit)) if fact.unit else F.lit("")
    return F.concat(F.lit(fact.label + " "), F.coalesce(value, F.lit(ABSENT)), unit)


def _reason(measure: d.Measure, env: Env) -> Any:
    """As the polars runner: the facts that made the measure apply, without the always-true ones."""
    from pyspark.sql import functions as F

    from zengshou.toolbox.engine import always_holds, plain_requirements, shown_facts

    pieces: list[Any] = []
    seen: set[str] = set()
    for c in measure.conditions:
        if always_holds(c, measure, env):
            continue
        for name, parts in shown_facts(c):
            if name in seen:
                continue
            seen.add(name)
            text = _fact_text(name)
            if parts:
                held = [F.coalesce(compile_spark(p, env), F.lit(False)) for p in parts]
                holds = held[0]
                for h in held[1:]:
                    holds = holds | h
                text = F.when(holds, text)
            pieces.append(text)
    if not pieces:
        return F.lit(f"{measure.code}：{plain_requirements(measure, env)}")
    return F.concat(F.lit(measure.code + "："), F.concat_ws("；", *pieces))


def _applies(measure: d.Measure, env: Env) -> Any:
    from pyspark.sql import functions as F

    out = F.lit(True)
    for c in measure.conditions:
        out = out & F.coalesce(compile_spark(c.expr, env), F.lit(False))
    return out


def _blank_to_null(frame: Any) -> Any:
    """As ``rules.compute.blank_to_null``: empty text is a missing value."""
    from pyspark.sql import functions as F

    return frame.select(
        *[
            F.when(F.length(F.col(name)) == 0, F.lit(None)).otherwise(F.col(name)).alias(name)
            if dtype == "string"
            else F.col(name)
            for name, dtype in frame.dtypes
        ]
    )


@dataclass
class SparkInputs:
    """What the measures read, as Spark DataFrames: the registry tables, the classification
    (``household_id, quintile, tier``) and the feed facts polars summarises per household or person
    (``rules.facts.education_dropouts``, ``assessed_grades``, ``year_figures``)."""

    households: Any
    members: Any
    income: Any
    villages: Any
    classes: Any
    dropouts: Any
    grades: Any
    figures: Any


def build_facts_spark(inputs: SparkInputs, env: Env) -> tuple[Any, Any]:
    """Household and member facts with the classification, as ``rules.compute.classified`` gives them."""
    from pyspark.sql import functions as F

    households = _blank_to_null(inputs.households).withColumn(
        "county_code", F.substring("village_code", 1, 6)
    )
    members = (
        _blank_to_null(inputs.members)
        .join(households.select("household_id", "county_code"), "household_id", "left")
        .join(inputs.dropouts, "id_number", "left")
    )
    for fact in rf.PERSON_FACTS:
        if fact.expr is not None:
            members = members.withColumn(fact.name, compile_spark(fact.expr, env))
    # computed once and read by the counts and by every member measure; the checkpoint also ends a
    # plan of a hundred projections that Spark would otherwise analyse again for each measure
    members = members.localCheckpoint()
    aggregates = members.groupBy("household_id").agg(
        *[compile_spark(c.expr, env).alias(c.name) for c in rf.HOUSEHOLD_COUNTS if c.expr is not None]
    )
    income = (
        inputs.income.filter(F.col("year") == env.year)
        .groupBy("household_id")
        .agg(F.max_by("operating_gross", F.coalesce(F.col("quarter"), F.lit(5))).alias("operating_income"))
    )
    villages = inputs.villages.select("village_code", "collective_income_10k")
    hh = (
        households.join(income, "household_id", "left")
        .join(villages, "village_code", "left")
        .join(aggregates, "household_id", "left")
        .fillna(0, subset=[c.name for c in rf.HOUSEHOLD_COUNTS])
        .join(inputs.grades, "household_id", "left")
        .join(inputs.figures, "household_id", "left")
    )
    for fact in rf.HOUSEHOLD_FACTS:
        if fact.expr is not None:
            hh = hh.withColumn(fact.name, compile_spark(fact.expr, env))
    hh = hh.join(inputs.classes.select("household_id", "quintile", "tier"), "household_id", "left")
    for fact in rf.CLASSIFICATION_FACTS:
        if fact.expr is not None:
            hh = hh.withColumn(fact.name, compile_spark(fact.expr, env))
    hh = hh.localCheckpoint()
    mem = members.join(hh.select("household_id", *HOUSEHOLD_FACTS_FOR_PERSONS), "household_id", "left")
    return hh, mem.localCheckpoint()


def _one_off(measure: d.Measure, env: Env) -> Any:
    """As the polars runner: whether the amount is paid once (``<code>.one_off``, per county)."""
    from pyspark.sql import functions as F

    key = f"{measure.code}.one_off"
    if key not in env.values:
        return F.lit(False)
    return F.coalesce(compile_spark(Param(key), env).cast("boolean"), F.lit(False))


def _row(measure: d.Measure, env: Env) -> Any:
    """The measure's result row of one household or member, null where it does not apply."""
    from pyspark.sql import functions as F

    m = measure
    amount = (
        compile_spark(m.amount, env).cast("double") if m.amount is not None else F.lit(None).cast("double")
    )
    income = (
        F.when(_one_off(m, env), F.lit(None)).otherwise(amount)
        if m.to_household and m.amount is not None
        else F.lit(None)
    ).cast("double")
    row = F.struct(
        F.lit(m.code).alias("code"),
        (F.col("id_number") if m.level == "member" else F.lit(None).cast("string")).alias("id_number"),
        F.when(amount == 0, F.lit(None)).otherwise(amount).alias("amount"),
        F.lit("、".join(m.units)).alias("units"),
        _reason(m, env).cast("string").alias("reason"),
        F.lit(m.to_household).alias("to_household"),
        F.when(income == 0, F.lit(None)).otherwise(income).alias("income_effect"),
    )
    return F.when(_applies(m, env), row)


def measures_spark(inputs: SparkInputs, env: Env, measures: Sequence[d.Measure]) -> Any:
    """The toolbox's full frame (``engine.FULL_SCHEMA``: measures, amounts, units, reasons, county,
    whether the amount is the household's, yearly income effect) as a Spark DataFrame.

    As the polars runner flags every measure on one frame, each level is read once: every
    household's (member's) applicable measures are one array of rows, exploded.
    """
    from pyspark.sql import functions as F

    hh, mem = build_facts_spark(inputs, env)
    out = None
    for level, frame in (("household", hh), ("member", mem)):
        chosen = [m for m in measures if m.level == level]
        if not chosen:
            continue
        rows = F.filter(F.array(*[_row(m, env) for m in chosen]), lambda r: r.isNotNull())
        part = frame.select("household_id", "county_code", F.explode(rows).alias("m")).select(
            "household_id",
            "m.code",
            "m.id_number",
            "m.amount",
            "m.units",
            "m.reason",
            "county_code",
            "m.to_household",
            "m.income_effect",
        )
        out = part if out is None else out.unionByName(part)
    if out is None:
        raise ValueError("没有要计算的帮扶措施 / no measures")
    return out


def inputs_of(spark: Any, pop: Population, quintiles: pl.DataFrame, env: Env) -> SparkInputs:
    """:class:`SparkInputs` of a polars population, its rows through the driver (tests and samples)."""
    return SparkInputs(
        households=to_spark(spark, pop.households),
        members=to_spark(spark, pop.members),
        income=to_spark(spark, pop.income),
        villages=to_spark(spark, pop.villages),
        classes=to_spark(spark, tier_of_quintile(quintiles, env)),
        dropouts=to_spark(spark, rf.education_dropouts(pop).collect()),
        grades=to_spark(spark, rf.assessed_grades(pop).collect()),
        figures=to_spark(spark, rf.year_figures(pop, env.year).collect()),
    )


def evaluate_spark(
    spark: Any,
    pop: Population,
    quintiles: pl.DataFrame,
    year: int,
    county_toolboxes: Mapping[str, Any] | None = None,
    params: ParameterSet | None = None,
    measures: Sequence[d.Measure] | None = None,
) -> pl.DataFrame:
    """:func:`zengshou.toolbox.evaluate`'s frame (``household_id, code, id_number, amount, units,
    reason``), computed by Spark."""
    from zengshou.toolbox.engine import RESULT_SCHEMA, _measures, make_env

    env = make_env(params, year, county_toolboxes)
    out = measures_spark(inputs_of(spark, pop, quintiles, env), env, measures or _measures(county_toolboxes))
    rows = out.select(*RESULT_SCHEMA).collect()
    frame = pl.DataFrame([tuple(r) for r in rows], schema=RESULT_SCHEMA, orient="row")
    return frame.sort("household_id", "code", "id_number", nulls_last=False)
