"""监测程序 pages: the public self-report page and its receipt lookup, the village QR codes, the lists
of each level (待受理, 待核实, 待评议, 公示, 待审核, 待审定, 下级逾期) sorted by deadline, one case with
the form of its current step, the cadre's phone page for a clue, the notices to print, and a
monitoring object's measures, elimination, 回退 and 再标注.

The public pages need no sign-in; they never show anything about an application but its state
looked up by its own receipt, and are limited per address and per ID number (the counts are kept
in :class:`~zengshou.monitor.models.PublicRequest`, only a digest of the ID number).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import segno
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from zengshou.monitor import procedure as pr
from zengshou.monitor import workdays
from zengshou.monitor.models import (
    OPEN_STEP_VALUES,
    Case,
    CaseClue,
    CaseKind,
    Channel,
    MonitoringObject,
    PublicRequest,
    Step,
)
from zengshou.registry.areas import code_range
from zengshou.registry.audit import record
from zengshou.registry.idnumber import mask, mask_name, mask_phone
from zengshou.registry.models import Area
from zengshou.web import procedure_forms as pf
from zengshou.web import roles
from zengshou.web import scope as sc
from zengshou.web.access import client_ip, page
from zengshou.web.roles import Role

PAGE_SIZE = 50
#: Abuse limits of the public page: reports per address an hour, per ID number a day, lookups per
#: address an hour.
REPORTS_PER_ADDRESS_HOUR = 5
REPORTS_PER_ID_DAY = 2
LOOKUPS_PER_ADDRESS_HOUR = 30
PROCEDURE_ROLES = roles.ALL - {Role.DEPARTMENT}


# ---------------------------------------------------------------- scope


def cases(s: sc.Scope) -> QuerySet[Case]:
    """The cases of the user's area (a cadre's: of his paired households)."""
    if s.role == Role.DEPARTMENT:
        return Case.objects.none()
    qs = Case.objects.filter(code_range("village_id", s.prefix))
    if s.role == Role.CADRE:
        return qs.filter(household__in=sc.households(s).values("household_id"))
    return qs


def case_or_404(s: sc.Scope, case_id: Any) -> Case:
    try:
        return (
            cases(s)
            .select_related("household", "village", "village__parent", "monitoring_object")
            .get(pk=int(case_id))
        )
    except (Case.DoesNotExist, ValueError, TypeError) as e:
        raise sc.not_found(
            s, "case", case_id, Case, {"pk": case_id}, "未找到该事项，或不在您的管辖范围内"
        ) from e


# ---------------------------------------------------------------- the public pages


def _recent(kind: str, hours: int) -> QuerySet[PublicRequest]:
    return PublicRequest.objects.filter(kind=kind, at__gte=timezone.now() - dt.timedelta(hours=hours))


def _villages() -> list[tuple[str, str]]:
    rows = Area.objects.filter(level="village").select_related("parent", "parent__parent").order_by("code")
    out = []
    for v in rows:
        t = v.parent
        c = t.parent if t is not None else None
        out.append((v.code, " ".join(x.name for x in (c, t, v) if x is not None)))
    return out


def _limited(request: HttpRequest, text: str) -> HttpResponse:
    return render(request, "web/procedure/report_limited.html", {"text": text}, status=429)


def report(request: HttpRequest) -> HttpResponse:
    """农户自主申报 (no sign-in): the form, then the receipt number and nothing else."""
    villages = _villages()
    fixed = request.GET.get("v", "")
    fixed_name = dict(villages).get(fixed, "") if fixed.isascii() else ""
    if request.method == "POST":
        ip = client_ip(request)
        if _recent("report", 1).filter(ip=ip).count() >= REPORTS_PER_ADDRESS_HOUR:
            return _limited(request, "本网络提交的申报过于频繁，请一小时后再试，或直接到村委会申报。")
        PublicRequest.objects.create(kind="report", ip=ip, at=timezone.now())
        form = pf.SelfReportForm(request.POST, villages=villages)
        if form.is_valid():
            d = form.cleaned_data
            digest = pr.id_digest(d["id_number"])
            if _recent("report_id", 24).filter(id_digest=digest).count() >= REPORTS_PER_ID_DAY:
                return _limited(
                    request, "该身份证号码今日已多次申报，请勿重复提交；可凭回执编号查询办理情况。"
                )
            PublicRequest.objects.create(kind="report_id", ip=ip, id_digest=digest, at=timezone.now())
            village = Area.objects.get(code=d["village"])
            intake = pr.take_clue(
                Channel.SELF_REPORT,
                pr.Person("公众申报", "public", ""),
                risk=d["risk"],
                description=d["description"],
                village=village,
                applicant_name=d["name"],
                applicant_id_number=d["id_number"],
                applicant_phone=d["phone"],
            )
            record(
                "公众申报",
                "procedure.self_report",
                "case_clue",
                str(intake.clue.pk),
                {"village": village.code, "risk": d["risk"]},
                ip=ip,
            )
            return redirect(reverse("report_done") + f"?r={intake.clue.receipt}")
    else:
        form = pf.SelfReportForm(villages=villages, initial={"village": fixed} if fixed_name else None)
    return render(
        request, "web/procedure/report.html", {"form": form, "fixed": fixed, "fixed_name": fixed_name}
    )


def report_done(request: HttpRequest) -> HttpResponse:
    """The receipt after a report: the number only (a number of no report shows the same page)."""
    receipt = request.GET.get("r", "")[:16]
    return render(
        request, "web/procedure/report_done.html", {"receipt": receipt if receipt.isalnum() else ""}
    )


def report_lookup(request: HttpRequest) -> HttpResponse:
    """The state of one report by its receipt number: the step or the outcome, nothing else."""
    form = pf.LookupForm(request.GET or None)
    state = ""
    missing = False
    if form.is_bound:
        ip = client_ip(request)
        if _recent("lookup", 1).filter(ip=ip).count() >= LOOKUPS_PER_ADDRESS_HOUR:
            return _limited(request, "查询过于频繁，请一小时后再试。")
        PublicRequest.objects.create(kind="lookup", ip=ip, at=timezone.now())
        if form.is_valid():
            clue = (
                CaseClue.objects.select_related("case").filter(receipt=form.cleaned_data["receipt"]).first()
            )
            if clue is None:
                missing = True
            else:
                state = pr.public_state(clue.case)
    return render(
        request, "web/procedure/report_lookup.html", {"form": form, "state": state, "missing": missing}
    )


@page(roles.VISIT_ROLES)
def qr_codes(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    """A printable QR code per village of the user's area, pointing to the self-report page."""
    villages = sc.areas(s).filter(level="village").select_related("parent").order_by("code")[:500]
    base = request.build_absolute_uri(reverse("report"))
    codes = [
        {
            "village": v,
            "url": f"{base}?v={v.code}",
            "svg": segno.make(f"{base}?v={v.code}", error="m").svg_inline(scale=4, title=f"{v.name}自主申报"),
        }
        for v in villages
    ]
    return render(request, "web/procedure/qr.html", {"codes": codes})


