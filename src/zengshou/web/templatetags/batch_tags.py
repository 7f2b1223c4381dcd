""" "结果计算于 …" on every page with results (base.html), and the 运行批处理 menu entry.

The time is the latest ``computed_at`` of the stored tier results the user sees, for the period the
page shows when it has one (``period`` or ``year``/``quarter`` in its context), else for any period.
It is cached for a minute per scope and period, and read afresh as soon as a batch finishes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django import template
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from zengshou.web.roles import Role

register = template.Library()

CACHE_SECONDS = 60
_NONE = "none"


@register.filter
def can_run_batch(scope: Any) -> bool:
    from zengshou.web.roles import BATCH_ROLES

    return bool(scope) and scope.role in BATCH_ROLES


def _period(context: template.Context) -> tuple[int | None, int | None]:
    period = context.get("period")
    year = getattr(period, "year", None) if period is not None else context.get("year")
    quarter = getattr(period, "quarter", None) if period is not None else context.get("quarter")
    try:
        y = int(year) if year not in (None, "") else None
        q = int(quarter) if quarter not in (None, "") else None
    except (TypeError, ValueError):
        return None, None
    return y, (q if q in (1, 2, 3, 4) else None)


def computed_at(s: Any, year: int | None = None, quarter: int | None = None) -> dt.datetime | None:
    """When the stored results in the user's scope (for the period, when given) were computed."""
    from zengshou.batch.run import last_finished
    from zengshou.tiers.models import TierResult
    from zengshou.web import scope as sc

    marker = last_finished(s.prefix)
    raw = f"{s.role}|{s.prefix}|{s.cadre_id}|{year}|{quarter}|{marker}"
    key = "zs:computed:" + hashlib.sha1(raw.encode()).hexdigest()
    found = cache.get(key)
    if found is not None:
        return None if found == _NONE else dt.datetime.fromisoformat(found)
    qs = TierResult.objects.filter(sc.household_q(s))
    value: dt.datetime | None = None
    if year is not None:
        period = qs.filter(year=year)
        period = period.filter(quarter=quarter) if quarter else period.filter(quarter__isnull=True)
        value = period.aggregate(t=Max("computed_at"))["t"]
    if value is None:
        value = qs.aggregate(t=Max("computed_at"))["t"]
    cache.set(key, _NONE if value is None else value.isoformat(), CACHE_SECONDS)
    return value


@register.inclusion_tag("web/includes/computed.html", takes_context=True)
def results_computed(context: template.Context) -> dict[str, Any]:
    """The stamp line: when the results were computed, a run in progress, and 立即运行 for those who may."""
    s = context.get("scope")
    if s is None or s.role == Role.DEPARTMENT:
        return {"show": False}
    from zengshou.batch.models import ACTIVE_STATUSES
    from zengshou.batch.run import runs_for

    year, quarter = _period(context)
    value = computed_at(s, year, quarter)
    running = runs_for(s.prefix).filter(status__in=ACTIVE_STATUSES).order_by("created_at").first()
    return {
        "show": True,
        "at": timezone.localtime(value) if value is not None else None,
        "running": running,
        "can_run": can_run_batch(s),
    }
