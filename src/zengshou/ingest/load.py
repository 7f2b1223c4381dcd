"""Loading a checked file into the registry: checks against the database, then one transaction.

Rows are classified against what is stored (new / changed / unchanged) with polars joins on the
natural keys (户编号, 证件号码, (户编号, 年度, 季度), 村代码, 干部编号); new rows are inserted and
changed rows updated by primary key in bulk, so importing the same file twice writes nothing.
Only the columns present in the file are compared and updated.

Department feed files in the folder (or feed sheets in the workbook: 医保, 残联, …) are stored in the
same transaction through :func:`zengshou.ingest.feeds.store_feed`, the code of ``zengshou feed
import``, after the tables (so they match the members just imported); the member sheet's 务工状况
wins over a 人社 feed. Households imported with 户类型 监测对象-* become monitoring objects
(:mod:`zengshou.ingest.monitoring`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import schema
from zengshou.ingest.columns import ROW
from zengshou.ingest.problems import ImportRejected, Problem, sort_key
from zengshou.ingest.reader import WORKBOOK_SUFFIXES, Known, ReadResult, cadre_pairs, read, reference_checks
from zengshou.progress import progress
from zengshou.registry import bulk
from zengshou.registry.idnumber import mask, mask_name, mask_phone
from zengshou.registry.read import query_frame

#: Above this many changed rows an import writes one summary audit event instead of one per row.
AUDIT_PER_ROW_LIMIT = 20_000

_NOT_NULL_TEXT = {
    "households": ("phone",),
    "members": ("disability_grade", "work", "schooling", "work_place", "job_channel"),
    "cadres": ("unit",),
}


#: How long an import waits for another one (or a batch run) to finish writing before it gives up.
IMPORT_WAIT_SECONDS = 600
#: The PostgreSQL advisory lock key of imports (interchange files and feeds); nothing else uses it.
IMPORT_LOCK_KEY = 0x7A_5F_1A_B0_27


@contextmanager
def import_transaction(waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """One transaction that no other import runs beside, taken *before* the file is checked.

    The checks against the registry and the writes then see the same data: a second import waits
    for the first and is checked against what the first stored. SQLite: ``BEGIN IMMEDIATE``
    (``transaction_mode`` in :func:`zengshou.config.database_settings`) takes the database's write
    lock at the start, waiting up to :data:`IMPORT_WAIT_SECONDS`; PostgreSQL: a transaction-level
    advisory lock that only imports take, so readers and the web app go on. ``waiting`` is called
    (it must not write) when another import holds the lock. A wait that runs out, or a unique key
    taken by another writer meanwhile, becomes :class:`ImportRejected` with a message in Chinese.
    """
    from django.db import OperationalError, connection, transaction

    try:
        with ExitStack() as stack:
            if connection.vendor == "sqlite" and not connection.in_atomic_block:
                stack.enter_context(_sqlite_busy_timeout(IMPORT_WAIT_SECONDS))
                try:
                    with _sqlite_busy_timeout(0):
                        stack.enter_context(transaction.atomic())
                except OperationalError as e:
                    if not _lock_timed_out(e):
                        raise
                    if waiting is not None:
                        waiting()
                    stack.enter_context(transaction.atomic())
            else:
                stack.enter_context(transaction.atomic())
                if connection.vendor == "postgresql":
                    _advisory_lock(waiting)
            yield
    except ImportRejected:
        raise
    except Exception as e:
        if _key_taken(e):
            zh = "写入时发现同一编号已被同时进行的另一项修改登记，未写入任何数据。请重新导入，系统会按最新数据逐行核对。"
            raise ImportRejected([Problem("导入", None, "", None, zh, str(e).splitlines()[0])]) from None
        if not _lock_timed_out(e):
            raise
        seconds = IMPORT_WAIT_SECONDS
        waited = f"{seconds // 60} 分钟" if seconds >= 60 and seconds % 60 == 0 else f"{seconds} 秒"
        zh = f"另一项导入或批处理占用数据库，等待 {waited}后仍未结束，本次未写入任何数据。请待其完成后重新导入。"
        en = f"the database stayed busy for {seconds} s; nothing written"
        raise ImportRejected([Problem("导入", None, "", None, zh, en)]) from None


@contextmanager
def _sqlite_busy_timeout(seconds: int) -> Iterator[None]:
    """SQLite's busy timeout for this connection, then back to what it was."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("PRAGMA busy_timeout")
        before = int(cur.fetchone()[0])
        cur.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA busy_timeout = {before}")


