"""导入导出: upload a workbook or a department feed, validate it, show the errors row by row, write
only after the user confirms a clean file; exports within the user's scope, audited."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from zengshou.registry.audit import record
from zengshou.registry.models import FeedBatch
from zengshou.web import roles
from zengshou.web import scope as sc
from zengshou.web.access import client_ip, page
from zengshou.web.forms import ExportForm, UploadForm
from zengshou.web.models import ImportJob
from zengshou.web.roles import Role

log = logging.getLogger(__name__)
MAX_STORED_ERRORS = 5000
ERROR_PAGE = 100


def _upload_dir() -> Path:
    d = Path(settings.MEDIA_ROOT) / "uploads" / f"{dt.date.today():%Y%m}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _unzip(path: Path) -> Path:
    """A zip of CSV files → a folder of them (the reader takes a folder); names stay inside it."""
    import zipfile

    folder = path.with_suffix("")
    folder.mkdir(exist_ok=True)
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            name = Path(info.filename).name
            if info.is_dir() or not name.lower().endswith(".csv"):
                continue
            (folder / name).write_bytes(z.read(info))
    return folder


def _error_rows(errors: Any) -> list[dict[str, Any]]:
    rows = []
    for e in list(errors)[:MAX_STORED_ERRORS]:
        get = e.get if isinstance(e, dict) else (lambda k, e=e: getattr(e, k, ""))
        rows.append(
            {
                k: (str(get(k)) if get(k) is not None else "")
                for k in ("table", "row", "column", "value", "message_zh", "message_en")
            }
        )
    return rows


#: The columns of the counts table on the confirm screen and in the import result.
COUNT_COLUMNS = (("read", "文件中"), ("inserted", "新增"), ("updated", "修改"), ("unchanged", "未变"))


def _count_rows(counts: dict[str, Any]) -> list[dict[str, Any]]:
    """Per table (in the format's order): rows in the file, new, changed, unchanged."""
    from zengshou import interchange as ix

    names = {t.key: t.name for t in ix.TABLES}
    order = [t.key for t in ix.TABLES]
    rows = []
    for key in sorted(counts, key=lambda k: order.index(k) if k in order else len(order)):
        c = counts[key]
        get = c.get if isinstance(c, dict) else (lambda k, c=c: getattr(c, k, 0))
        rows.append({"table": names.get(key, key), **{k: int(get(k) or 0) for k, _ in COUNT_COLUMNS}})
    return rows


def _changes_message(rows: list[dict[str, Any]]) -> str:
    new = sum(r["inserted"] for r in rows)
    changed = sum(r["updated"] for r in rows)
    same = sum(r["unchanged"] for r in rows)
    if not new and not changed:
        return f"校验通过。文件中的{same}条记录与系统中的一致，确认后不会改动任何记录。"
    return f"校验通过。确认后将新增{new}条、修改{changed}条记录，{same}条与系统中一致不会改动。"


def _summary_dict(summary: Any) -> dict[str, Any]:
    """What an import did, for the result screen: a counts table and labelled figures."""
    if summary is None:
        return {}
    from zengshou.ingest.load import ImportSummary

    if isinstance(summary, ImportSummary):
        out: dict[str, Any] = {"tables": _count_rows(summary.counts)}
        for label, value in (
            ("新建乡镇/村", summary.areas_created),
            ("新建结对", summary.pairings_opened),
            ("结束结对", summary.pairings_closed),
            ("纳入监测对象", getattr(summary, "monitoring_included", 0)),
            ("调整监测对象类别", getattr(summary, "monitoring_recategorised", 0)),
        ):
            if value:
                out[label] = value
        if summary.layout_note:  # its first line; the columns are the 列映射 table of the check
            out["列映射"] = summary.layout_note.split("\n", 1)[0].removeprefix("全国人员表：")
        for feed in getattr(summary, "feeds", []) or []:
            out[f"部门数据：{feed.kind}"] = _feed_text(feed)
        out["提示（不影响导入）"] = f"{len(summary.warnings)}条"
        out["用时"] = f"{summary.seconds:.1f}秒"
        return out
    if hasattr(summary, "matched") and hasattr(summary, "kind"):
        return {"部门数据": f"{summary.kind}：{_feed_text(summary)}"}
    if isinstance(summary, dict):
        return {str(k): v if isinstance(v, int | float | str) else str(v) for k, v in summary.items()}
    return {"结果": str(summary)}


def _feed_text(feed: Any) -> str:
    """One department feed's result in words: rows, matched, unmatched, facts updated."""
    if getattr(feed, "duplicate", False):
        return "该文件已导入过，未重复写入"
    from zengshou.web.audit_texts import detail_lines

    parts = [f"{feed.rows}行，匹配{feed.matched}行，未匹配{feed.unmatched}行"]
    facts = detail_lines({"facts": feed.facts}) if feed.facts else []
    return "；".join(parts + [line.removeprefix("更新的信息：") for line in facts])


def _household_source(job: ImportJob) -> tuple[Any, Any]:
    """What a household upload is read as, with the national read (None for an interchange file): a
    national person list with the job's mapping, or with the national one when the workbook looks
    like a national list."""
    from zengshou.ingest import national

    path = Path(job.path)
    workbook = path.suffix.lower() in (".xlsx", ".xlsm")
    if not job.profile and not (workbook and national.looks_national(path)):
        return path, None
    try:
        return national.read(path, job.profile or "national")
    except national.UnknownProfile as e:
        from zengshou.frames import Population
        from zengshou.ingest import Problem, ReadResult

        problem = Problem("列映射", None, "列映射", job.profile, str(e), "unknown mapping profile")
        return ReadResult(population=Population(), errors=[problem], source=path), None


def _mapping_summary(nat: Any) -> dict[str, Any]:
    """Which mapping read the list, where its header was, each column's field and the columns left out."""
    how = "映射指定" if nat.profile.header_rows else "自动识别"
    ignored = nat.header.ignored
    return {
        "使用的映射": f"{nat.profile.name}（{nat.profile.file}）",
        "表头": f"第 {'、'.join(str(r + 1) for r in nat.header.rows)} 行（{how}）",
        "mapping": [[column, field] for column, field in nat.mapping()],
        "未导入的列": f"{len(ignored)} 列：{'、'.join(ignored)}" if ignored else "无",
    }


def validate(job: ImportJob) -> None:
    """Stage 1: read and check the file; nothing is written to the registry."""
    try:
        if job.kind == "interchange":
            from zengshou import ingest

            source, nat = _household_source(job)
            # registry ∪ file: rows for stored households are as valid here as in the import itself
            result = ingest.validate(source)
            errors = list(result.errors)
            job.errors = _error_rows(errors)
            job.error_count = len(errors)
            job.warnings = _error_rows(getattr(result, "warnings", []) or [])[:500]
            job.summary = {}
            if nat is not None:
                job.summary["列映射"] = _mapping_summary(nat)
            if not errors:
                from zengshou.ingest.load import preview as table_changes

                rows = _count_rows(table_changes(result))
                job.summary["将导入"] = {"tables": rows}
                from zengshou.ingest import feeds

                figures, changes = feeds.import_preview(result)
                if figures:
                    job.summary["部门数据"] = figures
                job.warnings = _error_rows([*(c.problem() for c in changes), *(result.warnings or [])])[:500]
        else:
            from zengshou.ingest import feeds

            preview = feeds.preview_feed(job.kind, Path(job.path))
            feed = preview.read
            job.errors = _error_rows(feed.errors)
            job.error_count = len(feed.errors)
            shown = [*(c.problem(feed.kind) for c in preview.changes), *preview.warnings, *feed.warnings]
            job.warnings = _error_rows(shown)[:500]
            job.summary = {"将导入": feeds.preview_figures(preview)}
        job.status = ImportJob.Status.INVALID if job.error_count else ImportJob.Status.READY
        tables = (job.summary.get("将导入") or {}).get("tables") if isinstance(job.summary, dict) else None
        job.message = (
            f"发现{job.error_count}处错误，数据未写入。请按下表逐行改正后重新上传。"
            if job.error_count
            else _changes_message(tables)
            if tables
            else "校验通过。请核对将导入的数量，确认后写入。"
        )
    except Exception as e:  # a file the reader cannot open at all: say what and keep nothing
        log.exception("validation failed")
        job.status = ImportJob.Status.INVALID
        job.message = f"无法读取该文件：{e}。请确认文件是系统模板导出的 .xlsx 或 .csv。"
    job.save()


def load(job: ImportJob) -> None:
    """Stage 2 (after confirmation): write all-or-nothing through the import module."""
    summary: Any
    try:
        if job.kind == "interchange":
            from zengshou import ingest

            source, nat = _household_source(job)
            if nat is not None and _mapping_summary(nat) != (job.summary or {}).get("列映射"):
                job.status = ImportJob.Status.INVALID
                job.message = (
                    "列映射在校验之后被修改过，数据未写入：请重新上传文件，按现在的映射校验后再确认。"
                )
                job.save()
                return
            summary = ingest.load(source, username=job.created_by)
            if nat is not None:
                summary.layout_note = nat.note()
        else:
            from zengshou.ingest import feeds

            summary = feeds.import_feed(job.kind, Path(job.path), username=job.created_by)
        job.summary = {**job.summary, "导入结果": _summary_dict(summary)}
        job.status = ImportJob.Status.DONE
        job.message = "导入完成。分层、预警和帮扶计划要运行批处理后才用上新数据。"
        record(
            job.created_by,
            "import.load",
            "import",
            str(job.pk),
            {"kind": job.kind, "file": job.original_name},
        )
    except Exception as e:
        errors = getattr(e, "errors", None)
        if errors:
            job.errors = _error_rows(errors)
            job.error_count = len(list(errors))
            job.status = ImportJob.Status.INVALID
            # checked again against the registry as it is at the write (another import may have
            # stored the same people since the file was checked); a row-less problem is the wait
            # for another import running out, or a key another writer took meanwhile
            rows = [p for p in errors if getattr(p, "row", None)]
            job.message = (
                f"导入被拒绝：写入前按系统当前数据重新核对，发现{job.error_count}处错误，数据未写入。"
                "请按下表改正后重新上传。"
                if rows
                else f"导入未完成，数据未写入：{errors[0].message_zh}"
            )
        else:
            log.exception("load failed")
            job.status = ImportJob.Status.FAILED
            job.message = "导入失败，数据未写入。请重新上传；仍失败请联系系统管理员（错误已记入系统日志）。"
    job.save()


def _run(job_id: int, stage: str) -> None:
    def work() -> None:
        close_old_connections()
        try:
            job = ImportJob.objects.get(pk=job_id)
            (validate if stage == "validate" else load)(job)
        finally:
            close_old_connections()

    if settings.WEB_IMPORT_INLINE:
        job = ImportJob.objects.get(pk=job_id)
        (validate if stage == "validate" else load)(job)
    else:
        threading.Thread(target=work, name=f"import-{job_id}-{stage}", daemon=True).start()


@page(roles.IMPORT_ROLES | roles.FEED_ROLES | roles.EXPORT_ROLES)
def imports(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    _limit_kinds(s, form)
    _limit_profiles(s, form)
    if request.method == "POST":
        if not s.can(roles.IMPORT_ROLES | roles.FEED_ROLES):
            sc.require(s, roles.IMPORT_ROLES | roles.FEED_ROLES)
        if form.is_valid():
            f = form.cleaned_data["file"]
            kind = form.cleaned_data["kind"]
            sc.require(s, roles.IMPORT_ROLES if kind == "interchange" else roles.FEED_ROLES)
            safe = "".join(c for c in Path(f.name).name if c.isalnum() or c in "._-（）()")[-100:] or "upload"
            path = _upload_dir() / f"{uuid.uuid4().hex[:12]}-{safe}"
            with path.open("wb") as out:
                for chunk in f.chunks():
                    out.write(chunk)
            job = ImportJob.objects.create(
                kind=kind,
                profile=form.cleaned_data.get("profile") or "" if kind == "interchange" else "",
                original_name=f.name,
                path=str(path),
                created_by=s.username,
            )
            record(
                s.username,
                "import.upload",
                "import",
                str(job.pk),
                {"kind": kind, "file": f.name, "bytes": f.size, "profile": job.profile},
                ip=client_ip(request),
            )
            _run(job.pk, "validate")
            return redirect("web:import_job", job_id=job.pk)
    jobs = sc.import_jobs(s)[:20]
    batches = FeedBatch.objects.all().order_by("-imported_at")
    if s.role == Role.DEPARTMENT:
        batches = batches.filter(imported_by=s.username)
    elif s.role != Role.REGION_ADMIN:
        batches = batches.filter(imported_by=s.username)
    export_form = ExportForm(initial={"area": s.area_code, "fmt": "xlsx"})
    return render(
        request,
        "web/imports.html",
        {
            "form": form,
            "jobs": jobs,
            "batches": batches[:20],
            "export_form": export_form,
            "can_upload": s.can(roles.IMPORT_ROLES | roles.FEED_ROLES),
            "can_export": s.can(roles.EXPORT_ROLES),
            "can_personal": s.can(roles.PERSONAL_EXPORT_ROLES),
            "can_map": s.can(roles.MAPPING_ROLES),
        },
    )


def _limit_kinds(s: sc.Scope, form: UploadForm) -> None:
    """A department uploads its own feed only; others see every kind they may upload."""
    field = form.fields["kind"]
    choices = list(field.choices)  # type: ignore[attr-defined]
    if s.role == Role.DEPARTMENT:
        choices = [c for c in choices if c[0] == s.department] or [
            c for c in choices if c[0] != "interchange"
        ]
    elif not s.can(roles.IMPORT_ROLES):
        choices = [c for c in choices if c[0] != "interchange"]
    field.choices = choices  # type: ignore[attr-defined]


def _limit_profiles(s: sc.Scope, form: UploadForm) -> None:
    """The mappings a household workbook may be read with: detection, the shipped ones, the saved
    ones of the user's counties and of the whole region."""
    from zengshou.ingest import national

    shipped = [(n, f"{national.profile(n).name}（内置）") for n in national.shipped_profiles()]
    saved = [(p.name, f"{p.name}（{p.county.name if p.county else '全区'}）") for p in sc.mapping_profiles(s)]
    form.fields["profile"].choices = [("", "自动识别"), *shipped, *saved]  # type: ignore[attr-defined]


@page(roles.IMPORT_ROLES | roles.FEED_ROLES)
def import_job(request: HttpRequest, s: sc.Scope, job_id: int) -> HttpResponse:
    job = sc.import_job_or_404(s, job_id)
    pg = Paginator(job.errors, ERROR_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/import_job.html", {"job": job, "page": pg, "stored": len(job.errors)})


@page(roles.IMPORT_ROLES | roles.FEED_ROLES)
def import_job_status(request: HttpRequest, s: sc.Scope, job_id: int) -> HttpResponse:
    job = sc.import_job_or_404(s, job_id)
    return JsonResponse(
        {
            "status": job.status,
            "label": job.get_status_display(),
            "message": job.message,
            "error_count": job.error_count,
        }
    )


@require_POST
@page(roles.IMPORT_ROLES | roles.FEED_ROLES)
def import_job_confirm(request: HttpRequest, s: sc.Scope, job_id: int) -> HttpResponse:
    job = sc.import_job_or_404(s, job_id)
    # One conditional update: a second click (or a second tab) finds the job no longer READY.
    started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY).update(
        status=ImportJob.Status.LOADING, message="正在写入，请稍候…", updated_at=timezone.now()
    )
    if started:
        _run(job.pk, "load")
    return redirect("web:import_job", job_id=job.pk)


@require_POST
@page(roles.EXPORT_ROLES)
def export(request: HttpRequest, s: sc.Scope) -> HttpResponseBase:
    form = ExportForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "web/error.html",
            {"title": "导出失败", "message": "请填写区划代码并选择格式。", "code": 400},
            status=400,
        )
    d = form.cleaned_data
    area = sc.area_or_404(s, d["area"].strip())
    personal = bool(d.get("with_personal_data"))
    if personal:
        sc.require(s, roles.PERSONAL_EXPORT_ROLES)
    from zengshou import ingest
    from zengshou.ingest.export import ExportError
    from zengshou.web.downloads import file_download

    suffix = "xlsx" if d["fmt"] == "xlsx" else "zip"
    name = f"{area.name}-{area.code}-{dt.date.today():%Y%m%d}{'-含个人信息' if personal else ''}.{suffix}"

    def build(out_dir: Path) -> Path:
        if d["fmt"] == "xlsx":
            return ingest.export(
                out_dir / name, "xlsx", area.code, with_personal_data=personal, username=s.username
            ).out
        import shutil

        folder = out_dir / "csv"
        ingest.export(folder, "csv", area.code, with_personal_data=personal, username=s.username)
        return Path(shutil.make_archive(str(out_dir / "export"), "zip", folder))

    try:
        response = file_download(build, name, prefix="zs-export-")
    except ExportError as exc:
        return render(
            request, "web/error.html", {"title": "导出失败", "message": str(exc), "code": 400}, status=400
        )
    # The import module audits the export itself; this adds where the file went (the address).
    record(
        s.username,
        "export.download",
        "area",
        area.code,
        {"format": d["fmt"], "file": name, "with_personal_data": personal},
        ip=client_ip(request),
    )
    return response


@page(roles.IMPORT_ROLES | roles.FEED_ROLES | roles.EXPORT_ROLES)
def import_template(request: HttpRequest, s: sc.Scope) -> HttpResponseBase:
    """The blank import template (no data, so no scope or audit): ``.xlsx``, or CSV files in a ``.zip``."""
    import shutil

    from zengshou.ingest import templates
    from zengshou.web.downloads import file_download

    if request.GET.get("fmt") == "csv":

        def csv_zip(out_dir: Path) -> Path:
            templates.write_csv_folder(out_dir / "csv")
            return Path(shutil.make_archive(str(out_dir / "template"), "zip", out_dir / "csv"))

        return file_download(csv_zip, "农户数据导入模板-CSV.zip", prefix="zs-template-")
    return file_download(
        lambda out_dir: templates.write_workbook(out_dir / "template.xlsx"),
        "农户数据导入模板.xlsx",
        "zs-template-",
    )
