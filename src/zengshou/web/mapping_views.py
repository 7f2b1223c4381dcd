"""列映射: a county whose person list differs from the national one maps it once and reuses it.

Upload a workbook, look at its first rows and pick the header row (one or two), say for each
column which registry field it holds (the national names are offered first, each column shown with
its first values), and save that under a name. The import page then offers the name, and
``zengshou import --profile`` takes it (:mod:`zengshou.ingest.mapping`).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from zengshou.ingest import mapping as mp
from zengshou.ingest import national
from zengshou.web import roles
from zengshou.web import scope as sc
from zengshou.web.access import client_ip, page

SESSION_KEY = "mapping_uploads"
#: Uploads a user's session remembers; older ones are deleted.
KEEP_UPLOADS = 5
#: Characters of a cell shown in the grid of first rows.
CELL_CHARS = 16


class MappingUploadForm(forms.Form):
    file = forms.FileField(
        label="人员表（.xlsx，有表头和几行数据即可）", error_messages={"required": "请选择要上传的工作簿。"}
    )

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".xlsx", ".xlsm")):
            raise ValidationError(
                "列映射只用于 .xlsx 工作簿（全国防返贫监测系统导出的人员表或县里的同类表）。"
            )
        return f


def _uploads(request: HttpRequest) -> dict[str, dict[str, str]]:
    return dict(request.session.get(SESSION_KEY) or {})


def _store(request: HttpRequest, f: Any) -> str:
    """Keep the uploaded workbook for the mapping steps; the session knows it by a random token."""
    from zengshou.web.io_views import _upload_dir

    token = uuid.uuid4().hex
    path = _upload_dir() / f"map-{token}.xlsx"
    with path.open("wb") as out:
        for chunk in f.chunks():
            out.write(chunk)
    kept = _uploads(request)
    kept[token] = {"path": str(path), "name": Path(f.name).name[:100]}
    for old in list(kept)[:-KEEP_UPLOADS]:
        _forget(kept, old)
    request.session[SESSION_KEY] = kept
    return token


def _forget(kept: dict[str, dict[str, str]], token: str) -> None:
    entry = kept.pop(token, None)
    if entry:
        Path(entry["path"]).unlink(missing_ok=True)


def _start_choices(s: sc.Scope) -> list[tuple[str, str]]:
    """The profiles a mapping may start from: the shipped ones and the saved ones the user may use."""
    shipped = [(n, f"{national.profile(n).name}（内置）") for n in national.shipped_profiles()]
    saved = [(p.name, f"{p.name}（{_owner(p)}）") for p in sc.mapping_profiles(s)]
    return shipped + saved


def _owner(row: Any) -> str:
    return row.county.name if row.county_id else "全区"


def _county_choices(s: sc.Scope) -> list[tuple[str, str]]:
    counties = [(a.code, a.name) for a in sc.mapping_counties(s)]
    return ([("", "全区（各县区都可用）")] if s.role == roles.Role.REGION_ADMIN else []) + counties


def _rows_param(value: str, limit: int) -> tuple[int, ...] | None:
    """``4`` or ``4-5`` (rows counted from 1) → 0-based rows, None when it is no such row."""
    parts = value.split("-")
    if not all(p.isdecimal() for p in parts) or len(parts) not in (1, 2):
        return None
    rows = tuple(int(p) - 1 for p in parts)
    if rows[0] < 0 or rows[-1] >= limit or (len(rows) == 2 and rows[1] != rows[0] + 1):
        return None
    return rows


def _rows_text(rows: tuple[int, ...]) -> str:
    return "-".join(str(r + 1) for r in rows)


@page(roles.MAPPING_ROLES)
def mapping(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    token = (request.POST.get("f") or request.GET.get("f") or "").strip()
    if token:
        return _map(request, s, token)
    form = MappingUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = _store(request, form.cleaned_data["file"])
        return redirect(f"{request.path}?f={token}")
    return _upload_page(request, s, form)


def _upload_page(request: HttpRequest, s: sc.Scope, form: MappingUploadForm, error: str = "") -> HttpResponse:
    labels = national.field_labels(national.profile())
    saved = []
    for p in sc.mapping_profiles(s):
        prof = national.parse_profile(p.content, p.name, p.name)
        saved.append(
            {
                "row": p,
                "owner": _owner(p),
                "header": "、".join(str(r + 1) for r in prof.header_rows) or "自动识别",
                "columns": [(names[0], labels.get(t, t)) for t, names in prof.columns.items() if names],
                "may_change": sc.may_change_mapping(s, p),
            }
        )
    return render(request, "web/mapping.html", {"form": form, "saved": saved, "error": error})


def _map(request: HttpRequest, s: sc.Scope, token: str) -> HttpResponse:
    entry = _uploads(request).get(token)
    if entry is None or not Path(entry["path"]).is_file():
        return _upload_page(request, s, MappingUploadForm(), "该文件已失效或不是您上传的，请重新上传。")
    try:
        sheet = mp.read_sheet(Path(entry["path"]))
    except ValueError as e:
        return _upload_page(request, s, MappingUploadForm(), str(e))
    data = request.POST if request.method == "POST" else request.GET
    starts = _start_choices(s)
    start = data.get("start") or "national"
    if start not in dict(starts):
        start = "national"
    start_prof = national.profile(start)
    grid = sheet.grid
    rows = _rows_param(data.get("rows", ""), len(grid)) or mp.header_rows(sheet, start_prof)
    cols = mp.columns(sheet, rows, start_prof)
    fields = national.field_labels(national.profile()) | national.field_labels(start_prof)
    saved_start = start not in national.shipped_profiles()
    counties = _county_choices(s)
    start_row = sc.mapping_profiles(s).filter(name=start).first() if saved_start else None
    name = str(data.get("name", start if saved_start else "")).strip()
    county = str(data.get("county", _default_county(s, start_row)))
    replace = bool(data.get("replace"))
    chosen = {c.index: c.target for c in cols}
    errors: list[str] = []
    if request.method == "POST":
        chosen = {c.index: (request.POST.get(f"col_{c.index}") or None) for c in cols}
        errors = mp.check(name, chosen, cols, fields)
        errors += _county_errors(county, counties)
        if not errors:
            errors += _name_errors(s, name, replace)
        if not errors:
            content = mp.content(name, rows, chosen, cols, start_prof)
            _, created = mp.save(name, county or None, content, start, s.username, ip=client_ip(request))
            kept = _uploads(request)
            _forget(kept, token)
            request.session[SESSION_KEY] = kept
            messages.success(
                request,
                f"已{'保存' if created else '修改'}列映射“{name}”（映射 "
                f"{len(content['columns'])} 列）。导入时在导入页的“列映射”中选择它。",
            )
            return redirect("web:mapping")
    header_rows = set(rows)
    return render(
        request,
        "web/mapping.html",
        {
            "token": token,
            "file_name": entry["name"],
            "sheet_name": sheet.name,
            "grid": [
                {"number": i + 1, "header": i in header_rows, "cells": [c[:CELL_CHARS] for c in row]}
                for i, row in enumerate(sheet.rows[: mp.PREVIEW_ROWS])
            ],
            "letters": [mp.column_letter(i) for i in range(sheet.width)],
            "row_choices": _row_choices(len(grid)),
            "rows": _rows_text(rows),
            "rows_shown": "、".join(str(r + 1) for r in rows),
            "starts": starts,
            "start": start,
            "start_label": dict(starts)[start],
            "columns": [{"col": c, "selected": chosen.get(c.index) or ""} for c in cols],
            "fields": list(fields.items()),
            "counties": counties,
            "values": {"name": name, "county": county, "replace": replace},
            "errors": errors,
            "required": [fields[t] for t in national.REQUIRED_FIELDS],
        },
        status=400 if errors else 200,
    )


def _default_county(s: sc.Scope, start_row: Any) -> str:
    """The county of the mapping started from, else the user's own county (the region: 全区)."""
    if start_row is not None:
        return str(start_row.county_id or "")
    return s.area_code if s.area_level == "county" else ""


def _row_choices(n: int) -> list[tuple[str, str]]:
    out = [(str(i + 1), f"第 {i + 1} 行") for i in range(n)]
    out += [(f"{i + 1}-{i + 2}", f"第 {i + 1}、{i + 2} 行（两行表头）") for i in range(n - 1)]
    return out


def _county_errors(county: str, choices: list[tuple[str, str]]) -> list[str]:
    if county in dict(choices):
        return []
    if not county:
        return ["请选择映射所属的县区（全区通用的映射只能由自治区管理员保存）"]
    return ["所选县区不在您的管辖范围内，请重新选择"]


def _name_errors(s: sc.Scope, name: str, replace: bool) -> list[str]:
    from zengshou.layouts.models import MappingProfile

    row = MappingProfile.objects.select_related("county").filter(name=name).first()
    if row is None:
        return []
    if not sc.may_change_mapping(s, row):
        return [f"名称“{name}”已被其他县区或全区的列映射使用，请换一个名称"]
    if not replace:
        return [
            f"已有名为“{name}”的列映射（{mp.where(row)}）：要修改它，请勾选“修改同名映射”；要另存，请换一个名称"
        ]
    return []
