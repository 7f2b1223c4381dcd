"""Pages of the data-quality checks: the report of the user's area (or an area below it) with the
trend across runs, its ``.xlsx``, a run on demand, and the exemption list (entered or uploaded,
audited). Village, township, county, city and region users see their own area; exemptions and runs
are decided by the county (县级审定) and the region.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from zengshou.web import scope as sc
from zengshou.web.access import page
from zengshou.web.roles import Role

#: May open the quality report of their area.
QUALITY_ROLES = frozenset({Role.REGION_ADMIN, Role.CITY, Role.COUNTY, Role.TOWNSHIP, Role.VILLAGE})
#: May run the checks on demand and enter exemptions.
QUALITY_ADMIN_ROLES = frozenset({Role.REGION_ADMIN, Role.COUNTY})
PAGE_FINDINGS = 500


def _area(request: HttpRequest, s: sc.Scope) -> str:
    code = (request.GET.get("area") or "").strip()
    if not code or code == s.area_code:
        return s.area_code
    return sc.area_or_404(s, code).code


@page(QUALITY_ROLES)
def report(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    from zengshou.quality import checks as q
    from zengshou.quality.report import build
    from zengshou.quality.store import run_checks

    if request.method == "POST":
        sc.require(s, QUALITY_ADMIN_ROLES)
        run = run_checks(s.area_code, trigger="manual", username=s.username)
        messages.success(
            request,
            f"核查完成：{run.households:,} 户，问题 {run.findings:,} 条，涉及 {run.flagged_households:,} 户",
        )
        return redirect(request.path)
    area = _area(request, s)
    rep = build(area, finding_limit=PAGE_FINDINGS)
    trend = [
        {"at": t["at"].strftime("%m-%d %H:%M"), "errors": t["errors"], "doubts": t["doubts"]}
        for t in rep.trend
    ]
    names = {a.code: a.name for a in sc.areas(s).filter(code=area)}
    return render(
        request,
        "quality/report.html",
        {
            "rep": rep,
            "area": area,
            "area_name": names.get(area, s.area_name),
            "trend": trend,
            "findings": rep.findings.to_dicts() if rep.findings.height else [],
            "duplicates": rep.duplicates.to_dicts() if rep.duplicates.height else [],
            "limit": PAGE_FINDINGS,
            "can_run": s.can(QUALITY_ADMIN_ROLES),
            "error_label": q.ERROR,
        },
    )


@page(QUALITY_ROLES)
def report_xlsx(request: HttpRequest, s: sc.Scope) -> HttpResponseBase:
    from zengshou.quality.report import build, write_xlsx
    from zengshou.registry.audit import record
    from zengshou.web.downloads import file_download

    area = _area(request, s)
    rep = build(area)
    record(s.username, "export", "quality_report", area, {"findings": rep.findings.height})
    return file_download(
        lambda folder: write_xlsx(rep, folder / "质量报告.xlsx"), f"数据质量报告-{area}.xlsx"
    )


@page(QUALITY_ROLES)
def exemptions(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    from zengshou.quality import checks as q
    from zengshou.quality.models import QualityExemption
    from zengshou.quality.store import (
        ExemptionRejected,
        _read_table,
        add_exemptions,
        check_exemptions,
    )

    if request.method == "POST":
        sc.require(s, QUALITY_ADMIN_ROLES)
        upload = request.FILES.get("file")
        try:
            if upload is not None:
                suffix = Path(upload.name or "").suffix.lower()
                if suffix not in (".xlsx", ".csv"):
                    raise ExemptionRejected(["请上传 .xlsx 或 .csv 文件"])
                with tempfile.TemporaryDirectory(prefix="zs-exempt-") as folder:
                    path = Path(folder) / f"upload{suffix}"
                    path.write_bytes(upload.read())
                    rows = check_exemptions(_read_table(path), s.area_code)
                source = upload.name or ""
            else:
                raw = {
                    "_row": 1,
                    "规则代码": request.POST.get("code", ""),
                    "户编号": request.POST.get("household_id", ""),
                    "豁免理由": request.POST.get("reason", ""),
                    "有效期至": request.POST.get("valid_until", ""),
                }
                rows = check_exemptions([raw], s.area_code)
                source = "网页登记"
            n = add_exemptions(rows, s.username, source)
            messages.success(request, f"已登记豁免 {n} 条（已记入审计），下次核查起生效")
            return redirect(request.path)
        except ExemptionRejected as exc:
            # shown on this answer, not carried to the next page: it names what the user typed
            for p in exc.problems[:20]:
                messages.error(request, p.replace("第1行：", "") if upload is None else p)
    mine = sc.households(s).values("household_id")
    active = QualityExemption.objects.filter(
        household_id__in=mine, valid_until__gte=dt.date.today()
    ).order_by("household_id", "code")
    titles = {c.code: c.title for c in q.CHECKS}
    return render(
        request,
        "quality/exemptions.html",
        {
            "rows": [{"e": e, "title": titles.get(e.code, "")} for e in active[:1000]],
            "checks": q.CHECKS,
            "can_edit": s.can(QUALITY_ADMIN_ROLES),
        },
    )
