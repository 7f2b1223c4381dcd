"""预警: the clue queue (one line per household with open alerts), a clue with every alert of the
household and the steps that work it through at once, the per-alert list with decided alerts, and the
per-alert workflow steps, each with its required fields."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zengshou.monitor import clues, workflow
from zengshou.monitor.models import OPEN_STATUSES, Alert, MonitoringObject
from zengshou.monitor.rules import CODES
from zengshou.registry.audit import record
from zengshou.web import periods, roles
from zengshou.web import scope as sc
from zengshou.web.access import client_ip, page
from zengshou.web.forms import AlertFilterForm, DismissForm, EliminateForm, IncludeForm, VerifyForm

PAGE_SIZE = 50
#: Area alerts (scale risks) shown beside the clue queue; the rest are in the per-alert list.
AREA_ALERTS_SHOWN = 20


def _village_filter(qs: QuerySet[Alert], v: str) -> QuerySet[Alert]:
    """区划代码 / 户编号 prefix, or a village name."""
    v = v.strip()
    if not v:
        return qs
    if v.isascii():
        return qs.filter(Q(area_code__startswith=v) | Q(household__household_id__startswith=v))
    return qs.filter(area__name__contains=v)


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return str(query.urlencode())


@page(roles.HOUSEHOLD_ROLES)
def alerts(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    """The clue queue: households with open alerts, 一级 first and the longest waiting first."""
    form = AlertFilterForm(request.GET)
    period = periods.year_period(periods.scope_coverage(s), request.GET, allow_all=True)
    base = sc.alerts(s)
    if period.year is not None:
        base = base.filter(year=period.year)
    code = level = ""
    if form.is_valid():
        d = form.cleaned_data
        base = _village_filter(base, d.get("village") or "")
        code, level = d.get("code") or "", d.get("level") or ""
    pg = Paginator(clues.queue(base, code, level), PAGE_SIZE).get_page(request.GET.get("page"))
    area_alerts = clues.area_alerts(base)
    if code:
        area_alerts = area_alerts.filter(code=code)
    if level:
        area_alerts = area_alerts.filter(level=level)
    return render(
        request,
        "web/alerts.html",
        {
            "form": form,
            "page": pg,
            "clues": clues.clues(list(pg.object_list), base),
            "types": clues.type_counts(base),
            "levels": clues.level_counts(base),
            "area_alerts": list(area_alerts[:AREA_ALERTS_SHOWN]),
            "area_alert_count": area_alerts.count(),
            "code": code,
            "level": level,
            "codes": CODES,
            "query": _query(request),
            "period": period,
        },
    )


@page(roles.HOUSEHOLD_ROLES)
def alert_list(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    """Every alert one per line, open or decided (the history; the queue shows open ones as clues)."""
    wanted = request.GET.copy()
    wanted.setdefault("status", "open")  # a link with only ?year= still opens on the open alerts
    form = AlertFilterForm(wanted)
    period = periods.year_period(periods.scope_coverage(s), request.GET, allow_all=True)
    qs = sc.alerts(s).select_related("household", "area")
    if period.year is not None:
        qs = qs.filter(year=period.year)
    if form.is_valid():
        d = form.cleaned_data
        st = d.get("status")
        if st == "open":
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif st:
            qs = qs.filter(status=st)
        if d.get("code"):
            qs = qs.filter(code=d["code"])
        if d.get("level"):
            qs = qs.filter(level=d["level"])
        qs = _village_filter(qs, d.get("village") or "")
    qs = qs.annotate(rank=clues.LEVEL_RANK).order_by("rank", "-year", "code", "household_id", "id")
    pg = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/alert_list.html",
        {"form": form, "page": pg, "codes": CODES, "query": _query(request), "period": period},
    )


# ---------------------------------------------------------------- one clue


def _clue_ctx(s: sc.Scope, household_id: str, **forms: Any) -> dict[str, Any]:
    h = sc.household_or_404(s, household_id)
    mine = sc.alerts(s).filter(household_id=h.household_id).annotate(rank=clues.LEVEL_RANK)
    open_alerts = list(mine.filter(status__in=OPEN_STATUSES).order_by("rank", "created_at", "id"))
    decided = list(mine.exclude(status__in=OPEN_STATUSES).order_by("-updated_at", "-id")[:50])
    new = [a for a in open_alerts if a.status == "new"]
    obj = MonitoringObject.objects.filter(household=h, risk_eliminated_on__isnull=True).first()
    return {
        "h": h,
        "open_alerts": open_alerts,
        "decided": decided,
        "new_count": len(new),
        "verified_count": len(open_alerts) - len(new),
        "level": open_alerts[0].level if open_alerts else "",
        "by_code": clues.count_by_code(open_alerts),
        "obj": obj,
        "codes": CODES,
        "verify_form": forms.get("verify_form") or VerifyForm(),
        "include_form": forms.get("include_form") or IncludeForm(),
        "dismiss_form": forms.get("dismiss_form") or DismissForm(),
        "can_verify": s.can(roles.VERIFY_ROLES) and bool(new),
        "can_include": s.can(roles.INCLUDE_ROLES) and bool(open_alerts) and not new and obj is None,
        "can_dismiss": s.can(roles.DISMISS_ROLES) and bool(open_alerts),
        "verify_first": s.can(roles.INCLUDE_ROLES) and bool(new) and obj is None,
    }


@page(roles.HOUSEHOLD_ROLES)
def clue(request: HttpRequest, s: sc.Scope, household_id: str) -> HttpResponse:
    """A household's clue: its open alerts with their facts, what was decided before, the next step."""
    return render(request, "web/clue.html", _clue_ctx(s, household_id))