def _advisory_lock(waiting: Callable[[], None] | None) -> None:
    """Take the imports' advisory lock for this transaction, waiting for the import that holds it."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
        if cur.fetchone()[0]:
            return
        if waiting is not None:
            waiting()
        cur.execute(f"SET LOCAL lock_timeout = '{IMPORT_WAIT_SECONDS}s'")
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def _sqlstate(e: BaseException) -> str:
    """PostgreSQL's error code, on a raw psycopg error (bulk ``COPY``) or under Django's wrapper."""
    return str(getattr(e, "sqlstate", None) or getattr(e.__cause__, "sqlstate", None) or "")


def _key_taken(e: Exception) -> bool:
    """A unique key refused a row (PostgreSQL 23505, SQLite "UNIQUE constraint failed").

    Other integrity errors are faults of the import itself and stay errors.
    """
    return _sqlstate(e) == "23505" or "UNIQUE constraint failed" in str(e)


def _lock_timed_out(e: Exception) -> bool:
    """SQLite's "database is locked", or PostgreSQL's lock_not_available (55P03)."""
    return "database is locked" in str(e) or _sqlstate(e) == "55P03"


@dataclass
class TableCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportSummary:
    """What an import did, per table, and the warnings it passed over."""

    source: str
    counts: dict[str, TableCounts] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    areas_created: int = 0
    pairings_opened: int = 0
    pairings_closed: int = 0
    #: Monitoring objects created from 户类型 监测对象-*, and those whose category the file changed.
    monitoring_included: int = 0
    monitoring_recategorised: int = 0
    #: Open monitoring objects a 监测对象 sheet marked 风险已消除.
    monitoring_eliminated: int = 0
    #: National layout: the profile used and the columns the registry has no place for.
    layout_note: str = ""
    #: One summary per department feed file stored with the import.
    feeds: list[Any] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        return sum(c.inserted + c.updated for c in self.counts.values())

    def __str__(self) -> str:
        lines = [f"导入 / import {self.source}（{self.seconds:.1f} 秒）"]
        lines.append(
            f"{'表':<8}{'读取 read':>12}{'新增 inserted':>15}{'更新 updated':>14}{'未变 unchanged':>16}"
        )
        for t in ix.TABLES:
            c = self.counts.get(t.key)
            if c is not None:
                lines.append(f"{t.name:<8}{c.read:>12,}{c.inserted:>15,}{c.updated:>14,}{c.unchanged:>16,}")
        if self.areas_created:
            lines.append(f"新建乡镇/村 / areas created: {self.areas_created}")
        if self.pairings_opened or self.pairings_closed:
            lines.append(f"结对 / pairings opened {self.pairings_opened}, closed {self.pairings_closed}")
        if self.monitoring_included or self.monitoring_recategorised:
            lines.append(
                f"监测对象：按户类型新纳入 {self.monitoring_included:,} 户，"
                f"变更监测对象类型 {self.monitoring_recategorised:,} 户"
            )
        if self.monitoring_eliminated:
            lines.append(f"监测对象：按导入文件标记风险已消除 {self.monitoring_eliminated:,} 户")
        lines.extend(str(f) for f in self.feeds)
        if self.layout_note:
            lines.append(self.layout_note)
        lines.append(f"警告 / warnings: {len(self.warnings)}")
        return "\n".join(lines)


def _blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        [
            pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
            for c, t in frame.schema.items()
            if t == pl.Utf8
        ]
    )


def _stored(sql: str, cols: dict[str, Any]) -> pl.DataFrame:
    return _blank_to_null(query_frame(sql, [], cols))


def _classify(
    new: pl.DataFrame, old: pl.DataFrame, on: list[str], compare: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(rows to insert, rows to update with the old values as ``<col>_db`` and ``pk``, unchanged count)."""
    renamed = old.rename({c: f"{c}_db" for c in old.columns if c not in on and c != "pk"})
    joined = new.join(renamed, on=on, how="left", nulls_equal=True)
    exists = pl.col("pk").is_not_null()
    differs = (
        pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_db")) for c in compare])
        if compare
        else pl.lit(False)
    )
    inserts = joined.filter(~exists)
    updates = joined.filter(exists & differs)
    return inserts, updates, joined.height - inserts.height - updates.height


