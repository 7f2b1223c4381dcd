"""Run the ``zengshou`` command as a user does, on SQLite or PostgreSQL.

The synthetic region is generated once per test session. :class:`Home` runs the real ``zengshou``
in a subprocess, in a home (and, under PostgreSQL, a database) of its own, for what is about
processes: serving, backup and restore, the entry point itself. :class:`Registry` runs the same
command line in-process (``run_guarded``, as ``main`` does) on the test database, where the region is
imported once per module and every test's writes are rolled back.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

HOUSEHOLDS = 300
CJK = re.compile(r"[\u4e00-\u9fff]")


def command() -> list[str]:
    script = Path(sys.executable).parent / "zengshou"
    return [str(script)] if script.exists() else [sys.executable, "-m", "zengshou.cli"]


@dataclass
class Home:
    """A ZENGSHOU_HOME (and database) the commands run in."""

    path: Path
    database_url: str | None
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZENGSHOU_DEBUG")}
        env["ZENGSHOU_HOME"] = str(self.path)
        env["COLUMNS"] = "120"
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        self.env = env

    def run(self, *args: str, timeout: float = 180, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command(), *args],
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def stats(self) -> dict[str, int]:
        import json

        done = self.run("stats", "--json")
        assert done.returncode == 0, done.stderr
        counts: dict[str, int] = json.loads(done.stdout)
        return counts


@dataclass(frozen=True)
class Done:
    """What a command run left: its exit code and the two screens (as ``subprocess`` gives them)."""

    returncode: int
    stdout: str
    stderr: str


@dataclass
class Registry:
    """The command line in-process on the test database; files a command keeps go under ``path``."""

    path: Path

    def run(self, *args: str) -> Done:
        from zengshou.cli import app
        from zengshou.cli.errors import run_guarded

        env = {"ZENGSHOU_HOME": str(self.path), "COLUMNS": "120", "ZENGSHOU_DEBUG": None}
        with CliRunner().isolation(env=env) as (out, err, _):
            code = run_guarded(app, list(args))
            stdout, stderr = out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")
        return Done(code, stdout, stderr)

    def stats(self) -> dict[str, int]:
        import json

        done = self.run("stats", "--json")
        assert done.returncode == 0, done.stderr
        counts: dict[str, int] = json.loads(done.stdout)
        return counts


def assert_done(done: subprocess.CompletedProcess[str] | Done, *expected: str) -> None:
    """A normal run: exit 0, no traceback, and the output a user is told to expect."""
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.strip(), "rc 0 with empty output"
    for text in expected:
        assert text in done.stdout, (text, done.stdout)


def assert_refused(done: subprocess.CompletedProcess[str] | Done, *expected: str) -> None:
    """Bad input: a non-zero exit and a Chinese message naming what was wrong, never a traceback."""
    screen = done.stdout + done.stderr
    assert done.returncode != 0, screen
    assert "Traceback" not in screen and 'File "' not in screen, screen
    assert CJK.search(done.stderr), done.stderr
    for text in expected:
        assert text in done.stderr, (text, done.stderr)


def _admin_connection(url: str):  # type: ignore[no-untyped-def]
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    return psycopg.connect(
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        user=cfg["USER"] or "postgres",
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def new_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """An empty home; under PostgreSQL with an empty database of its own."""
    yield from _home(tmp_path_factory)


def _home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    base = os.environ.get("DATABASE_URL", "").strip()
    path = tmp_path_factory.mktemp("home")
    if not base:
        yield Home(path, None)
        return
    name = f"zs_cli_{uuid.uuid4().hex[:10]}"
    with _admin_connection(base) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Home(path, base.rsplit("/", 1)[0] + "/" + name)
    finally:
        with _admin_connection(base) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def region_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic region of 300 households in the interchange format (CSV folder)."""
    out = tmp_path_factory.mktemp("region") / "region"
    home = Registry(tmp_path_factory.mktemp("synth-home"))
    done = home.run("synth", "--households", str(HOUSEHOLDS), "--seed", "7", "--out", str(out))
    assert_done(done, "已写出")
    return out


def _rows() -> dict[Any, list[dict[str, Any]]]:
    from django.apps import apps

    return {
        m: list(m._base_manager.values())
        for m in apps.get_models(include_auto_created=True)
        if not m._meta.proxy
    }


def _restore(before: dict[Any, list[dict[str, Any]]]) -> None:
    """Put the database back as ``before`` found it: tables that were empty emptied at once, new rows
    of the others deleted, changed rows written back. Plain SQL deletes: foreign keys are checked at
    the commit (Django makes them deferrable), by when nothing refers to a deleted row."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    empty = [m._meta.db_table for m, rows in before.items() if not rows]
    with transaction.atomic():
        connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), empty, allow_cascade=True))
        for model, rows in before.items():
            if not rows:
                continue
            pk = model._meta.pk.attname
            kept = {row[pk]: row for row in rows}
            model._base_manager.exclude(pk__in=list(kept))._raw_delete(connection.alias)
            for row in model._base_manager.values():
                if row != kept[row[pk]]:
                    model._base_manager.filter(pk=row[pk]).update(**kept[row[pk]])
    assert _rows() == before, "the module's region could not be removed again"


@pytest.fixture(scope="module")
def registry(
    django_db_setup: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
    region_files: Path,
) -> Iterator[Registry]:
    """The region imported and its 2025 pipeline run, in-process on the test database (committed);
    removed again after the module, so the next module finds the database as migrated."""
    home = Registry(tmp_path_factory.mktemp("home"))
    with django_db_blocker.unblock():
        before = _rows()
        assert_done(home.run("import", str(region_files), "--no-progress"), "家庭")
        assert_done(home.run("pipeline", "--year", "2025"), "已保存")
    try:
        yield home
    finally:
        with django_db_blocker.unblock():
            _restore(before)


@pytest.fixture(scope="module")
def region_home(tmp_path_factory: pytest.TempPathFactory, region_files: Path) -> Iterator[Home]:
    """A home with the region imported and the 2025 pipeline run."""
    for home in _home(tmp_path_factory):
        assert_done(home.run("import", str(region_files), "--no-progress"), "家庭")
        assert_done(home.run("pipeline", "--year", "2025"), "已保存")
        yield home
