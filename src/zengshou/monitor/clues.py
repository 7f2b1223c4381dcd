"""Clues (线索, M02–M05): one line per household gathering its open alerts, and the steps that work a
clue through at once.

About half of a region's households can carry an open alert after a pipeline run; listed one alert
a line, the queue buries the household that needs a visit this week under the ones to watch. A clue
is a household with at least one open (new or verified) alert. Its level is that of its most severe
alert, its age that of its oldest open alert, and the queue puts 一级 first and, within a level, the
oldest first. The queue is one grouped query over the open alerts (partial index
``alert_open_queue``), paged by household; the per-type counts of a page's clues come from a second
grouped query over those households only.

A clue is worked through with the workflow's own steps (``zengshou.monitor.workflow``), all of a
clue's alerts in one transaction:

- :func:`verify_clue` — every new alert verified with one note (入户核实 once per household);
- :func:`include_clue` — the household becomes a monitoring object through its most severe verified
  alert; the clue's other verified alerts move to 已纳入监测 with it, so they do not stay open and
  block risk elimination (M05);
- :func:`dismiss_clue` — every open alert dismissed with one reason.

Area alerts (scale risks M03k/M03l, no household) are not clues: :func:`area_alerts` lists them
beside the queue, since they call for an area's response rather than a household visit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Case, Count, IntegerField, Max, Min, QuerySet, Sum, Value, When
from django.db.models.expressions import RawSQL

from zengshou.monitor import workflow
from zengshou.monitor.models import LEVELS, OPEN_STATUSES, Alert, AlertStatus, MonitoringObject
from zengshou.monitor.rules import CODES

#: 一级 → 1 … 三级 → 3: the levels' order (their characters do not sort that way: 三 < 二).
LEVEL_RANK = Case(
    *[When(level=lvl, then=Value(i)) for i, lvl in enumerate(LEVELS, start=1)],
    default=Value(len(LEVELS) + 1),
    output_field=IntegerField(),
)


def title(code: str) -> str:
    """The Chinese name of an alert code (a code without one is shown as itself)."""
    return CODES.get(code, code)


def level_of(rank: int | None) -> str:
    return LEVELS[rank - 1] if rank and 1 <= rank <= len(LEVELS) else ""


@dataclass
class CodeCount:
    code: str
    count: int
    level: str

    @property
    def title(self) -> str:
        return title(self.code)


@dataclass
class Clue:
    """One household's open alerts: its level, age, counts by status and by type."""

    household_id: str
    village_code: str
    level: str
    oldest: dt.datetime
    alerts: int
    new: int
    village_name: str = ""
    by_code: list[CodeCount] = field(default_factory=list)

    @property
    def verified(self) -> int:
        return self.alerts - self.new

    def waiting_days(self, today: dt.date | None = None) -> int:
        """Days since the oldest open alert was raised."""
        from django.utils import timezone

        raised = (
            timezone.localtime(self.oldest).date() if timezone.is_aware(self.oldest) else self.oldest.date()
        )
        return max(((today or timezone.localdate()) - raised).days, 0)


def _is_open() -> RawSQL:
    """``status IN ('new', 'verified')`` written out: SQLite uses a partial index only for a query whose
    condition repeats the index's, and a condition with bound parameters never does."""
    values = ", ".join(f"'{v}'" for v in OPEN_STATUSES)
    return RawSQL(f'"{Alert._meta.db_table}"."status" IN ({values})', [], output_field=BooleanField())


