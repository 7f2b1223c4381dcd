"""The PySpark runner of the toolbox: the same facts and measures compiled to Spark Column expressions.

PySpark is not a dependency of zengshou; everything here imports it on first use. The runner
mirrors :func:`zengshou.rules.compute.compute` and the toolbox's ``evaluate`` step for step
(person facts, one group-by, household facts, the scope, one filter per measure) and returns the
same frame: measures, amounts, units and reason texts, which the tests check whenever pyspark is
importable. The feed facts (住建 grade, 教育 dropouts) are computed by polars and joined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from zengshou.frames import Population
from zengshou.params import ParameterSet
from zengshou.rules import facts as rf
from zengshou.rules.compute import HOUSEHOLD_FACTS_FOR_PERSONS, tier_of_quintile
from zengshou.rules.dsl import Env
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


def build_facts_spark(spark: Any, pop: Population, quintiles: pl.DataFrame, env: Env) -> tuple[Any, Any]:
    from pyspark.sql import functions as F

    households = to_spark(spark, pop.households).withColumn("county_code", F.substring("village_code", 1, 6))
    dropouts = to_spark(spark, rf.education_dropouts(pop).collect())
    members = (
        to_spark(spark, pop.members)
        .join(households.select("household_id", "county_code"), "household_id", "left")
        .join(dropouts, "id_number", "left")
    )
    for fact in rf.PERSON_FACTS:
        if fact.expr is not None:
            members = members.withColumn(fact.name, compile_spark(fact.expr, env))
    aggregates = members.groupBy("household_id").agg(
        *[compile_spark(c.expr, env).alias(c.name) for c in rf.HOUSEHOLD_COUNTS if c.expr is not None]
    )
    tiers = to_spark(spark, tier_of_quintile(quintiles, env))
    income = (
        to_spark(spark, pop.income.filter(pl.col("year") == env.year))
        .groupBy("household_id")
        .agg(F.max_by("operating_gross", F.coalesce(F.col("quarter"), F.lit(5))).alias("operating_income"))
    )
    villages = to_spark(spark, pop.villages.select("village_code", "collective_income_10k"))
    grades = to_spark(spark, rf.assessed_grades(pop).collect())
    figures = to_spark(spark, rf.year_figures(pop, env.year).collect())
    hh = (
        households.join(tiers, "household_id", "left")
        .join(income, "household_id", "left")
        .join(villages, "village_code", "left")
        .join(aggregates, "household_id", "left")
        .fillna(0, subset=[c.name for c in rf.HOUSEHOLD_COUNTS])
        .join(grades, "household_id", "left")
        .join(figures, "household_id", "left")
    )
    for fact in (*rf.HOUSEHOLD_FACTS, *rf.CLASSIFICATION_FACTS):
        if fact.expr is not None:
            hh = hh.withColumn(fact.name, compile_spark(fact.expr, env))
    mem = members.join(hh.select("household_id", *HOUSEHOLD_FACTS_FOR_PERSONS), "household_id", "left")
    return hh, mem


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
    from pyspark.sql import functions as F

    from zengshou.toolbox.engine import _measures, make_env

    env = make_env(params, year, county_toolboxes)
    hh, mem = build_facts_spark(spark, pop, quintiles, env)
    parts = []
    for m in measures or _measures(county_toolboxes):
        frame = hh if m.level == "household" else mem
        amount = (
            compile_spark(m.amount, env).cast("double")
            if m.amount is not None
            else F.lit(None).cast("double")
        )
        parts.append(
            frame.filter(_applies(m, env)).select(
                F.col("household_id"),
                F.lit(m.code).alias("code"),
                (F.col("id_number") if m.level == "member" else F.lit(None).cast("string")).alias(
                    "id_number"
                ),
                amount.alias("amount"),
                F.lit("、".join(m.units)).alias("units"),
                _reason(m, env).alias("reason"),
            )
        )
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    rows = out.collect()
    frame = pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "household_id": pl.Utf8,
            "code": pl.Utf8,
            "id_number": pl.Utf8,
            "amount": pl.Float64,
            "units": pl.Utf8,
            "reason": pl.Utf8,
        },
        orient="row",
    )
    return frame.with_columns(
        pl.when(pl.col("amount") == 0).then(None).otherwise(pl.col("amount")).alias("amount")
    ).sort("household_id", "code", "id_number", nulls_last=False)
