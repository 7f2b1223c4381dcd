"""Registry changes a feed implies (务工状况 from 人社, job facts from a 已外出务工 list) are shown before
they are written."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from zengshou.ingest.feeds import FactChange, StatusChange

PRINTED = 20


def headline(changes: Sequence[StatusChange | FactChange]) -> str:
    """What the changes are, in one line: how many people's 务工状况, how many job facts."""
    status = sum(isinstance(c, StatusChange) for c in changes)
    facts = [c for c in changes if isinstance(c, FactChange)]
    parts = [f"{status:,} 人的务工状况（人社数据显示就业已终止或登记失业）"] if status else []
    if facts:
        parts.append(
            f"{len({c.id_number for c in facts}):,} 人的 {len(facts):,} 项务工信息（已外出务工名单）"
        )
    return f"将更新 {'，'.join(parts)}："


def confirm_status_changes(
    changes: Sequence[StatusChange | FactChange], *, apply: bool, report: Path | None, kind: str = "人社"
) -> None:
    """Print the changes; go on with ``--apply`` or a yes at the terminal, else stop with exit 3.

    With ``report`` the whole list goes to that workbook (sheet 警告) whether or not it is written.
    """
    if not changes:
        return
    typer.echo(headline(changes), err=True)
    for c in changes[:PRINTED]:
        typer.echo(f"  {c}", err=True)
    if len(changes) > PRINTED:
        unit = "人" if all(isinstance(c, StatusChange) for c in changes) else "项"
        typer.echo(f"  …… 另有 {len(changes) - PRINTED:,} {unit}", err=True)
    if report is not None:
        from zengshou.ingest import write_error_report

        write_error_report(
            report, [], [c.problem() if isinstance(c, FactChange) else c.problem(kind) for c in changes]
        )
        typer.echo(f"全部变更见报告 / all changes listed in: {report}", err=True)
    if apply:
        return
    if sys.stdin.isatty() and typer.confirm("确认写入以上变更？", default=False):
        return
    typer.echo(
        "未写入任何数据：请核对以上变更，确认无误后加 --apply 重新运行 / nothing written: "
        "check the changes and run again with --apply",
        err=True,
    )
    raise typer.Exit(3)
