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
) -> None:
    """导入交换格式数据（全部写入或全部不写）/ import a workbook or CSV folder, all or nothing."""
    from functools import partial

    from zengshou.cli.status_changes import confirm_status_changes
    from zengshou.ingest import ImportRejected, load, write_error_report

    migrate()
    try:
        summary = load(
            path,
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
    _run_now()


@app.command("export")
def export_(
    out: Annotated[
        Path,
        typer.Option("--out", help="以 .xlsx 结尾写工作簿，否则写CSV文件夹 / .xlsx workbook or CSV folder"),
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv 或 xlsx（默认按 --out 的扩展名） / csv or xlsx")
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
) -> None:
    """导出交换格式数据，或空白导入模板 / export in the interchange format (masked by default), or a blank template."""
    from zengshou.ingest import export
    from zengshou.ingest.export import ExportError
    from zengshou.ingest.templates import write_template

    try:
        if template:
            written = write_template(out, fmt)
            typer.echo(f"空白模板已写出 / blank template written: {out}（{len(written)} 个文件）")
            return
        migrate()
        from zengshou.cli.checks import require_area

        require_area(area)
        summary = export(
            out, fmt, area, with_personal_data=with_personal_data, username=user, show_progress=True
        )
    except ExportError as e:
        typer.echo(f"未导出：{e}", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(summary))


@feed_app.command("import")
def feed_import(
    kind: Annotated[str, typer.Argument(help="医保、残联、民政、人社、教育、住建、应急")],
    path: Annotated[Path, typer.Argument(exists=True, help="CSV 或 .xlsx 文件 / file")],
    user: Annotated[str, typer.Option("--user", help="操作人 / who imports (audit)")] = "cli",
    error_report: Annotated[
        Path | None,
        typer.Option("--error-report", help="错误与未匹配行报告(.xlsx) / errors and every unmatched row"),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="确认写入数据所示的务工状况变更 / write the status changes shown")
    ] = False,
) -> None:
    """导入部门数据 / import a department feed (matched by 证件号码); status changes shown first."""
    from zengshou.cli.status_changes import confirm_status_changes
    from zengshou.ingest import ImportRejected, write_error_report
    from zengshou.ingest.feeds import FEED_KINDS, import_feed, preview_feed

    migrate()
    try:
        confirm_status_changes(preview_feed(kind, path).status_changes, apply=apply, report=error_report)
        summary = import_feed(kind, path, username=user, report=error_report)
    except ValueError as e:
        typer.echo(f"{e}（可选：{'、'.join(FEED_KINDS)}）", err=True)
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
