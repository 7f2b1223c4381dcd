"""M01/M04: household net income, per-capita net income and its components, year on year.

Definitions of the interchange spec: household net income = wage + operating_gross − operating_cost
+ property + transfer + claims (理赔收入, income beside the transfers); per-capita net income (人均纯收入) = net income ÷ household size. Size is the
number of members registered now (the registry keeps no member history, so the same size divides the
previous year's income too, and a per-capita fall is a household fall). Rigid spending (合规自付医疗费用,
教育支出) is reported beside the income, never deducted. Amounts are rounded half-up to the fen.
"""

from __future__ import annotations

import polars as pl

from zengshou.frames import Population

ACCOUNT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "household_id": pl.Utf8,
    "village_code": pl.Utf8,
    "year": pl.Int64,
    "quarter": pl.Int64,
    "size": pl.Int64,
    "net_income": pl.Float64,
    "per_capita_income": pl.Float64,
    "wage_pc": pl.Float64,
    "operating_net_pc": pl.Float64,
    "property_pc": pl.Float64,
    "transfer_pc": pl.Float64,
    "consumption_pc": pl.Float64,
    "medical_selfpay": pl.Float64,
    "education_spending": pl.Float64,
    "prev_per_capita_income": pl.Float64,
    "change": pl.Float64,
    "change_ratio": pl.Float64,
    "fell": pl.Boolean,
    # Extra columns for the component rules (M03a, M03b): the same period a year earlier.
    "prev_wage_pc": pl.Float64,
    "prev_operating_net_pc": pl.Float64,
}

_AMOUNTS = ("wage", "operating_gross", "operating_cost", "property", "transfer", "claims", "consumption")


def fen(expr: pl.Expr) -> pl.Expr:
    """Round half away from zero to two decimals (half-up for the non-negative amounts)."""
    return expr.round(2, mode="half_away_from_zero")


def _period(income: pl.DataFrame, year: int, quarter: int | None) -> pl.LazyFrame:
    lf = income.lazy().filter(pl.col("year") == year)
    if "claims" not in income.columns:
        lf = lf.with_columns(pl.lit(0.0).alias("claims"))
    lf = lf.filter(pl.col("quarter").is_null() if quarter is None else pl.col("quarter") == quarter)
    # One row per household and period is a database constraint; a file may still repeat one.
    return lf.group_by("household_id").agg(
        [pl.col(c).fill_null(0.0).sum() for c in (*_AMOUNTS, "medical_selfpay", "education_spending")]
    )


def household_sizes(pop: Population) -> pl.LazyFrame:
    """Members per household (family size at the end of the period, as registered)."""
    return pop.members.lazy().group_by("household_id").agg(pl.len().cast(pl.Int64).alias("size"))


