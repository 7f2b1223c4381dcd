"""Odd but legal values: warnings listed beside the errors that never stop an import.

A figure the database can store but no household has (parameter ``M01.plausible_max``)
is one of them; a figure it cannot store is an error of :mod:`.columns`.

Each check is one polars filter over a whole table (joins for checks across tables); only the rows
found become :class:`Problem` objects. A check runs only when the file has every column it reads:
a partial file says nothing about the columns it leaves out.
"""

from __future__ import annotations

import datetime as dt
import functools

import polars as pl

from zengshou import interchange as ix
from zengshou.ingest.columns import ROW, Checker, age_on, is_male
from zengshou.ingest.problems import Problem

#: Relations that name a man or a woman (配偶 is checked against the 户主 of the household).
MALE_RELATIONS = ("之子", "之女婿", "之孙子", "之父")
FEMALE_RELATIONS = ("之女", "之儿媳", "之孙女", "之母")
#: Fen: amounts closer than this are equal (they are rounded to two decimals on reading).
_FEN = 0.005


def _shown(expr: pl.Expr) -> pl.Expr:
    """A number as a clerk typed it: two decimals at most, no trailing “.0”."""
    return expr.round(2).cast(pl.Utf8).str.replace(r"\.0$", "")


def odd_values(
    tables: dict[str, pl.DataFrame], columns: dict[str, list[str]], today: dt.date | None = None
) -> list[Problem]:
    """Warnings for the typed ``tables`` of a file whose tables had ``columns`` (keys)."""
    today = today or dt.date.today()
    checkers = {t.key: Checker(t.name) for t in ix.TABLES}

    def has(key: str, *cols: str) -> bool:
        return key in tables and all(c in columns.get(key, ()) for c in cols)

    for key in ("households", "income"):
        if key in tables:
            _above_range(
                tables[key], ix.INCOME if key == "income" else ix.HOUSEHOLDS, columns, checkers, today
            )
    if has("households", "arable_mu", "arable_idle_mu"):
        _idle_land(tables["households"], checkers["households"])
    if has("income", "transfer", "transfer_dibao", "transfer_pension"):
        _transfer_parts(tables["income"], checkers["income"])
    if has("income", "household_id", "year", "quarter"):
        amounts = [c for c in ix.INCOME_AMOUNTS if c in columns["income"]]
        if amounts:
            _cumulative_falls(tables["income"], amounts, checkers["income"])
    if has("members", "relation", "id_number"):
        _young_heads(tables["members"], checkers["members"], today)
        _sex_and_relation(tables["members"], checkers["members"])
    if has("members", "work", "work_months"):
        _months_without_work(tables["members"], checkers["members"])
    if has("members", "dibao", "household_id") and has("households", "dibao_household"):
        _dibao_member(tables["members"], tables["households"], checkers["members"])
    return [p for c in checkers.values() for p in c.warnings]


@functools.cache
def _plausible_max(on: dt.date) -> dict[str, float]:
    """Column key → the largest usual value (parameter ``M01.plausible_max``)."""
    from zengshou.params import tree

    return {str(k): float(v) for k, v in tree().at("M01.plausible_max", on).items()}


def _above_range(
    frame: pl.DataFrame,
    table: ix.Table,
    columns: dict[str, list[str]],
    checkers: dict[str, Checker],
    today: dt.date,
) -> None:
    """A storable but unusual figure (an income of ten million yuan, a herd of thousands): a warning."""
    for key, limit in _plausible_max(today).items():
        if key not in columns.get(table.key, ()) or key not in frame.columns:
            continue
        header = table.column(key).header
        checkers[table.key].flag_each(
            frame,
            pl.col(key) > limit,
            header,
            _shown(pl.col(key).cast(pl.Float64)),
            pl.format(
                "{}为{}，超过常见上限{}，请核实是否多填了位数或写错了单位",
                pl.lit(header),
                _shown(pl.col(key).cast(pl.Float64)),
                pl.lit(f"{limit:,.0f}"),
            ),
            pl.format(
                "{} is {}, above the usual {}; check for extra digits or a wrong unit",
                pl.lit(header),
                _shown(pl.col(key).cast(pl.Float64)),
                pl.lit(f"{limit:,.0f}"),
            ),
            warning=True,
        )


