"""Department feeds (部门数据): read and check a feed file, store it as a batch, update registry facts.

Rows are matched to members by 证件号码 (住建: to households by 户编号 where given; 应急: to areas
by 行政区划代码). Unmatched rows are kept with a null link, counted and every one listed (and written
to the report workbook when asked). Facts the registry holds are updated from the feed (残联 →
disability grade, 民政 → 低保/特困, 人社 → 未务工, 教育 → 辍学, stage or graduation year, 住建 →
housing safety), each change audited with the feed as its source, so the monitoring rules (M07,
``zengshou.registry.read``) see the same data.

人社 and 务工状况: a feed often covers only the workers a department registered, so it changes a
member's 务工状况 only where it says so — a job end row (or an open 失业 registration,
``zengshou.rules.employment``) and no job held today; members it does not mention are never
touched. :func:`preview_feed` lists those changes without writing (the CLI asks for ``--apply``, the
web upload shows them before the confirm button); when the member sheet of the same import gives a
member's 务工状况, the sheet wins over the feed.

A folder or workbook import (``zengshou import``) stores the feed files in it through
:func:`store_feed`, the same code as ``zengshou feed import``, in the import's transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from zengshou import interchange as ix
from zengshou.ingest import migrant_work
from zengshou.ingest.columns import ROW, Checker, check_table
from zengshou.ingest.migrant_work import FactChange
from zengshou.ingest.problems import ImportRejected, Problem, write_error_report
from zengshou.ingest.reader import WORKBOOK_SUFFIXES, Unreadable, _sheets, prepare, raw_csv, unreadable
from zengshou.registry import bulk
from zengshou.registry.idnumber import mask
from zengshou.rules.employment import holds_job, is_unemployment_registration, lost_on
from zengshou.rules.facts import ORGANISED_CHANNELS

NOT_WORKING = "未务工"

FEED_KINDS: tuple[str, ...] = ("医保", "残联", "民政", "人社", "教育", "住建", "应急")
#: The national system's monthly migrant-work lists, imported as feeds (one file per list and month).
MIGRANT_KINDS: tuple[str, ...] = tuple(t.name for t in ix.MIGRANT_FEEDS)
ALL_KINDS: tuple[str, ...] = FEED_KINDS + MIGRANT_KINDS

#: Feed kind → (record table, columns written besides batch and links).
_RECORD_TABLES: dict[str, str] = {
    "medical": "registry_medicalrecord",
    "disability": "registry_disabilityrecord",
    "civil": "registry_civilassistancerecord",
    "employment": "registry_employmentrecord",
    "education": "registry_educationrecord",
    "housing": "registry_housingrecord",
    "disaster": "registry_disasterrecord",
    "migrant_out": "registry_migrantworkrecord",
    "migrant_planned": "registry_migrantworkrecord",
}
_BLANK_TEXT = {"category", "employer", "stage"}
#: The columns of a migrant-work record (both lists share the table); text stored blank, not null.
_MIGRANT_COLUMNS = tuple(dict.fromkeys(c.key for t in ix.MIGRANT_FEEDS for c in t.columns))
_MIGRANT_TEXT = {"id_number", "work", "work_place", "job_channel", "employer", "wish", "needs"}
_ZERO_AMOUNTS = {"total_cost", "basic_reimbursed", "critical_reimbursed", "assistance", "self_paid"}
#: Unmatched rows printed in the summary; all of them go to the report workbook.
UNMATCHED_PRINTED = 20


def feed_table(kind: str) -> ix.Table:
    spec = ix.FEEDS_BY_NAME.get(kind.strip())
    if spec is None:
        raise ValueError(f"未知的部门数据类型 {kind!r}，应为 {'、'.join(ALL_KINDS)} / unknown feed kind")
    return spec


@dataclass
class FeedRead:
    """A checked feed file: typed rows (``_row`` = spreadsheet row), problems, file checksum."""

    kind: str
    frame: pl.DataFrame
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    checksum: str = ""
    #: The month a migrant-work list reports (its first day), and where it was read.
    month: dt.date | None = None
    month_from: str = ""

    @property
    def rows(self) -> int:
        return self.frame.height


@dataclass(frozen=True)
class StatusChange:
    """One member's 务工状况 a 人社 feed changes: where in the feed, from what, to what, since when."""

    row: int | None
    id_number: str  # masked
    household_id: str | None
    old: str
    new: str
    date: str | None

    def problem(self, kind: str = "人社") -> Problem:
        """The change as a report row (sheet 警告 of the report workbook)."""
        since = f"（人社数据：{self.date} 起无就业）" if self.date else "（人社数据：无在业记录）"
        return Problem(
            kind,
            self.row,
            "务工状况",
            self.id_number,
            f"户{self.household_id or '—'}：务工状况将由“{self.old or '空'}”改为“{self.new}”{since}",
            f"household {self.household_id or '-'}: 务工状况 changes from {self.old or 'empty'} to {self.new}",
        )

    def __str__(self) -> str:
        return f"第{self.row}行 {self.id_number} 户{self.household_id or '—'}：{self.old or '空'} → {self.new}（{self.date or '—'}）"


