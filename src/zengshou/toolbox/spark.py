"""The PySpark runner of the toolbox: the same rule definitions compiled to Spark Column expressions.

PySpark is not a dependency of zengshou; everything here imports it on first use. The runner
mirrors :func:`zengshou.toolbox.engine.build_facts` and ``evaluate`` step for step (member facts,
one group-by, household facts, the scope rule, one filter per measure) and returns the same
frame: measures, amounts, units and reason texts, which the tests check whenever pyspark is
importable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from zengshou.frames import Population
from zengshou.params import ParameterSet
from zengshou.toolbox import definitions as d
from zengshou.toolbox.dsl import (
    Agg,
    BinOp,
    Col,
    Env,
    Expr,
    FillNull,
    IsIn,
    IsNull,
    Lit,
    Not,
    Param,
    Substr,
    ToInt,
    When,
    Year,
    _set_values,
)

_SPARK_BIN = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "ge": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "mod": lambda a, b: a % b,
}


def compile_spark(expr: Expr, env: Env) -> Any:
    """The Spark Column of ``expr``; county overrides become a map lookup on ``county_code``."""
    from pyspark.sql import functions as F

    if isinstance(expr, Col):
        return F.col(expr.name)
    if isinstance(expr, Lit):
        return F.lit(expr.value)
    if isinstance(expr, Year):
        return F.lit(env.year)
    if isinstance(expr, Param):
        base = env.value(expr.key)
        overrides = env.county_values.get(expr.key) or {}
        if not overrides:
            return F.lit(base)
        pairs = [x for c, v in overrides.items() for x in (F.lit(c), F.lit(v))]
        return F.coalesce(F.create_map(*pairs)[F.col(env.county_column)], F.lit(base))
    if isinstance(expr, BinOp):
        return _SPARK_BIN[expr.op](compile_spark(expr.left, env), compile_spark(expr.right, env))
    if isinstance(expr, Not):
        return ~compile_spark(expr.arg, env)
    if isinstance(expr, IsIn):
        arg = compile_spark(expr.arg, env)
        base_set = _set_values(expr.values, env)
        overrides = env.county_values.get(expr.values.key, {}) if isinstance(expr.values, Param) else {}
        out = arg.isin(base_set)
        if overrides:
            chain = None
            for county, v in overrides.items():
                values = list(v) if isinstance(v, list | tuple) else [v]
                cond = F.col(env.county_column) == county
                chain = (
                    F.when(cond, arg.isin(values)) if chain is None else chain.when(cond, arg.isin(values))
                )
            out = chain.otherwise(out)  # type: ignore[union-attr]
        return out
    if isinstance(expr, IsNull):
        return compile_spark(expr.arg, env).isNull()
    if isinstance(expr, FillNull):
        return F.coalesce(compile_spark(expr.arg, env), compile_spark(expr.value, env))
    if isinstance(expr, ToInt):
        return compile_spark(expr.arg, env).try_cast("long")
    if isinstance(expr, Substr):
        return F.substring(compile_spark(expr.arg, env), expr.start + 1, expr.length)
    if isinstance(expr, When):
        out = None
        for cond, value in expr.cases:
            c, v = compile_spark(cond, env), compile_spark(value, env)
            out = F.when(c, v) if out is None else out.when(c, v)
        return out.otherwise(compile_spark(expr.otherwise, env))  # type: ignore[union-attr]
    if isinstance(expr, Agg):
        inner = compile_spark(expr.arg, env)
        if expr.kind == "count":
            return F.sum(F.coalesce(inner, F.lit(False)).cast("long"))
        if expr.kind == "any":
            return F.bool_or(F.coalesce(inner, F.lit(False)))
        if expr.kind == "all":
            return F.bool_and(F.coalesce(inner, F.lit(False)))
        if expr.kind == "sum":
            return F.sum(F.coalesce(inner, F.lit(0)))
    raise TypeError(f"cannot compile {expr!r}")


_SPARK_TYPES: dict[Any, str] = {
    pl.Utf8: "string",
    pl.Int64: "bigint",
    pl.Float64: "double",
    pl.Boolean: "boolean",
    pl.Date: "date",
}


def to_spark(spark: Any, frame: pl.DataFrame) -> Any:
    """A Spark DataFrame of a polars frame (rows through the driver: fine for tests and samples)."""
    schema = ", ".join(f"`{c}` {_SPARK_TYPES.get(t, 'string')}" for c, t in frame.schema.items())
    return spark.createDataFrame(frame.rows(), schema=schema)


def _fact_text(name: str) -> Any:
    """As the polars runner: ``label value unit`` with 是/否, whole numbers without decimals, 未填."""
    from pyspark.sql import functions as F

    fact = d.FACTS.get(name) or d.Fact(name, name)
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
    return F.concat(F.lit(fact.label + " "), F.coalesce(value, F.lit("未填")), unit)


def _reason(measure: d.Measure) -> Any:
    from pyspark.sql import functions as F

    shown: list[str] = []
    for c in measure.conditions:
        shown.extend(s for s in c.shows if s not in shown)
    if not shown:
        return F.lit(measure.code)
    return F.concat(F.lit(measure.code + "："), F.concat_ws("；", *[_fact_text(s) for s in shown]))


def _applies(measure: d.Measure, env: Env) -> Any:
    from pyspark.sql import functions as F

    out = F.lit(True)
    for c in measure.conditions:
        out = out & F.coalesce(compile_spark(c.expr, env), F.lit(False))
    return out


def build_facts_spark(spark: Any, pop: Population, quintiles: pl.DataFrame, env: Env) -> tuple[Any, Any]:
    from pyspark.sql import functions as F

    households = to_spark(spark, pop.households).withColumn("county_code", F.substring("village_code", 1, 6))
    members = to_spark(spark, pop.members).join(
        households.select("household_id", "county_code"), "household_id", "left"
    )
    for name, e in d.MEMBER_FACTS.items():
        members = members.withColumn(name, compile_spark(e, env))
    aggregates = members.groupBy("household_id").agg(
        *[compile_spark(e, env).alias(n) for n, e in d.HOUSEHOLD_AGGREGATES.items()]
    )
    q = quintiles.select("household_id", "quintile", *(["tier"] if "tier" in quintiles.columns else []))
    tiers = to_spark(spark, q)
    if "tier" not in q.columns:
        tiers = tiers.withColumn("tier", F.lit(None).cast("string"))
    mapping = env.value("C02.tier_of_quintile")
    lookup = F.create_map(*[F.lit(x) for kv in dict(mapping).items() for x in kv])
    tiers = tiers.withColumn("tier", F.coalesce(F.col("tier"), lookup[F.col("quintile")]))
    income = (
        to_spark(spark, pop.income.filter(pl.col("year") == env.year))
        .groupBy("household_id")
        .agg(F.max_by("operating_gross", F.coalesce(F.col("quarter"), F.lit(5))).alias("operating_income"))
    )
    villages = to_spark(spark, pop.villages.select("village_code", "collective_income_10k"))
    from zengshou.toolbox.engine import guarantee_frame

    # T14's facts are C03's (zengshou.tiers), computed once by polars: the same definition on both runners
    guarantees = to_spark(spark, guarantee_frame(pop, env))
    hh = (
        households.join(tiers, "household_id", "left")
        .join(income, "household_id", "left")
        .join(villages, "village_code", "left")
        .join(aggregates, "household_id", "left")
        .fillna(0, subset=list(d.HOUSEHOLD_AGGREGATES))
        .join(guarantees, "household_id", "left")
    )
    for name, default in d.GUARANTEE_FACTS.items():
        hh = hh.withColumn(name, F.coalesce(F.col(name), F.lit(default)))
    for name, e in d.HOUSEHOLD_FACTS.items():
        hh = hh.withColumn(name, compile_spark(e, env))
    hh = hh.withColumn("in_scope", _applies(d.SCOPE, env))
    from zengshou.toolbox.engine import _HOUSEHOLD_COLUMNS_FOR_MEMBERS

    cols = [c for c in _HOUSEHOLD_COLUMNS_FOR_MEMBERS if c != "county_code"]
    mem = members.join(hh.select("household_id", *cols), "household_id", "left")
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
                _reason(m).alias("reason"),
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
