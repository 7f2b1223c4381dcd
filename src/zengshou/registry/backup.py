"""Backup and restore of everything the system keeps, while it runs: every table and the files.

A backup is one zip archive: ``manifest.json`` (format, engine, rows per table, a SHA-256 per
entry), the database, and the files under ``$ZENGSHOU_HOME`` that are data, not code — trained
risk models (``models/``) and uploads and visit photos (``media/``). The database is copied with
the engine's own tool, so no table can be left out: SQLite's online backup API (a consistent
snapshot while the web app or a batch writes), ``pg_dump -Fc`` for PostgreSQL. ``portable=True``
writes a PostgreSQL database as an SQLite file instead, and :func:`restore` puts an SQLite backup
into PostgreSQL by copying every Django model's rows in one transaction, so an office can move
from the embedded database to PostgreSQL (and back) through a backup.

:func:`restore` checks the whole archive (every entry against its checksum, the database file
itself) before it changes anything, refuses a database that already holds data unless told to
replace it, and writes the database in one transaction; the files are swapped in only after it.
A zip keeps the format readable with any unzip tool and needs no extra dependency.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
ZIP_MAGIC = b"PK\x03\x04"
FORMAT = "zengshou-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATABASE_ENTRY = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
#: Folders of ``$ZENGSHOU_HOME`` that hold data (logs, static files and the secret key do not).
FILE_FOLDERS = ("models", "media")
ENGINE_NAMES = {"sqlite": "内置 SQLite", "postgresql": "PostgreSQL"}
_SOURCE_ALIAS = "zengshou_backup_source"
_BATCH = 2000


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    size: int
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0


@dataclass(frozen=True)
class RestoreResult:
    #: The engine the backup was made on (``sqlite`` or ``postgresql``).
    engine: str
    #: Rows per table in the backup (empty for a backup file of the earlier, database-only kind).
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0


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


def models() -> list[Any]:
    """Every table Django manages, many-to-many tables included: what a backup must hold."""
    from django.apps import apps

    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]


def row_counts(alias: str = "default") -> dict[str, int]:
    return {m._meta.db_table: m._base_manager.using(alias).count() for m in models()}


def _file_roots() -> dict[str, Path]:
    from django.conf import settings

    from zengshou.config import home

    return {"models": home() / "models", "media": Path(settings.MEDIA_ROOT)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _sqlite_alias(path: Path) -> Iterator[str]:
    """An SQLite file as a second Django database for this thread, for copying rows between engines.

    The connection is registered, not configured: nothing else in the process sees the alias.
    """
    from django.db import connections
    from django.db.backends.sqlite3.base import DatabaseWrapper

    wrapper = DatabaseWrapper(
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "ATOMIC_REQUESTS": False,
            "AUTOCOMMIT": True,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "OPTIONS": {"init_command": "PRAGMA foreign_keys=ON;"},
            "TIME_ZONE": None,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {"CHARSET": None, "COLLATION": None, "MIGRATE": True, "MIRROR": None, "NAME": None},
        },
        _SOURCE_ALIAS,
    )
    connections[_SOURCE_ALIAS] = wrapper
    try:
        yield _SOURCE_ALIAS
    finally:
        wrapper.close()
        del connections[_SOURCE_ALIAS]


def _migrate(alias: str) -> None:
    from django.core.management import call_command

    call_command("migrate", database=alias, verbosity=0, interactive=False)


def copy_rows(source: str, target: str) -> dict[str, int]:
    """Replace every table's rows in ``target`` by those of ``source``, in one transaction.

    Both databases have this version's schema. Rows are read through the ORM and written as each
    field stores them (``get_db_prep_save``), so each engine's types (booleans, JSON, times) are
    converted, while ``auto_now`` times and the keys stay as they were (no ``save()``). Foreign
    keys are checked at commit, so the order of the tables does not matter. Sequences are set
    past the copied keys.
    """
    from django.core.management.color import no_style
    from django.db import connections, transaction

    tables = models()
    copied: dict[str, int] = {}
    conn = connections[target]
    quote = conn.ops.quote_name
    with transaction.atomic(using=target):
        with conn.cursor() as cur:
            for sql in conn.ops.sql_flush(no_style(), [m._meta.db_table for m in tables]):
                cur.execute(sql)
            for model in tables:
                fields = model._meta.concrete_fields
                insert = (
                    f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
                    f"VALUES ({', '.join(['%s'] * len(fields))})"
                )
                count = 0
                batch: list[list[Any]] = []
                # values as the field stores them, not through save(): auto_now times stay as they were
                for obj in model._base_manager.using(source).order_by().iterator(chunk_size=_BATCH):
                    batch.append([f.get_db_prep_save(getattr(obj, f.attname), conn) for f in fields])
                    if len(batch) >= _BATCH:
                        cur.executemany(insert, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cur.executemany(insert, batch)
                    count += len(batch)
                copied[model._meta.db_table] = count
            for sql in conn.ops.sequence_reset_sql(no_style(), tables):
                cur.execute(sql)
    return copied


def _sqlite_counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            t: int(con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])
            for t in (m._meta.db_table for m in models())
        }
    finally:
        con.close()


def _write_database(
    engine: str, db: dict[str, Any], folder: Path, portable: bool
) -> tuple[str, Path, dict[str, int]]:
    """The database into ``folder``: its kind, file and rows per table as the file holds them."""
    from django.db import connections, transaction

    if engine == "sqlite":
        target_path = folder / DATABASE_ENTRY["sqlite"]
        connections["default"].ensure_connection()
        source = connections["default"].connection
        target = sqlite3.connect(target_path)
        try:
            with target:
                source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            target.close()
        return "sqlite", target_path, _sqlite_counts(target_path)
    if portable:
        target_path = folder / DATABASE_ENTRY["sqlite"]
        with _sqlite_alias(target_path) as alias:
            _migrate(alias)
            with transaction.atomic(using="default"):
                with connections["default"].cursor() as cur:  # one snapshot of all tables
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                rows = copy_rows("default", alias)
        return "sqlite", target_path, rows
    target_path = folder / DATABASE_ENTRY["postgresql"]
    _run([_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(target_path)], _pg_env(db), "备份数据库")
    return "postgresql", target_path, row_counts()  # pg_dump's snapshot is its own: counts as of now


def backup(out: Path, username: str = "system", portable: bool = False) -> BackupResult:
    """Write every table and the data files to the archive ``out`` (replaced only when complete).

    ``portable`` writes a PostgreSQL database as SQLite, which restores into either engine.
    """
    from zengshou.registry.audit import record

    db = _database()
    engine = _engine(db)
    # before the copy, so the backup holds the record of its own making
    record(username, "backup.create", "database", engine, {"file": out.name, "portable": portable})
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".backup-", dir=out.parent))
    try:
        kind, db_file, rows = _write_database(engine, db, work, portable)
        entries: dict[str, Path] = {DATABASE_ENTRY[kind]: db_file}
        for name, root in _file_roots().items():
            if root.is_dir():
                for path in sorted(root.rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        entries[f"home/{name}/{path.relative_to(root).as_posix()}"] = path
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "engine": kind,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "rows": rows,
            "entries": {
                name: {"sha256": _sha256(p), "size": p.stat().st_size} for name, p in entries.items()
            },
        }
        archive = work / "backup.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
            z.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
            for name, path in entries.items():
                z.write(path, name)
        archive.replace(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BackupResult(out, kind, out.stat().st_size, rows, len(entries) - 1)


def kind_of(path: Path) -> str:
    """``zip`` (this version's archive), or ``sqlite`` / ``postgresql`` for a bare database file."""
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} 不是 zengshou backup 生成的备份文件（不是备份压缩包，也不是数据库文件）")


