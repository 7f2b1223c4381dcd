"""Pages of the assessment: the quarter's figures for the user's area with the S01 list and report
download, and the targets with progress entry. They render inside ``web/base.html`` and use the web
app's access decorator and scope, so a user sees only his own area.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from zengshou.assess.indicators import LABELS
from zengshou.registry.areas import code_prefix
from zengshou.registry.audit import record
from zengshou.web import periods
from zengshou.web import scope as sc
from zengshou.web.access import client_ip, page
from zengshou.web.roles import ASSESS_ROLES, PROGRESS_ROLES, TARGET_ROLES

#: Shown to township and village users, whose figures are their county's (S01 assesses counties).
COUNTY_NOTE = "本县考核（乡镇/村用户显示所在县）"


def assessed_area(s: sc.Scope) -> tuple[str, str]:
    """The area whose figures the user sees, and a note when it is not his own.

    Figures exist for counties, cities and the region only (S01 assesses counties); a township or
    village user sees the county his area belongs to.
    """
    if s.area_level in ("township", "village"):
        return s.area_code[:6], COUNTY_NOTE
    return s.area_code, ""


@page(ASSESS_ROLES)
def quarter(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    from zengshou.assess.database import assess_cached
    from zengshou.assess.report import SHORT_LABELS, SUMMARY_KEYS, fmt

    area, note = assessed_area(s)
    period = periods.quarter_period(periods.area_coverage(area), request.GET)
    year, q = period.year, period.quarter
    assert year is not None and q is not None
    prefix = code_prefix(area)
    rows: list[dict[str, object]] = []
    called: list[dict[str, object]] = []
    error = ""
    try:
        if not period.filled:  # nothing to assess: no run, no reassuring empty S01 list
            raise LookupError
        a = assess_cached(year, q)
        mine = a.figures.filter(pl.col("area_code").str.starts_with(prefix)).sort(
            ["level", "area_code"], descending=[True, False]
        )
        rows = [
            {"code": r["area_code"], "name": r["area_name"], "cells": [fmt(k, r[k]) for k in SUMMARY_KEYS]}
            for r in mine.iter_rows(named=True)
        ]
        called = list(a.interviews.filter(pl.col("area_code").str.starts_with(prefix)).iter_rows(named=True))
    except LookupError:
        pass
    except ValueError as exc:
        error = str(exc)
    return render(
        request,
        "assess/quarter.html",
        {
            "period": period,
            "year": year,
            "quarter": q,
            "headers": [(SHORT_LABELS[k], LABELS[k]) for k in SUMMARY_KEYS],
            "rows": rows,
            "called": called,
            "error": error,
            "note": note,
        },
    )


@page(ASSESS_ROLES)
def report(request: HttpRequest, s: sc.Scope) -> HttpResponseBase:
    from zengshou.assess.database import assess_cached
    from zengshou.assess.report import ReportError, write_report
    from zengshou.web.downloads import file_download

    area, _ = assessed_area(s)
    period = periods.quarter_period(periods.area_coverage(area), request.GET)
    year, q = period.year, period.quarter
    assert year is not None and q is not None
    fmt_ = "pdf" if request.GET.get("format") == "pdf" else "docx"
    try:
        if not period.filled:
            raise ReportError(period.message)
        a = assess_cached(year, q)
        names = a.figures.filter(pl.col("area_code") == area)["area_name"].to_list()
        name = f"{(names[0] if names else None) or s.area_name}{year}年第{q}季度收入监测分析报告.{fmt_}"
        response = file_download(
            lambda folder: write_report(a, area, folder / f"{area}-{year}Q{q}.{fmt_}"), name, "zs-report-"
        )
    except (ValueError, ReportError) as exc:
        messages.error(request, str(exc))
        return redirect(f"{request.path.rsplit('report', 1)[0]}?year={year}&quarter={q}")
    record(
        s.username,
        "report.download",
        "area",
        area,
        {"year": year, "quarter": q, "format": fmt_, "user_area": s.area_code},
        ip=client_ip(request),
    )
    return response


@page(TARGET_ROLES)
def targets(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    from zengshou.assess.targets import (
        TargetError,
        load_targets,
        parse_progress,
        progress_frame,
        record_progress,
        status,
    )

    period = _targets_period(request, s)
    year, q = period.year, period.quarter
    assert year is not None and q is not None
    can_enter = s.can(PROGRESS_ROLES)
    if request.method == "POST" and can_enter:
        try:
            target_id, year_, quarter_, value, note = parse_progress(request.POST)
            record_progress(target_id, year_, quarter_, value, s.username, s.department or s.area_name, note)
            messages.success(request, "进度已填报")
        except TargetError as exc:
            messages.error(request, f"填报有误：{exc}")
        return redirect(f"{request.path}?year={year}&quarter={q}")
    rows = list(status(load_targets(), progress_frame(), year, q).iter_rows(named=True))
    reported = any(r["done"] is not None for r in rows)
    note = "" if reported else f"截至{period.label}尚无目标进度填报。"
    period = replace(period, filled=reported, note=note)
    return render(
        request,
        "assess/targets.html",
        {"year": year, "quarter": q, "rows": rows, "can_enter": can_enter, "period": period},
    )


def _targets_period(request: HttpRequest, s: sc.Scope) -> periods.Period:
    """The quarter the targets open on: the latest with a progress report (departments report the
    calendar's quarters), else the latest quarter with income data for the user's area."""
    from zengshou.assess.models import TargetProgress

    reported = {(y, q): True for y, q in TargetProgress.objects.values_list("year", "quarter").distinct()}
    cov = periods.area_coverage(assessed_area(s)[0])
    filled = reported or {p: cov.quarter_filled(*p) for p in cov.quarterly}
    return periods.quarter_period(cov, request.GET, filled=filled, what="目标进度填报")
