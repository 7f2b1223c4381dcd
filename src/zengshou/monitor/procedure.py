"""The monitoring procedure (M02 识别纳入, M05 风险消除) as counties run it, with its deadlines.

A clue comes from one of three channels (农户自主申报, 干部排查, 部门筛查预警: the rule and model
alerts) and is matched to its household (by 户编号, or by the applicant's ID number among the
registry's members); clues of the same household merge into its one open case. A case then moves:

=========  =====================  ==================  ===========================================
step       taken by               deadline            next
=========  =====================  ==================  ===========================================
受理        township (乡镇受理)     M02.accept_…         入户核实, or 不予受理 (a reason)
入户核实     village or the cadre   M02.visit_…          村级民主评议 (承诺授权 signed for 识别纳入)
村级民主评议  village               M02.review_…         公示, or 未通过
公示        village posts, closes  M02.notice_…         乡镇审核 (not before M02.notice_min_days)
乡镇审核     township              M02.township_…       县级审定, or back to 入户核实
县级审定     county                M02.county_…         纳入监测 / 风险消除 / 继续监测, or 未通过
=========  =====================  ==================  ===========================================

Only self-reports start at 受理: a cadre's clue and an alert start at 入户核实. Deadlines are dated
parameters in working days (:mod:`zengshou.monitor.workdays`), read on the day the step began.
Every step writes a :class:`CaseStep` (who, role, area, when, the deadline and whether it was late,
the note and evidence) and an audit event, in one transaction with the case row locked. A step is
refused (:class:`ProcedureError`, Chinese) to a role that may not take it and to a user whose area
does not hold the case's village (a 帮扶干部: whose pairing does not hold the household).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from zengshou import interchange as ix
from zengshou.monitor import workdays, workflow
from zengshou.monitor.models import (
    DEVELOPMENT_MEASURES,
    MEASURE_TYPES,
    MONITORING_TYPES,
    OPEN_STATUSES,
    OPEN_STEP_VALUES,
    Alert,
    AlertStatus,
    Case,
    CaseClue,
    CaseKind,
    CaseStep,
    Channel,
    Measure,
    MonitoringObject,
    Outcome,
    Step,
)
from zengshou.registry.audit import record


class ProcedureError(workflow.WorkflowError):
    """A step the procedure does not allow here, by this user or with these fields (Chinese message)."""


class Actor(Protocol):
    """Who takes a step: the web's Scope has these fields."""

    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def prefix(self) -> str: ...
    @property
    def cadre_id(self) -> str | None: ...


@dataclass(frozen=True)
class Person:
    """A user outside the web (tests, the command line) with the same fields as the web's Scope."""

    username: str
    role: str
    prefix: str
    cadre_id: str | None = None


#: Roles (the keys of ``zengshou.web.roles.Role``) that may take each step: the village records and
#: reviews, the township accepts and audits, the county decides.
STEP_ROLES: dict[str, frozenset[str]] = {
    Step.ACCEPT: frozenset({"township"}),
    Step.VISIT: frozenset({"village", "cadre"}),
    Step.REVIEW: frozenset({"village"}),
    Step.NOTICE: frozenset({"village"}),
    Step.TOWNSHIP: frozenset({"township"}),
    Step.COUNTY: frozenset({"county"}),
}
#: Who may record a clue from a visit (干部排查) and start an elimination or a measure.
RECORD_ROLES = frozenset({"village", "cadre", "township", "county"})
#: 风险消除回退 and 风险再标注: decided by the county.
COUNTY_ROLES = frozenset({"county"})
ROLE_TEXT = {
    "region_admin": "自治区管理员",
    "city": "市级用户",
    "county": "县级用户",
    "township": "乡镇用户",
    "village": "村级用户",
    "cadre": "帮扶干部",
    "department": "部门用户",
}
#: The deadline parameter of each open step (公示 has two: until posted, then until closed).
DEADLINE_KEYS: dict[str, str] = {
    Step.ACCEPT: "M02.accept_working_days",
    Step.VISIT: "M02.visit_working_days",
    Step.REVIEW: "M02.review_working_days",
    Step.NOTICE: "M02.notice_start_working_days",
    Step.TOWNSHIP: "M02.township_working_days",
    Step.COUNTY: "M02.county_working_days",
}
#: The risk (致贫/返贫风险) an alert code stands for; codes of income only are 其他.
ALERT_RISKS = {
    "M03a": "因务工就业不稳",
    "M03j": "因务工就业不稳",
    "M03b": "因产业项目失败",
    "M03c": "因病",
    "M03d": "因病",
    "M03e": "因残",
    "M03g": "因学",
    "M03h": "因安全住房",
    "M03i": "因安全饮水",
    "M03k": "因自然灾害",
}
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LABOUR_CAPABLE = tuple(t for t in ix.LABOUR if t not in ix.NON_LABOUR)


def _params(params: Any = None) -> Any:
    from zengshou.params import tree

    return params or tree()


def today() -> dt.date:
    return timezone.localdate()


def new_receipt() -> str:
    """A receipt number nobody can guess from another one (10 random characters, 32 symbols)."""
    return "JC" + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))


def id_digest(number: str) -> str:
    """The digest under which an ID number is counted for the public page's limits."""
    return hashlib.sha256(("zengshou-public|" + number.strip().upper()).encode()).hexdigest()


# ---------------------------------------------------------------- deadlines


