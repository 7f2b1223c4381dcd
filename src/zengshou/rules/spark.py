"""PySpark compiler of the rule language: the same trees as :func:`zengshou.rules.dsl.compile_polars`.

PySpark is not a dependency of zengshou; everything here imports it on first use.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from zengshou.rules.dsl import (
    BINARY_OPS,
    Agg,
    BinOp,
    Col,
    Env,
    Expr,
    FillNull,
    IsIn,
    IsNull,
    Item,
    Lit,
    Not,
    Param,
    Substr,
    ToInt,
    When,
    Year,
    _set_values,
)


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
    if isinstance(expr, Item):
        return F.lit(env.value(expr.param.key)[expr.index])
    if isinstance(expr, BinOp):
        return BINARY_OPS[expr.op](compile_spark(expr.left, env), compile_spark(expr.right, env))
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
        for case, value in expr.cases:
            c, v = compile_spark(case, env), compile_spark(value, env)
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
