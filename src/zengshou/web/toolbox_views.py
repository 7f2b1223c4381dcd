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
from zengshou.web.roles import PLAN_ROLES, TOOLBOX_EDIT_ROLES, WHATIF_ROLES, Role

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
    """The effective toolbox of a county on a date, its difference from the region's, and (for its
    users) the form that changes it: checked, previewed as a what-if, saved as a new version (W01)."""
    from zengshou.toolbox import county as cty
    from zengshou.toolbox import forms as tf
    from zengshou.toolbox.models import CountyToolboxVersion

    names = _county_names()
    if code not in names or not _visible(s, code):
        sc.refused(s, "county_toolbox", code, code in names)
        raise Http404
    can_edit = s.can(TOOLBOX_EDIT_ROLES) and (s.role == Role.REGION_ADMIN or s.area_code == code)
    if request.method == "POST" and not can_edit:
        sc.refused(s, "county_toolbox", code, True, action="access.denied")
        raise Http404
    versions = list(CountyToolboxVersion.objects.filter(county_code=code).order_by("-version"))
    on = _date_or_today(request.POST.get("date") or request.GET.get("date"))
    show_version = request.GET.get("version")
    current: Any = None
    try:
        if show_version and show_version.isdecimal() and request.method == "GET":
            v = next((x for x in versions if x.version == int(show_version)), None)
            if v is None:
                raise Http404
            current = cty.parse_text(v.content, f"第{v.version}版")
            current.version = v.version
        else:
            current = cty.effective_toolboxes().get(code)
    except cty.ToolboxError as exc:  # a saved version from before a rule: say so, start from the files
        messages.error(request, f"当前保存的版本无法使用：{exc}。请在下方重新填写并保存。")
        current = cty.shipped_toolboxes().get(code)
    groups = tf.groups(on, current)
    fields = tf.all_fields(groups)
    context: dict[str, Any] = {
        "code": code,
        "name": names[code],
        "on": on,
        "today": dt.date.today(),
        "groups": groups,
        "toolbox": current,
        "versions": versions,
        "can_edit": can_edit,
        "diff": tf.diff(current),
        "content": request.POST.get("content", ""),
        "error": "",
        "form_errors": [],
        "preview": None,
    }
    if request.method == "POST" and "content" in request.POST:  # the file editor (local measures)
        text = request.POST.get("content", "")
        try:
            tb = cty.parse_text(text, f"{names[code]}工具箱")
            if tb.county_code != code:
                raise cty.ToolboxError(f"文件中的县（区）代码为 {tb.county_code}，应为 {code}")
        except cty.ToolboxError as exc:
            context["error"] = str(exc)
        else:
            number = _save_version(request, s, code, text, tb, {"params": sorted(tb.params)})
            messages.success(request, f"已保存为第 {number} 版，即时生效")
            return redirect("toolbox:county", code=code)
    elif request.method == "POST":
        for f in fields:
            f.keep_entered(request.POST)
        result = tf.read_county_form(request.POST, fields)
        for key, message in result.errors.items():
            next(f for f in fields if f.key == key).error = message
        context["form_errors"] = list(result.errors.values())
        if not result.errors and result.empty:
            context["form_errors"] = ["没有修改任何取值：请先改动参数、勾选恢复区级取值或修改依据"]
        elif not result.errors:
            text = tf.toolbox_text(current, code, names[code], result)
            try:
                proposed = cty.parse_text(text, f"{names[code]}工具箱")
            except cty.ToolboxError as exc:
                context["form_errors"] = [str(exc)]
            else:
                if request.POST.get("action") == "save":
                    changes = {
                        k: {"取值": tf.value_text(c.value), "生效日期": str(c.start), "依据": c.source}
                        for k, c in result.changes.items()
                    }
                    number = _save_version(
                        request,
                        s,
                        code,
                        text,
                        proposed,
                        {"changes": changes, "resets": sorted(result.resets), "sources": result.sources},
                    )
                    messages.success(request, f"已保存为第 {number} 版，即时生效")
                    return redirect("toolbox:county", code=code)
                context["preview"] = _preview(code, names[code], current, result, proposed)
    context["entries"] = cty.show(code, on, current)
    if not context["content"]:
        context["content"] = (
            current.text
            if current is not None and current.text
            else STARTER.format(code=code, name=names[code])
        )
    return render(request, "toolbox/county.html", context)


