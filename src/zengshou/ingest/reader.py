"""Reading an interchange workbook or CSV folder into checked frames, without touching the database.

CSV: UTF-8 (with or without BOM) is tried strictly, else GB18030. Workbooks are read with fastexcel
(calamine), every cell as text; ID-number cells stored as numbers are marked (Excel has dropped their
last digits). A file that cannot be read at all (missing, empty, damaged, another encoding) is a
:class:`Problem` naming the file and what to do, never a traceback. Each table's cells are checked
column-wise (:mod:`.columns`), then the tables against each other: duplicate keys within the file,
and the references to households (:func:`reference_checks`: existence, one 户主, members of each
household), which here take the file alone as the universe; :func:`zengshou.ingest.load.validate`
repeats them over registry ∪ file. Odd but legal values are warnings (:mod:`.plausibility`).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population, conform, restore_neutralised
from zengshou.ingest.columns import (
    FORMULA,
    MARKERS,
    NUMERIC,
    ROW,
    Checker,
    check_table,
    header_map,
    match_header,
)
from zengshou.ingest.problems import Problem, sort_key
from zengshou.registry.idnumber import mask

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
#: The sheet of a blank template that explains the columns; never a table.
NOTES_SHEET = "填写说明"
#: Personal values as a masked export writes them (640522********1234, 马*, 139****5678).
_MASKED = {
    "id_number": r"^(?:\d{6}\*+[\dXx]{4}|\*+)$",
    "name": r"^\S\*+\S?$",
    "phone": r"^(?:\d{3}\*+\d{4}|\*+)$",
}


@dataclass
class ReadResult:
    """A checked file: the population as frames, every error and warning, the tables found."""

    population: Population
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: Table and feed names (Chinese, as in the file) that were present.
    tables: list[str] = field(default_factory=list)
    #: Typed frames with the spreadsheet row number in ``_row``, by table key (for later checks).
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    source: Path | None = None
    encoding: dict[str, str] = field(default_factory=dict)
    #: The column keys each table had in the file (an update touches only these).
    columns: dict[str, list[str]] = field(default_factory=dict)
    #: The errors of :func:`reference_checks` (part of ``errors``), which depend on what exists:
    #: here the file alone; ``load.validate`` replaces them with the registry ∪ file ones.
    reference_errors: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(data: bytes) -> tuple[str, str]:
    """Text and its encoding: UTF-8 (BOM stripped) when it decodes strictly, else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


_WIDE_UTF8 = (b"\xef\xbc", b"\xef\xbd", b"\xe3\x80\x80", b"\xc2\xa0")
_SAVE_AS_CSV = (
    "请在Excel中打开，“另存为”→“CSV UTF-8(逗号分隔)”后重新导入",
    "open it in Excel, Save As “CSV UTF-8 (Comma delimited)” and import again",
)


