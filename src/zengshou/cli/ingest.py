"""``zengshou import``, ``zengshou export`` and ``zengshou feed import``: the interchange format in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zengshou.cli import app
from zengshou.cli.core import migrate

feed_app = typer.Typer(help="部门数据 / department feeds", no_args_is_help=True)
app.add_typer(feed_app, name="feed")

MAX_PRINTED = 200


def _print_problems(errors: list, warnings: list) -> None:
    for w in warnings[:MAX_PRINTED]:
        typer.echo(f"警告 / warning: {w}", err=True)
    if len(warnings) > MAX_PRINTED:
        typer.echo(f"…… 另有 {len(warnings) - MAX_PRINTED} 条警告 / more warnings", err=True)
    if errors:
        typer.echo(
            f"发现 {len(errors)} 处错误，未写入任何数据 / {len(errors)} errors, nothing written:", err=True
        )
    for e in errors[:MAX_PRINTED]:
        typer.echo(f"  {e}", err=True)
    if len(errors) > MAX_PRINTED:
        typer.echo(f"  …… 另有 {len(errors) - MAX_PRINTED} 处错误，见错误报告 (--error-report)", err=True)


def _run_now() -> None:
    """An import ends by naming the command that puts the new data into tiers, alerts and plans."""
    from zengshou.batch.run import run_now_command

    typer.echo(run_now_command())


@app.command("import")
def import_(
    path: Annotated[
        Path, typer.Argument(exists=True, help="工作簿(.xlsx)或CSV文件夹 / workbook or CSV folder")
    ],
    error_report: Annotated[
        Path | None, typer.Option("--error-report", help="错误报告(.xlsx) / write errors to this workbook")
    ] = None,
    user: Annotated[str, typer.Option("--user", help="操作人 / who imports (audit)")] = "cli",
    show_progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="进度条 / progress bar")
    ] = True,
    apply: Annotated[
        bool,
        typer.Option("--apply", help="确认写入人社数据所示的务工状况变更 / write the status changes shown"),
    ] = False,
    layout: Annotated[
        str,
        typer.Option(
            "--layout",
            help="auto（按表头识别）、interchange（交换格式）或 national（全国监测系统人员表）/ file layout",
        ),
    ] = "auto",
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="全国人员表的列映射：data/layouts 下的名称或网页“列映射”保存的名称（给出即按全国人员表读）"
            "/ mapping profile",
        ),
    ] = None,
) -> None:
    """导入交换格式数据或全国监测系统人员表（全部写入或全部不写）/ import, all or nothing."""
    from functools import partial

    from zengshou.cli.status_changes import confirm_status_changes
    from zengshou.ingest import ImportRejected, load, national, write_error_report

    if layout not in ("auto", "interchange", "national"):
        typer.echo(f"--layout 应为 auto、interchange 或 national，实际为“{layout}”", err=True)
        raise typer.Exit(2)
    migrate()
    source: Path | national.ReadResult = path
    nat = None
    workbook = path.suffix.lower() in (".xlsx", ".xlsm")
    if layout == "interchange" and profile:
        typer.echo("--profile 只用于全国人员表，不能与 --layout interchange 一起使用", err=True)
        raise typer.Exit(2)
    if (
        layout == "national"
        or (layout == "auto" and profile)
        or (layout == "auto" and workbook and national.looks_national(path))
    ):
        try:
            source, nat = national.read(path, profile or "national")
        except national.UnknownProfile as e:
            typer.echo(str(e), err=True)
            raise typer.Exit(2) from None
        if nat is not None:
            typer.echo(nat.note(), err=True)
    try:
        summary = load(
            source,
            username=user,
            show_progress=show_progress,
            confirm_changes=partial(confirm_status_changes, apply=apply, report=error_report),
        )
    except ImportRejected as e:
        _print_problems(e.errors, e.warnings)
        if error_report is not None:
            write_error_report(error_report, e.errors, e.warnings)
            typer.echo(f"错误报告 / error report: {error_report}", err=True)
        raise typer.Exit(2) from None
    _print_problems([], summary.warnings)
    typer.echo(str(summary))
    if nat is not None:
        typer.echo(nat.note())
    _run_now()


@app.command("export")
def export_(
    out: Annotated[
        Path,
        typer.Option("--out", help="以 .xlsx 结尾写工作簿，否则写CSV文件夹 / .xlsx workbook or CSV folder"),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv、xlsx（默认按 --out 的扩展名）或 parquet（供 zengshou spark run）/ csv, xlsx or parquet",
        ),
    ] = None,
    area: Annotated[str | None, typer.Option("--area", help="行政区划代码 / area code")] = None,
    with_personal_data: Annotated[
        bool,
        typer.Option("--with-personal-data", help="含姓名、证件号码、电话（记入审计）/ unmasked, audited"),
    ] = False,
    template: Annotated[
        bool, typer.Option("--template", help="写出空白导入模板（不含数据） / blank import template")
    ] = False,
    user: Annotated[str, typer.Option("--user", help="操作人 / who exports (audit)")] = "cli",
    layout: Annotated[
        str,
        typer.Option(
            "--layout", help="interchange（交换格式）或 national（全国监测系统人员表，.xlsx）/ file layout"
        ),
    ] = "interchange",
    year: Annotated[
        int | None, typer.Option("--year", help="national：收入年度（默认最近的全年数据）/ income year")
    ] = None,
) -> None:
    """导出交换格式数据、全国人员表，或空白导入模板 / export (masked by default), or a blank template."""
    from zengshou.ingest import export
    from zengshou.ingest.export import ExportError, export_national
    from zengshou.ingest.templates import write_template

    try:
        if template:
            written = write_template(out, fmt)
            typer.echo(f"空白模板已写出 / blank template written: {out}（{len(written)} 个文件）")
            return
        migrate()
        from zengshou.cli.checks import require_area

        require_area(area)
        if fmt == "parquet":
            _export_parquet(out, area, with_personal_data, user)
            return
        if layout == "national":
            if fmt not in (None, "xlsx"):
                raise ExportError("全国人员表只能导出为 .xlsx 工作簿")
            summary = export_national(out, area, year, with_personal_data=with_personal_data, username=user)
        elif layout == "interchange":
            summary = export(
                out, fmt, area, with_personal_data=with_personal_data, username=user, show_progress=True
            )
        else:
            raise ExportError(f"--layout 应为 interchange 或 national，实际为“{layout}”")
    except ExportError as e:
        typer.echo(f"未导出：{e}", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(summary))


def _export_parquet(out: Path, area: str | None, with_personal_data: bool, user: str) -> None:
    """The registry as Parquet folders for ``zengshou spark run``: unmasked, so it asks for the flag."""
    from zengshou.ingest.export import ExportError
    from zengshou.spark.parquet import export_parquet

    if not with_personal_data:
        raise ExportError(
            "Parquet 导出供批处理计算，须含证件号码（年龄、部门数据、个人措施都按它计算）："
            "请加 --with-personal-data（记入审计）"
        )
    if out.exists() and not out.is_dir():
        raise ExportError(f"“{out}”是一个已有的文件，不是文件夹：Parquet 导出写入文件夹")
    counts, seconds = export_parquet(out, area, user)
    rows = "，".join(f"{k} {n:,}" for k, n in counts.items())
    typer.echo(
        f"导出 / exported {out}（parquet，含个人信息 / with personal data）：{rows}（{seconds:.1f} 秒）"
    )


@feed_app.command("import")
def feed_import(
    kind: Annotated[
        str,
        typer.Argument(
            help="医保、残联、民政、人社、教育、住建、应急；全国系统名单：已外出务工、计划外出务工"
        ),
    ],
    path: Annotated[Path, typer.Argument(exists=True, help="CSV 或 .xlsx 文件 / file")],
    user: Annotated[str, typer.Option("--user", help="操作人 / who imports (audit)")] = "cli",
    error_report: Annotated[
        Path | None,
        typer.Option("--error-report", help="错误与未匹配行报告(.xlsx) / errors and every unmatched row"),
    ] = None,
    apply: Annotated[
        bool,
        typer.Option("--apply", help="确认写入数据所示的务工状况、务工信息变更 / write the changes shown"),
    ] = False,
) -> None:
    """导入部门数据 / import a department feed (matched by 证件号码); status changes shown first."""
    from zengshou.cli.status_changes import confirm_status_changes
    from zengshou.ingest import ImportRejected, write_error_report
    from zengshou.ingest.feeds import ALL_KINDS, import_feed, preview_feed

    migrate()
    try:
        confirm_status_changes(preview_feed(kind, path).changes, apply=apply, report=error_report, kind=kind)
        summary = import_feed(kind, path, username=user, report=error_report)
    except ValueError as e:
        typer.echo(f"{e}（可选：{'、'.join(ALL_KINDS)}）", err=True)
        raise typer.Exit(2) from None
    except ImportRejected as e:
        _print_problems(e.errors, e.warnings)
        if error_report is not None:
            write_error_report(error_report, e.errors, e.warnings)
        raise typer.Exit(2) from None
    typer.echo(str(summary))
    if summary.report is not None:
        typer.echo(f"未匹配行报告 / unmatched rows: {summary.report}", err=True)
    if not summary.duplicate:
        _run_now()
