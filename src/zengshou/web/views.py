"""Pages: sign-in, 首页/驾驶舱, 农户 (search, household page, visits), 监测对象, 审计."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from zengshou.monitor.models import OPEN_STATUSES, MonitoringObject
from zengshou.monitor.rules import CODES
from zengshou.registry.audit import record
from zengshou.registry.models import AuditEvent, Income, Member, Pairing
from zengshou.rules.clauses import citation, quote
from zengshou.tiers.models import TierResult
from zengshou.toolbox.engine import member_label
from zengshou.toolbox.models import Plan
from zengshou.toolbox.plan_view import summary
from zengshou.web import accounts, audit_texts, periods, roles, stats
from zengshou.web import scope as sc
from zengshou.web.access import client_ip, page
from zengshou.web.forms import AuditSearchForm, HouseholdSearchForm, LoginForm, VisitForm
from zengshou.web.models import VisitLog
from zengshou.web.paging import keyset_page
from zengshou.web.roles import Role
from zengshou.web.search import members_named

PAGE_SIZE = 50


# ---------------------------------------------------------------- sign-in


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign-in with throttling (:func:`accounts.login_wait`): while a user name and address must
    still wait after their last failures, the password is not even checked."""
    nxt = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    form = LoginForm(request.POST or None)
    error = ""
    status = 200
    wait = 0
    if request.session.pop("zs_expired", False):
        error = "长时间未操作，已自动退出，请重新登录。"
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        ip = client_ip(request)
        wait = accounts.login_wait(username, ip)
        if wait:
            error = f"登录失败次数过多，请{accounts.wait_text(wait)}后再试；如忘记密码，请联系管理员重置。"
            record(username, "login.throttled", "user", username, {"wait": wait}, ip=ip)
            status = 429
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                accounts.note_login_failure(username, ip)
                record(username, "login.failed", "user", username, ip=ip)
                error = "用户名或密码不正确，请重新输入。"
                status = 401
            else:
                accounts.note_login_success(username, ip)
                login(request, user)
                record(username, "login", "user", username, ip=ip)
                return HttpResponseRedirect(nxt)
    response = render(request, "web/login.html", {"form": form, "error": error, "next": nxt}, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through :func:`login_view` (throttled and audited), never its own form.

    Mounted over ``admin/login/`` in the root URLs; a POST here checks no password, so guessing
    through the admin is impossible.
    """
    nxt = request.GET.get("next") or reverse("admin:index")
    return redirect_to_login(nxt, reverse("web:login"))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record(
            request.user.get_username(), "logout", "user", request.user.get_username(), ip=client_ip(request)
        )
    logout(request)
    return redirect("web:login")


# ---------------------------------------------------------------- dashboard


@page()
def home(request: HttpRequest, s: sc.Scope) -> HttpResponseBase:
    if s.role == Role.DEPARTMENT:
        return redirect("web:imports")
    return dashboard(request)


@page(roles.HOUSEHOLD_ROLES)
def dashboard(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    code = request.GET.get("area") or s.area_code
    area = sc.area_or_404(s, code)
    period = periods.year_period(periods.scope_coverage(s, area.code), request.GET)
    data = stats.area_stats(s, area.code, period.year, period)
    trail = []
    c: str | None = area.code
    from zengshou.registry.areas import parent_code

    while c and c.startswith(s.prefix) and len(c) >= len(s.area_code):
        trail.append(c)
        c = parent_code(c)
    from zengshou.registry.models import Area

    names = dict(Area.objects.filter(code__in=trail).values_list("code", "name"))
    crumbs = [(x, names.get(x, x)) for x in reversed(trail)]
    return render(
        request, "web/dashboard.html", {"data": data, "area": area, "crumbs": crumbs, "period": period}
    )


# ---------------------------------------------------------------- households


def _search(s: sc.Scope, form: HouseholdSearchForm, year: int | None) -> Any:
    """The scope's households that match the form; conditions on members, tiers and alerts are
    ``EXISTS`` tests, so the list stays in its index order and stops at a page's worth of rows."""
    qs = sc.households(s)
    if not form.is_valid():
        return qs
    d = form.cleaned_data
    q = (d.get("q") or "").strip()
    own = OuterRef("pk")
    if q:
        if len(q) == 18 and "*" not in q:
            qs = qs.filter(Exists(Member.objects.filter(household_id=own, id_number=q.upper())))
        elif "*" in q and len(q) >= 10:
            head, tail = q.split("*", 1)[0], q.rsplit("*", 1)[-1]
            qs = qs.filter(
                Exists(
                    Member.objects.filter(
                        household_id=own, id_number__startswith=head, id_number__endswith=tail.upper()
                    )
                )
            )
        elif q.isdigit() or (q[:1].isalpha() and q.isascii()):
            qs = qs.filter(household_id__startswith=q)
        else:
            qs = qs.filter(Exists(members_named(q).filter(household_id=own)) | Q(household_id__startswith=q))
    if d.get("village"):
        v = d["village"].strip()
        qs = qs.filter(village__code__startswith=v) if v.isdigit() else qs.filter(village__name__contains=v)
    if d.get("household_type"):
        qs = qs.filter(household_type=d["household_type"])
    if d.get("tier") and year:
        tiers = TierResult.objects.filter(household_id=own, year=year, quarter__isnull=True, tier=d["tier"])
        qs = qs.filter(Exists(tiers))
    alert = d.get("alert")
    if alert:
        open_alerts = sc.alerts(s).filter(household_id=own, status__in=OPEN_STATUSES)
        qs = qs.filter(Exists(open_alerts if alert == "open" else open_alerts.filter(code=alert)))
    return qs


@page(roles.HOUSEHOLD_ROLES)
def households(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    form = HouseholdSearchForm(request.GET or None)
    period = periods.year_period(periods.scope_coverage(s), request.GET)
    year = period.year
    qs = _search(s, form, year).select_related("village")
    pg = keyset_page(
        qs, ("village_id", "household_id"), ("village_code", "household_id"), request.GET, PAGE_SIZE
    )
    ids = [h.household_id for h in pg.object_list]
    heads = {
        m.household_id: m
        for m in Member.objects.filter(household_id__in=ids, relation="户主").only(
            "household_id", "name", "id_number"
        )
    }
    sizes = dict(
        Member.objects.filter(household_id__in=ids)
        .values("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )
    tiers = (
        {
            t.household_id: t
            for t in TierResult.objects.filter(household_id__in=ids, year=year, quarter__isnull=True).only(
                "household_id", "tier", "per_capita_income", "fell"
            )
        }
        if year
        else {}
    )
    open_alerts = dict(
        sc.alerts(s)
        .filter(household_id__in=ids, status__in=OPEN_STATUSES)
        .values("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )
    rows = [
        {
            "h": h,
            "head": heads.get(h.household_id),
            "size": sizes.get(h.household_id, 0),
            "tier": tiers.get(h.household_id),
            "alerts": open_alerts.get(h.household_id, 0),
        }
        for h in pg.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/households.html",
        {
            "form": form,
            "page": pg,
            "rows": rows,
            "year": year,
            "period": period,
            "query": query.urlencode(),
            "searched": bool(set(request.GET) - {"year", "page", "after", "before", "last", "n"}),
        },
    )


@page(roles.HOUSEHOLD_ROLES)
def household(request: HttpRequest, s: sc.Scope, household_id: str) -> HttpResponse:
    h = sc.household_or_404(s, household_id)
    want_full = request.GET.get("full") == "1"
    full = want_full and s.can(roles.FULL_VIEW_ROLES)
    ip = client_ip(request)
    record(
        s.username,
        "household.view_full" if full else "household.view",
        "household",
        h.household_id,
        {"role": s.role, "path": request.path},
        ip=ip,
    )
    members = list(h.members.all().order_by("id"))
    results = list(TierResult.objects.filter(household=h).order_by("year", "quarter"))
    yearly = [r for r in results if r.quarter is None]
    latest = yearly[-1] if yearly else None
    incomes = list(Income.objects.filter(household=h).order_by("year", "quarter"))
    chart = {
        "years": [r.year for r in yearly],
        "series": [
            {"name": label, "data": [float(getattr(r, key) or 0) for r in yearly]}
            for key, label in stats.COMPONENTS
        ],
        "total": [float(r.per_capita_income or 0) for r in yearly],
    }
    alerts = list(sc.alerts(s).filter(household=h).order_by("-created_at").prefetch_related("transitions"))
    objects = list(MonitoringObject.objects.filter(household=h).order_by("-included_on"))
    pairing = Pairing.objects.filter(household=h, ended_on__isnull=True).select_related("cadre").first()
    visits = list(VisitLog.objects.filter(household=h).select_related("cadre")[:50])
    plan, plan_items = _plan(h.household_id)
    reasons = [_cited(r) for r in (latest.reasons.split("；") if latest and latest.reasons else []) if r]
    plan_year = plan.year if plan else (latest.year if latest else dt.date.today().year)
    names = {m.id_number: member_label(m.relation, m.id_number, plan_year) for m in members}
    cites = {a.code: {"clause": citation(a.code), "quote": quote(a.code)} for a in alerts if citation(a.code)}
    from zengshou.ingest.feeds import migrant_lists

    return render(
        request,
        "web/household.html",
        {
            "h": h,
            "migrant": migrant_lists(h.household_id),
            "members": members,
            "full": full,
            "can_full": s.can(roles.FULL_VIEW_ROLES),
            "latest": latest,
            "yearly": yearly,
            "incomes": incomes,
            "chart": chart,
            "alerts": alerts,
            "objects": objects,
            "pairing": pairing,
            "visits": visits,
            "plan": plan,
            "plan_items": plan_items,
            "reasons": reasons,
            "names": names,
            "cites": cites,
            "codes": CODES,
            "can_visit": s.can(roles.VISIT_ROLES),
            "toolbox_url": reverse("toolbox:household", args=[h.household_id]),
        },
    )


def _cited(reason: str) -> dict[str, str]:
    """A tier reason (``C03 住房不安全，调整为风险防范户``) with the clause its rule cites."""
    code = reason.split(" ", 1)[0]
    return {"text": reason, "clause": citation(code), "quote": quote(code)}


def _plan(household_id: str) -> tuple[Any, Any]:
    """The household's latest 一户一策 plan from the toolbox, if plans have been generated: its items
    with the measures' titles, what each amount is and the yearly income effect."""
    plan = Plan.objects.filter(household_id=household_id).order_by("-year").first()
    if plan is None:
        return None, []
    return plan, summary(plan.items.all().order_by("code", "id_number"), plan.county_code)


@page(roles.VISIT_ROLES)
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest, s: sc.Scope, household_id: str) -> HttpResponse:
    h = sc.household_or_404(s, household_id)
    form = VisitForm(
        request.POST or None, request.FILES or None, initial={"visited_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        visit = VisitLog(
            household=h,
            visited_on=d["visited_on"],
            findings=d["findings"],
            recorded_by=s.username,
            cadre_id=s.cadre_id if s.role == Role.CADRE else None,
        )
        if d.get("photo"):
            visit.photo.save(d["photo"].name, d["photo"], save=False)
        visit.save()
        record(
            s.username,
            "visit.add",
            "household",
            h.household_id,
            {"visit": visit.pk, "visited_on": str(visit.visited_on), "photo": bool(visit.photo)},
            ip=client_ip(request),
        )
        return redirect(reverse("web:household", args=[h.household_id]) + "#visits")
    return render(request, "web/visit_form.html", {"h": h, "form": form})


@page(roles.HOUSEHOLD_ROLES)
def visit_photo(request: HttpRequest, s: sc.Scope, visit_id: int) -> HttpResponseBase:
    visit = sc.visit_or_404(s, visit_id)
    if not visit.photo:
        raise Http404("该走访记录没有照片")
    record(
        s.username, "visit.photo", "household", visit.household_id, {"visit": visit.pk}, ip=client_ip(request)
    )
    return FileResponse(visit.photo.open("rb"))


# ---------------------------------------------------------------- monitoring objects


@page(roles.HOUSEHOLD_ROLES)
def monitoring(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    state = request.GET.get("state", "open")
    period = periods.year_period(periods.scope_coverage(s), request.GET)
    qs = sc.monitoring_objects(s).select_related("household", "household__village", "source_alert")
    qs = periods.monitoring_in(qs, period, eliminated=state == "eliminated").order_by(
        "-included_on", "household_id"
    )
    pg = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/monitoring.html",
        {
            "page": pg,
            "state": state,
            "period": period,
            "query": query.urlencode(),
            "can_eliminate": s.can(roles.ELIMINATE_ROLES),
        },
    )


# ---------------------------------------------------------------- audit


#: The 审计 page's section of users refused again and again: within these days, this often.
REFUSALS_DAYS = 30
REFUSALS_AT_LEAST = 3


def _repeated_refusals() -> list[dict[str, Any]]:
    """Repeated refusals with each user's role and area, for the region administrator to follow up."""
    from zengshou.registry.audit import repeated_refusals
    from zengshou.web.models import UserProfile

    rows = repeated_refusals(timezone.now() - dt.timedelta(days=REFUSALS_DAYS), REFUSALS_AT_LEAST)
    profiles = {
        p.user.username: p
        for p in UserProfile.objects.select_related("user", "area").filter(
            user__username__in={r.username for r in rows}
        )
    }
    return [{"r": r, "profile": profiles.get(r.username)} for r in rows]


@page(roles.AUDIT_ROLES)
def audit(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    qs = AuditEvent.objects.all()
    if form.is_valid():
        d = form.cleaned_data
        if d.get("username"):
            qs = qs.filter(username=d["username"].strip())
        if d.get("action"):
            qs = qs.filter(action__startswith=d["action"].strip())
        if d.get("object_id"):
            qs = qs.filter(object_id=d["object_id"].strip())
        tz = timezone.get_current_timezone()
        if d.get("since"):
            qs = qs.filter(at__gte=dt.datetime.combine(d["since"], dt.time.min, tzinfo=tz))
        if d.get("until"):
            qs = qs.filter(
                at__lt=dt.datetime.combine(d["until"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
            )
    pg = Paginator(qs.order_by("-at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # read before this search is itself recorded, which would push the page's last row off
    events = [
        {
            "e": e,
            "action": audit_texts.action_label(e.action),
            "object": audit_texts.object_label(e.object_type),
            "lines": audit_texts.detail_lines(e.detail),
        }
        for e in pg.object_list
    ]
    record(
        s.username,
        "audit.search",
        "audit",
        "",
        {k: v for k, v in request.GET.items() if k != "page"},
        ip=client_ip(request),
    )
    return render(
        request,
        "web/audit.html",
        {
            "form": form,
            "page": pg,
            "query": query.urlencode(),
            "actions": ACTION_LABELS,
            "events": events,
            "refusals": _repeated_refusals(),
            "refusals_days": REFUSALS_DAYS,
            "refusals_at_least": REFUSALS_AT_LEAST,
        },
    )


ACTION_LABELS = audit_texts.ACTION_LABELS
