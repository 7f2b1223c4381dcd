"""Two imports at the same time, in two processes, on the configured database (SQLite or PostgreSQL).

The test makes the two imports overlap for certain: it holds the database itself (SQLite: the write
lock; PostgreSQL: an exclusive lock on the household table) while both processes start and run up to
the point where they wait, then lets go. Whatever each import checked before that point, the result
must be a consistent registry: every household with its members and one 户主, the import that comes
second refused with the row and column of each conflict, or both written when they do not conflict.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import sqlite3
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Home, _home, assert_done
from tests.ingest.conftest import Rows, pid, valid_rows, write_folder
from zengshou.ingest.load import IMPORT_LOCK_KEY

#: The members of a household of three: relation, birth date and sex (the ID number must agree).
THREE = (
    ("户主", dt.date(1975, 3, 2), True),
    ("配偶", dt.date(1977, 8, 9), False),
    ("之子", dt.date(2008, 1, 1), True),
)
#: Seconds a process may take to start (spawn, imports) and then to reach the lock: a guard only.
STARTUP = 60.0
WAIT = 20.0


def _household_of_three(hid: str, first_seq: int) -> Rows:
    """A file with one village, one household ``hid`` and its three members (证件号码 from ``first_seq``)."""
    rows = valid_rows()
    members = [
        dict(m, 户编号=hid, 证件号码=pid(first_seq + i, born, male))
        for i, (m, (_, born, male)) in enumerate(zip(rows["家庭成员"][:3], THREE, strict=True))
    ]
    return {"村": rows["村"][:1], "家庭": [dict(rows["家庭"][0], 户编号=hid)], "家庭成员": members}


def _import(env: dict[str, str], folder: str, events: Any, results: Any, wait: int | None = None) -> None:
    """One import in a process of its own: ``load`` as ``zengshou import`` calls it.

    ``events`` hears ("ready", folder) once the process has started up, and on SQLite ("begin",
    folder) each time the import asks for the write lock.
    """
    os.environ.clear()
    os.environ.update(env)
    try:
        from django.db import connection

        from zengshou import setup_django

        setup_django()
        from zengshou.ingest import ImportRejected, load

        if wait is not None:
            import importlib

            importlib.import_module("zengshou.ingest.load").IMPORT_WAIT_SECONDS = wait

        def tell_begin(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if sql.startswith("BEGIN"):
                events.put(("begin", folder))
            return execute(sql, params, many, context)

        events.put(("ready", folder))
        with connection.execute_wrapper(tell_begin):
            summary = load(Path(folder), username="clerk")
        results.put((folder, "written", str(summary)))
    except ImportRejected as e:
        results.put((folder, "refused", [str(p) for p in e.errors]))
    except BaseException:  # the test fails on it, with the child's traceback to read
        results.put((folder, "crashed", traceback.format_exc()))


def _connect(home: Home) -> Any:
    if home.database_url:
        import psycopg

        return psycopg.connect(home.database_url, autocommit=True)
    return sqlite3.connect(home.path / "zengshou.sqlite3", isolation_level=None, timeout=WAIT)


@contextmanager
def _holding(home: Home, as_an_import: bool = False) -> Iterator[Any]:
    """Hold the database so that imports wait: SQLite's write lock; on PostgreSQL the household
    table, or (``as_an_import``) the lock an import holds."""
    con = _connect(home)
    try:
        if home.database_url:
            con.execute("BEGIN")
            if as_an_import:
                con.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
            else:
                con.execute("LOCK TABLE registry_household IN EXCLUSIVE MODE")
        else:
            con.execute("BEGIN IMMEDIATE")
        yield con
    finally:
        con.execute("ROLLBACK")
        con.close()


def _until_both_wait(home: Home, events: Any, results: Any) -> None:
    """Return once both imports are stuck behind the test's lock (or their own one, queued behind it)."""
    wanted = {"ready"} if home.database_url else {"ready", "begin"}
    seen: dict[str, set[str]] = {}
    while any(len(seen.get(what, ())) < 2 for what in wanted):
        what, folder = events.get(timeout=STARTUP)
        seen.setdefault(what, set()).add(folder)
    if not home.database_url:
        time.sleep(0.3)  # let both enter SQLite's busy wait
        return
    sql = (
        "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE NOT l.granted AND a.datname = current_database() AND l.pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + WAIT
    with _connect(home) as watch:  # not the holder's: it would see one snapshot of pg_stat_activity
        while (waiting := watch.execute(sql).fetchone()[0]) < 2:
            assert results.empty(), f"an import ended without waiting: {results.get()}"
            assert time.monotonic() < deadline, f"only {waiting} of the two imports waited"
            time.sleep(0.05)


def _import_both(home: Home, a: Rows, b: Rows, tmp_path: Path) -> dict[str, tuple[str, Any]]:
    ctx = mp.get_context("spawn")
    events, results = ctx.Queue(), ctx.Queue()
    folders = [str(write_folder(tmp_path / name, rows)) for name, rows in (("A", a), ("B", b))]
    with _holding(home):
        procs = [ctx.Process(target=_import, args=(home.env, f, events, results)) for f in folders]
        for p in procs:
            p.start()
        _until_both_wait(home, events, results)
    out = {}
    for _ in procs:
        folder, outcome, detail = results.get(timeout=WAIT)
        out[Path(folder).name] = (outcome, detail)
    for p in procs:
        p.join(timeout=WAIT)
    return out


def _households(home: Home) -> dict[str, tuple[int, int]]:
    """Per stored household: (members, 户主)."""
    con = _connect(home)
    try:
        rows = con.execute(
            "SELECT h.household_id, count(m.id), "
            "coalesce(sum(CASE WHEN m.relation = '户主' THEN 1 ELSE 0 END), 0) "
            "FROM registry_household h LEFT JOIN registry_member m ON m.household_id = h.household_id "
            "GROUP BY h.household_id"
        ).fetchall()
    finally:
        con.close()
    return {hid: (members, heads) for hid, members, heads in rows}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """An empty registry of its own (own database under PostgreSQL), migrated before the imports."""
    for h in _home(tmp_path_factory):
        assert_done(h.run("stats"))
        yield h


def test_two_imports_of_the_same_people_at_once_store_one_household_and_refuse_the_other(
    home: Home, tmp_path: Path
) -> None:
    out = _import_both(home, _household_of_three("H001", 1), _household_of_three("H009", 1), tmp_path)
    assert not [d for o, d in out.values() if o == "crashed"], out
    assert sorted(o for o, _ in out.values()) == ["refused", "written"], out
    winner = "H001" if out["A"][0] == "written" else "H009"
    refused = next(d for o, d in out.values() if o == "refused")
    assert len(refused) == 3
    for row, problem in enumerate(refused, start=2):
        assert problem.startswith(f"家庭成员 第{row}行 [证件号码]"), problem
        assert f"该证件号码已登记在其他户（{winner}）" in problem
    assert _households(home) == {winner: (3, 1)}


def test_two_imports_of_different_households_at_once_are_both_written(home: Home, tmp_path: Path) -> None:
    before = _households(home)
    out = _import_both(home, _household_of_three("H020", 20), _household_of_three("H021", 30), tmp_path)
    assert [o for o, _ in out.values()] == ["written", "written"], out
    assert _households(home) == {**before, "H020": (3, 1), "H021": (3, 1)}


def test_an_import_that_waits_too_long_for_another_is_refused_in_chinese_and_writes_nothing(
    home: Home, tmp_path: Path
) -> None:
    ctx = mp.get_context("spawn")
    events, results = ctx.Queue(), ctx.Queue()
    folder = write_folder(tmp_path / "C", _household_of_three("H030", 40))
    with _holding(home, as_an_import=True):
        child = ctx.Process(target=_import, args=(home.env, str(folder), events, results, 1))
        child.start()
        _, outcome, detail = results.get(timeout=STARTUP)
    child.join(timeout=WAIT)
    assert outcome == "refused", detail
    [problem] = detail
    assert "另一项导入或批处理占用数据库，等待 1 秒后仍未结束，本次未写入任何数据" in problem
    assert "H030" not in _households(home)


@pytest.mark.django_db
def test_a_key_another_writer_took_during_the_import_is_refused_in_chinese_not_a_traceback() -> None:
    from zengshou.ingest import ImportRejected
    from zengshou.ingest.load import import_transaction
    from zengshou.registry import bulk
    from zengshou.registry.areas import ensure_loaded
    from zengshou.registry.models import Cadre

    ensure_loaded()
    Cadre.objects.create(
        cadre_id="C77", name="李干部", unit="县农业农村局", rank="乡科级", county_id="640522"
    )
    columns = ["cadre_id", "name", "unit", "rank", "county_code"]
    with pytest.raises(ImportRejected) as info, import_transaction():
        bulk.insert("registry_cadre", columns, [("C78", "王干部", "", "一般干部", "640522")])
        bulk.insert("registry_cadre", columns, [("C77", "马干部", "", "一般干部", "640522")])
    [problem] = info.value.errors
    assert problem.message_zh.startswith("写入时发现同一编号已被同时进行的另一项修改登记，未写入任何数据")
    assert sorted(Cadre.objects.values_list("cadre_id", flat=True)) == ["C77"]