def _date_or_today(raw: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return dt.date.today()


def _save_version(
    request: HttpRequest, s: sc.Scope, code: str, text: str, tb: Any, details: dict[str, Any]
) -> int:
    """A new numbered version of the county's toolbox, audited; it takes effect at once."""
    from zengshou.toolbox.models import CountyToolboxVersion

    with transaction.atomic():
        last = CountyToolboxVersion.objects.filter(county_code=code).aggregate(m=Max("version"))["m"]
        number = (last or 0) + 1
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
            {"county": code, "version": number, **details},
            client_ip(request),
        )
    return number


def data_year(area: str) -> int | None:
    """The latest year with stored tiers for households under ``area`` (what a what-if runs on)."""
    from zengshou.tiers.models import TierResult

    return (
        TierResult.objects.filter(quarter__isnull=True, household__village__code__startswith=area)
        .aggregate(m=Max("year"))
        .get("m")
    )


def _preview(code: str, name: str, current: Any, result: Any, proposed: Any) -> dict[str, Any]:
    """The what-if of an edit before it is saved: on the county's own households, for the latest year
    with data, with every new value taken as in force that year."""
    from zengshou.toolbox import county as cty
    from zengshou.toolbox import forms as tf
    from zengshou.toolbox.engine import toolbox_whatif

    out: dict[str, Any] = {"diff": tf.diff(proposed), "year": None, "error": ""}
    year = data_year(code)
    if year is None:
        out["error"] = f"{name}尚无分层结果，无法测算户数和费用（请先运行批处理）；仍可保存。"
        return out
    later = [c for c in result.changes.values() if c.start > dt.date(year, 12, 31)]
    text = tf.toolbox_text(current, code, name, result, clamp=dt.date(year, 12, 31))
    scenario = cty.parse_text(text, f"{name}工具箱（测算）")
    try:
        pop, tiers = _population_and_tiers(code, year)
    except LookupError as exc:
        out["error"] = str(exc.args[0])
        return out
    r = toolbox_whatif(pop, tiers, year, {code: current} if current else {}, {code: scenario})
    out.update(_result_context(r, proposed))
    out["households"] = pop.households.height
    out["one_county"] = True
    out["later"] = bool(later)
    return out


def _result_context(r: Any, tb: Any = None) -> dict[str, Any]:
    from zengshou.toolbox import forms as tf

    titles = tf.measure_titles(tb)
    rows = [
        {**row, "title": titles.get(row["code"], "")}
        for row in r.by_measure.to_dicts()
        if row["gained"] or row["lost"] or row["cost_change"]
    ]
    return {
        "year": r.year,
        "totals": tf.whatif_totals(r.base, r.scenario),
        "measure_rows": rows,
        "county_rows": r.by_county.to_dicts(),
        "seconds": r.seconds,
    }