def _damaged(path: Path, why: str) -> BackupError:
    return BackupError(f"备份文件 {path} 已损坏或不完整（{why}），未做任何更改。请换一份备份文件")


def _safe_entry(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\\" not in name


def _unpack(path: Path, work: Path) -> tuple[dict[str, Any], Path, dict[str, Path]]:
    """Check every entry of the archive against the manifest and unpack it into ``work``."""
    try:
        with zipfile.ZipFile(path) as z:
            try:
                manifest = json.loads(z.read(MANIFEST))
            except KeyError:
                raise BackupError(f"{path} 是压缩包，但不是 zengshou 的备份（没有 {MANIFEST}）") from None
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BackupError(f"{path} 是压缩包，但不是 zengshou 的备份（{MANIFEST} 不是备份清单）")
            if int(manifest.get("version", 0)) > VERSION:
                raise BackupError(f"{path} 由更新版本的 zengshou 生成，请先升级本系统再恢复")
            entries: dict[str, Any] = manifest.get("entries", {})
            missing = [n for n in entries if n not in z.namelist()]
            if missing:
                raise _damaged(path, f"缺少 {missing[0]}")
            files: dict[str, Path] = {}
            for name, meta in entries.items():
                if not _safe_entry(name):
                    raise _damaged(path, f"条目名 {name} 不安全")
                target = work / "unpacked" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(name) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                if _sha256(target) != meta.get("sha256"):
                    raise _damaged(path, f"{name} 的校验和不符")
                files[name] = target
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise _damaged(path, type(exc).__name__ if not str(exc) else str(exc)) from None
    engine = manifest.get("engine")
    if engine not in DATABASE_ENTRY or DATABASE_ENTRY[engine] not in files:
        raise _damaged(path, "没有数据库")
    return manifest, files.pop(DATABASE_ENTRY[engine]), files


def _check_sqlite_file(path: Path, shown: Path) -> None:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise _damaged(shown, f"数据库无法读取：{exc}") from None
    if not ok or ok[0] != "ok":
        raise _damaged(shown, "数据库完整性检查未通过")
    if "registry_household" not in tables or "django_migrations" not in tables:
        raise BackupError(f"{shown} 是 SQLite 数据库，但不是 zengshou 的备份（缺少农户表）")


def _check_pg_dump(path: Path, shown: Path, db: dict[str, Any]) -> None:
    done = subprocess.run([_tool("pg_restore"), "--list", str(path)], env=_pg_env(db), capture_output=True)
    if done.returncode != 0 or b"registry_household" not in done.stdout:
        raise _damaged(shown, "pg_dump 归档无法读取")


def present_data() -> dict[str, int]:
    """Households, users and audit events already in the database (what a restore would overwrite)."""
    from django.contrib.auth.models import User
    from django.db import DatabaseError

    from zengshou.registry.models import AuditEvent, Household

    try:
        return {
            "户": Household.objects.count(),
            "个用户": User.objects.count(),
            "条审计记录": AuditEvent.objects.count(),
        }
    except DatabaseError:  # no schema yet: a brand-new database
        return {}


def _restore_database(kind: str, db_file: Path, engine: str, db: dict[str, Any]) -> None:
    from django.db import connections

    if kind == "sqlite" and engine == "sqlite":
        connections["default"].ensure_connection()
        target = connections["default"].connection
        source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        try:
            source.backup(target)  # all pages in one step: the whole file or nothing
        finally:
            source.close()
        connections.close_all()
    elif kind == "sqlite":
        _migrate("default")
        with _sqlite_alias(db_file) as alias:
            _migrate(alias)  # a backup of an older version gets this version's schema first
            copy_rows(alias, "default")
    else:
        connections.close_all()
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                str(db["NAME"]),
                str(db_file),
            ],
            _pg_env(db),
            "恢复数据库",
        )
        connections.close_all()