def _idle_land(hh: pl.DataFrame, ch: Checker) -> None:
    idle, land = _shown(pl.col("arable_idle_mu")), _shown(pl.col("arable_mu"))
    ch.flag_each(
        hh,
        pl.col("arable_idle_mu") > pl.col("arable_mu") + _FEN,
        ix.HOUSEHOLDS.column("arable_idle_mu").header,
        _shown(pl.col("arable_idle_mu")),
        pl.format("耕地未种植{}亩，多于耕地面积{}亩，请核实", idle, land),
        pl.format("{} mu left unplanted is more than the {} mu of arable land; please check", idle, land),
        warning=True,
    )


def _transfer_parts(inc: pl.DataFrame, ch: Checker) -> None:
    parts = pl.col("transfer_dibao").fill_null(0) + pl.col("transfer_pension").fill_null(0)
    ch.flag_each(
        inc,
        parts > pl.col("transfer").fill_null(0) + _FEN,
        ix.INCOME.column("transfer").header,
        _shown(pl.col("transfer").fill_null(0)),
        pl.format("其中:低保金与其中:养老金之和{}元，大于转移性收入，请核实", _shown(parts)),
        pl.format(
            "低保金 + 养老金 = {} yuan, more than the 转移性收入 (transfers) that include them",
            _shown(parts),
        ),
        warning=True,
    )


def _cumulative_falls(inc: pl.DataFrame, amounts: list[str], ch: Checker) -> None:
    """Quarter rows are cumulative from January: an amount below the quarter before, or a whole-year
    row below the 4th quarter, is odd (usually a file of single quarters, not running totals)."""
    keyed = inc.filter(pl.col("household_id").is_not_null() & pl.col("year").is_not_null())
    group = ["household_id", "year"]
    quarters = keyed.filter(pl.col("quarter").is_not_null()).sort(*group, "quarter")
    same_period = pl.all_horizontal([pl.col(k) == pl.col(k).shift(1) for k in group])
    earlier = quarters.select(
        ROW,
        pl.when(same_period).then(pl.col("quarter").shift(1)).alias("_than"),
        *[pl.col(c).alias(f"_now_{c}") for c in amounts],
        *[pl.col(c).shift(1).alias(f"_then_{c}") for c in amounts],
    ).filter(pl.col("_than").is_not_null())
    fourth = quarters.filter(pl.col("quarter") == 4).select(
        *group, *[pl.col(c).alias(f"_then_{c}") for c in amounts]
    )
    whole_year = (
        keyed.filter(pl.col("quarter").is_null())
        .join(fourth, on=group, how="inner")
        .select(
            ROW,
            pl.lit(4, dtype=pl.Int64).alias("_than"),
            *[pl.col(c).alias(f"_now_{c}") for c in amounts],
            *[f"_then_{c}" for c in amounts],
        )
    )
    pairs = pl.concat(
        [earlier.with_columns(pl.col("_than").cast(pl.Int64)), whole_year], how="vertical_relaxed"
    )
    if pairs.is_empty():
        return
    falls = [pl.col(f"_now_{c}").fill_null(0) < pl.col(f"_then_{c}").fill_null(0) - _FEN for c in amounts]
    headers = [ix.INCOME.column(c).header for c in amounts]
    first = pl.coalesce([pl.when(f).then(pl.lit(h)) for f, h in zip(falls, headers, strict=True)])
    first_value = pl.coalesce(
        [pl.when(f).then(pl.col(f"_now_{c}")) for f, c in zip(falls, amounts, strict=True)]
    )
    listed = pl.concat_str(
        [
            pl.when(f).then(
                pl.format("{} {}<{}", pl.lit(h), _shown(pl.col(f"_now_{c}")), _shown(pl.col(f"_then_{c}")))
            )
            for f, h, c in zip(falls, headers, amounts, strict=True)
        ],
        separator="；",
        ignore_nulls=True,
    )
    found = pairs.with_columns(
        first.alias("_column"), first_value.alias("_value"), listed.alias("_listed")
    ).filter(pl.col("_column").is_not_null())
    for header in headers:
        ch.flag_each(
            found,
            pl.col("_column") == header,
            header,
            _shown(pl.col("_value")),
            pl.format(
                "季度收入按1月起累计，本行低于第{}季度（{}），请核实是否填成了单季数", "_than", "_listed"
            ),
            pl.format(
                "quarter rows are cumulative from January, but this row is below quarter {} ({}); "
                "were single quarters entered?",
                "_than",
                "_listed",
            ),
            warning=True,
        )


