"""Backup and restore of the whole database, while the system runs.

The embedded SQLite file is copied with SQLite's online backup API (a consistent snapshot even while
the web app or a batch writes); PostgreSQL is dumped with ``pg_dump -Fc`` and read back with
``pg_restore`` in one transaction. A backup file is either an SQLite database or a pg_dump archive:
:func:`restore` tells them apart by their first bytes and refuses the one that does not fit the
configured database, a damaged file, and a target that already holds households (unless asked to
replace them).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    size: int


def _database() -> dict[str, Any]:
    from django.db import connections

    return dict(connections["default"].settings_dict)


def _engine(db: dict[str, Any]) -> str:
    engine = str(db["ENGINE"])
    if "sqlite" in engine:
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"不支持备份这种数据库：{engine}")


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for pg_dump/pg_restore (no password on a command line others can read)."""
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"找不到 PostgreSQL 的 {name} 程序，请安装 postgresql-client（apt-get install postgresql-client）"
        )
    return path


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(
            f"{what}失败（{args[0].rsplit('/', 1)[-1]} 退出码 {done.returncode}）：{detail[-1] if detail else ''}"
        )


def backup(out: Path, username: str = "system") -> BackupResult:
    """Write a consistent copy of the configured database to ``out`` (replaced only when complete)."""
    from django.db import connections

    from zengshou.registry.audit import record

    db = _database()
    engine = _engine(db)
    # before the copy, so the backup holds the record of its own making
    record(username, "backup.create", "database", engine, {"file": out.name})
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=".backup-", dir=out.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        if engine == "sqlite":
            connections.close_all()
            source = sqlite3.connect(str(db["NAME"]))
            target = sqlite3.connect(tmp)
            try:
                with target:
                    source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                target.close()
                source.close()
        else:
            _run([_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(tmp)], _pg_env(db), "备份数据库")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult(out, engine, out.stat().st_size)


def kind_of(path: Path) -> str:
    """``sqlite`` or ``postgresql`` from a backup file's first bytes."""
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} 不是 zengshou backup 生成的备份文件（既不是 SQLite 数据库，也不是 pg_dump 归档）"
    )


def _check_sqlite_file(path: Path) -> None:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份文件 {path} 已损坏，无法读取（{exc}）") from None
    if not ok or ok[0] != "ok":
        raise BackupError(f"备份文件 {path} 已损坏（完整性检查未通过）")
    if "registry_household" not in tables or "django_migrations" not in tables:
        raise BackupError(f"{path} 是 SQLite 数据库，但不是 zengshou 的备份（缺少农户表）")


def _households() -> int:
    from django.db import DatabaseError

    from zengshou.registry.models import Household

    try:
        return Household.objects.count()
    except DatabaseError:  # no schema yet: a brand-new database
        return 0


def restore(path: Path, replace: bool = False) -> str:
    """Put the backup at ``path`` in place of the configured database; returns the engine.

    Refused, with nothing changed, when the file is not a backup for this kind of database, is
    damaged, or the database already holds households and ``replace`` is false.
    """
    from django.db import connections

    db = _database()
    engine = _engine(db)
    kind = kind_of(path)
    if kind != engine:
        names = {"sqlite": "内置 SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"{path} 是{names[kind]}的备份，当前配置的数据库是{names[engine]}（DATABASE_URL），不能直接恢复"
        )
    if kind == "sqlite":
        _check_sqlite_file(path)
    present = _households()
    if present and not replace:
        raise BackupError(
            f"当前数据库已有 {present:,d} 户数据，未恢复。确需用备份覆盖全部现有数据，请加 --replace"
        )
    connections.close_all()
    if kind == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(str(db["NAME"]), timeout=30)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                str(db["NAME"]),
                str(path),
            ],
            _pg_env(db),
            "恢复数据库",
        )
    connections.close_all()
    return kind