def _swap_files(files: dict[str, Path], work: Path) -> int:
    """Put each data folder of the backup in place of the current one (old one kept until done)."""
    roots = _file_roots()
    staged = work / "unpacked" / "home"
    for name, root in roots.items():
        new = staged / name
        old = work / f"old-{name}"
        if root.exists():
            shutil.move(str(root), old)
        if new.is_dir():
            root.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(new), root)
        else:
            root.mkdir(parents=True, exist_ok=True)
    return len(files)


def restore(path: Path, replace: bool = False) -> RestoreResult:
    """Put the backup at ``path`` in place of the configured database and data files.

    Refused, with nothing changed, when the file is not a backup, is damaged anywhere, cannot go
    into this kind of database, or the database already holds data and ``replace`` is false.
    """
    db = _database()
    engine = _engine(db)
    kind = kind_of(path)
    from zengshou.config import home

    archive = kind == "zip"
    # beside the data folders, so swapping them in is a rename on one file system
    home_work = Path(tempfile.mkdtemp(prefix=".restore-", dir=home()))
    try:
        manifest: dict[str, Any] = {}
        files: dict[str, Path] = {}
        if archive:
            manifest, db_file, files = _unpack(path, home_work)
            kind = str(manifest["engine"])
        else:
            db_file = path
        if kind == "postgresql" and engine == "sqlite":
            raise BackupError(
                f"{path} 是 PostgreSQL 的备份，当前配置的是内置 SQLite 数据库：请设置 DATABASE_URL 恢复到"
                " PostgreSQL，或在原系统上用 zengshou backup --portable 生成可恢复到任一数据库的备份"
            )
        if kind == "sqlite":
            _check_sqlite_file(db_file, path)
        else:
            _check_pg_dump(db_file, path, db)
        present = {k: v for k, v in present_data().items() if v}
        if present and not replace:
            held = "、".join(f"{v:,d} {k}" for k, v in present.items())
            raise BackupError(
                f"当前数据库已有数据（{held}），未恢复。确需用备份覆盖全部现有数据，请加 --force（同 --replace）"
            )
        _restore_database(kind, db_file, engine, db)
        count = _swap_files(files, home_work) if archive else 0
        return RestoreResult(kind, dict(manifest.get("rows", {})), count)
    finally:
        shutil.rmtree(home_work, ignore_errors=True)