#: Who may take each workflow step and the form it reads, for one alert and for a whole clue alike.
STEPS = {
    "verify": (roles.VERIFY_ROLES, VerifyForm),
    "include": (roles.INCLUDE_ROLES, IncludeForm),
    "dismiss": (roles.DISMISS_ROLES, DismissForm),
}


def _clue_step(request: HttpRequest, s: sc.Scope, household_id: str, action: str) -> HttpResponse:
    h = sc.household_or_404(s, household_id)
    allowed, form_cls = STEPS[action]
    sc.require(s, allowed)
    form = form_cls(request.POST)
    mine = sc.alerts(s)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "verify":
                done = clues.verify_clue(h.household_id, mine, s.username, d["note"])
                messages.success(
                    request, f"已核实该户{len(done)}条预警。下一步：由县级用户决定纳入监测对象或排除。"
                )
            elif action == "include":
                obj, done = clues.include_clue(
                    h.household_id, mine, s.username, d["monitoring_type"], d["note"]
                )
                messages.success(
                    request,
                    f"农户{h.household_id}已纳入监测对象（{obj.monitoring_type}），{len(done)}条预警随之处理完毕。"
                    "请为该户制定帮扶措施。",
                )
            else:
                done = clues.dismiss_clue(h.household_id, mine, s.username, d["reason"])
                messages.success(request, f"已排除该户{len(done)}条预警，理由已记录。")
            record(
                s.username,
                f"web.clue.{action}",
                "household",
                h.household_id,
                {"via": "web", "alerts": [a.pk for a in done]},
                ip=client_ip(request),
            )
            return redirect("web:clue", household_id=h.household_id)
        except workflow.WorkflowError as e:
            form.add_error(None, str(e))
    ctx = _clue_ctx(s, h.household_id, **{f"{action}_form": form})
    ctx["step_errors"] = [e for errs in form.errors.values() for e in errs]
    return render(request, "web/clue.html", ctx, status=400)


@require_POST
@page(roles.HOUSEHOLD_ROLES)
def clue_verify(request: HttpRequest, s: sc.Scope, household_id: str) -> HttpResponse:
    return _clue_step(request, s, household_id, "verify")


@require_POST
@page(roles.HOUSEHOLD_ROLES)
def clue_include(request: HttpRequest, s: sc.Scope, household_id: str) -> HttpResponse:
    return _clue_step(request, s, household_id, "include")


@require_POST
@page(roles.HOUSEHOLD_ROLES)
def clue_dismiss(request: HttpRequest, s: sc.Scope, household_id: str) -> HttpResponse:
    return _clue_step(request, s, household_id, "dismiss")


# ---------------------------------------------------------------- one alert


