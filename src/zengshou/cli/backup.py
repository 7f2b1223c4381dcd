"""``zengshou backup --out FILE`` and ``zengshou restore FILE``: every table and the data files, while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zengshou.cli import app
from zengshou.cli.checks import fail


@app.command("backup")
def backup_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="备份文件，如 /srv/备份/zengshou-2025-06-30.bak / backup file")
    ],
    user: Annotated[str, typer.Option("--user", help="操作人（审计） / user for the audit trail")] = "system",
    portable: Annotated[
        bool,
        typer.Option(
            "--portable",
            help="PostgreSQL 也写成 SQLite，可恢复到任一数据库 / restorable into either database",
        ),
    ] = False,
) -> None:
    """备份全部数据表、风险模型和上传文件（运行中也可） / back everything up, online."""
    from zengshou.cli.core import migrate

    if out.is_dir():
        fail(f"--out {out} 是文件夹，这里需要一个备份文件名（如 {out / 'zengshou.bak'}）")
    migrate()
    from zengshou.registry.backup import ENGINE_NAMES, BackupError, backup

    try:
        result = backup(out, user, portable)
    except BackupError as exc:
        fail(str(exc), 1)
    typer.echo(
        f"已备份 / backed up: {result.path}（{ENGINE_NAMES[result.engine]}，{len(result.rows)} 张表共 "
        f"{sum(result.rows.values()):,d} 行，{result.files:,d} 个文件，{result.size / 1024 / 1024:,.1f} MB）。"
        "备份含个人信息，请妥善保管"
    )


@app.command("restore")
def restore_cmd(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="zengshou backup 写出的备份文件 / backup file")
    ],
    replace: Annotated[
        bool,
        typer.Option(
            "--force", "--replace", help="覆盖现有数据（数据库已有数据时必须） / overwrite existing data"
        ),
    ] = False,
) -> None:
    """从备份恢复全部数据表和文件（默认只恢复到空数据库） / restore everything from a backup file."""
    from zengshou import setup_django

    setup_django()
    from zengshou.registry.backup import ENGINE_NAMES, BackupError, restore

    try:
        result = restore(path, replace)
    except BackupError as exc:
        fail(str(exc), 1)
    from zengshou.cli.core import migrate

    migrate()  # a backup of an older version gets this version's schema
    held = (
        f"{len(result.rows)} 张表共 {sum(result.rows.values()):,d} 行，{result.files:,d} 个文件"
        if result.rows
        else "数据库"
    )
    typer.echo(
        f"已从 {path} 恢复{ENGINE_NAMES[result.engine]}备份（{held}） / restored。核对：zengshou stats"
    )
