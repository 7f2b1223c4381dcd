"""The alert workflow (M02, M05): verify → include as a monitoring object or dismiss; eliminate the risk.

Allowed steps (anything else raises :class:`WorkflowError` with a Chinese message):

============  ==========================  =====================================================
from          step                        to
============  ==========================  =====================================================
new           :func:`verify`              verified (by a named user)
verified      :func:`include`             included (a household alert; creates MonitoringObject)
new/verified  :func:`dismiss`             dismissed (a reason is required)
included      :func:`eliminate_risk`      closed (when the object's risk is eliminated)
============  ==========================  =====================================================

Each step writes an :class:`~zengshou.monitor.models.AlertTransition` and an audit event in the same
transaction, and locks the alert row so two users cannot decide the same alert at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from zengshou.monitor.models import (
    MONITORING_TYPES,
    OPEN_STATUSES,
    Alert,
    AlertStatus,
    AlertTransition,
    MonitoringObject,
)
from zengshou.registry.audit import record


class WorkflowError(ValueError):
    """A step the workflow does not allow, or a required field missing; the message is Chinese."""


_STATUS_TEXT = dict(AlertStatus.choices)


def _need_user(username: str) -> None:
    if not username or not username.strip():
        raise WorkflowError("必须注明操作人 / a named user is required")


def _lock(alert: Alert) -> Alert:
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    alert.refresh_from_db()
    return locked


def _require(alert: Alert, allowed: tuple[str, ...], step: str) -> None:
    if alert.status not in allowed:
        now = _STATUS_TEXT.get(alert.status, alert.status)
        need = "、".join(_STATUS_TEXT[s] for s in allowed)
        raise WorkflowError(f"预警当前为“{now}”，不能{step}（仅“{need}”的预警可以{step}）")


def _move(alert: Alert, to: str, username: str, note: str, **fields: Any) -> AlertTransition:
    before = alert.status
    alert.status = to
    for k, v in fields.items():
        setattr(alert, k, v)
    alert.save(update_fields=["status", "updated_at", *fields])
    step = AlertTransition.objects.create(
        alert=alert, from_status=before, to_status=to, username=username, note=note
    )
    record(
        username,
        f"alert.{to}",
        "alert",
        str(alert.pk),
        {"code": alert.code, "household": alert.household_id, "from": before, "to": to, "note": note},
    )
    return step


def verify(alert: Alert, username: str, note: str = "") -> Alert:
    """new → verified: a named user has checked the facts (入户核实)."""
    _need_user(username)
    with transaction.atomic():
        locked = _lock(alert)
        _require(locked, (AlertStatus.NEW,), "核实")
        _move(locked, AlertStatus.VERIFIED, username, note, verified_by=username, verified_at=timezone.now())
    alert.refresh_from_db()
    return alert


def include(alert: Alert, username: str, monitoring_type: str, note: str = "") -> MonitoringObject:
    """verified → included: the household becomes a monitoring object of ``monitoring_type`` (M02).

    The household's 户类型 becomes 监测对象-<type>; the type before is kept and restored when the
    risk is eliminated. A household has at most one open monitoring object.
    """
    _need_user(username)
    short = monitoring_type.removeprefix("监测对象-")
    if short not in MONITORING_TYPES:
        raise WorkflowError(f"监测对象类型应为{'、'.join(MONITORING_TYPES)}之一，实际为“{monitoring_type}”")
    with transaction.atomic():
        locked = _lock(alert)
        _require(locked, (AlertStatus.VERIFIED,), "纳入监测")
        if locked.household_id is None:
            raise WorkflowError("区域性预警没有对应农户，不能纳入监测对象；请核实后排除或按户另行预警")
        household = locked.household
        assert household is not None
        obj = create_object(household, short, username, source_alert=locked)
        _move(locked, AlertStatus.INCLUDED, username, note or f"纳入监测对象：{short}")
    alert.refresh_from_db()
    return obj


def create_object(
    household: Any,
    short: str,
    username: str,
    source_alert: Alert | None = None,
    risks: list[str] | tuple[str, ...] = (),
    on: dt.date | None = None,
    previous_type: str = "",
) -> MonitoringObject:
    """The household becomes a monitoring object of type ``short`` (inside the caller's transaction).

    Its 户类型 becomes 监测对象-<type>, the type before is kept for risk elimination; ``risks`` fill
    致贫/返贫风险1–5; ``previous_type`` overrides the type kept (a re-flagged household's
    type before its first inclusion). Shared by the alert workflow and the monitoring procedure (县级审定).
    """
    if MonitoringObject.objects.filter(household=household, risk_eliminated_on__isnull=True).exists():
        raise WorkflowError(f"农户{household.household_id}已是监测对象（风险未消除），不能重复纳入")
    slots = {f"risk_{i}": r for i, r in enumerate(list(risks)[:5], start=1)}
    previous = previous_type or household.household_type
    obj = MonitoringObject.objects.create(
        household=household,
        monitoring_type=short,
        included_on=on or timezone.localdate(),
        included_by=username,
        source_alert=source_alert,
        previous_household_type=previous,
        **slots,
    )
    household.household_type = f"监测对象-{short}"
    household.save(update_fields=["household_type", "updated_at"])
    record(
        username,
        "monitoring.include",
        "household",
        household.household_id,
        {
            "monitoring_type": short,
            "alert": source_alert.pk if source_alert else None,
            "previous_type": obj.previous_household_type,
            "risks": list(risks),
        },
    )
    return obj


def dismiss(alert: Alert, username: str, reason: str) -> Alert:
    """new/verified → dismissed, with the reason kept (排除: the facts did not hold or need no help)."""
    _need_user(username)
    if not reason or not reason.strip():
        raise WorkflowError("排除预警必须填写理由")
    with transaction.atomic():
        locked = _lock(alert)
        _require(locked, OPEN_STATUSES, "排除")  # type: ignore[arg-type]
        _move(locked, AlertStatus.DISMISSED, username, reason, dismissed_reason=reason)
    alert.refresh_from_db()
    return alert


def _period_end(year: int, quarter: int | None) -> dt.date:
    from zengshou.monitor.rules import period_window

    return period_window(year, quarter)[1]


def income_check(obj: MonitoringObject, params: Any = None) -> tuple[bool, list[dict[str, Any]], str]:
    """M05 part of risk elimination: the latest stored results since inclusion all above the line.

    Takes the ``M05.risk_elimination_periods`` most recent stored tier results (年度 or cumulative
    quarter) whose period ends on or after the inclusion date; each must have per-capita income above
    the monitoring line of its year and the household's area (:mod:`zengshou.monitor.lines`; pro-rated
    for a quarter) — an income on the line is still "以下". Returns (ok, the incomes checked, why not).
    """
    from zengshou.monitor.lines import lines
    from zengshou.monitor.rules import period_share
    from zengshou.params import tree
    from zengshou.tiers.models import TierResult

    ps = params or tree()
    needed = int(ps.for_year("M05.risk_elimination_periods", timezone.localdate().year))
    results = [
        r
        for r in TierResult.objects.filter(household_id=obj.household_id).order_by("-year", "-quarter")
        if _period_end(r.year, r.quarter) >= obj.included_on
    ]
    results.sort(key=lambda r: (r.year, r.quarter or 4, r.quarter is None), reverse=True)
    checked = []
    village = obj.household.village_id
    for r in results[:needed]:
        known = lines(ps, r.year)
        line = round(known.line(village) * period_share(r.quarter), 2)
        pc = float(r.per_capita_income) if r.per_capita_income is not None else None
        checked.append(
            {
                "period": f"{r.year}" + (f"Q{r.quarter}" if r.quarter else ""),
                "per_capita_income": pc,
                "line": line,
                "line_assumed": known.assumed(village),
                "above": pc is not None and pc > line,
            }
        )
    if len(checked) < needed:
        return False, checked, f"纳入监测后仅有{len(checked)}期收入结果，需连续{needed}期高于监测范围"
    below = [c for c in checked if not c["above"]]
    if below:
        lines_text = "、".join(
            f"{c['line']:,.2f}".rstrip("0").rstrip(".") + "元" + ("（假设值）" if c["line_assumed"] else "")
            for c in below
        )
        periods = "、".join(str(c["period"]) for c in below)
        return False, checked, f"{periods}人均纯收入未高于监测范围（{lines_text}，“以下”含本数）"
    return True, checked, ""


def eliminate_risk(obj: MonitoringObject, username: str, evidence: str | dict[str, Any]) -> MonitoringObject:
    """Mark a monitoring object 风险消除 (M05), keeping the evidence.

    Requires: the object not already eliminated; evidence given (the village's 民主评议 / 入户核实
    note); :func:`income_check` passed; no open (new/verified) alert of the household. The source
    alert is closed, the household's 户类型 restored to what it was before inclusion.
    """
    _need_user(username)
    if not evidence or (isinstance(evidence, str) and not evidence.strip()):
        raise WorkflowError("标注风险消除必须提供依据（如入户核实、民主评议记录）")
    with transaction.atomic():
        locked = MonitoringObject.objects.select_for_update().get(pk=obj.pk)
        if locked.risk_eliminated_on is not None:
            raise WorkflowError(f"该监测对象已于{locked.risk_eliminated_on}标注风险消除")
        ok, incomes, why = income_check(locked)
        if not ok:
            raise WorkflowError(f"不能标注风险消除：{why}")
        open_alerts = list(
            Alert.objects.filter(household_id=locked.household_id, status__in=OPEN_STATUSES).values_list(
                "code", flat=True
            )
        )
        if open_alerts:
            raise WorkflowError(f"不能标注风险消除：该户尚有未处理预警（{'、'.join(sorted(open_alerts))}）")
        mark_eliminated(
            locked,
            username,
            {
                "note": evidence if isinstance(evidence, str) else "",
                **({} if isinstance(evidence, str) else evidence),
                "incomes": incomes,
            },
        )
    obj.refresh_from_db()
    return obj


def mark_eliminated(
    locked: MonitoringObject,
    username: str,
    evidence: dict[str, Any],
    method: str = "",
    on: dt.date | None = None,
) -> None:
    """Write a checked risk elimination (inside the caller's transaction, the object row locked).

    The 户类型 before inclusion comes back and the source alert is closed; shared by
    :func:`eliminate_risk` and the monitoring procedure's 县级审定.
    """
    locked.risk_eliminated_on = on or timezone.localdate()
    locked.eliminated_by = username
    locked.evidence = evidence
    locked.elimination_method = method
    locked.save(update_fields=["risk_eliminated_on", "eliminated_by", "evidence", "elimination_method"])
    household = locked.household
    if locked.previous_household_type and household.household_type.startswith("监测对象-"):
        household.household_type = locked.previous_household_type
        household.save(update_fields=["household_type", "updated_at"])
    if locked.source_alert is not None and locked.source_alert.status == AlertStatus.INCLUDED:
        _move(locked.source_alert, AlertStatus.CLOSED, username, "监测对象风险消除")
    record(
        username,
        "monitoring.eliminate",
        "household",
        household.household_id,
        {
            "object": locked.pk,
            "incomes": evidence.get("incomes", []),
            "restored_type": household.household_type,
            "method": method,
        },
    )
