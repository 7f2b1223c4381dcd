"""Status changes a department feed implies (务工状况 from 人社) are shown before they are written."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from zengshou.ingest.feeds import StatusChange

PRINTED = 20


def confirm_status_changes(
    changes: Sequence[StatusChange], *, apply: bool, report: Path | None, kind: str = "人社"
) -> None:
    """Print the changes; go on with ``--apply`` or a yes at the terminal, else stop with exit 3.

    With ``report`` the whole list goes to that workbook (sheet 警告) whether or not it is written.
    """
    if not changes:
        return
    typer.echo(f"将更新 {len(changes):,} 人的务工状况（人社数据显示就业已终止或登记失业）：", err=True)
    for c in changes[:PRINTED]:
        typer.echo(f"  {c}", err=True)
    if len(changes) > PRINTED:
        typer.echo(f"  …… 另有 {len(changes) - PRINTED:,} 人", err=True)
    if report is not None:
        from zengshou.ingest import write_error_report

        write_error_report(report, [], [c.problem(kind) for c in changes])
        typer.echo(f"全部变更见报告 / all changes listed in: {report}", err=True)
    if apply:
        return
    if sys.stdin.isatty() and typer.confirm("确认写入以上变更？", default=False):
        return
    typer.echo(
        "未写入任何数据：请核对以上务工状况变更，确认无误后加 --apply 重新运行 / nothing written: "
        "check the changes and run again with --apply",
        err=True,
    )
    raise typer.Exit(3)
