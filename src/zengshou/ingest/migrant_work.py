"""The national system's monthly migrant-work lists (已外出务工, 计划外出务工) read as department feeds.

A list as the county downloads it has title rows above the header and its own header names; the
header is found and its names matched with aliases the way a national person list's are
(:func:`zengshou.ingest.national.find_header`, :func:`~zengshou.ingest.national.norm`), so a row
number in a problem is the workbook's own. The translated rows then go through the ordinary feed
checks (``zengshou.ingest.columns``). Each file is one list of one month: the month comes from a
月份 column, else from the title rows (``2025年3月``), else from the file name.

务工区域 words (省外, 省内县外, 县内, 乡镇内 …) become the registry's 务工状况; a 务工所在地 that holds
such a word says the 务工区域, not a place. :func:`fact_changes` says which registry facts a
已外出务工 list changes: a member on the list holds a job with the place, channel, wage and months
the row gives; what the row leaves empty is never blanked, a list older than one already imported
for the member changes nothing, and the tables of the same import win (as for 人社).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from zengshou import interchange as ix
from zengshou.ingest.columns import MARKERS, NUMERIC, ROW, Checker, check_table
from zengshou.ingest.national import HEADER_SEARCH_ROWS, Header, Profile, find_header, norm, profile
from zengshou.ingest.problems import Problem
from zengshou.ingest.reader import WORKBOOK_SUFFIXES, prepare
from zengshou.registry.idnumber import mask

#: Member facts a 已外出务工 row sets, in the order a change list shows them.
FACTS: tuple[str, ...] = ("work", "work_place", "job_channel", "monthly_wage", "work_months")
FACT_HEADERS = {c.key: c.header for c in ix.MEMBERS.columns if c.key in FACTS}
#: 务工状况 a list's 县内 or 乡镇内 cannot tell apart from these local jobs: they are kept.
LOCAL_JOBS = ("公益性岗位", "帮扶车间", "自主创业", "灵活就业")
NOT_WORKING = "未务工"

#: 务工区域 as the lists write it → 务工状况 (keys as :func:`norm` leaves them).
_REGION_WORDS: dict[str, str] = {
    "省外": "省外务工",
    "出省": "省外务工",
    "跨省": "省外务工",
    "省内县外": "省内县外务工",
    "县外省内": "省内县外务工",
    "县外": "省内县外务工",
    "区内县外": "省内县外务工",
    "县内乡镇外": "县内乡镇外务工",
    "乡镇外县内": "县内乡镇外务工",
    "县内乡外": "县内乡镇外务工",
    "县内": "县内乡镇外务工",
    "乡镇内": "乡镇内务工",
    "乡内": "乡镇内务工",
    "镇内": "乡镇内务工",
    "本乡镇": "乡镇内务工",
}
_CHANNEL_WORDS: dict[str, str] = {
    "有组织输出": "有组织劳务输出",
    "组织输出": "有组织劳务输出",
    "劳务中介": "劳务中介或经纪人介绍",
    "中介介绍": "劳务中介或经纪人介绍",
    "经纪人介绍": "劳务中介或经纪人介绍",
    "自主外出": "自主外出务工",
    "自发外出": "自主外出务工",
    "就近就地": "就近就地务工",
}
#: A month in a cell: YYYYMM, YYYY-MM, YYYY/M, YYYY.MM, YYYY年M月, or a date (its month taken).
_MONTH = r"^(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})\s*月?(?:\s*[-/.]?\s*(\d{1,2})\s*日?)?(?:[ T]\d{1,2}:\d{2}.*)?$"
_TITLE_MONTH = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月")
_DELIMITED_MONTH = re.compile(r"(?<![0-9A-Za-z])(20\d{2})(0[1-9]|1[0-2])(?![0-9A-Za-z])")
#: Header cells the workbook reader names itself (blank or repeated header cells).
_UNNAMED = re.compile(r"^(?:__UNNAMED__\d+|_duplicated_\d+)?$")


def _codes(key: str) -> dict[str, str]:
    """The code table of a column: the national person list's profile, then the lists' own words."""
    national = profile().codes.get(f"members.{key}", {})
    own = _REGION_WORDS if key == "work" else _CHANNEL_WORDS if key == "job_channel" else {}
    return {**national, **{norm(k): v for k, v in own.items()}}


def list_profile(spec: ix.Table) -> Profile:
    """The header names and aliases of one list, as a profile :func:`find_header` reads."""
    aliases = ix.MIGRANT_ALIASES[spec.key]
    return Profile(
        name=spec.name,
        file="",
        columns={c.key: (c.header, *aliases.get(c.key, ())) for c in spec.columns},
        codes={},
        patterns={},
    )


@dataclass(frozen=True)
class FactChange:
    """One member fact a 已外出务工 list changes: where in the list, which fact, from what, to what."""

    row: int | None
    id_number: str  # masked
    household_id: str | None
    column: str  # the member sheet's header of the fact
    old: str
    new: str
    month: str

    def problem(self, kind: str = ix.FEED_MIGRANT_OUT.name) -> Problem:
        """The change as a report row (sheet 警告 of the report workbook)."""
        return Problem(
            kind,
            self.row,
            self.column,
            self.id_number,
            f"户{self.household_id or '—'}：{self.column}将由“{self.old or '空'}”改为“{self.new}”"
            f"（{kind}名单 {self.month}）",
            f"household {self.household_id or '-'}: {self.column} changes from "
            f"{self.old or 'empty'} to {self.new}",
        )

    def __str__(self) -> str:
        return (
            f"第{self.row}行 {self.id_number} 户{self.household_id or '—'} {self.column}："
            f"{self.old or '空'} → {self.new}"
        )


@dataclass
class ListRead:
    """A list translated and checked: typed rows, problems, the month and where it came from."""

    frame: pl.DataFrame
    errors: list[Problem]
    warnings: list[Problem]
    month: dt.date | None = None
    month_from: str = ""


def _grid(raw: pl.DataFrame) -> tuple[list[str], list[list[str | None]]]:
    """The sheet's columns and its first rows as cells, the row read as header being row 1."""
    columns = [c for c in raw.columns if not c.startswith(MARKERS) and c != ROW]
    head: list[str | None] = [None if _UNNAMED.match(c) else c for c in columns]
    rows = [list(r) for r in raw.select(columns).head(HEADER_SEARCH_ROWS + 1).rows()]
    return columns, [head, *rows]


