"""Pages of the toolbox: a county's toolbox (view, edit, versions), the what-if form, and a household's
explanation with its plan and status steps. They render inside the web app's ``web/base.html`` and use
its access decorator and scope, so a user only reaches his own area.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from zengshou.registry.areas import counties
from zengshou.registry.audit import record
from zengshou.web import roles
from zengshou.web import scope as sc
from zengshou.web.access import client_ip, page
from zengshou.web.forms import year_or
from zengshou.web.roles import Role

#: Users who may change a county's toolbox: that county's users, and the region.
EDIT_ROLES = frozenset({Role.COUNTY, Role.REGION_ADMIN})
#: Users of the what-if form ("region users"): the region and cities.
WHATIF_ROLES = frozenset({Role.REGION_ADMIN, Role.CITY})
#: Users who move a plan item on (agreed with the household, delivered).
PLAN_ROLES = frozenset({Role.COUNTY, Role.TOWNSHIP, Role.VILLAGE, Role.CADRE})

STARTER = """county: "{code}"
name: {name}
params:
  # 例：本县庭院经济补贴自 2026 年起每户 3000 元（写明本县文件）
  # L02.amount:
  #   source: 本县文件名称、文号（每项必填，也可写作 依据）
  #   values: [{{from: 2026-01-01, value: 3000}}]
