"""The one bulk writer for both databases: SQLite ``executemany``, PostgreSQL ``COPY`` (no ORM object per row).

Imports, department feeds and the pipeline's stored results (tier results, alerts) all write through it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import polars as pl
from django.db import connection

CHUNK = 50_000
#: SQLite: from this many rows an insert drops the table's indexes and rebuilds them afterwards
#: (inside the same transaction), which is several times faster than updating them row by row.
REINDEX_FROM = 100_000
SQLITE_CACHE_KB = 262_144


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


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
    cols = ", ".join(columns)
    if is_postgres():
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for part in _chunks(rows):
                for row in part:
                    copy.write_row(row)
                advance(len(part))
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