# ---------------------------------------------------------------- lists


def _rows(qs: Iterable[Case], on: dt.date) -> list[dict[str, Any]]:
    params = pr._params()
    return [
        {
            "case": c,
            "urgency": pr.urgency(c.due_on, on, params),
            "urgency_text": pr.URGENCY_TEXT[pr.urgency(c.due_on, on, params)],
        }
        for c in qs
    ]


def _lists(s: sc.Scope, base: QuerySet[Case], on: dt.date) -> list[tuple[str, str, QuerySet[Case]]]:
    """The lists of the user's level (key, title, cases), each the next level's overdue items included."""
    open_ = pr.open_cases(base)
    late = open_.filter(due_on__lt=on)
    village_steps = (Step.VISIT, Step.REVIEW, Step.NOTICE)
    if s.role == Role.TOWNSHIP:
        return [
            ("accept", "待受理", open_.filter(step=Step.ACCEPT)),
            ("township", "待审核", open_.filter(step=Step.TOWNSHIP)),
            ("late", "村级逾期", late.filter(step__in=village_steps)),
            ("all", "全部办理中", open_),
        ]
    if s.role == Role.COUNTY:
        return [
            ("county", "待审定", open_.filter(step=Step.COUNTY)),
            ("late", "乡村逾期", late.exclude(step=Step.COUNTY)),
            ("all", "全部办理中", open_),
        ]
    if s.role in (Role.VILLAGE, Role.CADRE):
        return [
            ("visit", "待入户核实", open_.filter(step=Step.VISIT)),
            ("review", "待民主评议", open_.filter(step=Step.REVIEW)),
            ("notice", "公示", open_.filter(step=Step.NOTICE)),
            ("all", "全部办理中", open_),
        ]
    return [("late", "逾期事项", late), ("all", "全部办理中", open_)]