def _problem(table: ix.Table, row: int | None, header: str, value: Any, zh: str, en: str) -> Problem:
    return Problem(table.name, row, header, None if value is None else str(value), zh, en)


def _known(result: ReadResult) -> Known:
    """The stored households and members the file's rows may refer to (members only when needed)."""
    fr = result.frames
    households = _stored("SELECT household_id FROM registry_household", {"household_id": pl.Utf8})
    if "members" in fr or "households" in fr:
        members = _stored(
            "SELECT id_number, household_id, relation FROM registry_member",
            {"id_number": pl.Utf8, "household_id": pl.Utf8, "relation": pl.Utf8},
        )
    else:
        members = Known.nothing().members
    return Known(households, members)


def _database_checks(result: ReadResult, known: Known) -> list[Problem]:
    """Checks that need the registry: unknown villages, IDs stored for another household."""
    errors: list[Problem] = []
    fr = result.frames
    villages = _stored("SELECT code FROM registry_area WHERE level = 'village'", {"village_code": pl.Utf8})
    known_villages = set(villages["village_code"].to_list())
    if "villages" in fr:
        counties = _stored("SELECT code FROM registry_area WHERE level = 'county'", {"code": pl.Utf8})
        vil = fr["villages"].filter(pl.col("village_code").is_not_null())
        orphan = vil.filter(~pl.col("village_code").str.slice(0, 6).is_in(counties["code"].implode()))
        for row, code in orphan.select(ROW, "village_code").iter_rows():
            errors.append(
                _problem(
                    ix.VILLAGES,
                    row,
                    "行政区划代码",
                    code,
                    f"前 6 位 {code[:6]} 不是系统中的县区代码",
                    f"the first 6 digits {code[:6]} are not a county known to the system",
                )
            )
        known_villages |= set(vil.join(orphan, on="village_code", how="anti")["village_code"].to_list())
    if "households" in fr:
        hh = fr["households"]
        bad = hh.filter(
            pl.col("village_code").is_not_null() & ~pl.col("village_code").is_in(list(known_villages))
        )
        for row, code in bad.select(ROW, "village_code").iter_rows():
            errors.append(
                _problem(
                    ix.HOUSEHOLDS,
                    row,
                    "行政区划代码",
                    code,
                    "未知的村：系统中没有该村，村表中也没有",
                    "unknown village: not stored and not in the 村 sheet",
                )
            )
    if "members" in fr:
        stored = known.members.rename({"household_id": "household_id_db"})
        moved = (
            fr["members"]
            .join(stored.select("id_number", "household_id_db"), on="id_number", how="inner")
            .filter(pl.col("household_id") != pl.col("household_id_db"))
        )
        for row, idn, other in moved.select(ROW, "id_number", "household_id_db").iter_rows():
            errors.append(
                _problem(
                    ix.MEMBERS,
                    row,
                    "证件号码",
                    mask(idn),
                    f"该证件号码已登记在其他户（{other}）",
                    f"this ID number is already registered in another household ({other})",
                )
            )
    return errors


def validate(source: Path | ReadResult) -> ReadResult:
    """Everything :func:`load` checks, against the registry, writing nothing.

    The result's ``errors`` are those of :func:`read` with the references to households checked
    over registry ∪ file instead of the file alone, plus the registry checks; an empty list means
    :func:`load` will write the file. Use it to show a file's problems before confirming an import.
    """
    from zengshou import setup_django

    setup_django()
    result = source if isinstance(source, ReadResult) else read(Path(source))
    if not result.frames:
        return result
    replaced = {id(p) for p in result.reference_errors}
    known = _known(result)
    references = reference_checks(result.frames, known)
    kept = [p for p in result.errors if id(p) not in replaced]
    errors = sorted([*kept, *references, *_database_checks(result, known)], key=sort_key)
    warnings = list(result.warnings)
    if "households" in result.frames:
        from zengshou.ingest.monitoring import eliminated_in_file, kept_in_monitoring

        _, monitored = kept_in_monitoring(
            result.frames["households"], eliminated_in_file(result.frames.get("monitoring"))
        )
        warnings = sorted([*warnings, *monitored], key=sort_key)
    return replace(result, errors=errors, reference_errors=references, warnings=warnings)


