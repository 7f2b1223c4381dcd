"""The registry read into frames: households, members, income, villages, cadres and department feeds.

Rows reach polars as Arrow columns, never as Python objects per cell: on PostgreSQL a ``COPY … TO
STDOUT`` on Django's own connection, parsed by polars' CSV reader (it sees the transaction it runs in,
so an import checks exactly what it will write over); on SQLite, inside a :func:`snapshot` (the
population reads), the ADBC driver in a reader process of its own (:mod:`.sqlite_reader`), which
hands over Arrow arrays from one WAL snapshot. Elsewhere on SQLite, and inside an open transaction
(a second connection would not see the transaction's writes), rows come through Django's cursor. :func:`population_from_database`
is what the batch pipeline, the toolbox, the risk model and pairing read; feed rows carry the household
of the member they matched by 证件号码 (null when they matched nobody), so the rules find problems in
shared data first (M07).
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import polars as pl
from django.db import connection

from zengshou import interchange as ix
from zengshou.frames import Population, conform, schema
from zengshou.registry.areas import code_prefix

_TRUE_TEXTS = ["t", "true", "1"]

#: The SQLite reader process of an open :func:`snapshot` (one read transaction for several queries).
_snapshot: ContextVar[Any] = ContextVar("zengshou_read_snapshot", default=None)


def query_frame(sql: str, params: list[Any], frame_schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of ``sql`` (``%s`` placeholders) as a frame of ``frame_schema``, blank text as null.

    Every read path's reader; the columns of ``sql`` are taken by position.
    """
    names = list(frame_schema)
    reader = _snapshot.get()
    if connection.vendor == "postgresql":
        raw = _copy_out(sql, params, frame_schema)
    elif reader is not None and not connection.in_atomic_block:
        raw = reader.frame(sql, params, names)
    else:
        raw = _cursor_rows(sql, params, names)
    return raw.select([_typed(k, raw.schema[k], t).alias(k) for k, t in frame_schema.items()])


def _typed(key: str, source: Any, target: Any) -> pl.Expr:
    """Column ``key`` of a reader's dtype ``source`` as ``target``; Django stores blank text as ''."""
    col = pl.col(key)
    if target == pl.Utf8:
        return col.cast(pl.Utf8).replace("", None)
    if target == pl.Boolean:
        if source == pl.Utf8:
            return pl.when(col.is_null()).then(None).otherwise(col.str.to_lowercase().is_in(_TRUE_TEXTS))
        return col.cast(pl.Float64).cast(pl.Boolean)
    if target == pl.Date and source == pl.Utf8:
        return col.str.slice(0, 10).str.to_date("%Y-%m-%d")
    return col.cast(target)


def _copy_out(sql: str, params: list[Any], frame_schema: dict[str, Any]) -> pl.DataFrame:
    """PostgreSQL: the result as CSV straight from the server, parsed column-wise by polars."""
    connection.ensure_connection()
    buf = io.BytesIO()
    with connection.connection.cursor() as cur:
        with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params or None) as copy:
            for block in copy:
                buf.write(block)
    # booleans arrive as t/f, which polars parses as text; every other type straight from the CSV
    csv_schema = {k: pl.Utf8 if t == pl.Boolean else t for k, t in frame_schema.items()}
    if buf.tell() == 0:
        return pl.DataFrame(schema=csv_schema)
    return pl.read_csv(buf.getvalue(), has_header=False, schema=csv_schema)


def _in_memory() -> bool:
    sqlite: Any = connection  # only SQLite's wrapper has is_in_memory_db
    return bool(sqlite.is_in_memory_db())