@dataclass
class FeedSummary:
    kind: str
    source: str
    batch_id: int | None = None
    rows: int = 0
    matched: int = 0
    unmatched: int = 0
    #: Every row that matched nothing: row number, what was looked up (ID numbers masked).
    unmatched_rows: list[Problem] = field(default_factory=list)
    #: Registry facts changed, e.g. {"member.disability_grade": 3}.
    facts: dict[str, int] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    duplicate: bool = False
    #: The workbook listing every unmatched row and warning, when one was asked for.
    report: Path | None = None
    #: 务工状况 changed by a 人社 feed, one per member (also in the report's sheet 警告).
    status_changes: list[StatusChange] = field(default_factory=list)
    #: Member facts a 已外出务工 list changed, one per member and fact (also in the report's sheet 警告).
    fact_changes: list[FactChange] = field(default_factory=list)
    #: The month of a migrant-work list.
    month: dt.date | None = None
    #: Members on a 已外出务工 list left alone because a later month's list was imported for them.
    later_kept: int = 0
    #: Members whose 务工状况 the member sheet of the same import gave: left as the sheet says.
    work_kept: int = 0
    #: Other registry facts the tables of the same import gave, left as they say, e.g. {"member.dibao": 2}.
    facts_kept: dict[str, int] = field(default_factory=dict)
    #: "member.<column>" / "household.<column>" → the ID numbers / 户编号 the tables of the same import
    #: give that column for: the tables win, so importing the folder twice changes nothing.
    given: dict[str, pl.Series] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        if self.duplicate:
            return f"部门数据 {self.kind}：文件 {self.source} 已导入过，未重复写入 / already imported, nothing written"
        facts = "，".join(f"{k} {v}" for k, v in self.facts.items()) or "无"
        month = f"，{self.month:%Y年%m月}名单" if self.month else ""
        lines = [
            f"部门数据 {self.kind}（{self.source}{month}）：读取 {self.rows:,} 行，匹配 {self.matched:,}，"
            f"未匹配 {self.unmatched:,}",
            f"  更新登记信息 / registry facts changed：{facts}",
        ]
        if self.fact_changes:
            people = len({c.id_number for c in self.fact_changes})
            lines.append(f"  已按名单更新 {people:,} 人的 {len(self.fact_changes):,} 项务工信息：")
            lines.extend(f"    {c}" for c in self.fact_changes[:UNMATCHED_PRINTED])
            if len(self.fact_changes) > UNMATCHED_PRINTED:
                lines.append(f"    …… 另有 {len(self.fact_changes) - UNMATCHED_PRINTED:,} 项")
        if self.later_kept:
            lines.append(f"  {self.later_kept:,} 人已导入过更晚月份的名单，其务工信息未按本名单更改")
        if self.status_changes:
            lines.append(f"  已更新 {len(self.status_changes):,} 人的务工状况（人社数据显示就业已终止）：")
            lines.extend(f"    {c}" for c in self.status_changes[:UNMATCHED_PRINTED])
            if len(self.status_changes) > UNMATCHED_PRINTED:
                lines.append(f"    …… 另有 {len(self.status_changes) - UNMATCHED_PRINTED:,} 人")
        if self.facts_kept:
            kept = "，".join(f"{k} {v}" for k, v in self.facts_kept.items())
            lines.append(f"  以同时导入的家庭/成员表为准、未按部门数据更改：{kept}")
        if self.work_kept:
            lines.append(f"  {self.work_kept:,} 人的务工状况以同时导入的家庭成员表为准，未按人社数据更改")
        for p in self.unmatched_rows[:UNMATCHED_PRINTED]:
            lines.append(f"  未匹配 / unmatched: {p}")
        more = self.unmatched - min(self.unmatched, UNMATCHED_PRINTED)
        if more:
            where = (
                f"全部见报告 / all listed in {self.report}"
                if self.report
                else "用 --error-report 文件.xlsx 可导出全部 / --error-report FILE.xlsx lists them all"
            )
            lines.append(f"  …… 另有 {more:,} 行未匹配 / {more:,} more unmatched rows；{where}")
        elif self.report and self.unmatched:
            lines.append(f"  未匹配清单 / unmatched rows: {self.report}")
        return "\n".join(lines)