def _fallback_header(grid: list[list[str | None]], prof: Profile) -> Header | None:
    """A short list (fewer known names than a person list's header has): the first row that names
    the 证件号码 column is the header."""
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if not any(c and prof.aliases.get(norm(c)) == "id_number" for c in row):
            continue
        header = Header(rows=(i,), names=[str(c or "") for c in row])
        for j, cell in enumerate(row):
            if not cell:
                continue
            target = prof.aliases.get(norm(cell))
            if target is None or target in header.targets.values():
                header.ignored.append(str(cell))
            else:
                header.targets[j] = target
        return header
    return None


def _parsed_month(expr: pl.Expr) -> pl.Expr:
    """The date a month or date cell says (a month alone: its first day); null when it says none."""
    y = expr.str.extract(_MONTH, 1)
    m = expr.str.extract(_MONTH, 2).str.zfill(2)
    d = expr.str.extract(_MONTH, 3).fill_null("01").str.zfill(2)
    return pl.concat_str([y, m, d], separator="-").str.to_date("%Y-%m-%d", strict=False)


def _month_in(text: str, delimited: bool) -> dt.date | None:
    found = _TITLE_MONTH.search(text) or (_DELIMITED_MONTH.search(text) if delimited else None)
    if not found or not 1 <= int(found.group(2)) <= 12:
        return None
    return dt.date(int(found.group(1)), int(found.group(2)), 1)


def _title_month(grid: list[list[str | None]], header: Header, source: Path) -> tuple[dt.date | None, str]:
    for row in grid[: header.rows[0]]:
        for cell in row:
            month = _month_in(str(cell or ""), delimited=False)
            if month:
                return month, "标题行"
    month = _month_in(source.stem, delimited=True)
    return (month, "文件名") if month else (None, "")


def _numeric_ids(source: Path, sheet: str | None, column: int, height: int) -> pl.Series | None:
    """Per row of the sheet, whether the ID-number cell is an Excel number (its last digits lost)."""
    if source.suffix.lower() not in WORKBOOK_SUFFIXES or not source.is_file():
        return None
    import fastexcel

    try:
        reader = fastexcel.read_excel(source)
        name = sheet if sheet in reader.sheet_names else reader.sheet_names[0]
        kinds = reader.load_sheet(name, header_row=None, use_columns=[column], dtypes="boolean").to_polars()
    except Exception:  # the text load succeeded; without the cell types the ID checks still run
        return None
    if kinds.height != height + 1 or kinds.width != 1:
        return None
    return kinds.to_series().is_not_null().slice(1)


