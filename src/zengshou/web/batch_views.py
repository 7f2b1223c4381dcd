"""运行批处理: a county, city or region user starts the batch for his area and watches it run.

The run itself is :mod:`zengshou.batch.run`; these pages queue it, show its steps with a progress
bar that follows the worker, and refuse a second run of an area while one is queued or running.
A user sees the runs of his area and the areas below it; any other run is "not found".
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from zengshou.batch import run as batch
from zengshou.batch.models import ACTIVE_STATUSES, BatchRun, BatchStatus
from zengshou.registry.models import Area
from zengshou.web import scope as sc
from zengshou.web.access import client_ip, page
from zengshou.web.roles import BATCH_ROLES

#: Area levels a batch runs for (a township or village is ranked with its county, never alone).
BATCH_LEVELS = ("region", "city", "county")
RECENT_RUNS = 15


def runs(s: sc.Scope) -> Any:
    """Runs of the user's area and the areas below it."""
    return batch.runs_for(s.prefix)


def run_or_404(s: sc.Scope, run_id: Any) -> BatchRun:
    try:
        return runs(s).get(pk=int(run_id))
    except (BatchRun.DoesNotExist, ValueError, TypeError) as e:
        raise sc.not_found(
            s, "batch", run_id, BatchRun, {"pk": run_id}, "未找到该批处理，或不在您的管辖范围内"
        ) from e


def _areas(s: sc.Scope) -> list[Area]:
    """The user's own area first, then the counties below it (a region or city user may run one)."""
    own = Area.objects.get(code=s.area_code)
    if s.area_level == "county":
        return [own]
    counties = sc.areas(s).filter(level="county").exclude(code=own.code).order_by("code")
    return [own, *counties]


def _parse_period(value: str) -> tuple[int, int | None] | None:
    year, _, quarter = value.partition("-")
    try:
        y = int(year)
        q = int(quarter) if quarter else None
    except ValueError:
        return None
    if not 2000 <= y <= 2100 or (q is not None and q not in (1, 2, 3, 4)):
        return None
    return y, q


def _context(s: sc.Scope, area_code: str, **extra: Any) -> dict[str, Any]:
    areas = _areas(s)
    periods = batch.income_periods(area_code)
    active = [r for r in runs(s).filter(status__in=ACTIVE_STATUSES)]
    return {
        "areas": areas,
        "area_code": area_code,
        "periods": periods,
        "period_value": extra.pop("period_value", None) or batch.default_period(periods),
        "runs": list(runs(s)[:RECENT_RUNS]),
        "active": active,
        **extra,
    }


@page(BATCH_ROLES)
def batch_page(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    """GET: the form (area, period) and the recent runs. POST: queue the run and show its progress."""
    if request.method != "POST":
        code = request.GET.get("area") or s.area_code
        area = sc.area_or_404(s, code)
        return render(request, "web/batch.html", _context(s, area.code))
    code = (request.POST.get("area") or s.area_code).strip()
    area = sc.area_or_404(s, code)
    value = (request.POST.get("period") or "").strip()
    if not value and request.POST.get("year"):
        value = f"{request.POST.get('year')}" + (
            f"-{request.POST.get('quarter')}" if request.POST.get("quarter") else ""
        )
    error = ""
    choices = batch.income_periods(area.code)
    if not value:  # the import page's 立即运行: the area's latest filled year
        value = batch.default_period(choices)
    if area.level not in BATCH_LEVELS:
        error = f"批处理按县（区）或更大的区划运行；{area.name}是{_level_name(area.level)}，请选择所在的县（区）。"
    parsed = _parse_period(value) if value else None
    if not error and not choices:
        error = f"{area.name}还没有收入数据，请先在“导入导出”上传农户数据，再运行批处理。"
    elif not error and (parsed is None or value not in {c.value for c in choices}):
        shown = "、".join(c.label for c in choices[:8])
        error = f"请选择{area.name}有收入数据的期间（可选：{shown}）。"
    if error:
        ctx = _context(s, area.code, error=error)
        return render(request, "web/batch.html", ctx, status=400)
    assert parsed is not None
    year, quarter = parsed
    try:
        run = batch.start(area.code, area.name, year, quarter, s.username, ip=client_ip(request))
    except batch.BatchBusy as busy:
        ctx = _context(s, area.code, busy=busy.run, error=str(busy), period_value=value)
        return render(request, "web/batch.html", ctx, status=409)
    return redirect("web:batch_run", run_id=run.pk)


def _level_name(level: str) -> str:
    return {"township": "乡镇", "village": "村"}.get(level, level)


@page(BATCH_ROLES)
def batch_run(request: HttpRequest, s: sc.Scope, run_id: int) -> HttpResponse:
    run = run_or_404(s, run_id)
    if not run.active:
        batch.forget_cached_figures()
    return render(
        request,
        "web/batch_run.html",
        {
            "run": run,
            "late": batch.worker_late(run),
            "status_url": reverse("web:batch_run_status", args=[run.pk]),
            "can_rerun": s.can(BATCH_ROLES) and run.area_code.startswith(s.prefix),
            "period_value": f"{run.year}" + (f"-{run.quarter}" if run.quarter else ""),
        },
    )


@page(BATCH_ROLES)
def batch_run_status(request: HttpRequest, s: sc.Scope, run_id: int) -> JsonResponse:
    """What the progress bar follows (polled every two seconds while the run is queued or running)."""
    run = run_or_404(s, run_id)
    if not run.active:
        batch.forget_cached_figures()
    return JsonResponse(
        {
            "status": run.status,
            "label": run.get_status_display(),
            "percent": run.percent,
            "message": run.message,
            "finished": run.status in (BatchStatus.DONE, BatchStatus.FAILED),
            "late": batch.worker_late(run),
            "steps": [
                {"label": st["label"], "state": st["state"], "seconds": st["seconds"], "note": st["note"]}
                for st in run.steps
            ],
        }
    )