def read_feed(kind: str, path: Path) -> FeedRead:
    """Read and check one feed file (CSV, or a workbook whose sheet is named as the feed or is first)."""
    spec = feed_table(kind)
    path = Path(path)
    try:
        if not path.is_file():
            raise unreadable(
                path,
                "找不到该文件：请检查路径和文件名"
                if not path.exists()
                else "这是文件夹，不是文件：请给出CSV或.xlsx文件",
                "no such file: check the path and the file name"
                if not path.exists()
                else "this is a folder, not a file: give a CSV or .xlsx file",
            )
        data = path.read_bytes()
        sheet = None
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            sheets = _sheets(path)
            sheet = spec.name if spec.name in sheets else next(iter(sheets), None)
            raw = sheets[sheet] if sheet is not None else pl.DataFrame()
        else:
            raw, _ = raw_csv(path)
    except Unreadable as e:
        return FeedRead(spec.name, pl.DataFrame(), [e.problem])
    except OSError as e:
        problem = unreadable(
            path, f"无法读取文件：{e.strerror}", f"cannot read the file: {e.strerror}"
        ).problem
        return FeedRead(spec.name, pl.DataFrame(), [problem])
    checksum = hashlib.sha256(data).hexdigest()
    if spec.key in ix.MIGRANT_BY_NAME:
        listed = migrant_work.read_list(spec, raw, path, sheet)
        return FeedRead(
            spec.name, listed.frame, listed.errors, listed.warnings, checksum, listed.month, listed.month_from
        )
    checker = Checker(spec.name)
    prepared = prepare(raw, spec, checker)
    frame = check_table(prepared, spec, checker)
    if spec.key == "housing":
        checker.flag(
            frame,
            pl.col("household_id").is_null() & pl.col("id_number").is_null(),
            "户编号",
            "户编号和证件号码至少填一项",
            "give 户编号 or 证件号码",
        )
    errors = sorted(checker.errors, key=lambda p: (p.row or 0, p.column))
    return FeedRead(spec.name, frame, errors, checker.warnings, checksum)


def _frame(sql: str, params: list[Any], cols: dict[str, Any]) -> pl.DataFrame:
    from zengshou.registry.read import query_frame

    return query_frame(sql, params, cols)


def _iso(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
    )


@dataclass
class FeedPreview:
    """What importing a feed file would do, computed without writing (the confirm step shows it)."""

    read: FeedRead
    matched: int = 0
    unmatched: int = 0
    duplicate: bool = False
    #: The 务工状况 changes a 人社 feed implies (empty for every other feed).
    status_changes: list[StatusChange] = field(default_factory=list)
    #: The member facts a 已外出务工 list changes.
    fact_changes: list[FactChange] = field(default_factory=list)
    #: Warnings found only against the registry (a member listed as away but registered 未务工 …).
    warnings: list[Problem] = field(default_factory=list)

    @property
    def changes(self) -> list[StatusChange | FactChange]:
        """Every registry change the file implies, as the confirm step lists them."""
        return [*self.status_changes, *self.fact_changes]


def preview_feed(kind: str, path: Path) -> FeedPreview:
    """Read and check a feed file and say what :func:`import_feed` would change; nothing is written."""
    from zengshou import setup_django

    setup_django()
    from zengshou.registry.models import FeedBatch

    spec = feed_table(kind)
    fr = read_feed(spec.name, path)
    preview = FeedPreview(fr)
    if fr.errors:
        return preview
    if FeedBatch.objects.filter(kind=spec.name, checksum=fr.checksum).exists():
        preview.duplicate = True
        return preview
    matched = _match(spec, fr.frame)
    unmatched = matched.filter(pl.col(_link(spec)).is_null()).height
    preview.matched, preview.unmatched = matched.height - unmatched, unmatched
    if spec.key == "employment":
        stored = _frame(
            "SELECT id_number, household_id, work FROM registry_member",
            [],
            {"id_number": pl.Utf8, "household_id": pl.Utf8, "work": pl.Utf8},
        )
        preview.status_changes = work_changes(fr.frame, stored)
    if spec.key == ix.FEED_MIGRANT_OUT.key and fr.month is not None:
        changes, _, _, preview.warnings = migrant_work.fact_changes(
            matched.filter(pl.col("member_id").is_not_null()),
            stored_work_facts(),
            fr.month,
            later=later_lists(),
        )
        preview.fact_changes = migrant_work.as_changes(changes, fr.month)
    return preview


def stored_work_facts() -> pl.DataFrame:
    """Every member's 务工 facts as stored (what a 已外出务工 list is compared with)."""
    return _frame(
        "SELECT id_number, household_id, id, work, work_place, job_channel, monthly_wage, work_months "
        "FROM registry_member",
        [],
        {
            "id_number": pl.Utf8,
            "household_id": pl.Utf8,
            "member_id": pl.Int64,
            "work": pl.Utf8,
            "work_place": pl.Utf8,
            "job_channel": pl.Utf8,
            "monthly_wage": pl.Float64,
            "work_months": pl.Int64,
        },
    )


def later_lists(exclude_batch: int | None = None) -> pl.DataFrame:
    """Per ID number, the latest month of a 已外出务工 list already stored (id_number, month)."""
    sql = (
        "SELECT r.id_number, MAX(r.month) FROM registry_migrantworkrecord r "
        "JOIN registry_feedbatch b ON b.id = r.batch_id WHERE b.kind = %s"
    )
    params: list[Any] = [ix.FEED_MIGRANT_OUT.name]
    if exclude_batch is not None:
        sql += " AND r.batch_id <> %s"
        params.append(exclude_batch)
    latest = _frame(sql + " GROUP BY r.id_number", params, {"id_number": pl.Utf8, "month": pl.Utf8})
    return latest.with_columns(pl.col("month").str.slice(0, 10).str.to_date("%Y-%m-%d"))