class SQLiteReader:
    """A :mod:`zengshou.registry.sqlite_reader` process, open for one :func:`snapshot`."""

    def __init__(self, database: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zengshou.registry.sqlite_reader", database],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def frame(self, sql: str, params: list[Any], names: list[str]) -> pl.DataFrame:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {"sql": sql.replace("%s", "?"), "params": [_plain(p) for p in params]}
        self.proc.stdin.write(json.dumps(request, ensure_ascii=False).encode() + b"\n")
        self.proc.stdin.flush()
        head = self.proc.stdout.read(8)
        if len(head) < 8:
            raise RuntimeError(f"registry reader stopped (exit {self.proc.poll()}) on: {sql[:200]}")
        (length,) = struct.unpack("<q", head)
        data = self.proc.stdout.read(abs(length))
        if length < 0:
            raise RuntimeError(f"registry reader: {data.decode(errors='replace')} on: {sql[:200]}")
        import pyarrow as pa

        table = pa.ipc.open_stream(data).read_all().rename_columns(names)
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _plain(value: Any) -> Any:
    """A query parameter as JSON carries it (dates as ISO text, as Django stores them in SQLite)."""
    if isinstance(value, (str, int, float)) or value is None:
        return value
    return str(value)


def _cursor_rows(sql: str, params: list[Any], names: list[str]) -> pl.DataFrame:
    """Through Django's cursor: inside the caller's SQLite transaction, which sees its own writes."""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)


@contextmanager
def snapshot() -> Iterator[None]:
    """Every :func:`query_frame` inside reads one state of the registry (one read transaction).

    On PostgreSQL outside a transaction the queries run in one ``REPEATABLE READ`` transaction of
    Django's connection. On SQLite a :class:`SQLiteReader` process answers them as Arrow columns from
    one WAL snapshot. Inside a caller's transaction that transaction already is the snapshot.
    """
    if connection.in_atomic_block or _snapshot.get() is not None:
        yield
        return
    if connection.vendor == "postgresql":
        from django.db import transaction

        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
        return
    if _in_memory():
        yield
        return
    reader = SQLiteReader(str(connection.settings_dict["NAME"]))
    token = _snapshot.set(reader)
    try:
        yield
    finally:
        _snapshot.reset(token)
        reader.close()


def from_database(area_code: str | None = None, years: Iterable[int] | None = None) -> Population:
    """Read the registry into frames, optionally only the households under one area.

    ``years`` limits the income rows read (a run for a year needs that year and the one before);
    income is by far the largest table. Reads with plain SQL; no ORM object per row.
    """
    with snapshot():
        return _read_population(area_code, years)


def _read_population(area_code: str | None, years: Iterable[int] | None) -> Population:
    prefix = code_prefix(area_code) + "%" if area_code else "%"
    hh_cols = [c.key for c in ix.HOUSEHOLDS.columns]
    hh_sql_cols = ", ".join("h." + ("village_code" if k == "village_code" else k) for k in hh_cols)
    households = query_frame(
        f"SELECT {hh_sql_cols} FROM registry_household h WHERE h.village_code LIKE %s ORDER BY h.household_id",
        [prefix],
        schema(ix.HOUSEHOLDS),
    )
    mem_cols = [c.key for c in ix.MEMBERS.columns]
    mem_sql_cols = ", ".join(("m.household_id" if k == "household_id" else "m." + k) for k in mem_cols)
    members = query_frame(
        f"SELECT {mem_sql_cols} FROM registry_member m JOIN registry_household h "
        "ON h.household_id = m.household_id WHERE h.village_code LIKE %s ORDER BY m.household_id, m.id",
        [prefix],
        schema(ix.MEMBERS),
    )
    inc_cols = ", ".join("i." + c.key for c in ix.INCOME.columns)
    year_list = sorted(set(years)) if years is not None else []
    year_filter = f" AND i.year IN ({', '.join(['%s'] * len(year_list))})" if year_list else ""
    # the region's run reads every row: no join to the households then; polars sorts faster than SQL
    if area_code:
        inc_sql = (
            f"SELECT {inc_cols} FROM registry_income i JOIN registry_household h "
            f"ON h.household_id = i.household_id WHERE h.village_code LIKE %s{year_filter}"
        )
        inc_params: list[Any] = [prefix, *year_list]
    else:
        inc_sql = f"SELECT {inc_cols} FROM registry_income i WHERE TRUE{year_filter}"
        inc_params = list(year_list)
    income = query_frame(inc_sql, inc_params, schema(ix.INCOME)).sort(
        "household_id", "year", "quarter", nulls_last=False
    )
    villages = query_frame(
        "SELECT v.code, v.name, t.name, v.collective_income_10k FROM registry_area v "
        "LEFT JOIN registry_area t ON t.code = v.parent_id WHERE v.level = 'village' AND v.code LIKE %s "
        "ORDER BY v.code",
        [prefix],
        schema(ix.VILLAGES),
    )
    # Cadres work in their county (S02): a township or village reads its county's cadres, a city or
    # the region those of all its counties.
    cadre_prefix = code_prefix(area_code[:6]) + "%" if area_code else "%"
    cadre_rows = query_frame(
        "SELECT c.cadre_id, c.name, c.unit, c.rank, c.county_code FROM registry_cadre c "
        "WHERE c.county_code LIKE %s ORDER BY c.cadre_id",
        [cadre_prefix],
        {k: v for k, v in schema(ix.CADRES).items() if k != "current_households"},
    )
    pairs = query_frame(
        "SELECT p.cadre_id, p.household_id FROM registry_pairing p WHERE p.ended_on IS NULL ORDER BY p.household_id",
        [],
        {"cadre_id": pl.Utf8, "household_id": pl.Utf8},
    )
    current = pairs.group_by("cadre_id", maintain_order=True).agg(
        pl.col("household_id").str.join(";").alias("current_households")
    )
    cadres = conform(cadre_rows.join(current, on="cadre_id", how="left"), ix.CADRES)
    return Population(households=households, members=members, income=income, villages=villages, cadres=cadres)