def read_list(spec: ix.Table, raw: pl.DataFrame, source: Path, sheet: str | None = None) -> ListRead:
    """Translate and check one list (all-text frame as read, its first row taken as header)."""
    prof = list_profile(spec)
    columns, grid = _grid(raw)
    header = find_header(grid, prof) or _fallback_header(grid, prof)
    if header is None or "id_number" not in header.targets.values():
        return ListRead(
            pl.DataFrame(),
            [
                Problem(
                    spec.name,
                    (header.rows[-1] + 1) if header else 1,
                    "证件号码",
                    None,
                    f"在前 {HEADER_SEARCH_ROWS} 行中找不到“证件号码”列（或身份证号码）：请确认这是全国防返贫监测"
                    f"系统导出的{spec.name}名单",
                    "no ID number column among the first rows",
                )
            ],
            [],
        )
    shown = {key: header.names[i] for i, key in header.targets.items()}
    first = header.rows[-1]  # the raw frame's first data row (grid row 0 is the frame's header)
    frame = (
        raw.with_row_index(ROW, offset=2)
        .slice(first)
        .select(
            pl.col(ROW).cast(pl.Int64),
            *[pl.col(columns[i]).cast(pl.Utf8).alias(key) for i, key in header.targets.items()],
        )
    )
    id_col = next(i for i, k in header.targets.items() if k == "id_number")
    numeric = _numeric_ids(source, sheet, id_col, raw.height)
    if numeric is not None:
        frame = frame.with_columns(numeric.slice(first).alias(NUMERIC + "id_number"))
    keys = list(header.targets.values())
    frame = frame.filter(
        pl.any_horizontal([pl.col(k).str.strip_chars().fill_null("") != "" for k in keys])
    ).with_columns(
        [
            pl.col(k).str.normalize("NFKC").str.replace_all(r"\s+", "").replace(_codes(k))
            for k in ("work", "job_channel")
            if k in keys
        ]
    )
    if "work_place" in keys:
        # a 务工所在地 holding 省外, 县内 … says the 务工区域, not a place
        place = pl.col("work_place").str.normalize("NFKC").str.replace_all(r"\s+", "")
        choices = list(spec.column("work").choices)
        region = (
            pl.when(place.is_in(choices))
            .then(place)
            .otherwise(place.replace_strict(_codes("work"), default=None))
        )
        frame = frame.with_columns(region.alias("_region"))
        frame = frame.with_columns(
            pl.coalesce([pl.col("work") if "work" in keys else pl.lit(None, pl.Utf8), "_region"]).alias(
                "work"
            ),
            pl.when(pl.col("_region").is_null()).then(pl.col("work_place")).alias("work_place"),
        ).drop("_region")
        shown.setdefault("work", shown["work_place"])
    checker = Checker(spec.name)
    out = ListRead(frame, checker.errors, checker.warnings)
    if header.ignored:
        checker.warnings.append(
            Problem(
                spec.name,
                header.rows[-1] + 1,
                "",
                None,
                f"系统无对应字段、未导入的列（{len(header.ignored)}）：{'、'.join(header.ignored[:30])}",
                "columns with no field in the system, not imported",
            )
        )
    frame = _dates(frame, spec, shown, checker)
    frame = _fill_month(frame, grid, header, source, spec, checker, out)
    typed = check_table(prepare(frame, spec, checker), spec, checker)
    out.frame = typed
    out.errors[:] = [_named(p, shown) for p in sorted(checker.errors, key=lambda p: (p.row or 0, p.column))]
    out.warnings[:] = [_named(p, shown) for p in checker.warnings]
    if not out.errors:
        _duplicates(typed, spec, out)
    return out


def _named(p: Problem, shown: dict[str, str]) -> Problem:
    """A problem named by the list's own header (the system's name beside it when they differ)."""
    by_header = {h: k for k, h in ((c.key, c.header) for c in ix.MIGRANT_BY_NAME[p.table].columns)}
    key = by_header.get(p.column)
    own = shown.get(key or "")
    if not own or norm(own) == norm(p.column):
        return p
    return Problem(p.table, p.row, f"{own}（{p.column}）", p.value, p.message_zh, p.message_en)