def work_changes(
    feed: pl.DataFrame,
    members: pl.DataFrame,
    keep: pl.Series | None = None,
    today: dt.date | None = None,
) -> list[StatusChange]:
    """The 务工状况 changes a 人社 feed implies for ``members`` (id_number, household_id, work).

    A member mentioned in the feed with a job end row or an open 失业 registration, and no job held
    today, becomes 未务工 (when not already so); ``keep`` lists ID numbers whose 务工状况 another
    source of the same import gives (the member sheet), left alone. Members not in the feed are
    never changed.
    """
    return _as_changes(_work_change_frame(feed, members, keep, today or dt.date.today()))


def import_status_changes(
    employment: pl.DataFrame, members: pl.DataFrame | None, work_in_file: bool
) -> list[StatusChange]:
    """The 务工状况 changes the 人社 feed of a folder or workbook import implies (registry ∪ file).

    ``members``: the file's member rows, if any; ``work_in_file``: whether they have 务工状况 (the
    members they give it for keep it; see :func:`work_changes`).
    """
    stored = _frame(
        "SELECT id_number, household_id, work FROM registry_member",
        [],
        {"id_number": pl.Utf8, "household_id": pl.Utf8, "work": pl.Utf8},
    )
    keep = None
    if members is not None and not members.is_empty():
        given = members.select(
            "id_number",
            "household_id",
            (pl.col("work") if work_in_file else pl.lit(None, dtype=pl.Utf8)).alias("file_work"),
        )
        merged = given.join(stored.select("id_number", "work"), on="id_number", how="left").select(
            "id_number", "household_id", pl.coalesce("file_work", "work").alias("work")
        )
        stored = pl.concat([merged, stored.join(given, on="id_number", how="anti")])
        if work_in_file:
            keep = given.filter(pl.col("file_work").is_not_null())["id_number"]
    return work_changes(employment, stored, keep)


def _work_change_frame(
    feed: pl.DataFrame, members: pl.DataFrame, keep: pl.Series | None, today: dt.date
) -> pl.DataFrame:
    wanted = _not_working(feed, today)
    if keep is not None and keep.len():
        wanted = wanted.filter(~pl.col("id_number").is_in(keep.implode()))
    return (
        wanted.join(members.select("id_number", "household_id", "work"), on="id_number", how="inner")
        .filter(pl.col("work").fill_null("") != NOT_WORKING)
        .sort(ROW)
    )


def _as_changes(frame: pl.DataFrame) -> list[StatusChange]:
    return [
        StatusChange(row, mask(idn), hid, work or "", NOT_WORKING, date)
        for row, idn, hid, work, date in frame.select(
            ROW, "id_number", "household_id", "work", pl.col("date").cast(pl.Utf8)
        ).iter_rows()
    ]