def deadline(
    step: str, start: dt.date, params: Any = None, notice_to: dt.date | None = None
) -> dt.date | None:
    """The deadline of ``step`` begun on ``start``; a posted notice is closed the working day after it ends."""
    if step not in DEADLINE_KEYS:
        return None
    ps = _params(params)
    if step == Step.NOTICE and notice_to is not None:
        return workdays.add_working_days(notice_to, 1)
    return workdays.add_working_days(start, int(ps.at(DEADLINE_KEYS[step], start)))


def notice_end(start: dt.date, params: Any = None) -> dt.date:
    """The last day of a notice posted on ``start`` (calendar days, the day of posting counted)."""
    days = int(_params(params).at("M02.notice_min_days", start))
    return start + dt.timedelta(days=max(days, 1) - 1)


def urgency(due_on: dt.date | None, on: dt.date | None = None, params: Any = None) -> str:
    """``overdue`` (逾期, past the deadline), ``near`` (临期, at most M02.warn_working_days left) or ``""``."""
    if due_on is None:
        return ""
    day = on or today()
    if day > due_on:
        return "overdue"
    warn = int(_params(params).at("M02.warn_working_days", day))
    return "near" if workdays.working_days_between(day, due_on) <= warn else ""


URGENCY_TEXT = {"overdue": "逾期", "near": "临期", "": ""}


# ---------------------------------------------------------------- who may


def in_area(actor: Actor, case: Case) -> bool:
    """The case's village lies in the actor's area (a cadre's: the household is paired with him)."""
    if not str(case.village_id).startswith(actor.prefix):
        return False
    if actor.role == "cadre":
        if not actor.cadre_id or case.household_id is None:
            return False
        from zengshou.registry.models import Pairing

        return Pairing.objects.filter(
            cadre_id=actor.cadre_id, household_id=case.household_id, ended_on__isnull=True
        ).exists()
    return actor.role != "department"


def _allowed(actor: Actor, roles: frozenset[str], what: str) -> None:
    if not actor.username or not actor.username.strip():
        raise ProcedureError("必须注明操作人")
    if actor.role not in roles:
        who = "、".join(ROLE_TEXT[r] for r in ROLE_TEXT if r in roles)
        raise ProcedureError(
            f"“{what}”由{who}办理，您的角色（{ROLE_TEXT.get(actor.role, actor.role)}）不能办理"
        )


def _check(actor: Actor, case: Case, step: str, what: str) -> None:
    if case.step != step:
        raise ProcedureError(
            f"该事项当前处于“{case.get_step_display()}”环节，不能办理“{what}”（须在“{Step(step).label}”环节）"
        )
    _allowed(actor, STEP_ROLES[step], what)
    if not in_area(actor, case):
        raise ProcedureError("该事项不在您的管辖范围内")


def may_take(actor: Actor, case: Case) -> bool:
    """Whether the actor may take the case's current step (a page shows its form only then)."""
    return case.step in STEP_ROLES and actor.role in STEP_ROLES[case.step] and in_area(actor, case)


# ---------------------------------------------------------------- category proposal and criteria


def propose_category(household: Any, params: Any = None, on: dt.date | None = None) -> tuple[str, list[str]]:
    """脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户 from the household's type, its latest income against
    the monitoring range, its rigid spending and a sharp fall (the county confirms or changes it)."""
    from zengshou.monitor.lines import lines
    from zengshou.registry.models import Income
    from zengshou.tiers.models import TierResult

    ps = _params(params)
    day = on or today()
    reasons: list[str] = []
    htype = household.household_type
    obj = MonitoringObject.objects.filter(household=household).order_by("-included_on").first()
    before = obj.previous_household_type if obj and htype.startswith("监测对象-") else htype
    if before == "脱贫户":
        return "脱贫不稳定户", ["户类型为脱贫户，存在返贫风险"]
    tr = TierResult.objects.filter(household=household, quarter__isnull=True).order_by("-year").first()
    sudden = False
    if tr is not None and tr.per_capita_income is not None:
        line = lines(ps, tr.year).line(household.village_id)
        pc = float(tr.per_capita_income)
        prev = TierResult.objects.filter(household=household, quarter__isnull=True, year=tr.year - 1).first()
        if prev is not None and prev.per_capita_income and float(prev.per_capita_income) > 0:
            fall = 1 - pc / float(prev.per_capita_income)
            if fall >= float(ps.for_year("M04.fall_ratio_level1", tr.year)):
                sudden = True
                reasons.append(f"{tr.year}年人均纯收入比上年下降{fall:.0%}（收入骤减）")
        inc = Income.objects.filter(household=household, year=tr.year, quarter__isnull=True).first()
        if inc is not None:
            rigid = float(inc.medical_selfpay + inc.education_spending)
            net = float(tr.net_income or 0)
            ratio = float(ps.for_year("M03c.rigid_spending_ratio", tr.year))
            if rigid >= float(ps.for_year("M03c.rigid_spending_min", tr.year)) and (
                net <= 0 or rigid >= ratio * net
            ):
                sudden = True
                reasons.append(f"{tr.year}年刚性支出{rigid:,.0f}元，超过家庭纯收入的{ratio:.0%}")
        if not sudden:
            where = "低于或等于" if pc <= line else "高于"
            reasons.append(f"{tr.year}年人均纯收入{pc:,.0f}元，{where}监测范围{line:,.0f}元")
    if sudden:
        return "突发严重困难户", reasons
    if not reasons:
        reasons.append("暂无收入结果，按一般农户建议")
    del day
    return "边缘易致贫户", reasons


@dataclass
class Criterion:
    key: str
    label: str
    ok: bool
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "ok": self.ok, "text": self.text}