_PERSON_FEEDS: dict[str, tuple[str, ix.Table]] = {
    "medical": ("registry_medicalrecord", ix.FEED_MEDICAL),
    "disability": ("registry_disabilityrecord", ix.FEED_DISABILITY),
    "civil": ("registry_civilassistancerecord", ix.FEED_CIVIL),
    "employment": ("registry_employmentrecord", ix.FEED_EMPLOYMENT),
    "education": ("registry_educationrecord", ix.FEED_EDUCATION),
}


def load_feeds(area_code: str | None = None) -> dict[str, pl.DataFrame]:
    """Every feed table as a frame, keyed as ``Population.feeds`` (medical, disability, …, disaster)."""
    prefix = code_prefix(area_code) + "%" if area_code else None
    feeds: dict[str, pl.DataFrame] = {}
    for key, (table, spec) in _PERSON_FEEDS.items():
        cols = ", ".join(f"r.{c.key}" for c in spec.columns)
        where, params = _scope("h", prefix)
        sql = (
            f"SELECT {cols}, m.household_id FROM {table} r "
            "LEFT JOIN registry_member m ON m.id = r.member_id "
            "LEFT JOIN registry_household h ON h.household_id = m.household_id"
            f"{where} ORDER BY r.id"
        )
        feeds[key] = query_frame(sql, params, {**schema(spec), "household_id": pl.Utf8})
    where, params = _scope("h", prefix)
    feeds["housing"] = query_frame(
        "SELECT COALESCE(r.household_id, NULLIF(r.household_ref, '')), NULLIF(r.id_number, ''), "
        "r.safety_grade, r.assessed_on FROM registry_housingrecord r "
        "LEFT JOIN registry_household h ON h.household_id = r.household_id"
        f"{where} ORDER BY r.id",
        params,
        schema(ix.FEED_HOUSING),
    )
    disaster_where = " WHERE r.area_code LIKE %s" if prefix else ""
    feeds["disaster"] = query_frame(
        "SELECT r.area_code, r.disaster_type, r.occurred_on, r.households_affected, r.direct_loss_10k "
        f"FROM registry_disasterrecord r{disaster_where} ORDER BY r.id",
        [prefix] if prefix else [],
        schema(ix.FEED_DISASTER),
    )
    return feeds


def _scope(alias: str, prefix: str | None) -> tuple[str, list[Any]]:
    if prefix is None:
        return "", []
    return f" WHERE {alias}.village_code LIKE %s", [prefix]


def population_from_database(area_code: str | None = None, years: Iterable[int] | None = None) -> Population:
    """The registry under ``area_code`` with its department feeds, ready for the pipeline.

    ``years`` limits the income rows read (see :func:`from_database`).
    """
    with snapshot():
        pop = from_database(area_code, years)
        pop.feeds = load_feeds(area_code)
    return pop
