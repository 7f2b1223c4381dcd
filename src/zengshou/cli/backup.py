"""``zengshou backup --out FILE`` and ``zengshou restore FILE``: the whole database, while it runs."""

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
) -> None:
    """备份整个数据库（运行中也可；SQLite 在线备份或 pg_dump） / back the database up, online."""
    from zengshou.cli.core import migrate

    if out.is_dir():
        fail(f"--out {out} 是文件夹，这里需要一个备份文件名（如 {out / 'zengshou.bak'}）")
    migrate()
    from zengshou.registry.backup import BackupError, backup

    try:
        result = backup(out, user)
    except BackupError as exc:
        fail(str(exc), 1)
    typer.echo(
        f"已备份 / backed up: {result.path}（{'内置 SQLite' if result.engine == 'sqlite' else 'PostgreSQL'}，"
        f"{result.size / 1024 / 1024:,.1f} MB）。备份含个人信息，请妥善保管"
    )


@app.command("restore")
def restore_cmd(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="zengshou backup 写出的备份文件 / backup file")
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="覆盖现有数据（数据库已有农户时必须） / overwrite existing data")
    ] = False,
) -> None:
    """从备份恢复整个数据库（默认只恢复到空数据库） / restore the database from a backup file."""
    from zengshou import setup_django

    setup_django()
    from zengshou.registry.backup import BackupError, restore

    try:
        engine = restore(path, replace)
    except BackupError as exc:
        fail(str(exc), 1)
    from zengshou.cli.core import migrate

    migrate()  # a backup of an older version gets this version's schema
    kind = "内置 SQLite" if engine == "sqlite" else "PostgreSQL"
    typer.echo(f"已从 {path} 恢复{kind}数据库 / restored。核对：zengshou stats")