def account(pop: Population, year: int, quarter: int | None = None) -> pl.DataFrame:
    """M01, M04: one row per household with an income row for the period; see :data:`ACCOUNT_SCHEMA`.

    ``quarter`` None takes whole-year rows; 1–4 takes the cumulative quarter rows, and the previous
    period is the same quarter of ``year - 1`` (同比). ``fell`` is 不增反降: per-capita income below
    the same period of the previous year; null when there is no previous row.
    """
    sizes = household_sizes(pop)
    current = _period(pop.income, year, quarter)
    prev = _period(pop.income, year - 1, quarter).select(
        "household_id",
        (
            pl.col("wage")
            + pl.col("operating_gross")
            - pl.col("operating_cost")
            + pl.col("property")
            + pl.col("transfer")
            + pl.col("claims")
        ).alias("prev_net_income"),
        pl.col("wage").alias("prev_wage"),
        (pl.col("operating_gross") - pl.col("operating_cost")).alias("prev_operating_net"),
    )
    size = pl.col("size")
    per_capita = pl.when(size > 0)
    lf = (
        current.join(
            pop.households.lazy().select("household_id", "village_code"), on="household_id", how="left"
        )
        .join(sizes, on="household_id", how="left")
        .join(prev, on="household_id", how="left")
        .with_columns(
            pl.col("size").fill_null(0),
            (pl.col("operating_gross") - pl.col("operating_cost")).alias("operating_net"),
        )
        .with_columns(
            (
                pl.col("wage")
                + pl.col("operating_net")
                + pl.col("property")
                + pl.col("transfer")
                + pl.col("claims")
            ).alias("net_income")
        )
        .with_columns(
            fen(pl.col("net_income")),
            fen(per_capita.then(pl.col("net_income") / size)).alias("per_capita_income"),
            fen(per_capita.then(pl.col("wage") / size)).alias("wage_pc"),
            fen(per_capita.then(pl.col("operating_net") / size)).alias("operating_net_pc"),
            fen(per_capita.then(pl.col("property") / size)).alias("property_pc"),
            fen(per_capita.then(pl.col("transfer") / size)).alias("transfer_pc"),
            fen(per_capita.then(pl.col("consumption") / size)).alias("consumption_pc"),
            fen(per_capita.then(pl.col("prev_net_income") / size)).alias("prev_per_capita_income"),
            fen(per_capita.then(pl.col("prev_wage") / size)).alias("prev_wage_pc"),
            fen(per_capita.then(pl.col("prev_operating_net") / size)).alias("prev_operating_net_pc"),
        )
        .with_columns(fen(pl.col("per_capita_income") - pl.col("prev_per_capita_income")).alias("change"))
        .with_columns(
            pl.when(pl.col("prev_per_capita_income") > 0)
            .then(pl.col("change") / pl.col("prev_per_capita_income"))
            .alias("change_ratio"),
            (pl.col("per_capita_income") < pl.col("prev_per_capita_income")).alias("fell"),
            pl.lit(year, dtype=pl.Int64).alias("year"),
            pl.lit(quarter, dtype=pl.Int64).alias("quarter"),
        )
    )
    # Row order is not guaranteed (a sort of 800,000 keys costs more than the rest); files are sorted.
    return lf.select([pl.col(k).cast(t) for k, t in ACCOUNT_SCHEMA.items()]).collect()


def by_area(accounts: pl.DataFrame, level: str = "county") -> pl.DataFrame:
    """M01: per-capita income and its components by area, weighting every household by its persons.

    ``level`` is region / city / county / township / village. Columns: area_code, households, persons,
    per_capita_income, wage_pc, operating_net_pc, property_pc, transfer_pc, consumption_pc (each the
    area's total over its persons, to the fen), fell_persons and fell_share (M04, persons of households
    whose income fell among persons with a previous-year figure).
    """
    from zengshou.registry.areas import area_expr

    parts = (
        "per_capita_income",
        "wage_pc",
        "operating_net_pc",
        "property_pc",
        "transfer_pc",
        "consumption_pc",
    )
    ranked = accounts.lazy().filter(pl.col("size") > 0).with_columns(area_expr(level).alias("area_code"))  # type: ignore[arg-type]
    out = (
        ranked.group_by("area_code")
        .agg(
            pl.len().alias("households"),
            pl.col("size").sum().alias("persons"),
            *[(pl.col(c) * pl.col("size")).sum().alias(c) for c in parts],
            pl.col("size").filter(pl.col("fell")).sum().alias("fell_persons"),
            pl.col("size").filter(pl.col("fell").is_not_null()).sum().alias("compared_persons"),
        )
        .with_columns(
            *[fen(pl.col(c) / pl.col("persons")) for c in parts],
            pl.when(pl.col("compared_persons") > 0)
            .then(pl.col("fell_persons") / pl.col("compared_persons"))
            .alias("fell_share"),
        )
        .drop("compared_persons")
        .sort("area_code")
    )
    return out.collect()


def trend(
    pop: Population, years: list[int], level: str = "county", quarter: int | None = None
) -> pl.DataFrame:
    """M01: :func:`by_area` for several years (or the same cumulative quarter of each), with a year column."""
    frames = [by_area(account(pop, y, quarter), level).with_columns(pl.lit(y).alias("year")) for y in years]
    return pl.concat(frames).select("year", pl.all().exclude("year")).sort("area_code", "year")