class Unreadable(Exception):
    """A file or sheet that cannot be read at all; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def unreadable(path: Path, zh: str, en: str, row: int | None = None) -> Unreadable:
    return Unreadable(Problem(path.name or str(path), row, "", str(path), zh, en))


def raw_csv(path: Path) -> tuple[pl.DataFrame, str]:
    """All-text frame of a CSV file and its encoding (strict UTF-8, else GB18030).

    Raises :class:`Unreadable` for a file that is empty, binary, UTF-16, in another encoding or
    not well-formed CSV.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise unreadable(path, f"无法读取文件：{e.strerror}", f"cannot read the file: {e.strerror}") from None
    encoding = "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8-sig"
    if not data.strip():
        raise unreadable(
            path,
            "文件为空：请填写表头行（第1行）和数据，或删除该文件",
            "the file is empty: fill in the header row (row 1) and the data, or remove the file",
        )
    if data.startswith(b"PK\x03\x04"):
        raise unreadable(
            path,
            "这是一个Excel工作簿，不是CSV文件：请把扩展名改为 .xlsx 后导入，或在Excel中另存为CSV",
            "this is an Excel workbook, not a CSV file: rename it to .xlsx, or save it as CSV in Excel",
        )
    nuls = data.count(b"\x00")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or 4 * nuls > len(data):
        raise unreadable(
            path,
            "文件是UTF-16编码或二进制文件，不是UTF-8或GB18030文本：" + _SAVE_AS_CSV[0],
            "the file is UTF-16 or binary, not UTF-8 or GB18030 text: " + _SAVE_AS_CSV[1],
        )
    data = _unix_lines(data)
    if nuls:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise unreadable(
            path,
            f"文件第{line}行含有空字符（NUL，0x00），全文件共{nuls}处，文件可能已损坏，未读取：请在Excel或"
            "文本编辑器中打开，删除这些字符（或从原系统重新导出）后再导入",
            f"line {line} holds a NUL byte (0x00), {nuls} in the whole file; the file may be damaged and "
            "was not read: remove them in Excel or a text editor (or export the file again), then import",
            line,
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data, encoding = data.decode("gb18030").encode("utf-8"), "gb18030"
        except UnicodeDecodeError as e:
            raise unreadable(
                path,
                f"文件编码无法识别（既不是UTF-8也不是GB18030，第{e.start + 1}个字节处出错）："
                + _SAVE_AS_CSV[0],
                f"unknown text encoding (neither UTF-8 nor GB18030, at byte {e.start + 1}): "
                + _SAVE_AS_CSV[1],
            ) from None
    try:
        frame = _polars_csv(data)
    except (pl.exceptions.PolarsError, ValueError) as e:
        row, zh, en = _csv_fault(data.decode("utf-8"), e)
        raise unreadable(path, zh, en, row) from None
    if encoding == "gb18030" or any(w in data for w in _WIDE_UTF8):
        encoding += "+wide"
    return frame, encoding


def _unix_lines(data: bytes) -> bytes:
    """Old-Mac line endings (CR alone, no LF anywhere) as LF, so such a file reads row by row.

    A file with any LF is left as it is: Windows CRLF and Unix LF are read as they are, and a lone CR
    there is part of a cell.
    """
    if b"\r" in data and b"\n" not in data:
        return data.replace(b"\r", b"\n")
    return data


def _polars_csv(data: bytes) -> pl.DataFrame:
    frame = pl.read_csv(io.BytesIO(data), infer_schema=False, has_header=True, encoding="utf8")
    # a cell the exporter neutralised against formulas ('=…) is read back as it was stored
    return frame.with_columns([restore_neutralised(c) for c in frame.columns])


def _csv_fault(text: str, error: Exception) -> tuple[int | None, str, str]:
    """Where and why a CSV text does not parse (the slow path, taken only when polars refused it)."""
    try:
        lines = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as e:
        return None, f"CSV格式错误（引号不成对？）：{e}", f"malformed CSV (unbalanced quotes?): {e}"
    width = len(lines[0]) if lines else 0
    for number, fields in enumerate(lines[1:], start=2):
        if len(fields) > width:
            return (
                number,
                f"该行有{len(fields)}列，多于表头的{width}列（多余的逗号？）",
                f"the row has {len(fields)} fields, more than the {width} headers (a stray comma?)",
            )
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return None, f"CSV格式错误：{first}", f"malformed CSV: {first}"


_ID_HEADERS = {k: v for k, v in header_map(ix.MEMBERS).items() if v == "id_number"}


def _sheets(path: Path) -> dict[str, pl.DataFrame]:
    """Every sheet as text; beside an ID-number column, ``NUMERIC + header`` marks numeric cells.

    Raises :class:`Unreadable` for an empty, damaged or non-workbook file.
    """
    import fastexcel

    if path.stat().st_size == 0:
        raise unreadable(
            path,
            "文件为空（0字节）：请重新导出或保存该工作簿",
            "the file is empty (0 bytes): export or save the workbook again",
        )
    try:
        reader = fastexcel.read_excel(path)
        out: dict[str, pl.DataFrame] = {}
        for name in reader.sheet_names:
            frame = reader.load_sheet(name, header_row=0, dtypes="string").to_polars()
            ids = [h for h in frame.columns if match_header(h, _ID_HEADERS)]
            if ids and frame.height:
                # A number cell loads as a boolean, a text cell as null: numbers are marked.
                kinds = reader.load_sheet(
                    name, header_row=0, use_columns=ids, dtypes=dict.fromkeys(ids, "boolean")
                ).to_polars()
                if kinds.height == frame.height:
                    frame = frame.with_columns(
                        [kinds[h].is_not_null().alias(NUMERIC + h) for h in ids if h in kinds.columns]
                    )
            out[name] = frame
        for name, cells in unsaved_formulas(path).items():
            if name in out:
                out[name] = _mark_formulas(out[name], cells)
    except fastexcel.FastExcelError as e:
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise unreadable(
            path,
            f"无法打开工作簿（文件已损坏或不是Excel格式：{detail}）：请在Excel中打开并另存为 .xlsx 后重新导入",
            f"cannot open the workbook (damaged or not an Excel file: {detail}): open it in Excel, "
            "save it as .xlsx and import again",
        ) from None
    return out


_NS = r"(?:\w+:)?"
#: A formula cell whose result was never saved: ``<f>`` and then no ``<v>`` or an empty one.
_UNSAVED = re.compile(
    rf'<{_NS}c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*<{_NS}f\b(?:[^>]*/>|[^>]*>[^<]*</{_NS}f>)\s*'
    rf"(?:<{_NS}v\s*/>|<{_NS}v>\s*</{_NS}v>)?\s*</{_NS}c>".encode()
)
#: A cell holding a value (what the workbook reader counts when it finds where a sheet starts).
_VALUED = re.compile(
    rf'<{_NS}c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*(?:<{_NS}f\b(?:[^>]*/>|[^>]*>[^<]*</{_NS}f>)\s*)?'
    rf"<{_NS}(?:v>[^<]|is>)".encode()
)
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def unsaved_formulas(path: Path) -> dict[str, list[tuple[int, int]]]:
    """Sheet name → (data row, column) of each formula cell with no saved result, in an .xlsx/.xlsm.

    Excel saves every formula's result beside it; a file made by a program (openpyxl, a script) may
    hold only the formula, and a workbook reader then sees an empty cell: the figure would be lost
    without a word. The reader (calamine) does not expose formulas, so the sheet XML is searched
    directly, and only when it holds a formula at all. Positions are relative to where the reader's
    table starts (its header row, its first column), as the frames of :func:`_sheets` are.
    """
    from xml.etree import ElementTree

    if path.suffix.lower() not in (".xlsx", ".xlsm") or not zipfile.is_zipfile(path):
        return {}
    found: dict[str, list[tuple[int, int]]] = {}
    with zipfile.ZipFile(path) as z:
        try:
            book = ElementTree.fromstring(z.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, ElementTree.ParseError):
            return {}
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        for sheet in book.iter():
            if not sheet.tag.endswith("}sheet"):
                continue
            target = targets.get(sheet.get(_REL), "").lstrip("/")
            member = target if target.startswith("xl/") else f"xl/{target}"
            try:
                xml = z.read(member)
            except KeyError:
                continue
            if b"<f" not in xml and b":f" not in xml:
                continue
            unsaved = _UNSAVED.findall(xml)
            if not unsaved:
                continue
            valued = _VALUED.findall(xml)
            top = min((int(r) for _, r in valued), default=1)
            left = min((_column_number(c) for c, _ in valued), default=1)
            found[(sheet.get("name") or "").strip()] = [
                (int(r) - top - 1, _column_number(c) - left)
                for c, r in unsaved
                if int(r) > top and _column_number(c) >= left
            ]
    return found


def _mark_formulas(frame: pl.DataFrame, cells: list[tuple[int, int]]) -> pl.DataFrame:
    """``FORMULA + header`` columns that are true at the cells in ``cells`` (rows past the end,
    which the workbook reader leaves out when they hold only such formulas, are added blank)."""
    cells = [(r, c) for r, c in cells if c < frame.width]
    if not cells:
        return frame
    height = max(frame.height, max(r for r, _ in cells) + 1)
    if height > frame.height:
        frame = pl.concat(
            [frame, pl.DataFrame(schema=frame.schema).clear(height - frame.height)], how="vertical"
        )
    headers = frame.columns
    by_column: dict[str, list[int]] = {}
    for r, c in cells:
        if not headers[c].startswith(MARKERS):
            by_column.setdefault(headers[c], []).append(r)
    index = pl.int_range(pl.len())
    return frame.with_columns([index.is_in(rows).alias(FORMULA + h) for h, rows in by_column.items()])


def raw_tables(path: Path) -> tuple[dict[str, pl.DataFrame], dict[str, str], list[Problem]]:
    """Name → all-text frame for every CSV file or sheet; plus encodings and the files not readable.

    A path that is missing, of an unknown kind, or a file that cannot be read becomes a
    :class:`Problem` naming it (the third element); a folder's other files are still read.
    """
    path = Path(path)
    frames: dict[str, pl.DataFrame] = {}
    encodings: dict[str, str] = {}
    problems: list[Problem] = []
    if not path.exists():
        problems.append(
            unreadable(
                path,
                "找不到该文件或文件夹：请检查路径和文件名",
                "no such file or folder: check the path and the file name",
            ).problem
        )
        return frames, encodings, problems
    if path.is_dir():
        for f in sorted(path.glob("*.csv")):
            if f.name.startswith("_"):
                continue  # side files (e.g. the generator's 冲击 ground truth) are not tables
            try:
                frames[f.stem.strip()], encodings[f.stem.strip()] = raw_csv(f)
            except Unreadable as e:
                problems.append(e.problem)
        return frames, encodings, problems
    try:
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            return {n.strip(): f for n, f in _sheets(path).items()}, {}, []
        if path.suffix.lower() == ".csv":
            frame, enc = raw_csv(path)
            return {path.stem.strip(): frame}, {path.stem.strip(): enc}, []
    except Unreadable as e:
        return frames, encodings, [e.problem]
    problems.append(
        unreadable(
            path,
            f"不支持的文件类型“{path.suffix or '无扩展名'}”：请提供 .xlsx 工作簿，或放有“表名.csv”文件的文件夹",
            f"unsupported file type “{path.suffix or 'no extension'}”: give an .xlsx workbook or a "
            "folder of <table>.csv files",
        ).problem
    )
    return frames, encodings, problems


def prepare(raw: pl.DataFrame, table: ix.Table, checker: Checker) -> pl.DataFrame:
    """Rename headers to keys, add the row number, drop blank rows; report unknown/missing columns."""
    accepted = header_map(table)
    rename: dict[str, str] = {}
    markers = [h for h in raw.columns if h.startswith(MARKERS)]
    for h in raw.columns:
        if h in markers or h == ROW:
            continue
        key = match_header(h, accepted)
        if key is None or key in rename.values():
            checker.warnings.append(
                Problem(
                    table.name,
                    1,
                    h,
                    None,
                    "未知列或重复列，已忽略" if key is None else "重复列，已忽略",
                    "unknown column, ignored" if key is None else "duplicate column, ignored",
                )
            )
            continue
        rename[h] = key
    marked = [pl.col(m + h).alias(m + k) for h, k in rename.items() for m in MARKERS if m + h in markers]
    frame = raw.select([pl.col(h).cast(pl.Utf8).alias(k) for h, k in rename.items()] + marked)
    if ROW in raw.columns:  # rows translated from another layout keep their spreadsheet row
        frame = frame.with_columns(raw[ROW].cast(pl.Int64).alias(ROW))
    else:
        frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    keys = [k for k in frame.columns if k != ROW and not k.startswith(MARKERS)]
    if keys:
        blank = pl.all_horizontal([pl.col(k).is_null() | (pl.col(k).str.strip_chars() == "") for k in keys])
        formulas = [pl.col(k).fill_null(False) for k in frame.columns if k.startswith(FORMULA)]
        frame = frame.filter(~blank | pl.any_horizontal(formulas) if formulas else ~blank)
    for c in table.columns:
        if c.required and c.key not in frame.columns:
            checker.errors.append(
                Problem(table.name, 1, c.header, None, "缺少必填列", "required column is missing")
            )
    return frame


def _duplicates(
    frame: pl.DataFrame, keys: list[str], header: str, checker: Checker, zh: str, en: str
) -> None:
    if frame.is_empty():
        return
    nonnull = pl.all_horizontal([pl.col(k).is_not_null() for k in keys if k != "quarter"])
    dup = pl.struct(keys).is_duplicated() & nonnull
    checker.flag(frame, dup, header, zh, en, value_col=keys[0])


def cross_checks(tables: dict[str, pl.DataFrame], checkers: dict[str, Checker]) -> None:
    """Checks across rows and tables of the file that hold whatever else exists: duplicate keys."""
    hh = tables.get("households")
    mem = tables.get("members")
    inc = tables.get("income")
    vil = tables.get("villages")
    cad = tables.get("cadres")
    if hh is not None:
        _duplicates(
            hh,
            ["household_id"],
            "户编号",
            checkers["households"],
            "户编号在文件中重复",
            "duplicate 户编号 in the file",
        )
    if vil is not None:
        _duplicates(
            vil,
            ["village_code"],
            "行政区划代码",
            checkers["villages"],
            "村代码在文件中重复",
            "duplicate village code in the file",
        )
    if cad is not None:
        _duplicates(
            cad,
            ["cadre_id"],
            "干部编号",
            checkers["cadres"],
            "干部编号在文件中重复",
            "duplicate cadre ID in the file",
        )
    if inc is not None:
        _duplicates(
            inc,
            ["household_id", "year", "quarter"],
            "户编号",
            checkers["income"],
            "同一户同一年度季度的收入行重复",
            "duplicate income row for the same household, year and quarter",
        )
    if mem is not None:
        _duplicates(
            mem,
            ["id_number"],
            "证件号码",
            checkers["members"],
            "证件号码在文件中重复",
            "duplicate ID number in the file",
        )
    if hh is not None and vil is not None and not vil.is_empty():
        checkers["households"].flag(
            hh,
            pl.col("village_code").is_not_null()
            & ~pl.col("village_code").is_in(vil["village_code"].drop_nulls().implode()),
            "行政区划代码",
            "村代码不在村表中",
            "village code not in the 村 sheet",
            warning=True,
        )
    if cad is not None and not cad.is_empty():
        checkers["cadres"].flag(
            cadre_pairs(cad),
            pl.col("household_id").is_duplicated(),
            "现帮扶户编号",
            "同一户被多名干部结对帮扶",
            "household paired with more than one cadre",
            value_col="household_id",
        )


def cadre_pairs(cadres: pl.DataFrame) -> pl.DataFrame:
    """One row per (cadre, household) listed in 现帮扶户编号, with the cadre's spreadsheet row."""
    return (
        cadres.select(ROW, "cadre_id", pl.col("current_households").str.split(";").alias("household_id"))
        .explode("household_id")
        .with_columns(pl.col("household_id").str.strip_chars())
        .filter(pl.col("household_id").is_not_null() & (pl.col("household_id") != ""))
    )


@dataclass(frozen=True)
class Known:
    """What the registry already holds that a file's rows may refer to.

    ``households``: household_id; ``members``: id_number, household_id, relation. Empty when no
    database is involved: then the file alone is the universe.
    """

    households: pl.DataFrame
    members: pl.DataFrame
    registry: bool = True

    @classmethod
    def nothing(cls) -> Known:
        return cls(
            pl.DataFrame(schema={"household_id": pl.Utf8}),
            pl.DataFrame(schema={"id_number": pl.Utf8, "household_id": pl.Utf8, "relation": pl.Utf8}),
            registry=False,
        )


def reference_checks(tables: dict[str, pl.DataFrame], known: Known | None = None) -> list[Problem]:
    """Errors in how the file's rows refer to households, over ``known`` ∪ file.

    A member, income row or pair whose household exists nowhere; a household that would have no
    户主, or two (file heads, and a stored head the file does not re-list); a 家庭 row whose
    household would have no member at all. File rows override stored ones with the same 证件号码.
    """
    known = known if known is not None else Known.nothing()
    hh = tables.get("households")
    mem = tables.get("members")
    cad = tables.get("cadres")
    checkers = {t.key: Checker(t.name) for t in ix.TABLES}
    file_households = (
        hh.select("household_id").drop_nulls()
        if hh is not None
        else pl.DataFrame(schema={"household_id": pl.Utf8})
    )
    universe = pl.concat([file_households, known.households.select("household_id")]).unique()["household_id"]
    nowhere = (
        ("户编号不存在（系统中和文件中都没有）", "household not found in the registry or the file")
        if known.registry
        else ("户编号在家庭表中不存在", "household not in the 家庭 sheet")
    )
    exists = pl.col("household_id").is_in(universe.implode())
    for key in ("members", "income"):
        frame = tables.get(key)
        if frame is not None:
            checkers[key].flag(
                frame, pl.col("household_id").is_not_null() & ~exists, "户编号", nowhere[0], nowhere[1]
            )
    if cad is not None and not cad.is_empty():
        checkers["cadres"].flag(
            cadre_pairs(cad),
            ~exists,
            "现帮扶户编号",
            "帮扶户编号" + nowhere[0].removeprefix("户编号"),
            "paired " + nowhere[1],
            value_col="household_id",
        )
    stored_rest = known.members
    if mem is not None:
        stored_rest = stored_rest.filter(~pl.col("id_number").is_in(mem["id_number"].drop_nulls().implode()))
        _heads(mem.filter(pl.col("household_id").is_in(universe.implode())), stored_rest, checkers["members"])
    if hh is not None:
        with_members = pl.concat(
            [
                stored_rest.select("household_id"),
                mem.select("household_id")
                if mem is not None
                else pl.DataFrame(schema={"household_id": pl.Utf8}),
            ]
        )["household_id"].drop_nulls()
        checkers["households"].flag(
            hh,
            pl.col("household_id").is_not_null() & ~pl.col("household_id").is_in(with_members.implode()),
            "户编号",
            "该户在文件和系统中都没有成员（应有一名户主）"
            if known.registry
            else "该户在家庭成员表中没有成员（应有一名户主）",
            "household has no members in the file or the registry (needs one 户主)"
            if known.registry
            else "household has no members in the 家庭成员 sheet (needs one 户主)",
        )
    return [p for c in checkers.values() for p in c.errors]


def _heads(mem: pl.DataFrame, stored_rest: pl.DataFrame, checker: Checker) -> None:
    """Exactly one 户主 per household over the file's members and the stored ones it does not list."""
    stored_heads = (
        stored_rest.filter(pl.col("relation") == "户主")
        .group_by("household_id")
        .agg(pl.col("id_number").first().alias("stored_head"))
    )
    heads = (
        mem.filter(pl.col("household_id").is_not_null())
        .group_by("household_id")
        .agg((pl.col("relation") == "户主").sum().alias("heads"), pl.col(ROW).min().alias("first"))
        .join(stored_heads, on="household_id", how="left")
    )
    is_head = pl.col("relation") == "户主"
    several = heads.filter(pl.col("heads") > 1)["household_id"]
    checker.flag(
        mem,
        pl.col("household_id").is_in(several.implode()) & is_head,
        "与户主关系",
        "同一户有多个户主",
        "more than one 户主 in the household",
        value_col="household_id",
    )
    clash = heads.filter((pl.col("heads") == 1) & pl.col("stored_head").is_not_null())
    # A head whose ID number is bad has that error already: whether it is the stored head is unknown.
    hit = mem.filter(is_head & pl.col("id_number").is_not_null()).join(
        clash.select("household_id", "stored_head"), on="household_id"
    )
    for row, hid, other in hit.select(ROW, "household_id", "stored_head").iter_rows():
        checker.errors.append(
            Problem(
                checker.table,
                row,
                "与户主关系",
                hid,
                f"系统中该户已有户主（{mask(other)}），文件中未包含该人",
                f"the household already has a stored 户主 ({mask(other)}) who is not in the file",
            )
        )
    none = heads.filter((pl.col("heads") == 0) & pl.col("stored_head").is_null())
    checker.flag(
        mem,
        pl.col(ROW).is_in(none["first"].implode()),
        "与户主关系",
        lambda v: f"户{v}没有户主",
        lambda v: f"household {v} has no 户主",
        value_col="household_id",
    )


def _empty_input(path: Path, raw: dict[str, pl.DataFrame]) -> Problem:
    names = "、".join(t.name for t in ix.TABLES)
    known = [n for n in raw if n in ix.TABLES_BY_NAME or n in ix.FEEDS_BY_NAME]
    if known:
        return unreadable(
            path,
            f"工作表都是空的（{'、'.join(known)}）：请填写表头和数据后再导入",
            f"every sheet is empty ({', '.join(known)}): fill in the headers and data, then import",
        ).problem
    if path.is_dir():
        return unreadable(
            path,
            f"文件夹中没有可识别的表文件：文件名应为表名加 .csv（{names}，或部门数据如 残联.csv）",
            "the folder holds no known table file: name the files after the tables "
            f"({', '.join(t.name + '.csv' for t in ix.TABLES)}, or a feed such as 残联.csv)",
        ).problem
    what = "工作表" if path.suffix.lower() in WORKBOOK_SUFFIXES else "文件"
    found = "、".join(raw) or "无"
    return unreadable(
        path,
        f"没有可识别的{what}（现有：{found}）：{what}名应为表名（{names}）",
        f"no known {'sheet' if what == '工作表' else 'table'} (found: {found}): name it after a table ({names})",
    ).problem


def masked_export(raw: dict[str, pl.DataFrame]) -> Problem | None:
    """The one error for a masked export given as an import: its ID numbers and names are hidden.

    A personal column (姓名, 证件号码, 联系电话) of a table or feed in which most filled cells are
    masked as the exporter masks them marks the whole file; a stray ``*`` in a hand-made file is
    left to the ordinary cell checks. Nothing in such a file can be matched to a person, so it is
    refused whole, pointing to the blank template.
    """
    tables = {t.name: t for t in (*ix.TABLES, *ix.FEEDS)}
    for name, frame in raw.items():
        spec = tables.get(name)
        if spec is None:
            continue
        accepted = {h: k for h, k in header_map(spec).items() if k in _MASKED}
        for header in frame.columns:
            key = match_header(header, accepted) if not header.startswith(MARKERS) else None
            if key is None:
                continue
            cells = frame[header].cast(pl.Utf8).str.strip_chars().drop_nulls()
            cells = cells.filter(cells != "")
            hidden = cells.filter(cells.str.contains(_MASKED[key]))
            if hidden.len() and 2 * hidden.len() > cells.len():
                return Problem(
                    spec.name,
                    None,
                    header,
                    hidden[0],
                    f"该文件是脱敏导出，证件号码、姓名、联系电话等已用“*”隐藏（{spec.name}表“{header}”列"
                    f"{hidden.len():,}处），不能作为导入文件，未写入任何数据。请在“导入导出”页下载空白模板"
                    "（命令行：zengshou export --template --out 模板.xlsx）填写后导入；要修改已有农户，"
                    "请由有权限的用户导出含个人信息的文件，修改后再导入",
                    f"this file is a masked export: ID numbers, names and phones are hidden with '*' "
                    f"({hidden.len():,} cells in {header} of {spec.name}), so it cannot be imported and nothing "
                    "was written. Download the blank template on the import page (CLI: zengshou export "
                    "--template --out template.xlsx) and fill it in, or have an authorised user export "
                    "with personal data, edit that file and import it",
                )
    return None


def read(path: Path) -> ReadResult:
    """Parse and check a workbook or CSV folder; the database is not touched.

    A file that cannot be read at all gives an error naming it (``errors``), not an exception.
    """
    path = Path(path)
    raw, encodings, unreadable_files = raw_tables(path)
    return read_tables(path, raw, encodings, unreadable_files)


def read_tables(
    path: Path,
    raw: dict[str, pl.DataFrame],
    encodings: dict[str, str] | None = None,
    unreadable_files: list[Problem] | None = None,
) -> ReadResult:
    """:func:`read` over sheets already loaded as text (name → frame), e.g. translated from another layout.

    A frame with a ``_row`` column keeps those spreadsheet row numbers in its problems.
    """
    from zengshou.ingest.plausibility import odd_values

    encodings = encodings or {}
    unreadable_files = unreadable_files or []
    result = ReadResult(
        population=Population(), source=path, encoding={k: v.split("+")[0] for k, v in encodings.items()}
    )
    result.errors.extend(unreadable_files)
    raw.pop(NOTES_SHEET, None)
    masked = masked_export(raw)
    if masked is not None:
        result.errors.append(masked)
        result.tables = [n for n in raw if n in ix.TABLES_BY_NAME or n in ix.FEEDS_BY_NAME]
        return result
    checkers: dict[str, Checker] = {}
    typed: dict[str, pl.DataFrame] = {}
    feeds_by_name = {t.name: t for t in ix.FEEDS}
    for name, frame in raw.items():
        listed = ix.MIGRANT_BY_NAME.get(name)
        if listed is not None and frame.columns:
            # title rows and the national header names: translated first (zengshou.ingest.migrant_work)
            from zengshou.ingest.migrant_work import read_list

            found = read_list(listed, frame, path / f"{name}.csv" if path.is_dir() else path, name)
            result.tables.append(listed.name)
            result.columns[listed.key] = [k for k in found.frame.columns if k != ROW]
            typed[listed.key] = found.frame
            result.errors.extend(found.errors)
            result.warnings.extend(found.warnings)
            continue
        spec = ix.TABLES_BY_NAME.get(name) or feeds_by_name.get(name)
        if spec is None and name == ix.MONITORING.name:
            spec = ix.MONITORING
        if spec is None:
            result.warnings.append(
                Problem(name, None, "", None, "未知的表，已忽略", "unknown sheet or file, ignored")
            )
            continue
        if not frame.columns:  # a blank sheet of a template: nothing to read, nothing to check
            result.warnings.append(
                Problem(
                    spec.name,
                    None,
                    "",
                    None,
                    "工作表为空（没有表头行），已忽略",
                    "the sheet is empty (no header row), ignored",
                )
            )
            continue
        result.tables.append(spec.name)
        checker = checkers[spec.key] = Checker(spec.name)
        prepared = prepare(frame, spec, checker)
        result.columns[spec.key] = [k for k in prepared.columns if k != ROW and not k.startswith("__")]
        wide = "+" in encodings[name] if name in encodings else True
        typed[spec.key] = check_table(prepared, spec, checker, wide)
    if not result.tables and not unreadable_files:
        result.errors.append(_empty_input(path, raw))
    elif typed and all(frame.is_empty() for frame in typed.values()) and not unreadable_files:
        result.errors.append(
            unreadable(
                path,
                f"文件只有表头，没有数据行（{'、'.join(result.tables)}）：请在表头下方逐行填写后再导入",
                f"the file has headers but no rows ({', '.join(result.tables)}): fill in rows below "
                "the headers, then import",
            ).problem
        )
    all_checkers = {t.key: checkers.get(t.key) or Checker(t.name) for t in ix.TABLES}
    # A file of the input that cannot be read leaves the rest incomplete: how rows refer to
    # households would be checked against part of the input (a flood of "no members" for an
    # unreadable 家庭成员.csv), so only the unreadable file and the cells of the others are reported.
    complete = not unreadable_files
    if typed:
        cross_checks(typed, all_checkers)
        if complete:
            result.reference_errors = reference_checks(typed)
            result.errors.extend(result.reference_errors)
        result.warnings.extend(odd_values(typed, result.columns))
    if "housing" in typed:
        hc = checkers["housing"]
        frame = typed["housing"]
        hc.flag(
            frame,
            pl.col("household_id").is_null() & pl.col("id_number").is_null(),
            "户编号",
            "户编号和证件号码至少填一项",
            "give 户编号 or 证件号码",
        )
    for checker in checkers.values():
        result.errors.extend(checker.errors)
        result.warnings.extend(checker.warnings)
    result.errors.sort(key=sort_key)
    result.warnings.sort(key=sort_key)
    result.frames = typed if complete else {}
    pop = result.population
    for t in ix.TABLES:
        if t.key in typed:
            setattr(pop, t.key, conform(typed[t.key], t))
    for f in ix.FEEDS:
        if f.key in typed:
            pop.feeds[f.key] = conform(typed[f.key], f)
    return result
