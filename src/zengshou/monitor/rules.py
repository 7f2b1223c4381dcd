"""The alert evaluator: the declarations of :mod:`zengshou.monitor.alerts` over accounts, facts and feeds.

:func:`alerts` evaluates every declared alert for the period and returns one frame of
:data:`ALERT_SCHEMA`; the scale risks by area (M03k, M03l) are the two that aggregate over areas
and are written out below. Thresholds are parameters keyed by the alert's code; every code is
listed in ``docs/monitoring.md``.
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

from zengshou.frames import Population
from zengshou.income.text import percent_text
from zengshou.monitor.alerts import ALERTS, CODES, LEVELS, Alert
from zengshou.params import ParameterSet
from zengshou.rules import compute as rc
from zengshou.rules import facts as rf
from zengshou.rules.dsl import Env, compile_polars
from zengshou.rules.text import template_expr, text_expr

__all__ = ["ALERTS", "ALERT_SCHEMA", "CODES", "alerts", "period_share", "period_window"]

ALERT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "household_id": pl.Utf8,
    "area_code": pl.Utf8,
    "code": pl.Utf8,
    "level": pl.Utf8,
    "explanation": pl.Utf8,
    #: Identity of the problem, unique among open alerts: code|household or area|year[|detail].
    "fingerprint": pl.Utf8,
}


LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}


def period_window(year: int, quarter: int | None) -> tuple[dt.date, dt.date]:
    """First and last day of the (cumulative) period: January 1 to the end of the quarter or year."""
    month = 12 if quarter is None else 3 * quarter
    return dt.date(year, 1, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def period_share(quarter: int | None) -> float:
    """Share of the year a cumulative period covers; the yearly line is pro-rated to it (M05)."""
    return 1.0 if quarter is None else quarter / 4


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=ALERT_SCHEMA)


def _finish(lf: pl.LazyFrame, code: str, year: int) -> pl.DataFrame:
    """Add code and default fingerprint, cast to the schema."""
    lf = lf.with_columns(pl.lit(code).alias("code"))
    if "fingerprint" not in lf.collect_schema().names():
        subject = pl.coalesce("household_id", "area_code")
        lf = lf.with_columns(
            pl.concat_str([pl.lit(f"{code}|"), subject, pl.lit(f"|{year}")]).alias("fingerprint")
        )
    return lf.select([pl.col(k).cast(t) for k, t in ALERT_SCHEMA.items()]).collect()


def with_lines(accounts: pl.DataFrame, params: ParameterSet, year: int, quarter: int | None) -> pl.DataFrame:
    """The accounts with each household's M05 line (:mod:`zengshou.monitor.lines`): ``monitoring_line``
    for the year, ``period_line`` pro-rated to the period, ``monitoring_line_area`` (the area whose own
    line applies, null for the region's) and ``monitoring_line_note`` (（假设值） where assumed)."""
    from zengshou.monitor.lines import lines

    known = lines(params, year)
    return accounts.with_columns(
        known.line_expr().alias("monitoring_line"),
        (known.line_expr() * period_share(quarter)).round(2).alias("period_line"),
        known.area_expr().alias("monitoring_line_area"),
        known.note_expr().alias("monitoring_line_note"),
    )


def period_env(params: ParameterSet, year: int, quarter: int | None) -> Env:
    """The parameters in force for the year, and the period's own values the declarations read:
    ``period.year``, ``period.quarter``, ``period.name``, ``period.line`` (M05's line pro-rated)."""
    env = rc.environment(params, year)
    line = float(env.value("M05.monitoring_line"))
    values = {
        **env.values,
        "period.year": year,
        "period.quarter": quarter,
        "period.name": "全年" if quarter is None else f"第{quarter}季度累计",
        "period.line": line * period_share(quarter),
    }
    return Env(year=year, values=values)


def _derive(lf: pl.LazyFrame, alert: Alert, env: Env) -> pl.LazyFrame:
    for name, expr in alert.derived:
        lf = lf.with_columns(compile_polars(expr, env).alias(name))
    return lf


def _persons(pop: Population) -> pl.LazyFrame:
    """Members with their household's village (households of the 家庭 sheet only)."""
    return (
        pop.members.lazy()
        .select("household_id", "id_number", "relation")
        .join(pop.households.lazy().select("household_id", "village_code"), on="household_id", how="inner")
    )


def _feed_rows(
    feed: str, pop: Population, facts: rc.Facts, year: int, quarter: int | None
) -> pl.LazyFrame | None:
    start, end = period_window(year, quarter)
    if feed == "members":
        villages = pop.households.lazy().select("household_id", "village_code")
        return (
            facts.members.lazy()
            .filter(pl.col("dropout").fill_null(False))
            .select("household_id", "id_number", "relation", "age", "dropout", "dropout_source")
            .join(villages, on="household_id", how="inner")
        )
    rows = {
        "medical": lambda: rf.medical_year(pop, year),
        "disability": lambda: rf.new_disability_certificates(pop, start, end),
        "dibao": lambda: rf.dibao_ended(pop, start, end),
        "jobs": lambda: rf.jobs_lost(pop, start, end),
    }[feed]()
    if rows is None:
        return None
    return rows.join(_persons(pop).collect().lazy(), on="id_number")


def _per_person(alert: Alert, rows: pl.LazyFrame, env: Env, year: int) -> pl.DataFrame:
    """One alert per household from person rows: phrases joined, the most severe level kept."""
    lf = _derive(rows, alert, env).filter(compile_polars(alert.condition, env).fill_null(False))
    grouped = (
        lf.with_columns(
            compile_polars(alert.level, env).alias("level"), text_expr(alert.explanation, env).alias("phrase")
        )
        .group_by("household_id", "village_code")
        .agg(
            pl.col("level")
            .sort_by(pl.col("level").replace_strict(LEVEL_RANK, default=len(LEVEL_RANK)))
            .first(),
            pl.col("phrase").unique(maintain_order=True).sort().str.join("；"),
        )
        .with_columns(
            pl.col("village_code").alias("area_code"),
            pl.concat_str([template_expr(alert.prefix, env), pl.col("phrase")]).alias("explanation"),
        )
    )
    return _finish(grouped, alert.code, year)


def _per_row(alert: Alert, rows: pl.LazyFrame, env: Env, year: int) -> pl.DataFrame:
    lf = _derive(rows, alert, env).filter(compile_polars(alert.condition, env))
    lf = lf.with_columns(
        pl.col("village_code").alias("area_code"),
        compile_polars(alert.level, env).alias("level"),
        text_expr(alert.explanation, env).alias("explanation"),
    )
    return _finish(lf, alert.code, year)


def evaluate(
    alert: Alert,
    pop: Population,
    accounts: pl.DataFrame,
    facts: rc.Facts,
    env: Env,
    year: int,
    quarter: int | None,
) -> pl.DataFrame | None:
    """The alerts one declaration raises for the period (None where its feed has no rows)."""
    if alert.rows == "accounts":
        return _per_row(alert, accounts.lazy(), env, year)
    if alert.rows == "households":
        return _per_row(alert, facts.households.lazy(), env, year)
    if alert.rows == "persons":
        rows = _feed_rows(alert.feed, pop, facts, year, quarter)
        return None if rows is None else _per_person(alert, rows, env, year)
    if alert.rows == "unaccounted":
        if accounts.height == 0:  # a period with no data at all raises nothing
            return _empty()
        rows = (
            pop.households.lazy()
            .select("household_id", "village_code")
            .join(accounts.lazy().select("household_id"), on="household_id", how="anti")
            .join(pop.members.lazy().select("household_id"), on="household_id", how="semi")
        )
        return _per_row(alert, rows, env, year)
    raise ValueError(f"{alert.code}: 未知的数据行 {alert.rows!r} / unknown rows")


def scale_risks(
    pop: Population, accounts: pl.DataFrame, params: ParameterSet, year: int, quarter: int | None
) -> pl.DataFrame:
    """M03k, M03l: scale risks by area (household_id null).

    M03k: a disaster reported by 应急 in the period for a village, township or county; 一级 when it
    affected ``M03k.level1_households`` or more households or caused ``M03k.level1_loss_10k``
    万元 or more, otherwise 二级; one alert per area, disaster type and date. M03l: in a village (二级)
    or county (一级), at least ``M03l.operating_fall_share`` of the households with operating income a
    year earlier saw it fall by ``M03l.operating_fall_ratio`` or more, and at least
    ``M03l.min_households`` of them.
    """
    start, end = period_window(year, quarter)
    out: list[pl.DataFrame] = []
    reported = pop.feeds.get("disaster")
    if reported is not None and reported.height:
        disaster = reported.lazy()
        n1 = int(params.for_year("M03k.level1_households", year))
        loss1 = float(params.for_year("M03k.level1_loss_10k", year))
        rows = disaster.filter(pl.col("occurred_on").is_between(start, end)).with_columns(
            pl.lit(None, dtype=pl.Utf8).alias("household_id"),
            pl.when(
                (pl.col("households_affected").fill_null(0) >= n1)
                | (pl.col("direct_loss_10k").fill_null(0) >= loss1)
            )
            .then(pl.lit("一级"))
            .otherwise(pl.lit("二级"))
            .alias("level"),
            pl.concat_str(
                [
                    pl.col("occurred_on").dt.strftime("%Y-%m-%d"),
                    pl.lit("发生"),
                    pl.col("disaster_type"),
                    pl.lit("，受灾"),
                    pl.coalesce(
                        pl.concat_str([pl.col("households_affected").cast(pl.Utf8), pl.lit("户")]),
                        pl.lit("户数未报"),
                    ),
                    pl.lit("，直接经济损失"),
                    pl.coalesce(
                        pl.concat_str([pl.col("direct_loss_10k").round(1).cast(pl.Utf8), pl.lit("万元")]),
                        pl.lit("未报"),
                    ),
                    pl.lit("；请排查受灾农户返贫致贫风险"),
                ]
            ).alias("explanation"),
            pl.concat_str(
                [
                    pl.lit("M03k|"),
                    pl.col("area_code"),
                    pl.lit(f"|{year}|"),
                    pl.col("disaster_type"),
                    pl.lit("|"),
                    pl.col("occurred_on").dt.strftime("%Y%m%d"),
                ]
            ).alias("fingerprint"),
        )
        out.append(_finish(rows.unique(subset=["fingerprint"], keep="first"), "M03k", year))

    ratio = float(params.for_year("M03l.operating_fall_ratio", year))
    share = float(params.for_year("M03l.operating_fall_share", year))
    minimum = int(params.for_year("M03l.min_households", year))
    base = (
        accounts.lazy()
        .filter(pl.col("prev_operating_net_pc") > 0)
        .with_columns(
            (pl.col("operating_net_pc") <= pl.col("prev_operating_net_pc") * (1 - ratio))
            .fill_null(False)
            .alias("op_fell"),
        )
    )
    for level, length, name in (("二级", 12, "本村"), ("一级", 6, "本县（区）")):
        by_area = (
            base.group_by(pl.col("village_code").str.slice(0, length).alias("area_code"))
            .agg(pl.len().alias("with_op"), pl.col("op_fell").sum().alias("fell_n"))
            .filter((pl.col("fell_n") >= minimum) & (pl.col("fell_n") >= pl.col("with_op") * share))
            .with_columns(
                pl.lit(None, dtype=pl.Utf8).alias("household_id"),
                pl.lit(level).alias("level"),
                pl.concat_str(
                    [
                        pl.lit(f"{name}上年同期有经营收入的"),
                        pl.col("with_op").cast(pl.Utf8),
                        pl.lit("户中"),
                        pl.col("fell_n").cast(pl.Utf8),
                        pl.lit(f"户人均经营净收入下降{ratio:.0%}以上（占"),
                        percent_text(pl.col("fell_n") / pl.col("with_op")),
                        pl.lit("），疑似农产品价格下行或产业效益不佳"),
                    ]
                ).alias("explanation"),
            )
        )
        out.append(_finish(by_area, "M03l", year))
    return pl.concat(out)


def alerts(
    pop: Population,
    accounts: pl.DataFrame,
    params: ParameterSet,
    year: int,
    quarter: int | None = None,
    facts: rc.Facts | None = None,
) -> pl.DataFrame:
    """M03–M05, M07: every alert for the period (unsorted; ``write_files`` sorts what it writes).

    ``facts`` are the run's facts (:func:`zengshou.rules.compute.compute`); computed here when absent.
    """
    env = period_env(params, year, quarter)
    if facts is None:
        facts = rc.compute(pop, env)
    accounts = with_lines(accounts, params, year, quarter)
    frames: list[pl.DataFrame] = []
    for alert in ALERTS:
        if alert.rows == "area":
            if alert.code == "M03k":
                frames.append(scale_risks(pop, accounts, params, year, quarter))
            continue
        frame = evaluate(alert, pop, accounts, facts, env, year, quarter)
        if frame is not None:
            frames.append(frame)
    return pl.concat(frames) if frames else _empty()
