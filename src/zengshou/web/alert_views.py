"""预警: the queue for the user's area and the workflow steps, each with its required fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zengshou.monitor import workflow
from zengshou.monitor.models import OPEN_STATUSES, MonitoringObject
from zengshou.monitor.rules import CODES
from zengshou.registry.audit import record
from zengshou.web import roles
from zengshou.web import scope as sc
from zengshou.web.access import client_ip, page
from zengshou.web.forms import AlertFilterForm, DismissForm, EliminateForm, IncludeForm, VerifyForm

PAGE_SIZE = 50


@page(roles.HOUSEHOLD_ROLES)
def alerts(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    form = AlertFilterForm(request.GET or {"status": "open"})
    qs = sc.alerts(s).select_related("household", "area")
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
        v = (d.get("village") or "").strip()
        if v:
            qs = (
                qs.filter(Q(area_code__startswith=v) | Q(household__household_id__startswith=v))
                if v.isascii()
                else qs.filter(area__name__contains=v)
            )
    qs = qs.order_by("level", "-year", "code", "household_id", "id")
    pg = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "web/alerts.html", {"form": form, "page": pg, "codes": CODES, "query": query.urlencode()}
    )


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
    allowed = {"verify": roles.VERIFY_ROLES, "include": roles.INCLUDE_ROLES, "dismiss": roles.DISMISS_ROLES}[
        action
    ]
    sc.require(s, allowed)
    form_cls = {"verify": VerifyForm, "include": IncludeForm, "dismiss": DismissForm}[action]
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