@dataclass
class Criteria:
    """The elimination criteria checked for one monitoring object, as the pages show them."""

    items: list[Criterion] = field(default_factory=list)
    #: 整户无劳动能力的兜底保障户: keeps its 兜底 and stays followed instead of being eliminated.
    followed: bool = False
    #: Less than M05.early_elimination_months since identification: a reason is needed.
    early: bool = False
    months: int = 0
    proposed_method: str = ""
    incomes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.items)

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": [c.as_dict() for c in self.items],
            "followed": self.followed,
            "early": self.early,
            "months": self.months,
            "proposed_method": self.proposed_method,
            "incomes": self.incomes,
            "ok": self.ok,
        }


def quarter_incomes(obj: MonitoringObject, params: Any = None) -> tuple[bool, list[dict[str, Any]], str]:
    """The latest M05.elimination_quarters cumulative-quarter results since inclusion, consecutive, each
    above the monitoring range of its year pro-rated to the quarter ("以下" includes the line)."""
    from zengshou.monitor.lines import lines
    from zengshou.monitor.rules import period_share, period_window
    from zengshou.tiers.models import TierResult

    ps = _params(params)
    needed = int(ps.at("M05.elimination_quarters", today()))
    rows = [
        r
        for r in TierResult.objects.filter(household_id=obj.household_id, quarter__isnull=False).order_by(
            "-year", "-quarter"
        )
        if period_window(r.year, r.quarter)[1] >= obj.included_on
    ][:needed]
    checked: list[dict[str, Any]] = []
    for r in rows:
        known = lines(ps, r.year)
        line = round(known.line(obj.household.village_id) * period_share(r.quarter), 2)
        pc = float(r.per_capita_income) if r.per_capita_income is not None else None
        checked.append(
            {
                "period": f"{r.year}年第{r.quarter}季度",
                "index": r.year * 4 + (r.quarter or 0),
                "per_capita_income": pc,
                "line": line,
                "line_assumed": known.assumed(obj.household.village_id),
                "above": pc is not None and pc > line,
            }
        )
    if len(checked) < needed:
        return (
            False,
            checked,
            f"纳入监测后仅有{len(checked)}个季度的收入结果，须连续{needed}个季度高于监测范围",
        )
    indexes = [c["index"] for c in checked]
    if indexes != list(range(indexes[0], indexes[0] - needed, -1)):
        return False, checked, "最近的季度收入结果不连续"
    below = [c for c in checked if not c["above"]]
    if below:
        return (
            False,
            checked,
            "、".join(f"{c['period']}人均纯收入未高于监测范围{c['line']:,.0f}元" for c in below),
        )
    return (
        True,
        checked,
        "最近"
        + "、".join(f"{c['period']}人均{c['per_capita_income']:,.0f}元" for c in checked)
        + "，均高于监测范围",
    )


