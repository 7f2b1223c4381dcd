"""M06/S01 over the database: counts from the alert workflow and plans, and the whole quarter's run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.db.models import Count, Q
from django.db.models.functions import Substr

from zengshou.assess.indicators import (
    DB_COLUMNS,
    Assessment,
    action_list,
    income_trend,
    indicators,
    interviews,
    tier_counts,
)
from zengshou.params import ParameterError, ParameterSet

QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}


def period(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """From 1 January to the end of the quarter (the cumulative quarter of the income rows)."""
    m, d = QUARTER_END[quarter]
    return dt.date(year, 1, 1), dt.date(year, m, d)


def database_counts(year: int, quarter: int, area: str = "") -> pl.DataFrame:
    """Per county: open alerts, inclusions and risk eliminations in the period, plan measures.

    ``area`` is a code prefix (:func:`zengshou.registry.areas.code_prefix`), "" for everything.
    """
    from zengshou.monitor.models import OPEN_STATUSES, Alert, MonitoringObject
    from zengshou.toolbox.models import PlanItem

    start, end = period(year, quarter)
    rows: dict[str, dict[str, int]] = {}

    def add(qs: Any, field: str, key: str) -> None:
        for r in qs.annotate(c=Substr(field, 1, 6)).values("c").annotate(n=Count("id")):
            rows.setdefault(r["c"], dict.fromkeys(DB_COLUMNS, 0))[key] = r["n"]

    alerts = Alert.objects.filter(year=year, status__in=OPEN_STATUSES, area_code__startswith=area)
    add(alerts, "area_code", "open_alerts")
    mo = MonitoringObject.objects.filter(household__village__code__startswith=area)
    add(mo.filter(included_on__range=(start, end)), "household__village_id", "inclusions")
    add(mo.filter(risk_eliminated_on__range=(start, end)), "household__village_id", "risk_eliminations")
    items = PlanItem.objects.filter(plan__year=year, plan__county_code__startswith=area[:6])
    for r in items.values("plan__county_code").annotate(
        planned=Count("id"), delivered=Count("id", filter=Q(status=PlanItem.Status.DELIVERED))
    ):
        row = rows.setdefault(r["plan__county_code"], dict.fromkeys(DB_COLUMNS, 0))
        row["measures_planned"], row["measures_delivered"] = r["planned"], r["delivered"]
    return pl.DataFrame(
        [{"area_code": k, **v} for k, v in rows.items()],
        schema={"area_code": pl.Utf8, **dict.fromkeys(DB_COLUMNS, pl.Int64)},
    )


def assess_database(
    year: int, quarter: int, area: str | None = None, params: ParameterSet | None = None
) -> Assessment:
    """M06/S01 for a cumulative quarter: read the registry, run the pipeline for this and last year."""
    from zengshou.params import tree
    from zengshou.pipeline import MONITORING_STAGES, run_batch
    from zengshou.registry.areas import code_prefix
    from zengshou.registry.read import population_from_database

    params = (params or tree()).with_shipped()
    prefix = code_prefix(area) if area else ""  # the region or a city: all their counties
    pop = population_from_database(area, years=(year - 2, year - 1, year))
    if pop.households.height == 0:
        raise ValueError("数据库中没有农户数据（请先导入） / no households in the database")
    # The 4th cumulative quarter is the whole year: without 4th-quarter rows, the annual rows serve.
    q: int | None = quarter
    if quarter == 4 and pop.income.filter((pl.col("year") == year) & (pl.col("quarter") == 4)).height == 0:
        q = None
    # the indicators read accounts, tiers and alerts: the toolbox and pairing stages are not needed
    now = run_batch(pop, year, q, params, stages=MONITORING_STAGES)
    prev_alerts = None
    same = pl.col("quarter").is_null() if q is None else pl.col("quarter") == q
    if pop.income.filter((pl.col("year") == year - 1) & same).height:
        prev_alerts = run_batch(pop, year - 1, q, params, stages=("accounts", "alerts")).alerts
    try:
        national: float | None = float(params.for_year("M04.fell_share_national_average", year))
    except ParameterError:  # no national figure for the year: the comparison shows 无数据
        national = None
    figures = indicators(
        pop,
        now.accounts,
        now.tiers,
        now.alerts,
        prev_alerts,
        database_counts(year, quarter, prefix),
        national,
    )
    from zengshou.assess.targets import load_targets, progress_frame, status

    targets = status(load_targets(), progress_frame(), year, quarter)
    return Assessment(
        year,
        quarter,
        figures,
        interviews(figures, params, year),
        tier_counts(now.accounts, now.tiers),
        targets,
        trend=income_trend(pop, sorted(set(pop.income["year"].to_list())), q),
        actions=action_list(pop, now.accounts, now.tiers, open_level1_alerts(year, prefix)),
    )


def open_level1_alerts(year: int, area: str = "") -> pl.DataFrame:
    """Household alerts of level 一级 raised for the year and still new or verified (household_id, code)."""
    from zengshou.monitor.models import OPEN_STATUSES, Alert

    rows = Alert.objects.filter(
        year=year,
        level="一级",
        status__in=OPEN_STATUSES,
        household__isnull=False,
        area_code__startswith=area,
    ).values_list("household_id", "code")
    return pl.DataFrame(list(rows), schema={"household_id": pl.Utf8, "code": pl.Utf8}, orient="row")


def data_version() -> str:
    """What the assessment depends on, in a few indexed queries: registry writes (imports, feeds,
    pipeline runs), alert decisions, plan steps, pairings and target progress. Any change gives a new
    value, so a cached assessment is never older than the data it was computed from."""
    from django.db.models import Max

    from zengshou.assess.models import TargetProgress
    from zengshou.monitor.models import Alert, AlertTransition
    from zengshou.registry.models import AuditEvent, Pairing
    from zengshou.toolbox.models import PlanItemEvent

    parts = [
        AuditEvent.objects.filter(action__in=["import", "feed.import", "pipeline.store"]).aggregate(
            m=Max("pk")
        )["m"],
        Alert.objects.aggregate(m=Max("updated_at"), n=Count("pk")),
        AlertTransition.objects.aggregate(m=Max("pk"))["m"],
        PlanItemEvent.objects.aggregate(m=Max("pk"))["m"],
        Pairing.objects.aggregate(m=Max("pk"), open=Count("pk", filter=Q(ended_on__isnull=True))),
        TargetProgress.objects.aggregate(m=Max("pk"), n=Count("pk")),
    ]
    return repr(parts)


def assess_cached(year: int, quarter: int) -> Assessment:
    """:func:`assess_database` for the web pages, kept until the data changes (see :func:`data_version`).

    The assessment runs the monitoring stages over the whole region twice (this year and last): seconds
    on 50,000 households, too slow to repeat on every page view and report download.
    """
    import hashlib

    from django.core.cache import cache

    key = "zs:assess:" + hashlib.sha1(f"{year}|{quarter}|{data_version()}".encode()).hexdigest()
    found = cache.get(key)
    if isinstance(found, Assessment):
        return found
    result = assess_database(year, quarter)
    cache.set(key, result, 3600)
    return result