def open_household_alerts(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """The open alerts of households among ``alerts`` (the user's scope and filters)."""
    return alerts.filter(_is_open(), household_id__isnull=False)


def queue(alerts: QuerySet[Alert], code: str = "", level: str = "") -> QuerySet[Any]:
    """One row per household with an open alert in ``alerts``, most severe first, then oldest.

    ``code`` keeps the clues holding an open alert of that type; ``level`` the clues of that level
    (their most severe alert). Rows are dicts: household_id, rank, oldest, n, new, village.
    """
    rows = (
        open_household_alerts(alerts)
        .values("household_id")
        .annotate(
            rank=Min(LEVEL_RANK),
            oldest=Min("created_at"),
            n=Count("id"),
            new=Sum(Case(When(status=AlertStatus.NEW, then=Value(1)), default=Value(0))),
            village=Max("area_code"),
        )
    )
    if code:
        rows = rows.annotate(
            with_code=Sum(Case(When(code=code, then=Value(1)), default=Value(0), output_field=IntegerField()))
        ).filter(with_code__gt=0)
    if level in LEVELS:
        rows = rows.filter(rank=LEVELS.index(level) + 1)
    return rows.order_by("rank", "oldest", "household_id")


def clues(rows: list[dict[str, Any]], alerts: QuerySet[Alert]) -> list[Clue]:
    """Clues of a page of :func:`queue` rows, with their counts by type and village names."""
    from zengshou.registry.models import Area

    ids = [r["household_id"] for r in rows]
    by_hh: dict[str, list[CodeCount]] = {i: [] for i in ids}
    counted = (
        open_household_alerts(alerts)
        .filter(household_id__in=ids)
        .values("household_id", "code")
        .annotate(n=Count("id"), rank=Min(LEVEL_RANK))
        .order_by("household_id", "rank", "-n", "code")
    )
    for r in counted:
        by_hh[r["household_id"]].append(CodeCount(r["code"], r["n"], level_of(r["rank"])))
    names = dict(Area.objects.filter(code__in={r["village"] for r in rows}).values_list("code", "name"))
    return [
        Clue(
            household_id=r["household_id"],
            village_code=r["village"],
            level=level_of(r["rank"]),
            oldest=r["oldest"],
            alerts=r["n"],
            new=int(r["new"] or 0),
            village_name=names.get(r["village"], ""),
            by_code=by_hh[r["household_id"]],
        )
        for r in rows
    ]


def count_by_code(open_alerts: Sequence[Alert]) -> list[CodeCount]:
    """Counts by type of one clue's alerts (already read), most severe type first."""
    found: dict[str, CodeCount] = {}
    for a in open_alerts:
        c = found.setdefault(a.code, CodeCount(a.code, 0, a.level))
        c.count += 1
        if _rank(a.level) < _rank(c.level):
            c.level = a.level
    return sorted(found.values(), key=lambda c: (_rank(c.level), -c.count, c.code))


def _rank(level: str) -> int:
    return LEVELS.index(level) + 1 if level in LEVELS else len(LEVELS) + 1


def type_counts(alerts: QuerySet[Alert]) -> list[dict[str, Any]]:
    """Open household alerts by type: alerts and households (clues) holding one, most common first."""
    rows = (
        open_household_alerts(alerts)
        .values("code")
        .annotate(alerts=Count("id"), households=Count("household_id", distinct=True))
        .order_by("-households", "code")
    )
    return [{**r, "title": title(r["code"])} for r in rows]


def level_counts(alerts: QuerySet[Alert]) -> dict[str, int]:
    """Clues by level (that of their most severe alert), counted in the database over the grouped rows."""
    per_household = open_household_alerts(alerts).values("household_id").annotate(rank=Min(LEVEL_RANK))
    sql, params = per_household.order_by().query.sql_with_params()
    out = dict.fromkeys(LEVELS, 0)
    with connection.cursor() as cur:
        cur.execute(f"SELECT q.rank, COUNT(*) FROM ({sql}) q GROUP BY q.rank", params)
        for rank, n in cur.fetchall():
            if lvl := level_of(rank):
                out[lvl] = int(n)
    return out


def area_alerts(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """Open area alerts (scale risks), most severe first, then oldest."""
    return (
        alerts.filter(status__in=OPEN_STATUSES, household_id__isnull=True)
        .select_related("area")
        .annotate(rank=LEVEL_RANK)
        .order_by("rank", "created_at", "area_code", "id")
    )


def households_with_open_alerts(alerts: QuerySet[Alert]) -> int:
    """How many households of ``alerts`` carry an open clue (the dashboard's share)."""
    return open_household_alerts(alerts).values("household_id").distinct().count()


# ---------------------------------------------------------------- working a clue through


def _open(
    household_id: str, alerts: QuerySet[Alert], statuses: tuple[str, ...] = OPEN_STATUSES
) -> list[Alert]:
    return list(
        alerts.filter(household_id=household_id, status__in=statuses)
        .select_related("household")
        .annotate(rank=LEVEL_RANK)
        .order_by("rank", "created_at", "id")
    )


def verify_clue(household_id: str, alerts: QuerySet[Alert], username: str, note: str) -> list[Alert]:
    """new → verified for every new alert of the household's clue, with one note (all or none)."""
    if not note or not note.strip():
        raise workflow.WorkflowError("请填写入户核实的情况。")
    with transaction.atomic():
        todo = _open(household_id, alerts, (AlertStatus.NEW.value,))
        if not todo:
            raise workflow.WorkflowError(f"农户{household_id}没有待核实的新预警")
        return [workflow.verify(a, username, note) for a in todo]


def include_clue(
    household_id: str, alerts: QuerySet[Alert], username: str, monitoring_type: str, note: str
) -> tuple[MonitoringObject, list[Alert]]:
    """The household becomes a monitoring object through its most severe verified alert; the clue's
    other verified alerts move to 已纳入监测 with it. Every open alert must be verified first."""
    with transaction.atomic():
        pending = _open(household_id, alerts)
        new = [a for a in pending if a.status == AlertStatus.NEW]
        if not pending:
            raise workflow.WorkflowError(f"农户{household_id}没有未处理的预警，无需纳入监测")
        if new:
            codes = "、".join(sorted({a.code for a in new}))
            raise workflow.WorkflowError(
                f"该户尚有{len(new)}条新预警未核实（{codes}），请先核实全部预警再纳入监测"
            )
        source, *others = pending
        obj = workflow.include(source, username, monitoring_type, note)
        moved = [source]
        for a in others:
            locked = workflow._lock(a)
            workflow._move(
                locked,
                AlertStatus.INCLUDED,
                username,
                f"随预警{source.code}（编号{source.pk}）一并纳入监测对象：{obj.monitoring_type}",
            )
            moved.append(locked)
    return obj, moved


def dismiss_clue(household_id: str, alerts: QuerySet[Alert], username: str, reason: str) -> list[Alert]:
    """new/verified → dismissed for every open alert of the clue, with one reason (all or none)."""
    if not reason or not reason.strip():
        raise workflow.WorkflowError("排除预警必须填写理由")
    with transaction.atomic():
        todo = _open(household_id, alerts)
        if not todo:
            raise workflow.WorkflowError(f"农户{household_id}没有未处理的预警")
        return [workflow.dismiss(a, username, reason) for a in todo]
