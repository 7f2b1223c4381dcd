"""The monitoring procedure (M02, M05): clues of three channels, the steps with their deadlines on the
Chinese working calendar, who may take each step, inclusion, elimination with its criteria, 回退 and
再标注, measures and the figures."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import make_id
from zengshou.monitor import procedure as pr
from zengshou.monitor import workdays
from zengshou.monitor.models import Alert, AlertStatus, Case, CaseStep, Channel, MonitoringObject, Step

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
TOWNSHIP = pr.Person("xiang", "township", "640522100")
VILLAGE = pr.Person("cun", "village", "640522100201")
OTHER_VILLAGE = pr.Person("cun2", "village", "640522100202")
COUNTY = pr.Person("xian", "county", "640522")
OTHER_COUNTY = pr.Person("xianb", "county", "640402")
CITY = pr.Person("shi", "city", "640500")


class FixedClock:
    def __init__(self, day: dt.date) -> None:
        self.now = dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=BEIJING)

    def __call__(self) -> dt.datetime:
        return self.now

    def to(self, day: dt.date) -> None:
        self.now = dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=BEIJING)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    c = FixedClock(dt.date(2026, 9, 30))
    monkeypatch.setattr(timezone, "now", c)
    return c


@pytest.fixture
def other_village(village: Any) -> Any:
    from zengshou.registry.models import Area

    return Area.objects.create(code="640522100202", name="武塬村", level="village", parent=village.parent)


def _tier(h: Any, year: int, pc: int, quarter: int | None = None, net: int | None = None) -> None:
    from zengshou.tiers.models import TierResult

    TierResult.objects.create(
        household=h,
        year=year,
        quarter=quarter,
        size=1,
        net_income=Decimal(net if net is not None else pc),
        per_capita_income=Decimal(pc),
        wage_pc=Decimal(pc),
        operating_net_pc=Decimal(0),
        property_pc=Decimal(0),
        transfer_pc=Decimal(0),
        quintile="低收入组",
        tier="风险防范户",
        reasons="",
        fell=False,
        computed_at=timezone.now(),
    )


def _self_report(household: Any, risk: str = "因病") -> pr.Intake:
    head = household.members.first()
    return pr.take_clue(
        Channel.SELF_REPORT,
        pr.Person("公众申报", "public", ""),
        risk=risk,
        description="家中老人住院，医药费负担重",
        applicant_name=head.name,
        applicant_id_number=head.id_number,
        applicant_phone="13900000000",
        village=household.village,
    )


def _through_notice(case: Case, clock: FixedClock) -> Case:
    case = pr.accept(case, TOWNSHIP, "材料齐全，予以受理")
    case = pr.visit(case, VILLAGE, "入户核实：住院自付3万元", authorisation_signed=True)
    case = pr.review(case, VILLAGE, True, "参会12人，同意纳入", attendees=12)
    case = pr.post_notice(case, VILLAGE)
    clock.to(case.notice_to + dt.timedelta(days=1))
    return pr.close_notice(case, VILLAGE)


# ---------------------------------------------------------------- the working calendar


def test_a_deadline_in_working_days_skips_the_national_day_holiday_and_counts_the_adjusted_saturday() -> None:
    assert workdays.add_working_days(dt.date(2026, 9, 30), 2) == dt.date(2026, 10, 9)
    saturday = dt.date(2026, 10, 10)
    assert saturday.weekday() == 5 and workdays.is_working_day(saturday)
    assert workdays.add_working_days(dt.date(2026, 10, 9), 1) == saturday
    assert workdays.add_working_days(dt.date(2026, 10, 9), 2) == dt.date(2026, 10, 12)
    assert workdays.working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3


def test_a_year_the_calendar_does_not_know_counts_monday_to_friday() -> None:
    far = dt.date(2099, 6, 5)  # a Friday
    assert not workdays.known(far)
    assert workdays.add_working_days(far, 1) == dt.date(2099, 6, 8)


def test_a_self_report_filed_before_the_holiday_is_due_for_acceptance_after_it(
    make_household, clock: FixedClock
) -> None:
    h = make_household("6405221002010001", size=2)
    case = _self_report(h).case
    assert case.step == Step.ACCEPT and case.due_on == dt.date(2026, 10, 9)
    clock.to(dt.date(2026, 10, 9))
    assert pr.urgency(case.due_on) == "near"
    clock.to(dt.date(2026, 10, 10))
    assert pr.urgency(case.due_on) == "overdue"
    assert pr.overdue(Case.objects.all()).count() == 1
    case = pr.accept(case, TOWNSHIP, "受理")
    assert case.due_on == dt.date(2026, 10, 13)  # from the adjusted Saturday: Monday 12th, Tuesday 13th
    assert CaseStep.objects.get(case=case, action="accept").late


# ---------------------------------------------------------------- clues and merging


def test_a_self_report_is_matched_to_the_household_by_the_applicants_id_number(make_household, clock) -> None:
    h = make_household("6405221002010001", size=2, household_type="一般农户")
    case = _self_report(h).case
    assert case.household_id == h.household_id and case.merge_key == f"hh:{h.household_id}"
    assert case.channel == Channel.SELF_REPORT


def test_clues_of_the_same_household_merge_and_the_same_risk_again_is_a_duplicate(
    make_household, clock
) -> None:
    h = make_household("6405221002010001", size=2)
    first = _self_report(h, "因病")
    again = pr.take_clue(Channel.CADRE, VILLAGE, risk="因病", household=h, description="走访发现")
    other = pr.take_clue(Channel.CADRE, VILLAGE, risk="因学", household=h)
    assert again.merged and again.duplicate and not other.duplicate
    assert again.case.pk == first.case.pk == other.case.pk
    case = Case.objects.get()
    assert case.risks == ["因病", "因学"] and case.clues.count() == 3


def test_an_applicant_not_in_the_registry_starts_a_case_of_his_own_keyed_by_id_number(village, clock) -> None:
    number = make_id(777)
    intake = pr.take_clue(
        Channel.SELF_REPORT,
        pr.Person("公众申报", "public", ""),
        risk="因意外事故",
        applicant_name="新申请人",
        applicant_id_number=number,
        village=village,
    )
    assert intake.case.household_id is None and intake.case.merge_key == f"id:{number}"
    assert pr.take_clue(
        Channel.SELF_REPORT, pr.Person("公众申报", "public", ""), risk="因意外事故",
        applicant_id_number=number, village=village,
    ).duplicate  # fmt: skip


def test_an_alert_becomes_a_screening_clue_that_starts_at_the_visit(make_household, clock) -> None:
    h = make_household("6405221002010001", size=1)
    Alert.objects.create(
        household=h, area_code=h.village_id, year=2026, code="M03d", level="一级",
        explanation="个人自付2万元", fingerprint=f"M03d|{h.household_id}|2026",
    )  # fmt: skip
    intake = pr.take_alerts(h.household_id, Alert.objects.all(), TOWNSHIP)
    assert intake is not None
    assert intake.case.channel == Channel.SCREENING and intake.case.step == Step.VISIT
    assert intake.case.risks == ["因病"]
    assert pr.take_alerts(h.household_id, Alert.objects.all(), TOWNSHIP) is None  # taken once


# ---------------------------------------------------------------- the whole inclusion


def test_a_self_report_goes_through_every_step_to_inclusion(make_household, clock) -> None:
    h = make_household("6405221002010001", size=2)
    alert = Alert.objects.create(
        household=h, area_code=h.village_id, year=2026, code="M04", level="二级",
        explanation="收入下降", fingerprint=f"M04|{h.household_id}|2026",
    )  # fmt: skip
    case = _self_report(h).case
    pr.take_alerts(h.household_id, Alert.objects.all(), TOWNSHIP)
    with pytest.raises(pr.ProcedureError, match="承诺授权书"):
        pr.visit(pr.accept(case, TOWNSHIP), VILLAGE, "核实", authorisation_signed=False)
    case.refresh_from_db()
    case = pr.visit(case, VILLAGE, "入户核实", authorisation_signed=True)
    assert case.authorisation_signed_on == dt.date(2026, 9, 30)
    case = pr.review(case, VILLAGE, True, "同意")
    case = pr.post_notice(case, VILLAGE)
    assert (case.notice_from, case.notice_to) == (dt.date(2026, 9, 30), dt.date(2026, 10, 4))
    with pytest.raises(pr.ProcedureError, match="期满后"):
        pr.close_notice(case, VILLAGE)
    clock.to(dt.date(2026, 10, 5))
    case = pr.close_notice(case, VILLAGE)
    case = pr.township_audit(case, TOWNSHIP, True, "同意")
    assert case.proposed_category == "脱贫不稳定户"
    case = pr.county_decide(case, COUNTY, True, "审定纳入", category="脱贫不稳定户")
    obj = MonitoringObject.objects.get(household=h, risk_eliminated_on__isnull=True)
    assert (obj.monitoring_type, obj.risks, obj.included_on) == (
        "脱贫不稳定户",
        ["因病", "其他"],
        dt.date(2026, 10, 5),
    )
    assert case.step == Step.DONE and case.outcome == "included" and case.monitoring_object == obj
    alert.refresh_from_db()
    assert alert.status == AlertStatus.INCLUDED
    h.refresh_from_db()
    assert h.household_type == "监测对象-脱贫不稳定户"
    actions = list(case.steps.values_list("action", "username", "role"))
    assert [a for a, _, _ in actions] == [
        "clue", "merge", "accept", "visit", "review", "post_notice", "close_notice", "township", "include",
    ]  # fmt: skip
    from zengshou.registry.models import AuditEvent

    assert AuditEvent.objects.filter(action="procedure.include", object_id=case.receipt).exists()
    figures = pr.figures(Case.objects.all())
    assert figures.included == 1 and figures.median_days == 5 and figures.over_total == 0


def test_an_inclusion_later_than_fifteen_days_after_the_first_clue_is_counted_as_over_the_limit(
    make_household, clock
) -> None:
    h = make_household("6405221002010001", size=2)
    case = pr.accept(_self_report(h).case, TOWNSHIP)
    case = pr.review(pr.visit(case, VILLAGE, "入户核实", authorisation_signed=True), VILLAGE, True, "同意")
    case = pr.post_notice(case, VILLAGE)
    clock.to(dt.date(2026, 10, 20))
    case = pr.township_audit(pr.close_notice(case, VILLAGE), TOWNSHIP, True, "同意")
    pr.county_decide(case, COUNTY, True, "审定纳入", category="脱贫不稳定户")
    figures = pr.figures(Case.objects.all())
    assert (figures.included, figures.median_days, figures.over_total, figures.total_days) == (1, 20, 1, 15)


def test_the_township_can_send_a_case_back_to_the_visit(make_household, clock) -> None:
    h = make_household("6405221002010001", size=1)
    case = _through_notice(_self_report(h).case, clock)
    case = pr.township_audit(case, TOWNSHIP, False, "收入核实不清，退回重新核实")
    assert case.step == Step.VISIT and case.notice_from is None


def test_a_refused_self_report_is_closed_with_its_reason(make_household, clock) -> None:
    h = make_household("6405221002010001", size=1)
    case = _self_report(h).case
    with pytest.raises(pr.ProcedureError, match="理由"):
        pr.refuse(case, TOWNSHIP, " ")
    case = pr.refuse(case, TOWNSHIP, "非本村农户")
    assert case.step == Step.CLOSED and pr.public_state(case).startswith("已办结：不予受理")


# ---------------------------------------------------------------- who may take each step

WRONG = {
    Step.ACCEPT: [VILLAGE, COUNTY, CITY],
    Step.VISIT: [TOWNSHIP, COUNTY],
    Step.REVIEW: [TOWNSHIP, COUNTY],
    Step.NOTICE: [TOWNSHIP, COUNTY],
    Step.TOWNSHIP: [VILLAGE, COUNTY],
    Step.COUNTY: [TOWNSHIP, VILLAGE, CITY],
}
FOREIGN = {
    Step.ACCEPT: pr.Person("xiangb", "township", "640402100"),
    Step.VISIT: OTHER_VILLAGE,
    Step.REVIEW: OTHER_VILLAGE,
    Step.NOTICE: OTHER_VILLAGE,
    Step.TOWNSHIP: pr.Person("xiangb", "township", "640402100"),
    Step.COUNTY: OTHER_COUNTY,
}


def _take(step: str, case: Case, actor: Any) -> Case:
    return {
        Step.ACCEPT: lambda: pr.accept(case, actor),
        Step.VISIT: lambda: pr.visit(case, actor, "核实", authorisation_signed=True),
        Step.REVIEW: lambda: pr.review(case, actor, True, "同意"),
        Step.NOTICE: lambda: pr.post_notice(case, actor),
        Step.TOWNSHIP: lambda: pr.township_audit(case, actor, True, "同意"),
        Step.COUNTY: lambda: pr.county_decide(case, actor, True, "纳入", category="边缘易致贫户"),
    }[step]()


RIGHT = {
    Step.ACCEPT: TOWNSHIP,
    Step.VISIT: VILLAGE,
    Step.REVIEW: VILLAGE,
    Step.NOTICE: VILLAGE,
    Step.TOWNSHIP: TOWNSHIP,
    Step.COUNTY: COUNTY,
}


@pytest.mark.parametrize("step", list(WRONG))
def test_each_step_is_refused_to_the_wrong_role_and_the_wrong_area(make_household, clock, step) -> None:
    h = make_household("6405221002010001", size=1)
    case = _self_report(h).case
    for s in RIGHT:
        if s == step:
            break
        case = _take(s, case, RIGHT[s])
        if s == Step.NOTICE:
            clock.to(case.notice_to + dt.timedelta(days=1))
            case = pr.close_notice(case, VILLAGE)
    assert case.step == step
    for actor in WRONG[step]:
        with pytest.raises(pr.ProcedureError, match="办理"):
            _take(step, case, actor)
    with pytest.raises(pr.ProcedureError, match="管辖范围"):
        _take(step, case, FOREIGN[step])
    case.refresh_from_db()
    assert case.step == step and not case.steps.filter(step=step).exclude(action__in=("clue",)).exists()


def test_a_paired_cadre_may_visit_his_household_and_no_other(make_household, clock) -> None:
    from zengshou.registry.models import Cadre, Pairing

    mine = make_household("6405221002010001", size=1)
    other = make_household("6405221002010002", size=1)
    cadre = Cadre.objects.create(cadre_id="C1", name="田书记", county_id="640522")
    Pairing.objects.create(cadre=cadre, household=mine, started_on=dt.date(2026, 1, 1))
    me = pr.Person("ganbu", "cadre", "640522", "C1")
    a = pr.take_clue(Channel.CADRE, me, risk="因病", household=mine).case
    b = pr.take_clue(Channel.CADRE, VILLAGE, risk="因病", household=other).case
    assert pr.visit(a, me, "走访核实", authorisation_signed=True).step == Step.REVIEW
    with pytest.raises(pr.ProcedureError, match="管辖范围"):
        pr.visit(b, me, "走访核实", authorisation_signed=True)


# ---------------------------------------------------------------- category


def test_the_category_proposal_follows_household_type_income_and_a_sharp_fall(make_household, clock) -> None:
    poor = make_household("6405221002010001", size=1, household_type="脱贫户")
    assert pr.propose_category(poor)[0] == "脱贫不稳定户"
    edge = make_household("6405221002010002", size=1, household_type="一般农户")
    _tier(edge, 2025, 7000)
    assert pr.propose_category(edge)[0] == "边缘易致贫户"
    fell = make_household("6405221002010003", size=1, household_type="一般农户")
    _tier(fell, 2024, 20000)
    _tier(fell, 2025, 9000)
    category, reasons = pr.propose_category(fell)
    assert category == "突发严重困难户" and "下降55%" in reasons[0]


# ---------------------------------------------------------------- elimination


def _object(h: Any, included_on: dt.date, **risks: str) -> MonitoringObject:
    return MonitoringObject.objects.create(
        household=h, monitoring_type="边缘易致贫户", included_on=included_on, included_by="xian",
        previous_household_type="一般农户", risk_1=risks.get("risk_1", "因病"),
    )  # fmt: skip


def _eliminate_path(obj: MonitoringObject, clock: FixedClock, resolved: bool = True) -> Case:
    case = pr.start_elimination(obj, VILLAGE, "收入已稳定")
    case = pr.visit(case, VILLAGE, "入户核实：病人已康复务工", risks_resolved=resolved)
    case = pr.review(case, VILLAGE, True, "同意消除")
    case = pr.post_notice(case, VILLAGE)
    clock.to(case.notice_to + dt.timedelta(days=1))
    case = pr.close_notice(case, VILLAGE)
    return pr.township_audit(case, TOWNSHIP, True, "同意")


def test_elimination_needs_two_consecutive_quarters_above_the_range(make_household, clock) -> None:
    h = make_household("6405221002010001", size=1, household_type="监测对象-边缘易致贫户")
    obj = _object(h, dt.date(2025, 10, 1))
    _tier(h, 2026, 1500, quarter=1)  # line 7,300 × 1/4 = 1,825: below
    _tier(h, 2026, 4200, quarter=2)
    crit = pr.elimination_criteria(obj, risks_resolved=True)
    assert not crit.items[0].ok and "第1季度" in crit.items[0].text
    _tier(h, 2026, 6000, quarter=3)
    crit = pr.elimination_criteria(obj, risks_resolved=True)
    assert crit.ok and [c["period"] for c in crit.incomes] == ["2026年第3季度", "2026年第2季度"]
    assert not crit.early and crit.months == 11


def test_guarantees_rigid_spending_and_open_alerts_each_block_elimination(make_household, clock) -> None:
    from zengshou.registry.models import Income

    h = make_household("6405221002010001", size=1, water_safe=False)
    obj = _object(h, dt.date(2025, 1, 1))
    _tier(h, 2025, 9000, net=9000)
    Income.objects.create(household=h, year=2025, wage=Decimal(9000), medical_selfpay=Decimal(8000))
    Alert.objects.create(
        household=h, area_code=h.village_id, year=2026, code="M03d", level="一级",
        explanation="x", fingerprint=f"M03d|{h.household_id}|2026",
    )  # fmt: skip
    crit = {c.key: c for c in pr.elimination_criteria(obj, risks_resolved=True).items}
    assert not crit["guarantees"].ok and "饮水不安全" in crit["guarantees"].text
    assert not crit["rigid"].ok and not crit["risks"].ok and "M03d" in crit["risks"].text


def test_a_full_elimination_within_six_months_needs_a_reason(make_household, clock) -> None:
    h = make_household("6405221002010001", size=1, household_type="监测对象-边缘易致贫户")
    obj = _object(h, dt.date(2026, 5, 10))
    _tier(h, 2026, 4000, quarter=2)
    _tier(h, 2026, 6000, quarter=3)
    case = _eliminate_path(obj, clock)
    with pytest.raises(pr.ProcedureError, match="不满6个月"):
        pr.county_decide(case, COUNTY, True, "同意", method="帮扶消除")
    pr.add_measure(obj, COUNTY, "就业帮扶", "转移就业到县城")
    case = pr.county_decide(
        case, COUNTY, True, "同意", method="帮扶消除", early_reason="务工收入稳定，病已治愈"
    )
    obj.refresh_from_db()
    assert case.outcome == "eliminated" and obj.elimination_method == "帮扶消除"
    assert obj.risk_eliminated_on == dt.date(2026, 10, 5)  # the day after the notice ended
    h.refresh_from_db()
    assert h.household_type == "一般农户"


def test_a_household_without_labour_under_dibao_keeps_it_and_stays_followed(make_household, clock) -> None:
    h = make_household(
        "6405221002010001", size=1, household_type="监测对象-边缘易致贫户", dibao_household=True
    )
    h.members.update(labour="无劳动力")
    obj = _object(h, dt.date(2025, 1, 1))
    _tier(h, 2026, 4000, quarter=2)
    _tier(h, 2026, 6000, quarter=3)
    case = _eliminate_path(obj, clock)
    assert case.criteria["followed"]
    case = pr.county_decide(case, COUNTY, True, "兜底保障，继续监测", method="自然消除")
    obj.refresh_from_db()
    assert case.outcome == "kept" and obj.risk_eliminated_on is None and obj.evidence["followed"]


def test_an_elimination_is_rolled_back_and_an_eliminated_household_flagged_again(
    make_household, clock
) -> None:
    h = make_household("6405221002010001", size=1, household_type="监测对象-边缘易致贫户")
    obj = _object(h, dt.date(2025, 1, 1))
    _tier(h, 2026, 4000, quarter=2)
    _tier(h, 2026, 6000, quarter=3)
    pr.county_decide(_eliminate_path(obj, clock), COUNTY, True, "同意", method="自然消除")
    obj.refresh_from_db()
    with pytest.raises(pr.ProcedureError, match="县级用户"):
        pr.rollback_elimination(obj, TOWNSHIP, "误判")
    obj = pr.rollback_elimination(obj, COUNTY, "核实收入有误")
    assert obj.risk_eliminated_on is None and obj.evidence["rollbacks"][0]["reason"] == "核实收入有误"
    h.refresh_from_db()
    assert h.household_type == "监测对象-边缘易致贫户"
    with pytest.raises(pr.ProcedureError, match="尚未消除"):
        pr.reflag(obj, COUNTY, "因自然灾害", "冰雹")
    pr.county_decide(_eliminate_path(obj, clock), COUNTY, True, "同意", method="自然消除")
    obj.refresh_from_db()
    new = pr.reflag(obj, COUNTY, "因自然灾害", "冰雹绝收")
    assert (
        new.pk != obj.pk and new.risks == ["因自然灾害", "因病"] and new.previous_household_type == "一般农户"
    )
    from zengshou.registry.models import AuditEvent

    assert {"procedure.rollback", "procedure.reflag"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )


def test_an_object_with_labour_and_no_industry_or_job_measure_is_flagged(make_household, clock) -> None:
    h = make_household("6405221002010001", size=1)
    obj = _object(h, dt.date(2025, 1, 1))
    assert pr.lacks_development_measure(obj)
    pr.add_measure(obj, VILLAGE, "健康帮扶", "大病救助")
    assert pr.lacks_development_measure(obj)
    pr.add_measure(obj, VILLAGE, "产业帮扶", "养牛补贴")
    assert not pr.lacks_development_measure(obj)
    with pytest.raises(pr.ProcedureError, match="措施类型"):
        pr.add_measure(obj, VILLAGE, "发钱", "x")