def _dates(frame: pl.DataFrame, spec: ix.Table, shown: dict[str, str], checker: Checker) -> pl.DataFrame:
    """Month and date cells as YYYY-MM-DD (a month alone: its first day); other text is an error."""
    for key in ("month", "went_out_on", "planned_on"):
        if key not in frame.columns:
            continue
        parsed = _parsed_month(pl.col(key).str.normalize("NFKC").str.strip_chars())
        if key == "month":
            parsed = parsed.dt.truncate("1mo")
        frame = frame.with_columns(parsed.alias("_parsed"))
        what = (
            "年月，如 202503、2025-03 或 2025年3月"
            if key == "month"
            else "年月或日期，如 202503 或 2025-03-15"
        )
        checker.flag(
            frame,
            pl.col(key).is_not_null() & pl.col("_parsed").is_null(),
            spec.column(key),
            f"无法识别：应为{what}",
            "not a month or date",
        )
        frame = frame.with_columns(pl.col("_parsed").dt.strftime("%Y-%m-%d").alias(key)).drop("_parsed")
    return frame


def _fill_month(
    frame: pl.DataFrame,
    grid: list[list[str | None]],
    header: Header,
    source: Path,
    spec: ix.Table,
    checker: Checker,
    out: ListRead,
) -> pl.DataFrame:
    """The list's one month on every row: the 月份 column, else the title rows, else the file name."""
    column = spec.column("month")
    has_column = "month" in frame.columns
    given = frame["month"].drop_nulls().unique().to_list() if has_column else []
    if len(given) > 1:
        first = frame.filter(pl.col("month").is_not_null())["month"][0]
        for other in sorted(set(given) - {first}):
            checker.errors.append(
                Problem(
                    spec.name,
                    frame.filter(pl.col("month") == other)[ROW].min(),  # type: ignore[arg-type]
                    column.header,
                    other[:7],
                    f"一个文件应只含一个月的名单：本行为 {other[:7]}，第一行数据为 {first[:7]}；"
                    "请按月份分成多个文件导入",
                    "one file holds the list of one month",
                )
            )
        return frame
    fallback, where = _title_month(grid, header, source)
    month = dt.date.fromisoformat(given[0]) if given else fallback
    if given:
        where = "月份列"
    if month is None:
        if not any(p.column == column.header for p in checker.errors):
            checker.errors.append(
                Problem(
                    spec.name,
                    header.rows[-1] + 1,
                    column.header,
                    None,
                    "无法确定名单的月份：请在表中加“月份”列（如 202503），或在标题行写明“2025年3月”",
                    "the month of the list is not given",
                )
            )
        return frame
    if month > dt.date.today().replace(day=1):
        checker.errors.append(
            Problem(
                spec.name,
                frame[ROW].min() if given else header.rows[0] + 1,  # type: ignore[arg-type]
                column.header,
                f"{month:%Y-%m}",
                "名单月份晚于本月：请核对月份",
                "the month of the list is after this month",
            )
        )
    out.month, out.month_from = month, where
    return frame.with_columns(
        (pl.col("month").fill_null(month.isoformat()) if has_column else pl.lit(month.isoformat())).alias(
            "month"
        )
    )


def _duplicates(typed: pl.DataFrame, spec: ix.Table, out: ListRead) -> None:
    """A person listed twice: the last row is the one that counts (warned at the earlier rows)."""
    dup = typed.filter(pl.col("id_number").is_duplicated() & pl.col("id_number").is_not_null())
    if dup.is_empty():
        return
    last = dup.group_by("id_number").agg(pl.col(ROW).max().alias("_last"))
    for row, idn, at in (
        dup.join(last, on="id_number")
        .filter(pl.col(ROW) != pl.col("_last"))
        .select(ROW, "id_number", "_last")
        .iter_rows()
    ):
        out.warnings.append(
            Problem(
                spec.name,
                row,
                "证件号码",
                mask(idn),
                f"同一人在名单中出现多次，以第{at}行为准",
                f"listed more than once; row {at} counts",
            )
        )


