"""The alert workflow: allowed and forbidden transitions, inclusion, risk elimination with evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zengshou.monitor import workflow
from zengshou.monitor.models import Alert, AlertTransition, MonitoringObject
from zengshou.monitor.workflow import WorkflowError
from zengshou.registry.models import AuditEvent


def _alert(household=None, code: str = "M05", area_code: str = "640522100201") -> Alert:
    return Alert.objects.create(
        household=household,
        area_code=area_code,
        year=2024,
        code=code,
        level="一级",
        explanation="人均纯收入6,000元，低于2024年防止返贫监测范围7,100元",
        fingerprint=f"{code}|{household.household_id if household else area_code}|2024",
    )


def _tier_result(household, year: int, pc: int, quarter: int | None = None) -> None:
    from django.utils import timezone

    from zengshou.tiers.models import TierResult

    TierResult.objects.create(
        household=household,
        year=year,
        quarter=quarter,
        size=1,
        per_capita_income=Decimal(pc),
        computed_at=timezone.now(),
    )


def test_verify_then_include_creates_a_monitoring_object(make_household) -> None:
    h = make_household("H1")
    a = _alert(h)
    workflow.verify(a, "zhang", note="入户核实属实")
    assert (a.status, a.verified_by) == ("verified", "zhang") and a.verified_at is not None
    obj = workflow.include(a, "li", "边缘易致贫户")
    a.refresh_from_db()
    h.refresh_from_db()
    assert a.status == "included"
    assert (obj.monitoring_type, obj.included_by, obj.source_alert_id) == ("边缘易致贫户", "li", a.pk)
    assert obj.previous_household_type == "脱贫户"
    assert h.household_type == "监测对象-边缘易致贫户"
    steps = list(AlertTransition.objects.filter(alert=a).values_list("from_status", "to_status", "username"))
    assert steps == [("new", "verified", "zhang"), ("verified", "included", "li")]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"alert.verified", "alert.included", "monitoring.include"} <= actions


def test_dismiss_requires_a_reason_and_keeps_it(make_household) -> None:
    a = _alert(make_household("H1"))
    with pytest.raises(WorkflowError, match="理由"):
        workflow.dismiss(a, "zhang", "  ")
    workflow.dismiss(a, "zhang", "收入数据录入错误，已更正")
    assert (a.status, a.dismissed_reason) == ("dismissed", "收入数据录入错误，已更正")


@pytest.mark.parametrize(
    "prepare, step, message",
    [
        ([], lambda a: workflow.include(a, "li", "脱贫不稳定户"), "新预警"),  # must verify first
        (["verify"], lambda a: workflow.verify(a, "li"), "已核实"),  # twice
        (["dismiss"], lambda a: workflow.verify(a, "li"), "已排除"),
        (["dismiss"], lambda a: workflow.include(a, "li", "脱贫不稳定户"), "已排除"),
        (["verify", "include"], lambda a: workflow.dismiss(a, "li", "理由"), "已纳入监测"),
        (["verify"], lambda a: workflow.include(a, "li", "贫困户"), "监测对象类型"),
        ([], lambda a: workflow.verify(a, ""), "操作人"),
    ],
)
def test_forbidden_transitions(make_household, prepare, step, message) -> None:
    a = _alert(make_household("H1"))
    for p in prepare:
        if p == "verify":
            workflow.verify(a, "zhang")
        elif p == "dismiss":
            workflow.dismiss(a, "zhang", "不属实")
        elif p == "include":
            workflow.include(a, "zhang", "突发严重困难户")
    before = a.status
    n = AlertTransition.objects.count()
    with pytest.raises(WorkflowError, match=message):
        step(a)
    a.refresh_from_db()
    assert a.status == before
    assert AlertTransition.objects.count() == n


def test_area_alert_cannot_be_included(village) -> None:
    a = _alert(None, code="M03k", area_code=village.code)
    workflow.verify(a, "zhang")
    with pytest.raises(WorkflowError, match="区域性预警"):
        workflow.include(a, "zhang", "突发严重困难户")
    workflow.dismiss(a, "zhang", "已逐户排查，无农户受灾严重")
    assert a.status == "dismissed"


def test_a_household_is_one_open_monitoring_object(make_household) -> None:
    h = make_household("H1")
    first, second = _alert(h, "M05"), _alert(h, "M04")
    for a in (first, second):
        workflow.verify(a, "zhang")
    workflow.include(first, "zhang", "脱贫不稳定户")
    with pytest.raises(WorkflowError, match="已是监测对象"):
        workflow.include(second, "zhang", "脱贫不稳定户")


def _included(make_household):
    h = make_household("H1")
    a = _alert(h)
    workflow.verify(a, "zhang")
    obj = workflow.include(a, "zhang", "脱贫不稳定户")
    MonitoringObject.objects.filter(pk=obj.pk).update(included_on=dt.date(2024, 3, 1))
    obj.refresh_from_db()
    return h, a, obj


def test_risk_elimination_needs_income_above_the_line_for_two_periods(make_household) -> None:
    h, a, obj = _included(make_household)
    with pytest.raises(WorkflowError, match="仅有0期"):
        workflow.eliminate_risk(obj, "wang", "入户核实")
    _tier_result(h, 2024, 9000)  # above 7,100
    _tier_result(h, 2025, 1500, quarter=1)  # Q1 line 7,300 / 4 = 1,825: below
    with pytest.raises(WorkflowError, match="2025Q1人均纯收入未高于监测范围"):
        workflow.eliminate_risk(obj, "wang", "入户核实")
    _tier_result(h, 2025, 4000, quarter=2)  # half-year line 3,650: above
    with pytest.raises(WorkflowError, match="2025Q1"):  # the latest two are Q2 and Q1
        workflow.eliminate_risk(obj, "wang", "入户核实")
    _tier_result(h, 2025, 6000, quarter=3)  # three quarters: 5,475
    with pytest.raises(WorkflowError, match="依据"):
        workflow.eliminate_risk(obj, "wang", "")
    workflow.eliminate_risk(obj, "wang", "2025年7月村民代表大会评议通过")
    h.refresh_from_db()
    a.refresh_from_db()
    assert obj.risk_eliminated_on is not None and obj.eliminated_by == "wang"
    assert obj.evidence["note"] == "2025年7月村民代表大会评议通过"
    assert [i["period"] for i in obj.evidence["incomes"]] == ["2025Q3", "2025Q2"]
    assert h.household_type == "脱贫户"
    assert a.status == "closed"
    with pytest.raises(WorkflowError, match="已于"):
        workflow.eliminate_risk(obj, "wang", "再次")


def test_risk_elimination_refused_while_an_alert_is_open(make_household) -> None:
    h, _a, obj = _included(make_household)
    _tier_result(h, 2024, 9000)
    _tier_result(h, 2025, 9000)
    _alert(h, code="M03d")
    with pytest.raises(WorkflowError, match="未处理预警（M03d）"):
        workflow.eliminate_risk(obj, "wang", "入户核实")


def test_an_income_on_the_line_is_not_above_it_and_a_countys_own_line_counts(make_household) -> None:
    from tests.income.build import params

    h, _a, obj = _included(make_household)
    _tier_result(h, 2024, 7100)  # exactly on 2024's line: "以下" includes it
    _tier_result(h, 2025, 9000)
    ok, checked, why = workflow.income_check(obj)
    assert not ok and "2024人均纯收入未高于监测范围（7,100元（假设值）" in why
    assert checked[1]["line_assumed"] is True
    # 海原县 (640522) sets 9,500 for 2025: 9,000 is then under its line
    ps = params(**{"M05.monitoring_line_by_area": {"640522": 9500}})
    ok, checked, why = workflow.income_check(obj, ps)
    assert checked[0]["line"] == 9500 and not checked[0]["above"] and checked[0]["line_assumed"] is False