@page(PROCEDURE_ROLES)
def queue(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    """The user's lists sorted by deadline (临期 orange, 逾期 red) and the figures of his area."""
    on = pr.today()
    base = cases(s).select_related("village", "village__parent", "household")
    lists = _lists(s, base, on)
    wanted = request.GET.get("list", "")
    key, title, qs = next((x for x in lists if x[0] == wanted), lists[0])
    pg = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {k: q.count() for k, _, q in lists}
    return render(
        request,
        "web/procedure/queue.html",
        {
            "lists": [(k, t, counts[k]) for k, t, _ in lists],
            "current": key,
            "title": title,
            "page": pg,
            "rows": _rows(pg.object_list, on),
            "figures": pr.figures(cases(s), on),
            "query": f"list={key}",
            "can_record": s.can(roles.VISIT_ROLES),
            "calendar_unknown": "" if workdays.known(on) else on.year,
        },
    )


@page(roles.VISIT_ROLES)
def new_clue(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    """干部排查: a cadre or the village records a clue from a visit (phone page)."""
    mine = sc.households(s).select_related("village").order_by("household_id")
    form = pf.CadreClueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        h = mine.filter(household_id=d["household_id"].strip()).first()
        if h is None:
            form.add_error("household_id", "未找到该户，或不在您的管辖范围内")
        else:
            try:
                intake = pr.take_clue(
                    Channel.CADRE, s, risk=d["risk"], description=d["description"], household=h
                )
                messages.success(
                    request,
                    f"线索已登记{'（已并入该户办理中的事项）' if intake.merged else ''}，回执编号{intake.case.receipt}。",
                )
                return redirect("procedure:case", case_id=intake.case.pk)
            except pr.ProcedureError as e:
                form.add_error(None, str(e))
    choices = list(mine.values_list("household_id", flat=True)[:200]) if s.role == Role.CADRE else []
    return render(request, "web/procedure/new_clue.html", {"form": form, "choices": choices})


@page(PROCEDURE_ROLES)
def notices(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    """The village notices to print: name, village and category, never ID number, phone, bank or health."""
    qs = (
        cases(s)
        .filter(step=Step.NOTICE)
        .select_related("village", "village__parent", "household")
        .order_by("village_id", "kind", "notice_from", "id")
    )
    groups: dict[str, dict[str, Any]] = {}
    for c in qs[:1000]:
        g = groups.setdefault(
            f"{c.village_id}|{c.kind}",
            {
                "village": c.village,
                "kind": c.get_kind_display(),
                "cases": [],
                "from": c.notice_from,
                "to": c.notice_to,
            },
        )
        g["cases"].append(c)
        if c.notice_from and (g["from"] is None or c.notice_from < g["from"]):
            g["from"], g["to"] = c.notice_from, c.notice_to
    for g in groups.values():
        g["rows"] = pr.notice_rows(g.pop("cases"))
    record(
        s.username,
        "procedure.print_notice",
        "area",
        s.area_code,
        {"notices": len(groups)},
        ip=client_ip(request),
    )
    return render(request, "web/procedure/notices.html", {"groups": list(groups.values())})


# ---------------------------------------------------------------- one case


def _case_ctx(s: sc.Scope, c: Case, **forms: Any) -> dict[str, Any]:
    full = s.can(roles.FULL_VIEW_ROLES)
    applicant = {
        "name": c.applicant_name if full else mask_name(c.applicant_name),
        "id_number": mask(c.applicant_id_number),
        "phone": c.applicant_phone if full else mask_phone(c.applicant_phone),
    }
    obj = c.monitoring_object
    return {
        "c": c,
        "applicant": applicant,
        "clues": list(c.clues.select_related("alert")),
        "steps": list(c.steps.all()),
        "urgency": pr.urgency(c.due_on),
        "urgency_text": pr.URGENCY_TEXT[pr.urgency(c.due_on)],
        "may": pr.may_take(s, c),
        "obj": obj,
        "today": pr.today(),
        "note_form": forms.get("note_form") or pf.NoteForm(),
        "reason_form": forms.get("reason_form") or pf.ReasonForm(),
        "visit_form": forms.get("visit_form") or pf.VisitForm(),
        "review_form": forms.get("review_form") or pf.ReviewForm(),
        "audit_form": forms.get("audit_form") or pf.AuditForm(),
        "decide_form": forms.get("decide_form") or pf.DecideForm(),
        "errors": forms.get("errors") or [],
        "inclusion": c.kind == CaseKind.INCLUSION,
        "step_roles": "、".join(pr.ROLE_TEXT[r] for r in pr.ROLE_TEXT if r in pr.STEP_ROLES.get(c.step, ())),
    }


@page(PROCEDURE_ROLES)
def case(request: HttpRequest, s: sc.Scope, case_id: int) -> HttpResponse:
    c = case_or_404(s, case_id)
    if c.applicant_id_number and s.can(roles.FULL_VIEW_ROLES):
        record(
            s.username,
            "procedure.view_case",
            "case",
            c.receipt,
            {"household": c.household_id},
            ip=client_ip(request),
        )
    return render(request, "web/procedure/case.html", _case_ctx(s, c))


#: Each step's form class and the procedure function it calls.
ACTIONS = {
    "accept": pf.NoteForm,
    "refuse": pf.ReasonForm,
    "visit": pf.VisitForm,
    "review": pf.ReviewForm,
    "post_notice": pf.NoteForm,
    "close_notice": pf.NoteForm,
    "township": pf.AuditForm,
    "county": pf.DecideForm,
}
FORM_KEY = {
    "accept": "note_form",
    "refuse": "reason_form",
    "visit": "visit_form",
    "review": "review_form",
    "post_notice": "note_form",
    "close_notice": "note_form",
    "township": "audit_form",
    "county": "decide_form",
}
DONE_TEXT = {
    "accept": "已受理，下一步：村级入户核实。",
    "refuse": "已不予受理，理由已记录。",
    "visit": "入户核实已记录，下一步：村级民主评议。",
    "review": "民主评议结果已记录。",
    "post_notice": "公示已张贴，请打印公示并张贴于村务公开栏。",
    "close_notice": "公示期满，已报乡镇审核。",
    "township": "乡镇审核意见已记录。",
    "county": "县级审定已完成。",
}


def _take(s: sc.Scope, c: Case, action: str, d: dict[str, Any], files: Any) -> Case:
    yes = d.get("passed") == "yes"
    if action == "accept":
        return pr.accept(c, s, d.get("note") or "")
    if action == "refuse":
        return pr.refuse(c, s, d["note"])
    if action == "visit":
        household = None
        if d.get("household_id"):
            household = sc.households(s).filter(household_id=d["household_id"].strip()).first()
            if household is None:
                raise pr.ProcedureError("所填户编号未找到，或不在您的管辖范围内")
        resolved = {"yes": True, "no": False}.get(d.get("risks_resolved") or "")
        return pr.visit(
            c,
            s,
            d["note"],
            authorisation_signed=bool(d.get("authorisation_signed")),
            scan=d.get("scan"),
            household=household,
            risks_resolved=resolved,
        )
    if action == "review":
        return pr.review(c, s, yes, d["note"], d.get("attendees"))
    if action == "post_notice":
        return pr.post_notice(c, s)
    if action == "close_notice":
        return pr.close_notice(c, s, d.get("note") or "")
    if action == "township":
        return pr.township_audit(c, s, yes, d["note"])
    return pr.county_decide(
        c, s, yes, d["note"], category=d.get("category") or "", method=d.get("method") or "",
        early_reason=d.get("early_reason") or "",
    )  # fmt: skip


@require_POST
@page(PROCEDURE_ROLES)
def case_step(request: HttpRequest, s: sc.Scope, case_id: int, action: str) -> HttpResponse:
    """Take the case's current step; refused with a Chinese message to a role or area that may not."""
    c = case_or_404(s, case_id)
    if action not in ACTIONS:
        raise Http404("没有这项操作")
    form = ACTIONS[action](request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        try:
            _take(s, c, action, form.cleaned_data, request.FILES)
            record(
                s.username,
                f"web.procedure.{action}",
                "case",
                c.receipt,
                {"via": "web"},
                ip=client_ip(request),
            )
            messages.success(request, DONE_TEXT[action])
            return redirect("procedure:case", case_id=c.pk)
        except pr.ProcedureError as e:
            errors.append(str(e))
    else:
        errors += [str(e) for errs in form.errors.values() for e in errs]
    c.refresh_from_db()
    ctx = _case_ctx(s, c, **{FORM_KEY[action]: form, "errors": errors})
    status = 403 if any("不能办理" in e or "管辖范围" in e for e in errors) else 400
    return render(request, "web/procedure/case.html", ctx, status=status)


# ---------------------------------------------------------------- alerts as clues


@require_POST
@page(roles.VISIT_ROLES)
def take_alerts(request: HttpRequest, s: sc.Scope, household_id: str) -> HttpResponse:
    """部门筛查预警 → the household's open alerts become clues of its case."""
    h = sc.household_or_404(s, household_id)
    try:
        intake = pr.take_alerts(h.household_id, sc.alerts(s), s)
    except pr.ProcedureError as e:
        messages.error(request, str(e))
        return redirect("web:clue", household_id=h.household_id)
    if intake is None:
        messages.error(request, "该户没有尚未转入监测程序的未处理预警。")
        return redirect("web:clue", household_id=h.household_id)
    messages.success(request, f"预警已转为线索（回执编号{intake.case.receipt}），下一步：入户核实。")
    return redirect("procedure:case", case_id=intake.case.pk)


# ---------------------------------------------------------------- monitoring objects


def _object_ctx(s: sc.Scope, obj: MonitoringObject, **forms: Any) -> dict[str, Any]:
    crit = pr.elimination_criteria(obj) if obj.risk_eliminated_on is None else None
    return {
        "obj": obj,
        "measures": list(obj.measures.all()),
        "lacks": pr.lacks_development_measure(obj),
        "criteria": crit,
        "cases": list(obj.cases.order_by("-created_at")),
        "open_case": obj.cases.filter(step__in=OPEN_STEP_VALUES).first(),
        "measure_form": forms.get("measure_form") or pf.MeasureForm(),
        "reflag_form": forms.get("reflag_form") or pf.ReflagForm(),
        "reason_form": pf.ReasonForm(),
        "note_form": pf.NoteForm(),
        "can_record": s.can(roles.VISIT_ROLES),
        "can_county": s.role == Role.COUNTY,
        "rollbacks": obj.evidence.get("rollbacks", []) if isinstance(obj.evidence, dict) else [],
    }


@page(roles.HOUSEHOLD_ROLES)
def monitoring_object(request: HttpRequest, s: sc.Scope, object_id: int) -> HttpResponse:
    obj = sc.monitoring_object_or_404(s, object_id)
    return render(request, "web/procedure/object.html", _object_ctx(s, obj))


@require_POST
@page(roles.HOUSEHOLD_ROLES)
def object_action(request: HttpRequest, s: sc.Scope, object_id: int, action: str) -> HttpResponse:
    """记录帮扶措施, 启动风险消除, 风险消除回退 and 风险再标注 of one monitoring object."""
    obj = sc.monitoring_object_or_404(s, object_id)
    if action not in ("measure", "eliminate", "rollback", "reflag"):
        raise Http404("没有这项操作")
    try:
        if action == "measure":
            form = pf.MeasureForm(request.POST)
            if not form.is_valid():
                raise pr.ProcedureError("；".join(str(e) for errs in form.errors.values() for e in errs))
            d = form.cleaned_data
            pr.add_measure(obj, s, d["measure_type"], d["content"], implemented=bool(d.get("implemented")))
            messages.success(request, "帮扶措施已记录。")
        elif action == "eliminate":
            c = pr.start_elimination(obj, s, request.POST.get("note", "")[:1000])
            messages.success(request, "已启动风险消除程序，下一步：入户核实。")
            return redirect("procedure:case", case_id=c.pk)
        elif action == "rollback":
            pr.rollback_elimination(obj, s, request.POST.get("note", "")[:1000])
            messages.success(request, "已回退风险消除，该户恢复监测。")
        else:
            form2 = pf.ReflagForm(request.POST)
            if not form2.is_valid():
                raise pr.ProcedureError("；".join(str(e) for errs in form2.errors.values() for e in errs))
            new = pr.reflag(obj, s, form2.cleaned_data["risk"], form2.cleaned_data["note"])
            messages.success(request, "已风险再标注，该户重新纳入监测。")
            return redirect("procedure:object", object_id=new.pk)
        record(
            s.username,
            f"web.procedure.{action}",
            "monitoring_object",
            str(obj.pk),
            {"via": "web"},
            ip=client_ip(request),
        )
    except pr.ProcedureError as e:
        messages.error(request, str(e))
    return redirect("procedure:object", object_id=obj.pk)
