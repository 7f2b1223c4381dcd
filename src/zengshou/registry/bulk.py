"""The one bulk writer for both databases: SQLite ``executemany``, PostgreSQL ``COPY`` (no ORM object per row).

Imports, department feeds and the pipeline's stored results (tier results, alerts) all write through it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import polars as pl
from django.db import DatabaseError, connection

log = logging.getLogger(__name__)

CHUNK = 50_000
#: From this many rows an insert drops the table's indexes (SQLite) or foreign keys (PostgreSQL) and
#: rebuilds them afterwards, inside the same transaction: several times faster than row by row.
REINDEX_FROM = 100_000
SQLITE_CACHE_KB = 262_144
#: From this many rows written, the table's planner statistics are refreshed once the transaction
#: commits: a list that filters by area picks its index only when the planner knows the table's size.
ANALYZE_FROM = 10_000


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def timestamp() -> Any:
    """Now, as each database takes it in a raw bulk write (SQLite: Django's naive-UTC text)."""
    now = dt.datetime.now(dt.UTC)
    return now if is_postgres() else now.replace(tzinfo=None).isoformat(sep=" ")


def _chunks(rows: Sequence[tuple[Any, ...]] | pl.DataFrame) -> Iterator[Sequence[tuple[Any, ...]]]:
    """Rows in chunks; a frame is turned into tuples one chunk at a time to keep memory flat."""
    if isinstance(rows, pl.DataFrame):
        for part in rows.iter_slices(CHUNK):
            yield part.rows()
    else:
        for start in range(0, len(rows), CHUNK):
            yield rows[start : start + CHUNK]


def insert(
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]] | pl.DataFrame,
    advance: Callable[[float], None] = lambda n: None,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, or a frame with those columns) into ``table``."""
    n = rows.height if isinstance(rows, pl.DataFrame) else len(rows)
    if not n:
        return 0
    if n >= ANALYZE_FROM:
        refresh_statistics_after_commit(table)
    cols = ", ".join(columns)
    if is_postgres():
        connection.ensure_connection()
        with connection.connection.cursor() as cur:
            dropped = _drop_foreign_keys(cur, table) if n >= REINDEX_FROM else []
            if isinstance(rows, pl.DataFrame) and not any(t.is_nested() for t in rows.dtypes):
                _copy_csv(cur, table, cols, rows, advance)
            else:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for part in _chunks(rows):
                        for row in part:
                            copy.write_row(row)
                        advance(len(part))
            for name, definition in dropped:
                cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        return n
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cur:
        cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
        indexes = _sqlite_indexes(cur, table) if n >= REINDEX_FROM else []
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        for part in _chunks(rows):
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", part)
            advance(len(part))
        for _, sql in indexes:
            cur.execute(sql)  # rebuilt in one sorted pass; a unique index re-checks every row
    return n


def refresh_statistics_after_commit(table: str) -> None:
    """``ANALYZE`` the table when the current transaction commits (at once outside one)."""
    from django.db import transaction

    if table.startswith("_"):
        return  # a temporary table of :func:`update`, gone at commit

    def analyze() -> None:
        try:
            with connection.cursor() as cur:
                if not is_postgres():
                    cur.execute("PRAGMA analysis_limit = 1000")  # a sample, as PostgreSQL takes
                cur.execute(f"ANALYZE {table}")
        except DatabaseError:
            log.warning("ANALYZE %s failed; the planner keeps the statistics it had", table, exc_info=True)

    transaction.on_commit(analyze)


def _copy_csv(cur: Any, table: str, cols: str, rows: pl.DataFrame, advance: Callable[[float], None]) -> None:
    """A frame as CSV, a chunk at a time: polars writes it, the server parses it (unquoted empty is
    NULL, ``""`` an empty text)."""
    with cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
        for part in rows.iter_slices(CHUNK):
            copy.write(part.write_csv(include_header=False))
            advance(part.height)


def _drop_foreign_keys(cur: Any, table: str) -> list[tuple[str, str]]:
    """PostgreSQL: the table's foreign keys, dropped until the rows are in (inside the transaction).

    Adding a foreign key back checks every row in one join instead of one deferred check per row at
    commit; until the transaction ends, other sessions wait to read the table.
    """
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY conname",
        [table],
    )
    found = [(name, definition) for name, definition in cur.fetchall()]
    if found:
        # checks already queued on the tables involved (rows this transaction wrote) are run now:
        # PostgreSQL alters no table with pending checks; later rows are checked at commit again
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
    for name, _ in found:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return found


def insert_frame(table: str, frame: pl.DataFrame) -> int:
    """Every row of ``frame`` into ``table``, whose columns the frame's columns name."""
    return insert(table, frame.columns, frame)


def _sqlite_indexes(cur: Any, table: str) -> list[tuple[str, str]]:
    """The table's explicit indexes (name, CREATE statement); automatic ones cannot be dropped."""
    cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
        [table],
    )
    return [(name, sql) for name, sql in cur.fetchall()]


def update(
    table: str,
    key: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    advance: Callable[[float], None] = lambda n: None,
) -> int:
    """Update ``columns`` of the rows whose primary key ``key`` is each tuple's first item."""
    if not rows or not columns:
        return 0
    if is_postgres():
        tmp = f"_zs_upd_{table}"
        all_cols = ", ".join([key, *columns])
        sets = ", ".join(f"{c} = s.{c}" for c in columns)
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {tmp}")
            cur.execute(
                f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {all_cols} FROM {table} WITH NO DATA"
            )
        insert(tmp, [key, *columns], rows, advance)
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {table} t SET {sets} FROM {tmp} s WHERE t.{key} = s.{key}")
            cur.execute(f"DROP TABLE {tmp}")
        return len(rows)
    sets = ", ".join(f"{c} = %s" for c in columns)
    reordered = [(*r[1:], r[0]) for r in rows]
    with connection.cursor() as cur:
        for start in range(0, len(reordered), CHUNK):
            part = reordered[start : start + CHUNK]
            cur.executemany(f"UPDATE {table} SET {sets} WHERE {key} = %s", part)
            advance(len(part))
    return len(rows)
