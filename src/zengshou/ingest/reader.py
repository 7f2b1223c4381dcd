"""Reading an interchange workbook or CSV folder into checked frames, without touching the database.

CSV: UTF-8 (with or without BOM) is tried strictly, else GB18030. Workbooks are read with fastexcel
(calamine), every cell as text. Each table's cells are checked column-wise (:mod:`.columns`), then the
tables against each other (duplicate keys, members and income of unknown households, one 户主).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population, conform
from zengshou.ingest.columns import ROW, Checker, check_table, header_map, match_header
from zengshou.ingest.problems import Problem, sort_key


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


def raw_csv(path: Path) -> tuple[pl.DataFrame, str]:
    """All-text frame of a CSV file and its encoding (strict UTF-8, else GB18030)."""
    data = path.read_bytes()
    encoding = "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8-sig"
    if not data.strip():
        return pl.DataFrame(), encoding
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        data, encoding = data.decode("gb18030").encode("utf-8"), "gb18030"
    frame = _polars_csv(data)
    if encoding == "gb18030" or any(w in data for w in _WIDE_UTF8):
        encoding += "+wide"
    return frame, encoding


def _polars_csv(data: bytes) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(data), infer_schema=False, has_header=True, encoding="utf8")


def _sheets(path: Path) -> dict[str, pl.DataFrame]:
    import fastexcel

    reader = fastexcel.read_excel(path)
    out: dict[str, pl.DataFrame] = {}
    for name in reader.sheet_names:
        sheet = reader.load_sheet(name, header_row=0, dtypes="string")
        out[name] = sheet.to_polars()
    return out


def raw_tables(path: Path) -> tuple[dict[str, pl.DataFrame], dict[str, str], list[str]]:
    """Name → all-text frame for every CSV file or sheet; plus encodings and names of other files."""
    path = Path(path)
    frames: dict[str, pl.DataFrame] = {}
    encodings: dict[str, str] = {}
    if path.is_dir():
        for f in sorted(path.glob("*.csv")):
            if f.name.startswith("_"):
                continue  # side files (e.g. the generator's 冲击 ground truth) are not tables
            frames[f.stem.strip()], encodings[f.stem.strip()] = raw_csv(f)
        return frames, encodings, []
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        return {n.strip(): f for n, f in _sheets(path).items()}, {}, []
    if path.suffix.lower() == ".csv":
        frame, enc = raw_csv(path)
        return {path.stem.strip(): frame}, {path.stem.strip(): enc}, []
    raise FileNotFoundError(f"不是工作簿或CSV文件夹：{path} / not a workbook or a CSV folder")


def prepare(raw: pl.DataFrame, table: ix.Table, checker: Checker) -> pl.DataFrame:
    """Rename headers to keys, add the row number, drop blank rows; report unknown/missing columns."""
    accepted = header_map(table)
    rename: dict[str, str] = {}
    for h in raw.columns:
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
    frame = raw.select([pl.col(h).cast(pl.Utf8).alias(k) for h, k in rename.items()])
    frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    keys = [k for k in frame.columns if k != ROW]
    if keys:
        blank = pl.all_horizontal([pl.col(k).is_null() | (pl.col(k).str.strip_chars() == "") for k in keys])
        frame = frame.filter(~blank)
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
    """Checks across rows and tables that need no database."""
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
        ch = checkers["members"]
        _duplicates(
            mem, ["id_number"], "证件号码", ch, "证件号码在文件中重复", "duplicate ID number in the file"
        )
        heads = (
            mem.filter(pl.col("household_id").is_not_null())
            .group_by("household_id")
            .agg((pl.col("relation") == "户主").sum().alias("heads"), pl.col(ROW).min().alias("first"))
        )
        several = heads.filter(pl.col("heads") > 1)["household_id"]
        ch.flag(
            mem,
            pl.col("household_id").is_in(several.implode()) & (pl.col("relation") == "户主"),
            "与户主关系",
            "同一户有多个户主",
            "more than one 户主 in the household",
            value_col="household_id",
        )
        none = heads.filter((pl.col("heads") == 0) & pl.col("household_id").is_not_null())
        ch.flag(
            mem,
            pl.col(ROW).is_in(none["first"].implode()),
            "与户主关系",
            lambda v: f"户{v}没有户主",
            lambda v: f"household {v} has no 户主",
            value_col="household_id",
        )
        if hh is not None:
            known = hh["household_id"].drop_nulls().implode()
            ch.flag(
                mem,
                pl.col("household_id").is_not_null() & ~pl.col("household_id").is_in(known),
                "户编号",
                "户编号在家庭表中不存在",
                "household not in the 家庭 sheet",
            )
            missing = hh.filter(
                pl.col("household_id").is_not_null()
                & ~pl.col("household_id").is_in(mem["household_id"].drop_nulls().implode())
            )
            checkers["households"].flag(
                hh,
                pl.col(ROW).is_in(missing[ROW].implode()),
                "户编号",
                "该户在家庭成员表中没有成员（应有一名户主）",
                "household has no members in the 家庭成员 sheet (needs one 户主)",
            )
    if inc is not None and hh is not None:
        known = hh["household_id"].drop_nulls().implode()
        checkers["income"].flag(
            inc,
            pl.col("household_id").is_not_null() & ~pl.col("household_id").is_in(known),
            "户编号",
            "户编号在家庭表中不存在",
            "household not in the 家庭 sheet",
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
        pairs = cad.select(ROW, "cadre_id", pl.col("current_households").str.split(";")).explode(
            "current_households"
        )
        pairs = pairs.with_columns(pl.col("current_households").str.strip_chars()).filter(
            pl.col("current_households").is_not_null() & (pl.col("current_households") != "")
        )
        ch = checkers["cadres"]
        ch.flag(
            pairs,
            pl.col("current_households").is_duplicated(),
            "现帮扶户编号",
            "同一户被多名干部结对帮扶",
            "household paired with more than one cadre",
            value_col="current_households",
        )
        if hh is not None:
            ch.flag(
                pairs,
                ~pl.col("current_households").is_in(hh["household_id"].drop_nulls().implode()),
                "现帮扶户编号",
                "帮扶户编号在家庭表中不存在",
                "paired household not in the 家庭 sheet",
                value_col="current_households",
                warning=False,
            )


def read(path: Path) -> ReadResult:
    """Parse and check a workbook or CSV folder; the database is not touched."""
    path = Path(path)
    raw, encodings, _ = raw_tables(path)
    result = ReadResult(
        population=Population(), source=path, encoding={k: v.split("+")[0] for k, v in encodings.items()}
    )
    checkers: dict[str, Checker] = {}
    typed: dict[str, pl.DataFrame] = {}
    feeds_by_name = {t.name: t for t in ix.FEEDS}
    for name, frame in raw.items():
        spec = ix.TABLES_BY_NAME.get(name) or feeds_by_name.get(name)
        if spec is None:
            result.warnings.append(
                Problem(name, None, "", None, "未知的表，已忽略", "unknown sheet or file, ignored")
            )
            continue
        result.tables.append(spec.name)
        checker = checkers[spec.key] = Checker(spec.name)
        prepared = prepare(frame, spec, checker)
        result.columns[spec.key] = [k for k in prepared.columns if k != ROW]
        wide = "+" in encodings[name] if name in encodings else True
        typed[spec.key] = check_table(prepared, spec, checker, wide)
    if typed:
        cross_checks(typed, {t.key: checkers.get(t.key) or Checker(t.name) for t in ix.TABLES})
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
    result.frames = typed
    pop = result.population
    for t in ix.TABLES:
        if t.key in typed:
            setattr(pop, t.key, conform(typed[t.key], t))
    for f in ix.FEEDS:
        if f.key in typed:
            pop.feeds[f.key] = conform(typed[f.key], f)
    return result