@page(roles.HOUSEHOLD_ROLES)
def alert(request: HttpRequest, s: sc.Scope, alert_id: int) -> HttpResponse:
    a = sc.alert_or_404(s, alert_id)
    obj = MonitoringObject.objects.filter(source_alert=a).first()
    return render(request, "web/alert.html", _alert_ctx(s, a, obj))


def _alert_ctx(s: sc.Scope, a: object, obj: object, **forms: object) -> dict[str, object]:
    return {
        "a": a,
        "obj": obj,
        "codes": CODES,
        "verify_form": forms.get("verify_form") or VerifyForm(),
        "include_form": forms.get("include_form") or IncludeForm(),
        "dismiss_form": forms.get("dismiss_form") or DismissForm(),
        "eliminate_form": forms.get("eliminate_form") or EliminateForm(),
        "can_verify": s.can(roles.VERIFY_ROLES),
        "can_include": s.can(roles.INCLUDE_ROLES),
        "can_dismiss": s.can(roles.DISMISS_ROLES),
        "can_eliminate": s.can(roles.ELIMINATE_ROLES),
        "transitions": list(a.transitions.all()),  # type: ignore[attr-defined]
    }


def _step(request: HttpRequest, s: sc.Scope, alert_id: int, action: str) -> HttpResponse:
    a = sc.alert_or_404(s, alert_id)
    allowed, form_cls = STEPS[action]
    sc.require(s, allowed)
    form = form_cls(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "verify":
                workflow.verify(a, s.username, d["note"])
                messages.success(request, "已核实。下一步：由县级用户决定纳入监测或排除。")
            elif action == "include":
                workflow.include(a, s.username, d["monitoring_type"], d["note"])
                messages.success(request, f"已纳入监测对象（{d['monitoring_type']}）。请为该户制定帮扶措施。")
            else:
                workflow.dismiss(a, s.username, d["reason"])
                messages.success(request, "已排除该预警，理由已记录。")
            _ip_note(s, a.pk, action, request)
            return redirect("web:alert", alert_id=a.pk)
        except workflow.WorkflowError as e:
            form.add_error(None, str(e))
    obj = MonitoringObject.objects.filter(source_alert=a).first()
    ctx = _alert_ctx(s, a, obj, **{f"{action}_form": form})
    ctx["step_errors"] = [e for errs in form.errors.values() for e in errs]
    return render(request, "web/alert.html", ctx, status=400)


def _ip_note(s: sc.Scope, alert_pk: int, action: str, request: HttpRequest) -> None:
    """The workflow writes its own audit event; this adds where the decision was made from."""
    record(s.username, f"web.alert.{action}", "alert", str(alert_pk), {"via": "web"}, ip=client_ip(request))


@require_POST
@page(roles.VERIFY_ROLES)
def alert_verify(request: HttpRequest, s: sc.Scope, alert_id: int) -> HttpResponse:
    return _step(request, s, alert_id, "verify")


@require_POST
@page(roles.HOUSEHOLD_ROLES)
def alert_include(request: HttpRequest, s: sc.Scope, alert_id: int) -> HttpResponse:
    return _step(request, s, alert_id, "include")


@require_POST
@page(roles.HOUSEHOLD_ROLES)
def alert_dismiss(request: HttpRequest, s: sc.Scope, alert_id: int) -> HttpResponse:
    return _step(request, s, alert_id, "dismiss")


@require_POST
@page(roles.HOUSEHOLD_ROLES)
def monitoring_eliminate(request: HttpRequest, s: sc.Scope, object_id: int) -> HttpResponse:
    obj = sc.monitoring_object_or_404(s, object_id)
    sc.require(s, roles.ELIMINATE_ROLES)
    form = EliminateForm(request.POST)
    back = request.POST.get("back") or ""
    if form.is_valid():
        try:
            workflow.eliminate_risk(obj, s.username, form.cleaned_data["evidence"])
            record(
                s.username,
                "web.monitoring.eliminate",
                "household",
                obj.household_id,
                {"object": obj.pk},
                ip=client_ip(request),
            )
            messages.success(request, f"农户{obj.household_id}已标注风险消除。")
        except workflow.WorkflowError as e:
            messages.error(request, str(e))
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("web:monitoring")