def fact_changes(
    listed: pl.DataFrame,
    members: pl.DataFrame,
    month: dt.date,
    *,
    given: dict[str, pl.Series] | None = None,
    later: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, dict[str, int], int, list[Problem]]:
    """What a 已外出务工 list changes among ``members`` (id_number, household_id, member_id and FACTS).

    Returns the changes (one row per member and fact: _row, id_number, member_id, household_id,
    column, old, new and the typed ``value``), the facts kept because the tables of the same import
    give them (``given``: "member.<fact>" → ID numbers), the members left alone because ``later``
    (id_number, month) holds a later list for them, and a warning per member the list has no
    务工区域 for although the registry says 未务工.
    """
    given = given or {}
    present = [k for k in FACTS if k in listed.columns]
    rows = (
        listed.filter(pl.col("id_number").is_not_null())
        .select(ROW, "id_number", *present)
        .sort(ROW)
        .group_by("id_number", maintain_order=True)
        .last()
    )
    stored = members.select(
        "id_number", "household_id", "member_id", *[pl.col(k).alias(f"{k}_old") for k in FACTS]
    )
    rows = rows.join(stored, on="id_number", how="inner")
    skipped = 0
    if later is not None and not later.is_empty():
        newer = later.filter(pl.col("month") > pl.lit(month)).select("id_number").unique()
        before = rows.height
        rows = rows.join(newer, on="id_number", how="anti")
        skipped = before - rows.height
    kept: dict[str, int] = {}
    warnings: list[Problem] = []
    parts: list[pl.DataFrame] = []
    for key in present:
        old = pl.col(f"{key}_old")
        new = pl.col(key)
        if key == "monthly_wage":
            differs = (new - old.cast(pl.Float64)).abs().fill_null(1.0) > 0.005
        else:
            differs = new.cast(pl.Utf8).ne_missing(old.cast(pl.Utf8).replace("", None))
        wanted = new.is_not_null() & differs
        if key == "work":
            wanted = wanted & ~(old.is_in(list(LOCAL_JOBS)) & new.is_in(["乡镇内务工", "县内乡镇外务工"]))
        part = rows.filter(wanted)
        keep = given.get(f"member.{key}")
        if keep is not None and keep.len():
            held = part["id_number"].is_in(keep.implode())
            if held.any():
                kept[f"member.{key}"] = int(held.sum())
            part = part.filter(~held)
        if part.is_empty():
            continue
        parts.append(
            part.select(
                ROW,
                "id_number",
                "member_id",
                "household_id",
                pl.lit(key).alias("column"),
                old.cast(pl.Utf8).fill_null("").alias("old"),
                new.cast(pl.Utf8).alias("new"),
                new.cast(pl.Utf8).alias("value"),
            )
        )
    no_region = pl.col("work").is_null() if "work" in rows.columns else pl.lit(True)
    silent = rows.filter(
        no_region & pl.col("work_old").replace("", None).fill_null(NOT_WORKING).eq(NOT_WORKING)
    )
    for row, idn in silent.select(ROW, "id_number").sort(ROW).iter_rows():
        warnings.append(
            Problem(
                ix.FEED_MIGRANT_OUT.name,
                row,
                ix.FEED_MIGRANT_OUT.column("work").header,
                mask(idn),
                "已外出务工，但系统登记为未务工，名单又未写明务工区域（省外、省内县外、县内…）：务工状况未更改，请核实",
                "listed as working away, registered as not working, and the list gives no region",
            )
        )
    schema = {
        ROW: pl.Int64,
        "id_number": pl.Utf8,
        "member_id": pl.Int64,
        "household_id": pl.Utf8,
        "column": pl.Utf8,
        "old": pl.Utf8,
        "new": pl.Utf8,
        "value": pl.Utf8,
    }
    changes = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    return changes.sort(ROW, "column"), kept, skipped, warnings


def as_changes(changes: pl.DataFrame, month: dt.date) -> list[FactChange]:
    """The change rows of :func:`fact_changes` as :class:`FactChange` (ID numbers masked)."""
    order = {k: i for i, k in enumerate(FACTS)}
    out = [
        FactChange(row, mask(idn), hid, FACT_HEADERS[col], old, _shown(col, new), f"{month:%Y-%m}")
        for row, idn, hid, col, old, new in changes.select(
            ROW, "id_number", "household_id", "column", "old", "new"
        ).iter_rows()
    ]
    return sorted(out, key=lambda c: (c.row or 0, order.get(_key(c.column), 0)))


def _key(header: str) -> str:
    return next(k for k, h in FACT_HEADERS.items() if h == header)


def _shown(column: str, value: str) -> str:
    if column == "monthly_wage":
        return f"{float(value):,.2f} 元"
    if column == "work_months":
        return f"{value} 个月"
    return value