def _not_working(feed: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """Per ID number the feed says is out of work today: id_number, the date work was lost, its row."""
    if feed.is_empty():
        return pl.DataFrame(schema={"id_number": pl.Utf8, "date": pl.Date, ROW: pl.Int64})
    says_lost = pl.col("end_date").is_not_null() | is_unemployment_registration()
    return (
        feed.group_by("id_number")
        .agg(
            holds_job(today, ending_after=False).any().alias("working"),
            says_lost.any().alias("lost"),
            lost_on().filter(says_lost).max().alias("date"),
            pl.col(ROW).filter(says_lost).max().alias(ROW),
        )
        .filter(~pl.col("working") & pl.col("lost"))
        .select("id_number", "date", pl.col(ROW).cast(pl.Int64))
    )


def _link(spec: ix.Table) -> str:
    return (
        "area_id" if spec.key == "disaster" else "household_id_link" if spec.key == "housing" else "member_id"
    )


def import_feed(kind: str, path: Path, *, username: str = "cli", report: Path | None = None) -> FeedSummary:
    """Check a feed file whole, then store its batch and records and update facts in one transaction.

    With ``report``, every unmatched row (and warning, and 务工状况 change) is written to that
    workbook (sheet 未匹配, 警告), however many there are; the summary prints the first few.
    """
    from zengshou import setup_django
    from zengshou.ingest.load import import_transaction

    setup_django()
    spec = feed_table(kind)
    fr = read_feed(spec.name, path)
    if fr.errors:
        raise ImportRejected(fr.errors, fr.warnings)
    # Matched against the members stored when the lock is held: a feed stored beside an import of
    # the same people, or the same file twice at once, is matched and counted once.
    with import_transaction():
        summary = store_feed(spec, fr, Path(path).name, str(path), username=username)
    if report is not None and not summary.duplicate:
        summary.report = write_feed_report(report, summary)
    return summary


def write_feed_report(path: Path, summary: FeedSummary) -> Path:
    """The report workbook of one feed: warnings and registry changes (警告), unmatched rows (未匹配)."""
    listed: list[StatusChange | FactChange] = [*summary.status_changes, *summary.fact_changes]
    changes = [c.problem(summary.kind) for c in listed]
    return write_error_report(path, [], [*summary.warnings, *changes], unmatched=summary.unmatched_rows)


def store_feed(
    spec: ix.Table,
    fr: FeedRead,
    source_name: str,
    source: str,
    *,
    username: str,
    given: dict[str, pl.Series] | None = None,
) -> FeedSummary:
    """Store one checked feed (batch, records, registry facts, audit); call inside a transaction.

    A file already imported (same kind and checksum) writes nothing. ``given``: the facts the tables of
    the same import give (``FeedSummary.given``); the feed leaves those as the tables say.
    """
    from zengshou.registry.audit import record_many
    from zengshou.registry.models import FeedBatch

    summary = FeedSummary(
        spec.name, source_name, rows=fr.rows, warnings=list(fr.warnings), given=given or {}, month=fr.month
    )
    previous = FeedBatch.objects.filter(kind=spec.name, checksum=fr.checksum).first()
    if previous is not None:
        summary.duplicate = True
        summary.batch_id = previous.pk
        summary.matched, summary.unmatched = previous.matched, previous.unmatched
        return summary
    frame = fr.frame
    if spec.key in ix.MIGRANT_BY_NAME and summary.month is None and not frame.is_empty():
        summary.month = frame["month"].drop_nulls().first()  # type: ignore[assignment]
    batch = FeedBatch.objects.create(
        kind=spec.name,
        source_name=source_name[:255],
        imported_by=username,
        rows=fr.rows,
        checksum=fr.checksum,
    )
    matched = _match(spec, frame)
    unmatched = matched.filter(pl.col(_link(spec)).is_null())
    summary.batch_id = batch.pk
    summary.matched = matched.height - unmatched.height
    summary.unmatched = unmatched.height
    summary.unmatched_rows = _unmatched_problems(spec, unmatched)
    _write_records(spec, matched, batch.pk)
    events = _update_facts(spec, matched, summary, batch.pk)
    batch.matched, batch.unmatched = summary.matched, summary.unmatched
    batch.save(update_fields=["matched", "unmatched"])
    for e in events:
        e["username"] = username
    events.append(
        {
            "username": username,
            "action": "feed.import",
            "object_type": "FeedBatch",
            "object_id": str(batch.pk),
            "detail": {
                "kind": spec.name,
                "source": source,
                "rows": fr.rows,
                "matched": summary.matched,
                "unmatched": summary.unmatched,
                "facts": summary.facts,
                "checksum": fr.checksum,
                **({"month": f"{summary.month:%Y-%m}"} if summary.month else {}),
            },
        }
    )
    record_many(events)
    return summary


def _match(spec: ix.Table, frame: pl.DataFrame) -> pl.DataFrame:
    if spec.key == "disaster":
        areas = _frame("SELECT code, code FROM registry_area", [], {"area_code": pl.Utf8, "area_id": pl.Utf8})
        return frame.join(areas, on="area_code", how="left")
    members = _frame(
        "SELECT id_number, id, household_id FROM registry_member",
        [],
        {"id_number": pl.Utf8, "member_id": pl.Int64, "member_household": pl.Utf8},
    )
    joined = frame.join(members, on="id_number", how="left")
    if spec.key != "housing":
        return joined
    households = _frame(
        "SELECT household_id, household_id FROM registry_household",
        [],
        {"household_id": pl.Utf8, "hh": pl.Utf8},
    )
    joined = joined.join(households, on="household_id", how="left")
    return joined.with_columns(pl.coalesce("hh", "member_household").alias("household_id_link")).drop("hh")


def _unmatched_problems(spec: ix.Table, unmatched: pl.DataFrame) -> list[Problem]:
    out = []
    if spec.key == "disaster":
        for row, code in unmatched.select(ROW, "area_code").iter_rows():
            out.append(
                Problem(
                    spec.name, row, "行政区划代码", code, "未找到该行政区划", "no such area in the registry"
                )
            )
        return out
    for row, hid, idn in unmatched.select(
        ROW, pl.col("household_id") if spec.key == "housing" else pl.lit(None), "id_number"
    ).iter_rows():
        if hid:
            out.append(
                Problem(spec.name, row, "户编号", hid, "系统中没有该户", "no such household in the registry")
            )
        else:
            out.append(
                Problem(
                    spec.name,
                    row,
                    "证件号码",
                    mask(idn),
                    "系统中没有该证件号码的成员",
                    "no member with this ID number",
                )
            )
    return out


def _write_records(spec: ix.Table, matched: pl.DataFrame, batch_id: int) -> None:
    cols = [c.key for c in spec.columns]
    if spec.key == "housing":
        out = matched.select(
            pl.lit(batch_id).alias("batch_id"),
            pl.col("household_id").fill_null("").alias("household_ref"),
            pl.col("id_number").fill_null(""),
            pl.col("household_id_link").alias("household_id"),
            "safety_grade",
            "assessed_on",
        )
    elif spec.key == "disaster":
        out = matched.select(pl.lit(batch_id).alias("batch_id"), *cols, "area_id")
    elif spec.key in ix.MIGRANT_BY_NAME:
        out = matched.select(
            pl.lit(batch_id).alias("batch_id"),
            "member_id",
            *[_migrant_column(k, k in cols) for k in _MIGRANT_COLUMNS],
        )
    else:
        out = matched.select(pl.lit(batch_id).alias("batch_id"), "member_id", *cols).with_columns(
            [pl.col(c).fill_null("") for c in cols if c in _BLANK_TEXT]
            + [pl.col(c).fill_null(0.0) for c in cols if c in _ZERO_AMOUNTS]
        )
    out = _iso(out)
    bulk.insert(_RECORD_TABLES[spec.key], out.columns, out)


def _migrant_column(key: str, present: bool) -> pl.Expr:
    """A column of the migrant-work record: text blank rather than null, the other list's columns empty."""
    if key in _MIGRANT_TEXT:
        return (pl.col(key) if present else pl.lit(None, pl.Utf8)).fill_null("").alias(key)
    return pl.col(key) if present else pl.lit(None).alias(key)


def _latest(frame: pl.DataFrame, by: str, date_col: str) -> pl.DataFrame:
    """The last row per ``by`` in date order (undated first, then file order)."""
    return frame.sort([date_col, ROW], nulls_last=False).group_by(by, maintain_order=True).last()


def _set(
    table: str,
    pk: str,
    column: str,
    wanted: pl.DataFrame,
    summary: FeedSummary,
    spec: ix.Table,
    batch_id: int,
    events: list[dict[str, Any]],
    source_date: str | None = None,
) -> None:
    """Set ``column`` to ``wanted['value']`` where it differs from what is stored; audit each change."""
    if wanted.is_empty():
        return
    dtype = wanted.schema["value"]
    stored = _frame(f"SELECT {pk}, {column} FROM {table}", [], {"key": wanted.schema["key"], "old": dtype})
    if dtype == pl.Utf8:
        stored = stored.with_columns(pl.col("old").fill_null(""))
    changed = wanted.join(stored, on="key", how="inner").filter(pl.col("value").ne_missing(pl.col("old")))
    kind = "member" if table == "registry_member" else "household"
    given = summary.given.get(f"{kind}.{column}")
    if given is not None and given.len() and column != "work":
        by = "id_number" if kind == "member" else "key"
        kept = changed[by].is_in(given.implode())
        if kept.any():
            summary.facts_kept[f"{kind}.{column}"] = int(kept.sum())
        changed = changed.filter(~kept)
    if changed.is_empty():
        return
    bulk.update(table, pk, [column], changed.select("key", "value").rows())
    summary.facts[f"{kind}.{column}"] = summary.facts.get(f"{kind}.{column}", 0) + changed.height
    oid_col = "id_number" if "id_number" in changed.columns else "key"
    for row in changed.iter_rows(named=True):
        oid = row[oid_col]
        events.append(
            {
                "action": "feed.update",
                "object_type": kind,
                "object_id": mask(str(oid)) if oid_col == "id_number" else str(oid),
                "detail": {
                    "field": column,
                    "old": row["old"],
                    "new": row["value"],
                    "source": spec.name,
                    "batch": batch_id,
                    "date": row.get("date"),
                },
            }
        )


def _update_facts(
    spec: ix.Table,
    matched: pl.DataFrame,
    summary: FeedSummary,
    batch_id: int,
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    today = dt.date.today()
    m = matched.filter(pl.col("member_id").is_not_null()) if "member_id" in matched.columns else matched
    if spec.key == "disability":
        last = _latest(m, "member_id", "issued_on")
        wanted = last.select(
            pl.col("member_id").alias("key"),
            pl.col("grade").alias("value"),
            "id_number",
            pl.col("issued_on").cast(pl.Utf8).alias("date"),
        )
        _set("registry_member", "id", "disability_grade", wanted, summary, spec, batch_id, events)
    elif spec.key == "civil":
        active = pl.col("end_date").is_null() | (pl.col("end_date") > pl.lit(today))
        dibao = _latest(m.filter(pl.col("assistance_type") == "低保"), "member_id", "start_date")
        wanted = dibao.select(
            pl.col("member_id").alias("key"),
            active.alias("value"),
            "id_number",
            pl.coalesce("end_date", "start_date").cast(pl.Utf8).alias("date"),
        )
        _set("registry_member", "id", "dibao", wanted, summary, spec, batch_id, events)
        if not dibao.is_empty():
            households = dibao["member_household"].unique().drop_nulls()
            everyone = _frame(
                "SELECT household_id, dibao FROM registry_member", [], {"key": pl.Utf8, "dibao": pl.Boolean}
            ).filter(pl.col("key").is_in(households.implode()))
            whole = everyone.group_by("key").agg(pl.col("dibao").fill_null(False).all().alias("value"))
            _set(
                "registry_household",
                "household_id",
                "dibao_household",
                whole,
                summary,
                spec,
                batch_id,
                events,
            )
        tekun = m.filter(pl.col("assistance_type") == "特困")
        if not tekun.is_empty():
            per_household = tekun.group_by("member_household").agg(
                (pl.col("end_date").is_null() | (pl.col("end_date") > pl.lit(today))).any().alias("value")
            )
            _set(
                "registry_household",
                "household_id",
                "tekun",
                per_household.rename({"member_household": "key"}),
                summary,
                spec,
                batch_id,
                events,
            )
    elif spec.key == "employment":
        _ended_jobs(spec, m, today, summary, batch_id, events)
    elif spec.key == ix.FEED_MIGRANT_OUT.key and summary.month is not None:
        _migrant_jobs(spec, m, summary, batch_id, events)
    elif spec.key == "education":
        last = _latest(m.with_columns(pl.lit(None, dtype=pl.Date).alias("_d")), "member_id", "_d")
        value = (
            pl.when(pl.col("status") == "辍学")
            .then(pl.lit("辍学"))
            .when((pl.col("status") == "在读") & pl.col("stage").is_in(list(ix.SCHOOLING)))
            .then(pl.col("stage"))
        )
        wanted = last.select(pl.col("member_id").alias("key"), value.alias("value"), "id_number").drop_nulls(
            "value"
        )
        _set("registry_member", "id", "schooling", wanted, summary, spec, batch_id, events)
        graduated = last.filter((pl.col("status") == "毕业") & pl.col("graduation_year").is_not_null())
        wanted = graduated.select(
            pl.col("member_id").alias("key"),
            pl.col("graduation_year").cast(pl.Int64).alias("value"),
            "id_number",
            pl.col("graduation_year").cast(pl.Utf8).alias("date"),
        )
        _set("registry_member", "id", "graduation_year", wanted, summary, spec, batch_id, events)
    elif spec.key == "housing":
        h = matched.filter(pl.col("household_id_link").is_not_null())
        last = _latest(h, "household_id_link", "assessed_on")
        wanted = last.select(
            pl.col("household_id_link").alias("key"),
            pl.col("safety_grade").is_in(["A", "B"]).alias("value"),
            pl.col("assessed_on").cast(pl.Utf8).alias("date"),
        )
        _set("registry_household", "household_id", "housing_safe", wanted, summary, spec, batch_id, events)
    return events


def _ended_jobs(
    spec: ix.Table,
    m: pl.DataFrame,
    today: dt.date,
    summary: FeedSummary,
    batch_id: int,
    events: list[dict[str, Any]],
) -> None:
    """人社: 未务工 exactly where :func:`work_changes` says so, each change listed in the summary."""
    members = _frame(
        "SELECT id_number, household_id, work FROM registry_member",
        [],
        {"id_number": pl.Utf8, "household_id": pl.Utf8, "work": pl.Utf8},
    )
    keep_work = summary.given.get("member.work")
    if keep_work is not None and keep_work.len():
        overruled = _work_change_frame(m, members, None, today)
        summary.work_kept = overruled.filter(pl.col("id_number").is_in(keep_work.implode())).height
    changes = _work_change_frame(m, members, keep_work, today)
    summary.status_changes = _as_changes(changes)
    wanted = changes.join(m.select("id_number", "member_id").unique("id_number"), on="id_number").select(
        pl.col("member_id").alias("key"),
        pl.lit(NOT_WORKING).alias("value"),
        "id_number",
        pl.col("date").cast(pl.Utf8).alias("date"),
    )
    _set("registry_member", "id", "work", wanted, summary, spec, batch_id, events)


def _migrant_jobs(
    spec: ix.Table,
    m: pl.DataFrame,
    summary: FeedSummary,
    batch_id: int,
    events: list[dict[str, Any]],
) -> None:
    """已外出务工: each member's job facts as the row gives them, each change listed in the summary."""
    assert summary.month is not None
    changes, kept, summary.later_kept, warnings = migrant_work.fact_changes(
        m, stored_work_facts(), summary.month, given=summary.given, later=later_lists(batch_id)
    )
    summary.warnings.extend(warnings)
    for key, n in kept.items():
        summary.facts_kept[key] = summary.facts_kept.get(key, 0) + n
    summary.work_kept = kept.get("member.work", 0)
    summary.fact_changes = migrant_work.as_changes(changes, summary.month)
    date = summary.month.isoformat()
    for key in migrant_work.FACTS:
        part = changes.filter(pl.col("column") == key)
        if part.is_empty():
            continue
        dtype = {"monthly_wage": pl.Float64, "work_months": pl.Int64}.get(key, pl.Utf8)
        wanted = part.select(
            pl.col("member_id").alias("key"),
            pl.col("value").cast(dtype),
            "id_number",
            pl.lit(date).alias("date"),
        )
        _set("registry_member", "id", key, wanted, summary, spec, batch_id, events)


def preview_figures(preview: FeedPreview) -> dict[str, Any]:
    """What the confirm step shows for a feed upload: rows, matches and the 务工状况 changes."""
    if preview.duplicate:
        return {"行数": preview.read.rows, "说明": "该文件已导入过，确认后不会重复写入"}
    out: dict[str, Any] = {
        "行数": preview.read.rows,
        "匹配": preview.matched,
        "未匹配": preview.unmatched,
    }
    if preview.read.kind == "人社":
        out["将更新务工状况（人）"] = len(preview.status_changes)
    if preview.read.month is not None:
        out["名单月份"] = f"{preview.read.month:%Y年%m月}（{preview.read.month_from}）"
    if preview.read.kind == ix.FEED_MIGRANT_OUT.name:
        out["将更新务工信息（人）"] = len({c.id_number for c in preview.fact_changes})
        out["将更新务工信息（项）"] = len(preview.fact_changes)
    return out


def import_preview(result: Any) -> tuple[dict[str, Any], list[StatusChange | FactChange]]:
    """The feeds a checked interchange file (``ReadResult``) holds, and the registry changes they imply."""
    figures: dict[str, Any] = {
        f.name: f"{result.frames[f.key].height} 行"
        for f in (*ix.FEEDS, *ix.MIGRANT_FEEDS)
        if f.key in result.frames
    }
    changes = import_changes(result)
    if "employment" in result.frames:
        figures["将更新务工状况（人）"] = sum(isinstance(c, StatusChange) for c in changes)
    if ix.FEED_MIGRANT_OUT.key in result.frames:
        figures["将更新务工信息（项）"] = sum(isinstance(c, FactChange) for c in changes)
    return figures, changes


def import_changes(result: Any) -> list[StatusChange | FactChange]:
    """The registry changes the feeds of a checked folder or workbook import imply (registry ∪ file):
    a 人社 feed's 务工状况, a 已外出务工 list's job facts; the file's tables win over both."""
    members = result.frames.get("members")
    out: list[StatusChange | FactChange] = []
    if "employment" in result.frames:
        work_in_file = "work" in result.columns.get("members", [])
        out.extend(import_status_changes(result.frames["employment"], members, work_in_file))
    listed = result.frames.get(ix.FEED_MIGRANT_OUT.key)
    if listed is None or listed.is_empty() or listed["month"].drop_nulls().is_empty():
        return out
    from zengshou.ingest.load import facts_given

    month = listed["month"].drop_nulls()[0]
    stored = stored_work_facts()
    if members is not None and not members.is_empty():
        given = [k for k in migrant_work.FACTS if k in result.columns.get("members", [])]
        stored = stored.update(
            members.select("id_number", "household_id", *[pl.col(k).cast(stored.schema[k]) for k in given]),
            on="id_number",
            how="full",
        )
    changes, _, _, _ = migrant_work.fact_changes(
        listed, stored, month, given=facts_given(result), later=later_lists()
    )
    out.extend(migrant_work.as_changes(changes, month))
    return out


#: Rows of the migrant-work lists the household page shows (the latest months first).
LIST_ROWS_SHOWN = 24


def migrant_lists(household_id: str) -> list[dict[str, Any]]:
    """The migrant-work list rows of a household's members, latest month first; of a month's list
    sent twice only the later file. A planned departure is a lead for the employment service
    (目录 T10 就业服务; T03 劳务经纪 for an organised channel)."""
    from zengshou import setup_django

    setup_django()
    from zengshou.registry.models import MigrantWorkRecord

    records = list(
        MigrantWorkRecord.objects.filter(member__household_id=household_id)
        .select_related("batch", "member")
        .order_by("-month", "batch__kind", "-batch_id", "id")
    )
    latest: dict[tuple[str, dt.date], int] = {}
    for r in records:
        latest.setdefault((r.batch.kind, r.month), r.batch_id)
    out = []
    for r in records:
        if latest[(r.batch.kind, r.month)] != r.batch_id:
            continue
        planned = r.batch.kind == ix.FEED_MIGRANT_PLANNED.name
        out.append(
            {
                "list": r.batch.kind,
                "month": r.month,
                "id_number": r.id_number,
                "relation": r.member.relation if r.member else "",
                "work": r.work,
                "work_place": r.work_place,
                "job_channel": r.job_channel,
                "employer": r.employer,
                "monthly_wage": r.monthly_wage,
                "went_out_on": r.went_out_on,
                "planned_on": r.planned_on,
                "wish": r.wish,
                "needs": r.needs,
                "lead": "T03"
                if planned and r.job_channel in ORGANISED_CHANNELS
                else "T10"
                if planned
                else "",
            }
        )
    return out[:LIST_ROWS_SHOWN]