def _months_between(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def elimination_criteria(
    obj: MonitoringObject, params: Any = None, on: dt.date | None = None, risks_resolved: bool | None = None
) -> Criteria:
    """Check the criteria of risk elimination (M05) for ``obj``; ``risks_resolved`` is the visit's finding."""
    from zengshou.registry.models import Income
    from zengshou.tiers.models import TierResult

    ps = _params(params)
    day = on or today()
    h = obj.household
    members = list(h.members.all())
    out = Criteria()
    ok, incomes, text = quarter_incomes(obj, ps)
    out.incomes = incomes
    out.items.append(Criterion("income", "收入持续稳定高于监测范围", ok, text))
    gaps = []
    if not h.housing_safe:
        gaps.append("住房不安全")
    if not h.water_safe:
        gaps.append("饮水不安全")
    if any(m.schooling == "辍学" for m in members):
        gaps.append("有义务教育阶段辍学")
    if any(not m.medical_insured for m in members):
        gaps.append("有成员未参加基本医疗保险")
    out.items.append(
        Criterion(
            "guarantees",
            "“三保障”和饮水安全",
            not gaps,
            "、".join(gaps) or "义务教育、基本医疗、住房安全和饮水安全均有保障",
        )
    )
    rigid_text, rigid_ok = "无大额刚性支出", True
    tr = TierResult.objects.filter(household=h, quarter__isnull=True).order_by("-year").first()
    if tr is not None:
        inc = Income.objects.filter(household=h, year=tr.year, quarter__isnull=True).first()
        if inc is not None:
            rigid = float(inc.medical_selfpay + inc.education_spending)
            net = float(tr.net_income or 0)
            ratio = float(ps.for_year("M03c.rigid_spending_ratio", tr.year))
            if rigid >= float(ps.for_year("M03c.rigid_spending_min", tr.year)) and (
                net <= 0 or rigid >= ratio * net
            ):
                rigid_ok = False
                rigid_text = f"{tr.year}年刚性支出{rigid:,.0f}元，仍超过家庭纯收入的{ratio:.0%}"
            else:
                rigid_text = f"{tr.year}年刚性支出{rigid:,.0f}元，未超过家庭纯收入的{ratio:.0%}"
    out.items.append(Criterion("rigid", "大额刚性支出已解决", rigid_ok, rigid_text))
    open_codes = sorted(
        set(Alert.objects.filter(household=h, status__in=OPEN_STATUSES).values_list("code", flat=True))
    )
    risk_parts = []
    if open_codes:
        risk_parts.append(f"尚有未处理预警（{'、'.join(open_codes)}）")
    if risks_resolved is False:
        risk_parts.append("入户核实认定风险尚未消除")
    recorded = "、".join(obj.risks) or "（未记录风险）"
    gone = not risk_parts and risks_resolved is not False
    if risks_resolved is None and not risk_parts:
        risk_text = f"记录的风险：{recorded}；待入户核实确认"
    else:
        risk_text = "；".join(risk_parts) or f"记录的风险（{recorded}）经入户核实已消除"
    out.items.append(Criterion("risks", "记录的风险已消除", gone and risks_resolved is not None, risk_text))
    out.months = _months_between(obj.included_on, day)
    out.early = out.months < int(ps.at("M05.early_elimination_months", day))
    no_labour = bool(members) and all(m.labour in ix.NON_LABOUR for m in members)
    measures = set(obj.measures.values_list("measure_type", flat=True))
    dibao = bool(h.dibao_household) or bool(h.tekun) or "综合保障" in measures
    out.followed = no_labour and dibao
    out.proposed_method = "帮扶消除" if obj.measures.filter(implemented=True).exists() else "自然消除"
    return out


def lacks_development_measure(obj: MonitoringObject) -> bool:
    """A monitoring object with a member able to work but no 产业 or 就业 measure (flagged)."""
    able = obj.household.members.filter(labour__in=LABOUR_CAPABLE).exists()
    return able and not obj.measures.filter(measure_type__in=DEVELOPMENT_MEASURES).exists()


# ---------------------------------------------------------------- clues in


def _log(
    case: Case,
    actor: Actor,
    action: str,
    note: str = "",
    evidence: dict[str, Any] | None = None,
    step: str | None = None,
) -> CaseStep:
    now = timezone.now()
    day = timezone.localdate(now)
    entry = CaseStep.objects.create(
        case=case,
        step=step or case.step,
        action=action,
        username=actor.username,
        role=actor.role,
        area_code=actor.prefix,
        at=now,
        on_day=day,
        due_on=case.due_on,
        late=case.due_on is not None and day > case.due_on,
        note=note,
        evidence=evidence or {},
    )
    record(
        actor.username,
        f"procedure.{action}",
        "case",
        case.receipt,
        {
            "kind": case.kind,
            "step": entry.step,
            "household": case.household_id,
            "village": case.village_id,
            "note": note[:200],
            "late": entry.late,
            **{k: v for k, v in (evidence or {}).items() if k != "scan"},
        },
    )
    return entry


def _enter(case: Case, step: str, params: Any = None) -> None:
    day = today()
    case.step = step
    case.step_started_on = day
    case.due_on = deadline(step, day, params)


@dataclass
class Intake:
    case: Case
    merged: bool
    duplicate: bool
    clue: CaseClue


def _match(household: Any, id_number: str) -> Any:
    if household is not None or not id_number:
        return household
    from zengshou.registry.models import Member

    m = Member.objects.select_related("household").filter(id_number=id_number.strip().upper()).first()
    return m.household if m else None


def take_clue(
    channel: str,
    actor: Actor,
    *,
    risk: str,
    description: str = "",
    household: Any = None,
    village: Any = None,
    applicant_name: str = "",
    applicant_id_number: str = "",
    applicant_phone: str = "",
    alert: Alert | None = None,
    params: Any = None,
) -> Intake:
    """Register a clue: matched to its household (or the applicant's ID number) and merged into the
    open 识别纳入 case of that household if there is one, else a new case.

    A self-report starts at 受理; a cadre's clue and an alert at 入户核实. The same risk reported
    again is kept as a duplicate clue; a new risk is added to the case's risks.
    """
    if channel not in Channel.values or channel == Channel.REVIEW:
        raise ProcedureError("线索渠道应为农户自主申报、干部排查或部门筛查预警")
    if risk not in ix.RISKS:
        raise ProcedureError(f"风险类型应为{'、'.join(ix.RISKS)}之一")
    household = _match(household, applicant_id_number)
    if household is not None:
        village = household.village
        key = f"hh:{household.household_id}"
    elif applicant_id_number:
        key = f"id:{applicant_id_number.strip().upper()}"
    else:
        raise ProcedureError("线索须对应一户农户，或填写申报人的身份证号码")
    if village is None or getattr(village, "level", "village") != "village":
        raise ProcedureError("请选择线索所在的行政村")
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _intake(
                    channel, actor, risk, description, household, village, key,
                    applicant_name, applicant_id_number, applicant_phone, alert, params,
                )  # fmt: skip
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _intake(
    channel: str,
    actor: Actor,
    risk: str,
    description: str,
    household: Any,
    village: Any,
    key: str,
    name: str,
    id_number: str,
    phone: str,
    alert: Alert | None,
    params: Any,
) -> Intake:
    now = timezone.now()
    case = (
        Case.objects.select_for_update()
        .filter(kind=CaseKind.INCLUSION, merge_key=key, step__in=OPEN_STEP_VALUES)
        .first()
    )
    merged = case is not None
    duplicate = False
    if case is None:
        case = Case(
            receipt=new_receipt(),
            kind=CaseKind.INCLUSION,
            channel=channel,
            household=household,
            village=village,
            merge_key=key,
            applicant_name=name.strip(),
            applicant_id_number=id_number.strip().upper(),
            applicant_phone=phone.strip(),
            risks=[risk],
            description=description.strip(),
            first_clue_at=now,
        )
        _enter(case, Step.ACCEPT if channel == Channel.SELF_REPORT else Step.VISIT, params)
        if household is not None:
            case.proposed_category, case.proposal_reasons = propose_category(household, params)
        case.save()
    else:
        duplicate = risk in case.risks
        if not duplicate:
            case.risks = [*case.risks, risk]
        if description.strip():
            case.description = (case.description + "\n" + description.strip()).strip()
        if not case.applicant_phone and phone:
            case.applicant_phone = phone.strip()
        case.save(update_fields=["risks", "description", "applicant_phone", "updated_at"])
    clue = CaseClue.objects.create(
        case=case,
        receipt=new_receipt() if channel == Channel.SELF_REPORT else None,
        channel=channel,
        risk=risk,
        description=description.strip(),
        alert=alert,
        reported_by=actor.username,
        reported_at=now,
        duplicate=duplicate,
    )
    _log(
        case,
        actor,
        "merge" if merged else "clue",
        description.strip()[:200],
        {"channel": channel, "risk": risk, "duplicate": duplicate, "alert": alert.pk if alert else None},
    )
    return Intake(case, merged, duplicate, clue)


def take_alerts(
    household_id: str, alerts: QuerySet[Alert], actor: Actor, params: Any = None
) -> Intake | None:
    """部门筛查预警: the household's open alerts become clues of its case (one clue per alert not taken yet)."""
    _allowed(actor, RECORD_ROLES, "部门筛查预警转线索")
    todo = list(
        alerts.filter(household_id=household_id, status__in=OPEN_STATUSES, case_clues__isnull=True)
        .select_related("household", "household__village")
        .order_by("created_at", "id")
    )
    last: Intake | None = None
    for a in todo:
        last = take_clue(
            Channel.SCREENING,
            actor,
            risk=ALERT_RISKS.get(a.code, "其他"),
            description=a.explanation,
            household=a.household,
            alert=a,
            params=params,
        )
    return last


# ---------------------------------------------------------------- the steps


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("household", "village").get(pk=case.pk)


def _need(text: str, what: str) -> str:
    if not text or not text.strip():
        raise ProcedureError(f"请填写{what}")
    return text.strip()


def accept(case: Case, actor: Actor, note: str = "", params: Any = None) -> Case:
    """受理 (township): the self-report is taken up; the village visits next."""
    with transaction.atomic():
        c = _locked(case)
        _check(actor, c, Step.ACCEPT, "受理")
        _log(c, actor, "accept", note)
        _enter(c, Step.VISIT, params)
        c.save()
    return c


def refuse(case: Case, actor: Actor, reason: str) -> Case:
    """不予受理 (township), with the reason (e.g. not a rural household of the area)."""
    reason = _need(reason, "不予受理的理由")
    with transaction.atomic():
        c = _locked(case)
        _check(actor, c, Step.ACCEPT, "不予受理")
        _log(c, actor, "refuse", reason)
        _close(c, Step.CLOSED, Outcome.REFUSED)
    return c


def _close(c: Case, step: str, outcome: str) -> None:
    c.step = step
    c.outcome = outcome
    c.due_on = None
    c.closed_on = today()
    c.save()


def visit(
    case: Case,
    actor: Actor,
    note: str,
    *,
    authorisation_signed: bool = False,
    scan: Any = None,
    household: Any = None,
    risks_resolved: bool | None = None,
    params: Any = None,
) -> Case:
    """入户核实 (village or the paired cadre): what was found; for 识别纳入 the household's signed
    承诺授权书 (to check its assets and incomes) recorded, a scan optional; a self-report of an
    applicant not yet matched is matched here to the household registered for him."""
    note = _need(note, "入户核实情况")
    with transaction.atomic():
        c = _locked(case)
        _check(actor, c, Step.VISIT, "入户核实")
        evidence: dict[str, Any] = {}
        if c.kind == CaseKind.INCLUSION:
            if not authorisation_signed:
                raise ProcedureError("识别纳入须农户签署承诺授权书（授权核查家庭资产和收入），请确认已签署")
            if c.household_id is None:
                if household is None:
                    raise ProcedureError("申报人尚未对应农户：请先将该户登记入库，再填写其户编号")
                if not str(household.village_id).startswith(actor.prefix):
                    raise ProcedureError("所填农户不在您的管辖范围内")
                c.household = household
                c.village = household.village
                c.merge_key = f"hh:{household.household_id}"
            c.authorisation_signed_on = today()
            evidence["authorisation_signed_on"] = c.authorisation_signed_on.isoformat()
            if scan is not None:
                c.authorisation_scan.save(f"{c.receipt}-{scan.name}", scan, save=False)
                evidence["scan"] = c.authorisation_scan.name
            c.proposed_category, c.proposal_reasons = propose_category(c.household, params)
        else:
            if risks_resolved is None:
                raise ProcedureError("请说明入户核实时记录的风险是否已消除")
            assert c.monitoring_object is not None
            evidence["risks_resolved"] = risks_resolved
            c.criteria = elimination_criteria(
                c.monitoring_object, params, risks_resolved=risks_resolved
            ).as_dict()
            c.criteria["risks_resolved"] = risks_resolved
        _log(c, actor, "visit", note, evidence)
        _enter(c, Step.REVIEW, params)
        try:
            with transaction.atomic():
                c.save()
        except IntegrityError as e:
            raise ProcedureError("该户已有一件办理中的识别纳入事项，请在该事项中办理") from e
    return c


def review(
    case: Case, actor: Actor, passed: bool, note: str, attendees: int | None = None, params: Any = None
) -> Case:
    """村级民主评议 (village): the meeting's result; passed goes to 公示, else the case is closed."""
    note = _need(note, "民主评议意见")
    with transaction.atomic():
        c = _locked(case)
        _check(actor, c, Step.REVIEW, "村级民主评议")
        _log(
            c,
            actor,
            "review" if passed else "review_reject",
            note,
            {"passed": passed, "attendees": attendees},
        )
        if passed:
            _enter(c, Step.NOTICE, params)
            c.save()
        else:
            _close(
                c, Step.CLOSED, Outcome.REJECTED if c.kind == CaseKind.INCLUSION else Outcome.NOT_ELIMINATED
            )
    return c


def post_notice(case: Case, actor: Actor, params: Any = None) -> Case:
    """公示 posted (village) on the village board for at least M02.notice_min_days days."""
    with transaction.atomic():
        c = _locked(case)
        _check(actor, c, Step.NOTICE, "张贴公示")
        if c.notice_from is not None:
            raise ProcedureError(f"公示已于{c.notice_from}张贴，至{c.notice_to}期满")
        c.notice_from = today()
        c.notice_to = notice_end(c.notice_from, params)
        _log(c, actor, "post_notice", "", {"from": c.notice_from.isoformat(), "to": c.notice_to.isoformat()})
        c.due_on = deadline(Step.NOTICE, c.notice_from, params, notice_to=c.notice_to)
        c.save()
    return c


def close_notice(case: Case, actor: Actor, objections: str = "", params: Any = None) -> Case:
    """公示期满 (village): the objections raised, if any; the case goes to 乡镇审核."""
    with transaction.atomic():
        c = _locked(case)
        _check(actor, c, Step.NOTICE, "公示期满报送")
        if c.notice_from is None or c.notice_to is None:
            raise ProcedureError("尚未张贴公示")
        if today() <= c.notice_to:
            raise ProcedureError(f"公示至{c.notice_to}期满，期满后方可报乡镇审核")
        _log(
            c,
            actor,
            "close_notice",
            objections.strip() or "公示期内无异议",
            {"objections": bool(objections.strip())},
        )
        _enter(c, Step.TOWNSHIP, params)
        c.save()
    return c


def township_audit(case: Case, actor: Actor, passed: bool, note: str, params: Any = None) -> Case:
    """乡镇审核 (township): passed goes to the county; otherwise back to 入户核实 with the reason."""
    note = _need(note, "乡镇审核意见")
    with transaction.atomic():
        c = _locked(case)
        _check(actor, c, Step.TOWNSHIP, "乡镇审核")
        _log(c, actor, "township" if passed else "township_return", note, {"passed": passed})
        if passed:
            _enter(c, Step.COUNTY, params)
        else:
            _enter(c, Step.VISIT, params)
            c.notice_from = c.notice_to = None
        c.save()
    return c


def county_decide(
    case: Case,
    actor: Actor,
    passed: bool,
    note: str,
    *,
    category: str = "",
    method: str = "",
    early_reason: str = "",
    params: Any = None,
) -> Case:
    """县级审定 (county). 识别纳入: the household becomes (or stays) a monitoring object of the
    confirmed category with the case's risks; its open alerts move to 已纳入监测. 风险消除: the
    criteria are checked again; a 兜底 household without labour stays followed; an elimination within
    M05.early_elimination_months of identification needs ``early_reason``."""
    note = _need(note, "县级审定意见")
    with transaction.atomic():
        c = _locked(case)
        _check(actor, c, Step.COUNTY, "县级审定")
        if not passed:
            _log(c, actor, "county_reject", note, {"passed": False})
            if c.kind == CaseKind.INCLUSION:
                _dismiss_alerts(c, actor, f"县级审定不予纳入：{note}")
            _close(
                c, Step.CLOSED, Outcome.REJECTED if c.kind == CaseKind.INCLUSION else Outcome.NOT_ELIMINATED
            )
            return c
        if c.kind == CaseKind.INCLUSION:
            _include(c, actor, note, category or c.proposed_category)
        else:
            _eliminate(c, actor, note, method, early_reason, params)
    return c


def _case_alerts(c: Case) -> list[Alert]:
    return list(
        Alert.objects.filter(case_clues__case=c, status__in=OPEN_STATUSES)
        .distinct()
        .order_by("created_at", "id")
    )


def _dismiss_alerts(c: Case, actor: Actor, reason: str) -> None:
    for a in _case_alerts(c):
        workflow.dismiss(a, actor.username, reason)


def _include(c: Case, actor: Actor, note: str, category: str) -> None:
    short = category.removeprefix("监测对象-")
    if short not in MONITORING_TYPES:
        raise ProcedureError(f"请确认监测对象类别（{'、'.join(MONITORING_TYPES)}）")
    h = c.household
    assert h is not None
    linked = _case_alerts(c)
    open_obj = (
        MonitoringObject.objects.select_for_update()
        .filter(household=h, risk_eliminated_on__isnull=True)
        .first()
    )
    if open_obj is not None:
        risks = [*open_obj.risks, *(r for r in c.risks if r not in open_obj.risks)][:5]
        for i in range(1, 6):
            setattr(open_obj, f"risk_{i}", risks[i - 1] if i <= len(risks) else "")
        open_obj.save()
        obj = open_obj
    else:
        obj = workflow.create_object(
            h, short, actor.username, source_alert=linked[0] if linked else None, risks=c.risks
        )
    for a in linked:
        if a.status == AlertStatus.NEW:
            workflow.verify(a, actor.username, f"监测程序{c.receipt}入户核实")
        locked = workflow._lock(a)
        workflow._move(
            locked, AlertStatus.INCLUDED, actor.username, f"监测程序{c.receipt}县级审定纳入监测：{short}"
        )
    _log(c, actor, "include", note, {"category": short, "proposed": c.proposed_category, "object": obj.pk})
    c.category = short
    c.monitoring_object = obj
    _close(c, Step.DONE, Outcome.INCLUDED)


def _eliminate(c: Case, actor: Actor, note: str, method: str, early_reason: str, params: Any) -> None:
    assert c.monitoring_object is not None
    obj = (
        MonitoringObject.objects.select_for_update()
        .select_related("household")
        .get(pk=c.monitoring_object.pk)
    )
    if obj.risk_eliminated_on is not None:
        raise ProcedureError(f"该监测对象已于{obj.risk_eliminated_on}标注风险消除")
    resolved = c.criteria.get("risks_resolved")
    crit = elimination_criteria(obj, params, risks_resolved=resolved)
    c.criteria = {**crit.as_dict(), "risks_resolved": resolved}
    if crit.followed:
        _log(c, actor, "keep", note, {"followed": True})
        obj.evidence = {
            **obj.evidence,
            "followed": {"on": today().isoformat(), "by": actor.username, "case": c.receipt},
        }
        obj.save(update_fields=["evidence"])
        _close(c, Step.DONE, Outcome.KEPT)
        return
    if not crit.ok:
        failed = "；".join(f"{i.label}：{i.text}" for i in crit.items if not i.ok)
        raise ProcedureError(f"风险消除条件未全部满足：{failed}")
    if method not in ix.ELIMINATION_METHODS:
        raise ProcedureError("请选择风险消除方式（帮扶消除或自然消除）")
    if crit.early and not early_reason.strip():
        raise ProcedureError(f"纳入监测仅{crit.months}个月，不满6个月标注风险消除须说明理由")
    c.elimination_method = method
    c.early_reason = early_reason.strip()
    workflow.mark_eliminated(
        obj,
        actor.username,
        {
            "note": note,
            "case": c.receipt,
            "criteria": c.criteria,
            "early_reason": c.early_reason,
            "incomes": crit.incomes,
        },
        method=method,
    )
    _log(c, actor, "eliminate", note, {"method": method, "early_reason": c.early_reason, "object": obj.pk})
    _close(c, Step.DONE, Outcome.ELIMINATED)


# ---------------------------------------------------------------- elimination, rollback, re-flag, measures


def _object_in_area(actor: Actor, obj: MonitoringObject) -> None:
    probe = Case(village_id=obj.household.village_id, household_id=obj.household_id)
    if not in_area(actor, probe):
        raise ProcedureError("该监测对象不在您的管辖范围内")


def start_elimination(obj: MonitoringObject, actor: Actor, note: str, params: Any = None) -> Case:
    """Open the 风险消除 procedure of a monitoring object: the criteria are checked and kept; the
    village visits next."""
    _allowed(actor, RECORD_ROLES, "启动风险消除")
    _object_in_area(actor, obj)
    if obj.risk_eliminated_on is not None:
        raise ProcedureError(f"该监测对象已于{obj.risk_eliminated_on}标注风险消除")
    crit = elimination_criteria(obj, params)
    with transaction.atomic():
        c = Case(
            receipt=new_receipt(),
            kind=CaseKind.ELIMINATION,
            channel=Channel.REVIEW,
            household=obj.household,
            village=obj.household.village,
            merge_key=f"hh:{obj.household_id}",
            risks=obj.risks,
            description=note.strip(),
            first_clue_at=timezone.now(),
            monitoring_object=obj,
            category=obj.monitoring_type,
            criteria=crit.as_dict(),
        )
        _enter(c, Step.VISIT, params)
        try:
            with transaction.atomic():
                c.save()
        except IntegrityError as e:
            raise ProcedureError("该户已有一件办理中的风险消除事项") from e
        _log(c, actor, "start_elimination", note, {"object": obj.pk})
    return c


def rollback_elimination(obj: MonitoringObject, actor: Actor, reason: str) -> MonitoringObject:
    """风险消除回退 (county): an elimination found wrong is undone; the object is monitored again from
    its first identification, the undone elimination kept in its evidence."""
    reason = _need(reason, "风险消除回退的理由")
    _allowed(actor, COUNTY_ROLES, "风险消除回退")
    _object_in_area(actor, obj)
    with transaction.atomic():
        o = (
            MonitoringObject.objects.select_for_update(of=("self",))
            .select_related("household")
            .get(pk=obj.pk)
        )
        if o.risk_eliminated_on is None:
            raise ProcedureError("该监测对象尚未标注风险消除，无需回退")
        if MonitoringObject.objects.filter(
            household_id=o.household_id, risk_eliminated_on__isnull=True
        ).exists():
            raise ProcedureError("该户已有风险未消除的监测对象，不能回退")
        undone = {
            "on": today().isoformat(),
            "by": actor.username,
            "reason": reason,
            "eliminated_on": o.risk_eliminated_on.isoformat(),
            "method": o.elimination_method,
        }
        o.evidence = {**o.evidence, "rollbacks": [*o.evidence.get("rollbacks", []), undone]}
        o.risk_eliminated_on = None
        o.eliminated_by = ""
        o.elimination_method = ""
        o.save(update_fields=["evidence", "risk_eliminated_on", "eliminated_by", "elimination_method"])
        h = o.household
        h.household_type = f"监测对象-{o.monitoring_type}"
        h.save(update_fields=["household_type", "updated_at"])
        Case.objects.filter(
            monitoring_object=o, kind=CaseKind.ELIMINATION, outcome=Outcome.ELIMINATED
        ).update(outcome=Outcome.NOT_ELIMINATED)
        record(
            actor.username,
            "procedure.rollback",
            "monitoring_object",
            str(o.pk),
            {"household": h.household_id, **undone},
        )
    return o


def reflag(obj: MonitoringObject, actor: Actor, risk: str, reason: str) -> MonitoringObject:
    """风险再标注 (county): an eliminated household whose risk came back is a monitoring object again,
    from today, of the same category, with the new risk first."""
    reason = _need(reason, "风险再标注的理由")
    _allowed(actor, COUNTY_ROLES, "风险再标注")
    _object_in_area(actor, obj)
    if risk not in ix.RISKS:
        raise ProcedureError(f"风险类型应为{'、'.join(ix.RISKS)}之一")
    with transaction.atomic():
        o = (
            MonitoringObject.objects.select_for_update(of=("self",))
            .select_related("household")
            .get(pk=obj.pk)
        )
        if o.risk_eliminated_on is None:
            raise ProcedureError("该监测对象风险尚未消除，不能再标注")
        risks = [risk, *(r for r in o.risks if r != risk)]
        new = workflow.create_object(
            o.household,
            o.monitoring_type,
            actor.username,
            risks=risks,
            previous_type=o.previous_household_type,
        )
        new.evidence = {"reflagged_from": o.pk, "reason": reason}
        new.save(update_fields=["evidence"])
        record(
            actor.username,
            "procedure.reflag",
            "monitoring_object",
            str(new.pk),
            {"household": o.household_id, "from": o.pk, "risk": risk, "reason": reason},
        )
    return new


def add_measure(
    obj: MonitoringObject,
    actor: Actor,
    measure_type: str,
    content: str,
    started_on: dt.date | None = None,
    implemented: bool = True,
) -> Measure:
    """Record an assistance measure of one of the 14 national types."""
    _allowed(actor, RECORD_ROLES, "记录帮扶措施")
    _object_in_area(actor, obj)
    if measure_type not in MEASURE_TYPES:
        raise ProcedureError(f"措施类型应为{'、'.join(MEASURE_TYPES)}之一")
    content = _need(content, "措施内容")
    with transaction.atomic():
        m = Measure.objects.create(
            monitoring_object=obj,
            measure_type=measure_type,
            content=content[:200],
            started_on=started_on or today(),
            implemented=implemented,
            recorded_by=actor.username,
        )
        record(
            actor.username,
            "procedure.measure",
            "monitoring_object",
            str(obj.pk),
            {"household": obj.household_id, "type": measure_type, "implemented": implemented},
        )
    return m


# ---------------------------------------------------------------- lists and figures


def open_cases(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Open cases, soonest deadline first (the order of every list)."""
    return cases.filter(step__in=OPEN_STEP_VALUES).order_by("due_on", "first_clue_at", "id")


def overdue(cases: QuerySet[Case], on: dt.date | None = None) -> QuerySet[Case]:
    return open_cases(cases).filter(due_on__lt=on or today())


@dataclass
class Figures:
    by_step: list[tuple[str, str, int, int, int]]
    overdue: int
    near: int
    open: int
    included: int
    median_days: float | None
    #: Inclusions that took longer than M02.total_days from the first clue.
    over_total: int
    total_days: int


def figures(cases: QuerySet[Case], on: dt.date | None = None, params: Any = None) -> Figures:
    """Counts by step (open, 临期, 逾期), and the median calendar days from first clue to inclusion."""
    day = on or today()
    warn = int(_params(params).at("M02.warn_working_days", day))
    near_until = workdays.add_working_days(day, warn)
    rows: dict[str, Any] = {
        r["step"]: r
        for r in cases.filter(step__in=OPEN_STEP_VALUES)
        .values("step")
        .annotate(
            n=Count("id"),
            late=Count("id", filter=Q(due_on__lt=day)),
            near=Count("id", filter=Q(due_on__gte=day, due_on__lte=near_until)),
        )
    }
    by_step = [
        (
            s.value,
            s.label,
            rows.get(s.value, {}).get("n", 0),
            rows.get(s.value, {}).get("near", 0),
            rows.get(s.value, {}).get("late", 0),
        )
        for s in (Step(v) for v in OPEN_STEP_VALUES)
    ]
    done = cases.filter(kind=CaseKind.INCLUSION, outcome=Outcome.INCLUDED).values_list(
        "first_clue_at", "closed_on"
    )
    days = [(closed - timezone.localtime(first).date()).days for first, closed in done if closed is not None]
    limit = int(_params(params).at("M02.total_days", day))
    return Figures(
        by_step=by_step,
        overdue=sum(r[4] for r in by_step),
        near=sum(r[3] for r in by_step),
        open=sum(r[2] for r in by_step),
        included=len(days),
        median_days=float(statistics.median(days)) if days else None,
        over_total=sum(d > limit for d in days),
        total_days=limit,
    )


def public_state(case: Case) -> str:
    """What the public lookup by receipt says: the step or the outcome, nothing else."""
    if case.is_open:
        return f"办理中：{case.get_step_display()}"
    return {
        Outcome.INCLUDED: "已办结：已纳入监测",
        Outcome.REFUSED: "已办结：不予受理（可向村委会或乡镇咨询）",
        Outcome.REJECTED: "已办结：经评议审核未纳入（可向村委会或乡镇咨询）",
    }.get(Outcome(case.outcome), "已办结")


def notice_rows(cases: Iterable[Case]) -> list[dict[str, str]]:
    """Lines of a village notice: name, village and category only (never ID number, phone, bank or health)."""
    from zengshou.registry.idnumber import mask_name

    out = []
    for c in cases:
        head = None
        if c.household is not None:
            head = c.household.members.filter(relation="户主").first() or c.household.members.first()
        name = head.name if head else c.applicant_name
        out.append(
            {
                "name": name or mask_name(c.applicant_name),
                "village": c.village.name,
                "category": c.category or c.proposed_category,
                "kind": c.get_kind_display(),
            }
        )
    return out