@functools.cache
def _working_age(on: dt.date) -> int:
    """The legal working age (working definition ``L00.working_age_min``): a younger 户主 is odd."""
    from zengshou.params import tree

    return int(tree().at("L00.working_age_min", on))


def _young_heads(mem: pl.DataFrame, ch: Checker, today: dt.date) -> None:
    youngest = _working_age(today)
    age = age_on(pl.col("id_number"), today)
    ch.flag_each(
        mem.with_columns(age.alias("_age")),
        (pl.col("relation") == "户主") & (pl.col("_age") < youngest),
        ix.MEMBERS.column("relation").header,
        pl.col("relation"),
        pl.format("户主未满{}周岁（{}岁），请核实", pl.lit(youngest), "_age"),
        pl.format("the 户主 is under {} ({} years old); please check", pl.lit(youngest), "_age"),
        warning=True,
    )


def _sex_and_relation(mem: pl.DataFrame, ch: Checker) -> None:
    """Sex read from the ID number against the relation; a 配偶 of the 户主's own sex."""
    male = is_male(pl.col("id_number"))
    heads = (
        mem.filter((pl.col("relation") == "户主") & pl.col("id_number").is_not_null())
        .group_by("household_id")
        .agg(male.first().alias("_head_male"))
    )
    frame = mem.filter(pl.col("id_number").is_not_null()).with_columns(male.alias("_male"))
    frame = frame.join(heads, on="household_id", how="left")
    rel = pl.col("relation")
    odd = (
        (rel.is_in(MALE_RELATIONS) & ~pl.col("_male"))
        | (rel.is_in(FEMALE_RELATIONS) & pl.col("_male"))
        | ((rel == "配偶") & (pl.col("_male") == pl.col("_head_male")))
    )
    sex_zh = pl.when(pl.col("_male")).then(pl.lit("男")).otherwise(pl.lit("女"))
    sex_en = pl.when(pl.col("_male")).then(pl.lit("a man")).otherwise(pl.lit("a woman"))
    ch.flag_each(
        frame,
        odd,
        ix.MEMBERS.column("relation").header,
        rel,
        pl.when(rel == "配偶")
        .then(pl.format("证件号码显示配偶与户主同为{}性，请核实", sex_zh))
        .otherwise(pl.format("证件号码显示为{}性，与“{}”不符，请核实", sex_zh, rel)),
        pl.when(rel == "配偶")
        .then(
            pl.format("the ID numbers show the 配偶 (spouse) and the 户主 are both {}; please check", sex_en)
        )
        .otherwise(pl.format("the ID number shows {}, which does not fit “{}”; please check", sex_en, rel)),
        warning=True,
    )


def _months_without_work(mem: pl.DataFrame, ch: Checker) -> None:
    ch.flag_each(
        mem,
        (pl.col("work_months") > 0) & (pl.col("work").is_null() | (pl.col("work") == "未务工")),
        ix.MEMBERS.column("work_months").header,
        pl.col("work_months"),
        pl.format("务工月数为{}，但务工状况为“{}”，请核实", "work_months", pl.col("work").fill_null("空")),
        pl.format(
            "{} months of work, but 务工状况 (work) is “{}”; please check",
            "work_months",
            pl.col("work").fill_null("empty"),
        ),
        warning=True,
    )


def _dibao_member(mem: pl.DataFrame, hh: pl.DataFrame, ch: Checker) -> None:
    dibao_households = hh.filter(pl.col("dibao_household").fill_null(False))["household_id"].drop_nulls()
    ch.flag_each(
        mem,
        (pl.col("dibao") == False) & pl.col("household_id").is_in(dibao_households.implode()),  # noqa: E712
        ix.MEMBERS.column("dibao").header,
        pl.lit("否"),
        pl.lit("该户为低保户，但该成员享受低保为“否”，请核实"),
        pl.lit(
            "the household is a 低保户 (on 低保 as a whole), but this member's 享受低保 is 否; please check"
        ),
        warning=True,
    )