def _rows(frame: pl.DataFrame, cols: list[str]) -> list[tuple[Any, ...]]:
    return frame.select(cols).rows() if cols else []


def _fill_text(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    cols = [c for c in _NOT_NULL_TEXT.get(key, ()) if c in frame.columns]
    return frame.with_columns([pl.col(c).fill_null("") for c in cols])


def load(
    source: Path | ReadResult,
    *,
    username: str = "cli",
    show_progress: bool = False,
    confirm_changes: Callable[[list[Any]], None] | None = None,
) -> ImportSummary:
    """Check ``source`` whole (file and database), then write every row in one transaction or none.

    Raises :class:`ImportRejected` with every error when anything is wrong; nothing is written then.
    ``confirm_changes`` is shown the 务工状况 changes a 人社 feed in the file implies
    (:class:`~zengshou.ingest.feeds.StatusChange`) before anything is written; it raises to stop.
    """
    from zengshou import setup_django

    setup_django()
    start = time.perf_counter()
    with progress("读取 / read", None, enabled=show_progress):
        raw = source if isinstance(source, ReadResult) else read(Path(source))
    if raw.errors and not raw.frames:  # unreadable: nothing to check against the registry
        raise ImportRejected(raw.errors, raw.warnings)
    if confirm_changes is not None and ("employment" in raw.frames or ix.FEED_MIGRANT_OUT.key in raw.frames):
        # Shown before the write lock is taken: an official reading the list holds no one else up.
        # The check is repeated under the lock, so what changed meanwhile is still refused.
        checked = validate(raw)
        if checked.errors:
            raise ImportRejected(checked.errors, checked.warnings)
        from zengshou.ingest.feeds import import_changes

        confirm_changes(import_changes(checked))
    with import_transaction(_say_waiting if show_progress else None):
        summary = _check_and_write(raw, username, show_progress)
    summary.seconds = time.perf_counter() - start
    from zengshou.quality.store import after_import

    after_import(summary.source, username)
    return summary


def _say_waiting() -> None:
    print("另一项导入正在写入数据库，本次导入排队等待其完成……", file=sys.stderr, flush=True)


def _check_and_write(raw: ReadResult, username: str, show_progress: bool) -> ImportSummary:
    """Inside the import transaction: check against the registry as it is now, then write."""
    with progress("校验 / check", None, enabled=show_progress):
        result = validate(raw)
    if result.errors:
        raise ImportRejected(result.errors, result.warnings)
    name = str(result.source.name if result.source else "")
    summary = ImportSummary(source=name, warnings=list(result.warnings))
    total = sum(f.height for k, f in result.frames.items() if k in {t.key for t in ix.TABLES})
    events: list[dict[str, Any]] = []
    with progress("导入 / import", total, enabled=show_progress) as advance:
        first_import = not _any_households()
        if "villages" in result.frames:
            _load_villages(result, summary, events)
        monitoring = result.frames.get("monitoring")
        kept_events: list[dict[str, Any]] = []
        if monitoring is not None:
            from zengshou.ingest.monitoring import eliminate_imported

            summary.monitoring_eliminated = eliminate_imported(
                monitoring, source_file=name, username=username, events=kept_events
            )
        types_before = _types_before(result)
        for table in (ix.HOUSEHOLDS, ix.MEMBERS, ix.INCOME):
            if table.key in result.frames:
                _load_table(result, table, summary, events, advance)
        if "cadres" in result.frames:
            _load_cadres(result, summary, events)
        if types_before is not None:
            from zengshou.ingest.monitoring import include_imported

            summary.monitoring_included, summary.monitoring_recategorised = include_imported(
                result.frames["households"].select("household_id", "household_type"),
                types_before,
                since=_inclusion_dates(result),
                source_file=name,
                username=username,
                events=kept_events,
            )
        if monitoring is not None and "households" in result.frames:
            from zengshou.ingest.monitoring import record_details

            record_details(monitoring, result.frames["households"], source_file=name, username=username)
        summary.feeds = _load_feeds(result, username)
        if len(events) > AUDIT_PER_ROW_LIMIT or first_import:
            events = []
        events.extend(kept_events)
        events.append(
            {
                "username": username,
                "action": "import",
                "object_type": "interchange",
                "object_id": name[:60],
                "detail": {
                    "source": str(result.source or ""),
                    "counts": {k: vars(c) for k, c in summary.counts.items()},
                    "warnings": len(summary.warnings),
                    "areas_created": summary.areas_created,
                },
            }
        )
        for e in events:
            e.setdefault("username", username)
        from zengshou.registry.audit import record_many

        record_many(events)
    return summary


def preview(source: Path | ReadResult) -> dict[str, TableCounts]:
    """Per table, what :func:`load` would do with a checked file (new / changed / unchanged rows).

    Read-only: the same classification against the registry as the import itself, nothing written;
    rows that would take a monitoring object out of monitoring count as :func:`load` keeps them.
    """
    from zengshou import setup_django

    setup_django()
    result = source if isinstance(source, ReadResult) else validate(source)
    frames = dict(result.frames)
    if "households" in frames and "household_type" in result.columns.get("households", []):
        from zengshou.ingest.monitoring import eliminated_in_file, kept_in_monitoring

        frames["households"] = kept_in_monitoring(
            frames["households"], eliminated_in_file(frames.get("monitoring"))
        )[0]
    result = replace(result, frames=frames)
    counts: dict[str, TableCounts] = {}
    if "villages" in frames:
        counts["villages"] = _classify_villages(result).counts()
    for table in (ix.HOUSEHOLDS, ix.MEMBERS, ix.INCOME):
        if table.key in frames:
            counts[table.key] = _classify_table(result, table).counts()
    if "cadres" in frames:
        counts["cadres"] = _classify_cadres(result).counts()
    return counts


def _types_before(result: ReadResult) -> pl.DataFrame | None:
    """The stored 户类型 of the file's households before the import (None: the file gives none).

    Rows that would take a monitoring object out of monitoring keep its type (see
    :func:`zengshou.ingest.monitoring.kept_in_monitoring`); the frame in ``result`` is changed so.
    """
    if "households" not in result.frames or "household_type" not in result.columns.get("households", []):
        return None
    from zengshou.ingest.monitoring import eliminated_in_file, kept_in_monitoring

    result.frames["households"] = kept_in_monitoring(
        result.frames["households"], eliminated_in_file(result.frames.get("monitoring"))
    )[0]
    return _stored(
        "SELECT household_id, household_type FROM registry_household",
        {"household_id": pl.Utf8, "type_before": pl.Utf8},
    )


def _inclusion_dates(result: ReadResult) -> pl.DataFrame | None:
    """识别监测时间 where a 监测对象 sheet gives it; else 1 January of the latest income year in the
    file, per household (else the file's latest)."""
    monitoring = result.frames.get("monitoring")
    if monitoring is not None:
        return monitoring.select("household_id", pl.col("identified_month").alias("included_on"))
    income = result.frames.get("income")
    if income is None or income.is_empty():
        return None
    households = result.frames["households"].select("household_id")
    latest = income.group_by("household_id").agg(pl.col("year").max())
    fallback = income["year"].max()
    return households.join(latest, on="household_id", how="left").select(
        "household_id",
        pl.date(pl.col("year").fill_null(fallback), 1, 1).alias("included_on"),
    )


def feed_sources(result: ReadResult) -> list[tuple[ix.Table, Path]]:
    """The department feeds the file holds, each with the file it came from (CSV, or the workbook)."""
    source = result.source
    if source is None:
        return []
    present = [f for f in (*ix.FEEDS, *ix.MIGRANT_FEEDS) if f.key in result.frames]
    if not source.is_dir():
        return [(f, source) for f in present]
    files = {p.stem.strip(): p for p in sorted(source.glob("*.csv")) if not p.name.startswith("_")}
    return [(f, files[f.name]) for f in present if f.name in files]


def _load_feeds(result: ReadResult, username: str) -> list[Any]:
    """Store every feed of the file as ``zengshou feed import`` would, in the caller's transaction."""
    from zengshou.ingest.feeds import FeedRead, store_feed

    sums: dict[Path, str] = {}
    given = facts_given(result)
    out = []
    for spec, path in feed_sources(result):
        if path not in sums:
            sums[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        workbook = path.suffix.lower() in WORKBOOK_SUFFIXES
        fr = FeedRead(
            spec.name,
            result.frames[spec.key],
            warnings=[w for w in result.warnings if w.table == spec.name],
            checksum=sums[path],
        )
        name = f"{path.name}（{spec.name}）" if workbook else path.name
        out.append(store_feed(spec, fr, name, str(path), username=username, given=given))
    return out


def facts_given(result: ReadResult) -> dict[str, pl.Series]:
    """Per "member.<column>" / "household.<column>", the keys the file's tables give a value for.

    A feed stored with the file leaves those as the tables say (the tables win), so importing the
    same folder twice changes nothing.
    """
    out: dict[str, pl.Series] = {}
    for key, kind, id_col in (
        ("members", "member", "id_number"),
        ("households", "household", "household_id"),
    ):
        frame = result.frames.get(key)
        if frame is None:
            continue
        for column in result.columns.get(key, []):
            if column in frame.columns and column != id_col:
                out[f"{kind}.{column}"] = frame.filter(pl.col(column).is_not_null())[id_col]
    return out


def _any_households() -> bool:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM registry_household LIMIT 1")
        return cur.fetchone() is not None


def _masked(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key == "id_number":
        return mask(str(value))
    if key == "name":
        return mask_name(str(value))
    if key == "phone":
        return mask_phone(str(value))
    return value if isinstance(value, int | float | bool | str) else str(value)


def _change_events(
    updates: pl.DataFrame,
    table: ix.Table,
    compare: list[str],
    object_key: list[str],
    events: list[dict[str, Any]],
) -> None:
    if len(events) + updates.height > AUDIT_PER_ROW_LIMIT:
        events.extend([{}] * updates.height)  # placeholder count: the per-row trail is dropped anyway
        return
    for row in updates.iter_rows(named=True):
        changed = {
            c: [_masked(c, row[f"{c}_db"]), _masked(c, row[c])] for c in compare if row[c] != row[f"{c}_db"]
        }
        oid = "/".join("" if row[k] is None else str(row[k]) for k in object_key)
        events.append(
            {
                "action": "import.update",
                "object_type": table.key,
                "object_id": mask(oid) if object_key == ["id_number"] else oid[:60],
                "detail": {"changed": changed},
            }
        )


class _Classified(NamedTuple):
    """A table's rows against the registry: what :func:`load` writes and :func:`preview` counts."""

    frame: pl.DataFrame
    inserts: pl.DataFrame
    updates: pl.DataFrame
    unchanged: int
    compare: list[str]
    key: list[str]
    db_table: str
    pk: str

    def counts(self) -> TableCounts:
        return TableCounts(self.frame.height, self.inserts.height, self.updates.height, self.unchanged)


def _classify_table(result: ReadResult, table: ix.Table) -> _Classified:
    frame = result.frames[table.key].drop(ROW)
    present = [k for k in result.columns.get(table.key, table.keys) if k in table.keys]
    key = list(table.natural_key)
    # A member's 户编号 is compared too: a row that would move a person counts as a change, never
    # as unchanged (the checks refuse such a move before anything is written).
    compare = [k for k in present if k not in key]
    db_table = f"registry_{'household' if table.key == 'households' else 'member' if table.key == 'members' else 'income'}"
    pk = "household_id" if table.key == "households" else "id"
    select_cols = [pk if table.key != "households" else "household_id", *key, *compare]
    sql_cols = ", ".join(dict.fromkeys(select_cols))
    stored_schema = {"pk": pl.Utf8 if table.key == "households" else pl.Int64}
    full = schema(table)
    for k in dict.fromkeys(select_cols[1:]):
        stored_schema[k] = full[k]
    if table.key == "households":
        sql = f"SELECT household_id AS pk, {', '.join(dict.fromkeys(select_cols[1:]))} FROM {db_table}"
    else:
        sql = f"SELECT {sql_cols} FROM {db_table}"
    old = _stored(sql, stored_schema)
    for c in compare:
        if full[c] == pl.Float64:
            frame = frame.with_columns(pl.col(c).round(2))
            old = old.with_columns(pl.col(c).round(2))
    if table.key == "income":
        frame = frame.with_columns([pl.col(c).fill_null(0.0) for c in compare if c in ix.INCOME_AMOUNTS])
    inserts, updates, unchanged = _classify(frame, old, key, compare)
    return _Classified(frame, inserts, updates, unchanged, compare, key, db_table, pk)


def _load_table(
    result: ReadResult,
    table: ix.Table,
    summary: ImportSummary,
    events: list[dict[str, Any]],
    advance: Any,
) -> None:
    c = _classify_table(result, table)
    frame, inserts, updates, unchanged, compare, key, db_table, pk = c
    summary.counts[table.key] = c.counts()
    now = bulk.timestamp()
    insert_cols = [c for c in table.keys if c in frame.columns]
    ins = _fill_text(inserts.select(insert_cols), table.key)
    if table.key == "income":
        ins = ins.with_columns([pl.col(c).fill_null(0.0) for c in ix.INCOME_AMOUNTS])
    if table.key == "households":
        ins = ins.with_columns(pl.lit(now).alias("updated_at"))
    bulk.insert(db_table, ins.columns, ins, advance)
    upd_cols = list(compare)
    upd = _fill_text(updates.select(["pk", *upd_cols]), table.key)
    if table.key == "households":
        upd = upd.with_columns(pl.lit(now).alias("updated_at"))
        upd_cols.append("updated_at")
    if table.key == "members" and "relation" in upd_cols:
        # A head handing over to another member: step down first so the one-head index holds.
        leaving = updates["relation_db"].eq_missing("户主") & updates["relation"].ne_missing("户主")
        bulk.update(db_table, "id", upd_cols, upd.filter(leaving).rows())
        bulk.update(db_table, "id", upd_cols, upd.filter(~leaving).rows(), advance)
    else:
        bulk.update(db_table, pk, upd_cols, upd.rows(), advance)
    advance(unchanged)
    _change_events(updates, table, compare, key, events)
    if len(events) <= AUDIT_PER_ROW_LIMIT and inserts.height + len(events) <= AUDIT_PER_ROW_LIMIT:
        for row in inserts.select(key).rows():
            oid = "/".join("" if v is None else str(v) for v in row)
            events.append(
                {
                    "action": "import.insert",
                    "object_type": table.key,
                    "object_id": mask(oid) if key == ["id_number"] else oid[:60],
                    "detail": {},
                }
            )
    else:
        events.extend([{}] * inserts.height)


def _classify_villages(result: ReadResult) -> _Classified:
    vil = result.frames["villages"].drop(ROW)
    present = result.columns.get("villages", [])
    stored = _stored(
        "SELECT v.code, v.name, v.collective_income_10k FROM registry_area v WHERE v.level = 'village'",
        {"village_code": pl.Utf8, "village_name": pl.Utf8, "collective_income_10k": pl.Float64},
    ).with_columns(pl.col("village_code").alias("pk"))
    compare: list[str] = [k for k in ("village_name", "collective_income_10k") if k in present]
    vil = vil.with_columns(pl.col("collective_income_10k").round(2))
    inserts, updates, unchanged = _classify(vil, stored, ["village_code"], compare)
    return _Classified(vil, inserts, updates, unchanged, compare, ["village_code"], "registry_area", "code")


def _load_villages(result: ReadResult, summary: ImportSummary, events: list[dict[str, Any]]) -> None:
    """Villages (and their townships) missing from the registry are created under their county."""
    c = _classify_villages(result)
    inserts, updates, compare = c.inserts, c.updates, c.compare
    summary.counts["villages"] = c.counts()
    townships = set(
        _stored("SELECT code FROM registry_area WHERE level = 'township'", {"code": pl.Utf8})[
            "code"
        ].to_list()
    )
    new_towns = (
        inserts.with_columns(pl.col("village_code").str.slice(0, 9).alias("code"))
        .filter(~pl.col("code").is_in(list(townships)))
        .group_by("code", maintain_order=True)
        .agg(pl.col("township_name").drop_nulls().first())
        .sort("code")
    )
    town_rows = [
        (code, name or f"乡镇{code[6:]}", "township", code[:6], None) for code, name in new_towns.rows()
    ]
    cols = ["code", "name", "level", "parent_id", "collective_income_10k"]
    bulk.insert("registry_area", cols, town_rows)
    village_rows = [
        (code, name, "village", code[:9], income)
        for code, name, income in inserts.select(
            "village_code", "village_name", "collective_income_10k"
        ).rows()
    ]
    bulk.insert("registry_area", cols, village_rows)
    summary.areas_created = len(town_rows) + len(village_rows)
    db_cols = {"village_name": "name", "collective_income_10k": "collective_income_10k"}
    bulk.update(
        "registry_area", "code", [db_cols[c] for c in compare], updates.select(["pk", *compare]).rows()
    )
    _change_events(updates, ix.VILLAGES, compare, ["village_code"], events)


def _classify_cadres(result: ReadResult) -> _Classified:
    cad = result.frames["cadres"]
    present = result.columns.get("cadres", [])
    compare: list[str] = [k for k in ("name", "unit", "rank", "county_code") if k in present]
    stored = _stored(
        "SELECT cadre_id, name, unit, rank, county_code FROM registry_cadre",
        {"cadre_id": pl.Utf8, "name": pl.Utf8, "unit": pl.Utf8, "rank": pl.Utf8, "county_code": pl.Utf8},
    ).with_columns(pl.col("cadre_id").alias("pk"))
    inserts, updates, unchanged = _classify(cad.drop(ROW), stored, ["cadre_id"], compare)
    return _Classified(cad, inserts, updates, unchanged, compare, ["cadre_id"], "registry_cadre", "cadre_id")


def _load_cadres(result: ReadResult, summary: ImportSummary, events: list[dict[str, Any]]) -> None:
    """Cadres upserted by 干部编号; their 现帮扶户编号 become the open pairs (others of theirs are closed)."""
    c = _classify_cadres(result)
    cad, inserts, updates, compare = c.frame, c.inserts, c.updates, c.compare
    present = result.columns.get("cadres", [])
    summary.counts["cadres"] = c.counts()
    cols = ["cadre_id", "name", "unit", "rank", "county_code"]
    bulk.insert("registry_cadre", cols, _fill_text(inserts.select(cols), "cadres").rows())
    bulk.update(
        "registry_cadre", "cadre_id", compare, _fill_text(updates.select(["pk", *compare]), "cadres").rows()
    )
    _change_events(updates, ix.CADRES, compare, ["cadre_id"], events)
    if "current_households" not in present:
        return
    wanted = cadre_pairs(cad).select("cadre_id", "household_id")
    open_pairs = _stored(
        "SELECT id, cadre_id, household_id FROM registry_pairing WHERE ended_on IS NULL",
        {"id": pl.Int64, "cadre_id": pl.Utf8, "household_id": pl.Utf8},
    )
    cadres_in_file = cad["cadre_id"].implode()
    keep = open_pairs.join(wanted, on=["cadre_id", "household_id"], how="semi")
    close = open_pairs.filter(
        ~pl.col("id").is_in(keep["id"].implode())
        & (
            pl.col("cadre_id").is_in(cadres_in_file)
            | pl.col("household_id").is_in(wanted["household_id"].implode())
        )
    )
    opened = wanted.join(open_pairs, on=["cadre_id", "household_id"], how="anti")
    today = dt.date.today().isoformat()
    bulk.update("registry_pairing", "id", ["ended_on"], [(i, today) for i in close["id"].to_list()])
    bulk.insert(
        "registry_pairing",
        ["cadre_id", "household_id", "started_on", "ended_on", "source"],
        [(c, h, today, None, "import") for c, h in opened.rows()],
    )
    summary.pairings_opened = opened.height
    summary.pairings_closed = close.height