local_measures: []
"""


def _county_names() -> dict[str, str]:
    return {c.code: c.name for c in counties()}


def _visible(s: sc.Scope, county: str) -> bool:
    return county.startswith(s.prefix) or s.prefix.startswith(county)


@page(roles.HOUSEHOLD_ROLES)
def county_list(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    from zengshou.toolbox.models import CountyToolboxVersion

    latest = dict(
        CountyToolboxVersion.objects.values("county_code")
        .annotate(v=Max("version"))
        .values_list("county_code", "v")
    )
    rows = [(code, name, latest.get(code)) for code, name in _county_names().items() if _visible(s, code)]
    if len(rows) == 1:
        return redirect("toolbox:county", code=rows[0][0])
    return render(request, "toolbox/county_list.html", {"rows": rows})


@page(roles.HOUSEHOLD_ROLES)
@require_http_methods(["GET", "POST"])
def county(request: HttpRequest, s: sc.Scope, code: str) -> HttpResponse:
    """The effective toolbox of a county on a date; its users edit it as a new version (W01)."""
    from zengshou.toolbox import county as cty
    from zengshou.toolbox.models import CountyToolboxVersion

    names = _county_names()
    if code not in names or not _visible(s, code):
        raise Http404
    can_edit = s.role == Role.REGION_ADMIN or (s.role == Role.COUNTY and s.area_code == code)
    versions = list(CountyToolboxVersion.objects.filter(county_code=code).order_by("-version"))
    text = request.POST.get("content", "")
    error = ""
    if request.method == "POST":
        if not can_edit:
            raise Http404
        try:
            tb = cty.parse_text(text, f"{names[code]}工具箱")
            if tb.county_code != code:
                raise cty.ToolboxError(f"文件中的 county 为 {tb.county_code}，应为 {code} / wrong county")
        except cty.ToolboxError as exc:
            error = str(exc)
        else:
            with transaction.atomic():
                number = (versions[0].version if versions else 0) + 1
                CountyToolboxVersion.objects.create(
                    county_code=code,
                    version=number,
                    content=text,
                    note=request.POST.get("note", "")[:300],
                    created_by=s.username,
                )
                record(
                    s.username,
                    "toolbox.save",
                    "CountyToolboxVersion",
                    f"{code}:{number}",
                    {"county": code, "version": number, "params": sorted(tb.params)},
                    client_ip(request),
                )
            messages.success(request, f"已保存为第 {number} 版，即时生效")
            return redirect("toolbox:county", code=code)
    try:
        on = (
            dt.date.fromisoformat(request.GET.get("date", "")) if request.GET.get("date") else dt.date.today()
        )
    except ValueError:
        on = dt.date.today()
    show_version = request.GET.get("version")
    current: Any = None
    if show_version and show_version.isdecimal():
        v = next((x for x in versions if x.version == int(show_version)), None)
        if v is None:
            raise Http404
        current = cty.parse_text(v.content, f"第{v.version}版")
        current.version = v.version
    else:
        current = cty.effective_toolboxes().get(code)
    entries = cty.show(code, on, current)
    if not text:
        text = (
            current.text
            if current is not None and current.text
            else STARTER.format(code=code, name=names[code])
        )
    return render(
        request,
        "toolbox/county.html",
        {
            "code": code,
            "name": names[code],
            "on": on,
            "entries": entries,
            "toolbox": current,
            "versions": versions,
            "can_edit": can_edit,
            "content": text,
            "error": error,
        },
    )


@page(WHATIF_ROLES)
@require_http_methods(["GET", "POST"])
def whatif(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    """What-if over the whole population in scope: households gained and lost, cost change by county."""
    from zengshou.params import ParameterError
    from zengshou.toolbox.definitions import MEASURES
    from zengshou.toolbox.engine import check_keys, shipped_params

    ps = shipped_params()
    year = year_or(request.POST.get("year"), dt.date.today().year - 1)
    lines = request.POST.get("changes", "")
    context: dict[str, Any] = {
        "year": year,
        "changes": lines,
        "keys": sorted(k for k in ps.params if not k.endswith(".enabled")),
        "result": None,
        "error": "",
    }
    if request.method == "POST":
        changes: dict[str, str] = {}
        for raw in lines.splitlines():
            line = raw.strip()
            if not line:
                continue
            if "=" not in line:
                context["error"] = f"“{line}”应写成 参数=值，例如 L02.amount=3000"
                break
            k, v = line.split("=", 1)
            changes[k.strip()] = v.strip()
        if not context["error"] and not changes:
            context["error"] = "请至少填写一项参数调整"
        if not context["error"]:
            try:  # before the population is read: a mistyped key fails at once, naming the valid ones
                check_keys(ps, changes, MEASURES)
            except ParameterError as exc:
                context["error"] = str(exc)
        if not context["error"]:
            try:
                result = _run_whatif(s, year, changes)
                context["result"] = result
                context["measure_rows"] = result.by_measure.to_dicts()
                context["county_rows"] = result.by_county.to_dicts()
                record(
                    s.username,
                    "toolbox.whatif",
                    "",
                    "",
                    {"year": year, "changes": changes},
                    client_ip(request),
                )
            except ParameterError as exc:
                context["error"] = str(exc)
            except LookupError as exc:
                context["error"] = str(exc.args[0])
    return render(request, "toolbox/whatif.html", context)


def _population_and_tiers(area: str | None, year: int) -> tuple[Any, Any]:
    """The registry under ``area`` with its feeds and the stored tiers of ``year``.

    Only the income of ``year`` is read: the rules need no other year, and the tiers are stored.
    """
    import polars as pl

    from zengshou.monitor.feeds import population_from_database
    from zengshou.tiers.models import TierResult

    qs = TierResult.objects.filter(year=year, quarter__isnull=True)
    if area:
        qs = qs.filter(household__village__code__startswith=area)
    rows = list(qs.values_list("household_id", "quintile", "tier"))
    if not rows:
        raise LookupError(f"{year} 年尚未运行分层（请先运行 zengshou pipeline --year {year}）")
    pop = population_from_database(area, years=(year,))
    tiers = pl.DataFrame(rows, schema=["household_id", "quintile", "tier"], orient="row").with_columns(
        pl.col("quintile").replace("", None), pl.col("tier").replace("", None)
    )
    return pop, tiers


def _run_whatif(s: sc.Scope, year: int, changes: dict[str, str]) -> Any:
    from zengshou.toolbox import whatif as run
    from zengshou.toolbox.county import effective_toolboxes

    pop, tiers = _population_and_tiers(s.prefix, year)
    return run(pop, tiers, year, changes, county_toolboxes=effective_toolboxes())


@page(roles.HOUSEHOLD_ROLES)
@require_http_methods(["GET", "POST"])
def household(request: HttpRequest, s: sc.Scope, household_id: str) -> HttpResponse:
    """Why each measure applies or not (down to facts and parameters), and the plan with its steps."""
    from zengshou.toolbox import explain
    from zengshou.toolbox.county import effective_toolboxes
    from zengshou.toolbox.models import Plan
    from zengshou.toolbox.plans import STATUS_LABELS, PlanError, transition

    h = sc.household_or_404(s, household_id)
    year = year_or(request.GET.get("year") or request.POST.get("year"), dt.date.today().year - 1)
    if request.method == "POST":
        if not s.can(PLAN_ROLES):
            raise Http404
        item_id = request.POST.get("item", "")
        plan = Plan.objects.filter(household_id=h.household_id, year=year).first()
        if (
            plan is None
            or not (item_id.isdecimal() and len(item_id) < 16)
            or not plan.items.filter(id=int(item_id)).exists()
        ):
            raise Http404
        try:
            on = dt.date.fromisoformat(request.POST.get("on", ""))
            transition(
                int(item_id),
                request.POST.get("to", ""),
                on,
                request.POST.get("evidence", ""),
                s.username,
                client_ip(request),
            )
            messages.success(request, "已更新措施状态")
        except ValueError as exc:  # PlanError is a ValueError; so is a bad date
            messages.error(request, str(exc) if isinstance(exc, PlanError) else "日期格式应为 YYYY-MM-DD")
        return redirect(f"{request.path}?year={year}")
    record(s.username, "toolbox.explain", "household", h.household_id, {"year": year}, client_ip(request))
    explanations: list[Any] = []
    error = ""
    try:
        pop, tiers = _population_and_tiers(h.village_id, year)
        explanations = explain(h.household_id, pop, tiers, year, county_toolboxes=effective_toolboxes())
    except LookupError as exc:
        error = str(exc.args[0])
    plan = Plan.objects.filter(household_id=h.household_id, year=year).first()
    items = list(plan.items.order_by("code", "id_number").prefetch_related("events")) if plan else []
    return render(
        request,
        "toolbox/household.html",
        {
            "h": h,
            "year": year,
            "explanations": explanations,
            "applicable": [e for e in explanations if e.applies],
            "not_applicable": [e for e in explanations if not e.applies],
            "error": error,
            "plan": plan,
            "items": items,
            "labels": STATUS_LABELS,
            "next": {"proposed": "agreed", "agreed": "delivered"},
            "can_plan": s.can(PLAN_ROLES),
            "today": dt.date.today().isoformat(),
            "income_effect": sum(float(i.income_effect or 0) for i in items if i.applies),
        },
    )
