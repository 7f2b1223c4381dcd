"""Department feeds (部门数据): read and check a feed file, store it as a batch, update registry facts.

Rows are matched to members by 证件号码 (住建: to households by 户编号 where given; 应急: to areas
by 行政区划代码). Unmatched rows are kept with a null link, counted and every one listed (and written
to the report workbook when asked). Facts the registry holds are updated from the feed (残联 →
disability grade, 民政 → 低保/特困, 人社 → 未务工 when the last job has ended, 教育 → 辍学, stage or
graduation year, 住建 → housing safety), each change audited with the feed as its source, so the
monitoring rules (M07, ``zengshou.monitor.feeds``) see the same data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from zengshou import interchange as ix
from zengshou.ingest import bulk
from zengshou.ingest.columns import ROW, Checker, check_table
from zengshou.ingest.problems import ImportRejected, Problem, write_error_report
from zengshou.ingest.reader import WORKBOOK_SUFFIXES, Unreadable, _sheets, prepare, raw_csv, unreadable
from zengshou.registry.idnumber import mask

FEED_KINDS: tuple[str, ...] = ("医保", "残联", "民政", "人社", "教育", "住建", "应急")

#: Feed kind → (record table, columns written besides batch and links).
_RECORD_TABLES: dict[str, str] = {
    "medical": "registry_medicalrecord",
    "disability": "registry_disabilityrecord",
    "civil": "registry_civilassistancerecord",
    "employment": "registry_employmentrecord",
    "education": "registry_educationrecord",
    "housing": "registry_housingrecord",
    "disaster": "registry_disasterrecord",
}
_BLANK_TEXT = {"category", "employer", "stage"}
_ZERO_AMOUNTS = {"total_cost", "basic_reimbursed", "critical_reimbursed", "assistance", "self_paid"}
#: Unmatched rows printed in the summary; all of them go to the report workbook.
UNMATCHED_PRINTED = 20


def feed_table(kind: str) -> ix.Table:
    spec = ix.FEEDS_BY_NAME.get(kind.strip())
    if spec is None:
        raise ValueError(f"未知的部门数据类型 {kind!r}，应为 {'、'.join(FEED_KINDS)} / unknown feed kind")
    return spec


@dataclass
class FeedRead:
    """A checked feed file: typed rows (``_row`` = spreadsheet row), problems, file checksum."""

    kind: str
    frame: pl.DataFrame
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    checksum: str = ""

    @property
    def rows(self) -> int:
        return self.frame.height


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

    def __str__(self) -> str:
        if self.duplicate:
            return f"部门数据 {self.kind}：文件 {self.source} 已导入过，未重复写入 / already imported, nothing written"
        facts = "，".join(f"{k} {v}" for k, v in self.facts.items()) or "无"
        lines = [
            f"部门数据 {self.kind}（{self.source}）：读取 {self.rows:,} 行，匹配 {self.matched:,}，未匹配 {self.unmatched:,}",
            f"  更新登记信息 / registry facts changed：{facts}",
        ]
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
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            sheets = _sheets(path)
            raw = sheets[spec.name] if spec.name in sheets else next(iter(sheets.values()), pl.DataFrame())
        else:
            raw, _ = raw_csv(path)
    except Unreadable as e:
        return FeedRead(spec.name, pl.DataFrame(), [e.problem])
    except OSError as e:
        problem = unreadable(
            path, f"无法读取文件：{e.strerror}", f"cannot read the file: {e.strerror}"
        ).problem
        return FeedRead(spec.name, pl.DataFrame(), [problem])
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
    return FeedRead(spec.name, frame, errors, checker.warnings, hashlib.sha256(data).hexdigest())


def _frame(sql: str, params: list[Any], cols: dict[str, Any]) -> pl.DataFrame:
    from zengshou.frames import _query_frame

    return _query_frame(sql, params, cols)


def _iso(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
    )


def import_feed(kind: str, path: Path, *, username: str = "cli", report: Path | None = None) -> FeedSummary:
    """Check a feed file whole, then store its batch and records and update facts in one transaction.

    With ``report``, every unmatched row (and warning) is written to that workbook (sheet 未匹配),
    however many there are; the summary prints the first few.
    """
    from django.db import transaction

    from zengshou import setup_django

    setup_django()
    from zengshou.registry.audit import record_many
    from zengshou.registry.models import FeedBatch

    spec = feed_table(kind)
    fr = read_feed(spec.name, path)
    if fr.errors:
        raise ImportRejected(fr.errors, fr.warnings)
    summary = FeedSummary(spec.name, Path(path).name, rows=fr.rows, warnings=fr.warnings)
    previous = FeedBatch.objects.filter(kind=spec.name, checksum=fr.checksum).first()
    if previous is not None:
        summary.duplicate = True
        summary.batch_id = previous.pk
        summary.matched, summary.unmatched = previous.matched, previous.unmatched
        return summary
    frame = fr.frame
    with transaction.atomic():
        batch = FeedBatch.objects.create(
            kind=spec.name,
            source_name=Path(path).name[:255],
            imported_by=username,
            rows=fr.rows,
            checksum=fr.checksum,
        )
        matched = _match(spec, frame)
        link = (
            "area_id"
            if spec.key == "disaster"
            else "household_id_link"
            if spec.key == "housing"
            else "member_id"
        )
        unmatched = matched.filter(pl.col(link).is_null())
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
                    "source": str(path),
                    "rows": fr.rows,
                    "matched": summary.matched,
                    "unmatched": summary.unmatched,
                    "facts": summary.facts,
                    "checksum": fr.checksum,
                },
            }
        )
        record_many(events)
    if report is not None:
        summary.report = write_error_report(report, [], summary.warnings, unmatched=summary.unmatched_rows)
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
    else:
        out = matched.select(pl.lit(batch_id).alias("batch_id"), "member_id", *cols).with_columns(
            [pl.col(c).fill_null("") for c in cols if c in _BLANK_TEXT]
            + [pl.col(c).fill_null(0.0) for c in cols if c in _ZERO_AMOUNTS]
        )
    out = _iso(out)
    bulk.insert(_RECORD_TABLES[spec.key], out.columns, out)


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
    if changed.is_empty():
        return
    bulk.update(table, pk, [column], changed.select("key", "value").rows())
    kind = "member" if table == "registry_member" else "household"
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
    spec: ix.Table, matched: pl.DataFrame, summary: FeedSummary, batch_id: int
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
    """人社: a member whose jobs in the feed have all ended (终止日期 before today, no open or newer
    job) is 未务工 from the last end date on."""
    per_member = m.group_by("member_id").agg(
        pl.col("id_number").first(),
        (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.lit(today))).any().alias("working"),
        pl.col("end_date").max().alias("ended"),
    )
    ended = per_member.filter(~pl.col("working") & pl.col("ended").is_not_null())
    wanted = ended.select(
        pl.col("member_id").alias("key"),
        pl.lit("未务工").alias("value"),
        "id_number",
        pl.col("ended").cast(pl.Utf8).alias("date"),
    )
    _set("registry_member", "id", "work", wanted, summary, spec, batch_id, events)