@page(WHATIF_ROLES)
@require_http_methods(["GET", "POST"])
def whatif(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    """What-if over the households in the user's area: the region's and a city's users change the
    region's values (a county that sets its own keeps it); a county's users change their county's."""
    from zengshou.params import ParameterError
    from zengshou.toolbox import county as cty
    from zengshou.toolbox import forms as tf
    from zengshou.toolbox.definitions import MEASURES
    from zengshou.toolbox.engine import check_keys, shipped_params

    county_user = s.role == Role.COUNTY
    latest = data_year(s.prefix)
    default_year = latest or dt.date.today().year - 1
    year = year_or(request.POST.get("year") or request.GET.get("year"), default_year)
    toolboxes = _toolboxes_or_message(request)
    own = toolboxes.get(s.area_code) if county_user else None
    groups = tf.groups(dt.date(year, 12, 31), own)
    fields = tf.all_fields(groups)
    context: dict[str, Any] = {
        "year": year,
        "latest": latest,
        "groups": groups,
        "county_user": county_user,
        "area_name": s.area_name,
        "result": None,
        "errors": [],
        "changes_text": [],
    }
    if request.method == "POST":
        changes: dict[str, Any] = {}
        for f in fields:
            f.keep_entered(request.POST)
        if any(str(k).startswith("v-") for k in request.POST):
            changes, errors = tf.read_whatif_form(request.POST, fields)
            for key, message in errors.items():
                next(f for f in fields if f.key == key).error = message
            context["errors"] = list(errors.values())
        else:  # ``参数=值`` lines, as ``zengshou whatif --set`` takes them
            changes, context["errors"] = _change_lines(request.POST.get("changes", ""))
            if not context["errors"]:
                try:
                    check_keys(shipped_params(), changes, MEASURES)
                except ParameterError as exc:
                    context["errors"] = [str(exc)]
        if not context["errors"] and not changes:
            context["errors"] = ["请至少修改一项参数的取值"]
        if not context["errors"]:
            labels = {f.key: f for f in fields}
            context["changes_text"] = [
                f"{labels[k].label}：{labels[k].value_text} → {tf.value_text(v, labels[k].unit)}"
                if k in labels
                else f"{k}：{v}"
                for k, v in changes.items()
            ]
            try:
                r = _run_whatif(s, year, changes, toolboxes, own)
                context["result"] = {**_result_context(r, own), "one_county": county_user}
                context["warnings"] = r.warnings
                context["notes"] = r.notes
                record(
                    s.username,
                    "toolbox.whatif",
                    "",
                    "",
                    {"year": year, "changes": {k: tf.value_text(v) for k, v in changes.items()}},
                    client_ip(request),
                )
            except (ParameterError, cty.ToolboxError) as exc:
                context["errors"] = [str(exc)]
            except LookupError as exc:
                context["errors"] = [str(exc.args[0])]
    return render(request, "toolbox/whatif.html", context)


def _toolboxes_or_message(request: HttpRequest) -> dict[str, Any]:
    from zengshou.toolbox import county as cty

    try:
        return cty.effective_toolboxes()
    except cty.ToolboxError as exc:
        messages.error(request, f"县级工具箱有无法使用的版本：{exc}")
        return cty.shipped_toolboxes()


def _change_lines(lines: str) -> tuple[dict[str, str], list[str]]:
    changes: dict[str, str] = {}
    for raw in lines.splitlines():
        line = raw.strip()
        if not line:
            continue
        if "=" not in line:
            return {}, [f"“{line}”应写成 参数=值"]
        k, v = line.split("=", 1)
        changes[k.strip()] = v.strip()
    return changes, []


def _population_and_tiers(area: str | None, year: int) -> tuple[Any, Any]:
    """The registry under ``area`` with its feeds and the stored tiers of ``year``.

    Only the income of ``year`` is read: the rules need no other year, and the tiers are stored.
    """
    import polars as pl

    from zengshou.registry.read import population_from_database
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


def _run_whatif(s: sc.Scope, year: int, changes: dict[str, Any], toolboxes: dict[str, Any], own: Any) -> Any:
    """A region or city user's what-if changes the region's values; a county user's, his county's
    (as if his toolbox set them from 1 January of the year)."""
    from zengshou.toolbox import county as cty
    from zengshou.toolbox import forms as tf
    from zengshou.toolbox import whatif as run
    from zengshou.toolbox.engine import parse_value, shipped_params, toolbox_whatif

    pop, tiers = _population_and_tiers(s.prefix, year)
    if s.role != Role.COUNTY:
        return run(pop, tiers, year, changes, county_toolboxes=toolboxes)
    code = s.area_code
    start = dt.date(year, 1, 1)
    ps = shipped_params()
    typed = {k: parse_value(ps, k, v, year) if isinstance(v, str) else v for k, v in changes.items()}
    form = tf.FormResult(changes={k: tf.Change(k, v, start, "政策测算（未保存）") for k, v in typed.items()})
    text = tf.toolbox_text(own, code, s.area_name, form, clamp=start)
    scenario = cty.parse_text(text, f"{s.area_name}工具箱（测算）")
    return toolbox_whatif(pop, tiers, year, {code: own} if own else {}, {code: scenario})


@page(roles.HOUSEHOLD_ROLES)
@require_http_methods(["GET", "POST"])
def household(request: HttpRequest, s: sc.Scope, household_id: str) -> HttpResponse:
    """Why each measure applies or not (down to facts and parameters), and the plan with its steps."""
    from zengshou.toolbox import explain
    from zengshou.toolbox.county import effective_toolboxes
    from zengshou.toolbox.engine import member_label
    from zengshou.toolbox.models import Plan
    from zengshou.toolbox.plan_view import summary
    from zengshou.toolbox.plans import STATUS_LABELS, PlanError, transition

    h = sc.household_or_404(s, household_id)
    year = year_or(request.GET.get("year") or request.POST.get("year"), dt.date.today().year - 1)
    if request.method == "POST":
        if not s.can(PLAN_ROLES):
            sc.refused(s, "plan", h.household_id, True, action="access.denied")
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
    items = (
        summary(plan.items.order_by("code", "id_number").prefetch_related("events"), plan.county_code)
        if plan
        else summary([])
    )
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
            "names": {m.id_number: member_label(m.relation, m.id_number, year) for m in h.members.all()},
        },
    )
