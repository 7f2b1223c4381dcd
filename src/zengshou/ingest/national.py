"""Reading the national monitoring system's person lists (one row per person) into the interchange tables.

A column-mapping profile (``data/layouts/*.yaml``: field ← header names and aliases, code tables)
says which header is which field; headers are matched by name, never by position. The header row is
found among the first rows (title rows above it, a two-row header with merged group cells); person
rows are split into households (their repeated columns must agree) and members; the income, the
监测对象 and the 帮扶责任人 columns become income rows, monitoring objects and cadres with their
pairs. Area names are resolved to the registry's codes. The translated sheets then go through the
same checks and the same one-transaction write as an interchange file (:func:`zengshou.ingest.load`),
so every row number in a problem is the workbook's own. Columns the profile does not map are
reported by name, never dropped silently.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from zengshou import interchange as ix
from zengshou.frames import Population
from zengshou.ingest import sheet_slices
from zengshou.ingest.columns import FALSE_WORDS, ROW, TRUE_WORDS, UNSAVED_FORMULA
from zengshou.ingest.problems import Problem, sort_key
from zengshou.ingest.reader import ReadResult, read_tables, unreadable

LAYOUTS = Path(__file__).resolve().parent.parent / "data" / "layouts"
SHEET = "全国人员表"
#: Rows searched for the header (title rows and a two-row header above the data).
HEADER_SEARCH_ROWS = 10
#: A row is a header when at least this many of its cells are known header names.
MIN_HEADER_MATCHES = 5
#: Household columns the person rows repeat; they must agree within a household.
HOUSEHOLD_FIELDS = ("household_type", "phone", "arable_mu", "housing_unsafe", "water_safe")
AREA_LEVELS = ("province", "city", "county", "township", "village")


def norm(text: Any) -> str:
    """A header as compared: NFKC (full-width → half-width), no spaces, no colons."""
    return re.sub(r"[\s:：]+", "", unicodedata.normalize("NFKC", str(text or "")))


@dataclass(frozen=True)
class Profile:
    """A column-mapping profile: which header is which field, and the code tables.

    ``file`` says where it comes from: the YAML file's name, or the county a profile saved in the
    web belongs to. ``header_rows`` (0-based, one row or two) is where the header is when the
    profile says so; empty, the header is found by :func:`find_header`.
    """

    name: str
    file: str
    columns: dict[str, tuple[str, ...]]
    codes: dict[str, dict[str, str]]
    patterns: dict[str, tuple[tuple[re.Pattern[str], str], ...]]
    header_rows: tuple[int, ...] = ()

    @functools.cached_property
    def aliases(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for target, names in self.columns.items():
            for n in names:
                out.setdefault(norm(n), target)
        return out

    def content(self) -> dict[str, Any]:
        """The profile as a layouts YAML holds it (header rows counted from 1, ``auto`` when found)."""
        return {
            "name": self.name,
            "header": [r + 1 for r in self.header_rows] if self.header_rows else "auto",
            "columns": {k: list(v) for k, v in self.columns.items()},
            "codes": {k: dict(v) for k, v in self.codes.items()},
            "patterns": {k: {p.pattern: v for p, v in pats} for k, pats in self.patterns.items()},
        }


class UnknownProfile(ValueError):
    """No shipped and no saved profile has this name; the message lists the ones there are."""


def parse_profile(data: Any, file: str, default_name: str = "") -> Profile:
    """A profile from a layouts YAML's content (or a saved profile's, which is the same); a Chinese
    ValueError naming the part that is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict) or not data["columns"]:
        raise ValueError(f"列映射“{file}”缺少 columns（字段 ← 表头名称）")
    header = data.get("header", "auto")
    rows: tuple[int, ...] = ()
    if header not in (None, "auto"):
        if (
            not isinstance(header, list)
            or len(header) not in (1, 2)
            or not all(isinstance(r, int) and not isinstance(r, bool) and r >= 1 for r in header)
            or (len(header) == 2 and header[1] != header[0] + 1)
        ):
            raise ValueError(f"列映射“{file}”的 header 应为 auto、[行号] 或相邻两行 [行号, 行号+1]")
        rows = tuple(r - 1 for r in header)
    try:
        return Profile(
            name=str(data.get("name") or default_name),
            file=file,
            columns={str(k): tuple(str(x) for x in v) for k, v in data["columns"].items()},
            codes={k: {norm(a): str(b) for a, b in v.items()} for k, v in (data.get("codes") or {}).items()},
            patterns={
                k: tuple((re.compile(a), str(b)) for a, b in v.items())
                for k, v in (data.get("patterns") or {}).items()
            },
            header_rows=rows,
        )
    except (AttributeError, TypeError, re.error) as e:
        raise ValueError(f"列映射“{file}”的 columns、codes 或 patterns 格式不对：{e}") from e


def shipped_profiles() -> list[str]:
    """The names of the profiles in data/layouts (the file names without .yaml)."""
    return sorted(p.stem for p in LAYOUTS.glob("*.yaml"))


@functools.cache
def _shipped(name: str) -> Profile:
    path = LAYOUTS / f"{name}.yaml"
    return parse_profile(yaml.safe_load(path.read_text(encoding="utf-8")), path.name, name)


def profile(name: str = "national") -> Profile:
    """A shipped profile (``data/layouts/NAME.yaml``) or one saved in the web under ``name``."""
    if name in shipped_profiles():
        return _shipped(name)
    from zengshou.ingest import mapping

    saved = mapping.saved_profile(name)
    if saved is not None:
        return saved
    known = "、".join([*shipped_profiles(), *mapping.saved_names()])
    raise UnknownProfile(f"没有名为“{name}”的列映射（可用：{known}）")


@dataclass
class Header:
    """Where the header is and what each column is."""

    rows: tuple[int, ...]  # 0-based rows of the sheet that form the header
    names: list[str]  # per column: "group/sub" or the name
    targets: dict[int, str] = field(default_factory=dict)  # column index → field
    ignored: list[str] = field(default_factory=list)  # header names of unmapped columns


def _match(name: str, group: str, prof: Profile) -> str | None:
    a = prof.aliases
    if group:
        for spelling in (f"{group}/{name}", f"{group}{name}"):
            if norm(spelling) in a:
                return a[norm(spelling)]
        if norm(group) in ("风险消除后情况", "消除后情况"):
            return None  # the post-elimination copies of the income names: only the group tells them apart
    return a.get(norm(name))


def detect_header_rows(grid: list[list[str | None]], prof: Profile) -> tuple[int, ...] | None:
    """The header's rows among the first rows: the row with the most known names, with the row below
    it when that holds the sub-headers of merged group cells. None when no row looks like a header."""
    scores = [sum(1 for c in row if c and norm(c) in prof.aliases) for row in grid[:HEADER_SEARCH_ROWS]]
    if not scores or max(scores) < MIN_HEADER_MATCHES:
        return None
    top = scores.index(max(scores))
    width = max(len(r) for r in grid[: top + 2])
    upper = (grid[top] + [None] * width)[:width]
    lower = (grid[top + 1] + [None] * width)[:width] if top + 1 < len(grid) else [None] * width
    # A header row above the best one (group cells over sub-headers) makes the best one the lower row.
    if top > 0 and scores[top - 1] >= 2:
        above = (grid[top - 1] + [None] * width)[:width]
        filled = [i for i, c in enumerate(upper) if c]
        if any(above[i] is None or above[i] == "" for i in filled) and sum(1 for c in above if c) < len(
            filled
        ):
            top -= 1
            upper, lower = above, upper
    two_rows = sum(1 for c in lower if c and norm(c) in prof.aliases) >= 2 and any(
        not upper[i] for i, c in enumerate(lower) if c
    )
    return (top, top + 1) if two_rows else (top,)


def header_at(grid: list[list[str | None]], rows: tuple[int, ...], prof: Profile) -> Header:
    """The header on ``rows`` (one row, or a group row over a sub-header row): each column's name
    ("group/sub" under a merged group cell) and the field the profile maps it to."""
    width = max((len(r) for r in grid), default=0)
    upper = (list(grid[rows[0]]) + [None] * width)[:width]
    two_rows = len(rows) == 2
    lower = (list(grid[rows[1]]) + [None] * width)[:width] if two_rows else [None] * width
    names: list[str] = []
    groups: list[str] = []
    group = ""
    for i in range(width):
        u = str(upper[i]).strip() if upper[i] else ""
        sub = str(lower[i]).strip() if two_rows and lower[i] else ""
        if u:
            group = u
        if sub:
            groups.append(group)
            names.append(sub)
        else:
            groups.append("")
            names.append(u)
            if two_rows:
                group = u if u else group
    header = Header(rows=rows, names=[])
    taken: set[str] = set()
    for i, (name, grp) in enumerate(zip(names, groups, strict=True)):
        shown = f"{grp}/{name}" if grp else name
        header.names.append(shown)
        if not name:
            continue
        target = _match(name, grp, prof)
        if target is None or target in taken:
            header.ignored.append(shown + ("（重复列）" if target in taken else ""))
            continue
        taken.add(target)
        header.targets[i] = target
    return header


def find_header(grid: list[list[str | None]], prof: Profile) -> Header | None:
    """The header: on the profile's rows when it names them, else as :func:`detect_header_rows`
    finds it. None when there is no such header."""
    rows = prof.header_rows or detect_header_rows(grid, prof)
    if not rows or rows[-1] >= len(grid):
        return None
    return header_at(grid, rows, prof)


#: Where a field's label comes from: its part of the registry, in Chinese.
FIELD_GROUPS = {
    "area": "行政区划",
    "households": "家庭",
    "members": "家庭成员",
    "income": "收入",
    "monitoring": "监测对象",
    "cadre": "帮扶责任人",
}
#: Fields a person list cannot be read without.
REQUIRED_FIELDS = ("households.household_id", "members.name", "members.id_number")


def field_labels(prof: Profile) -> dict[str, str]:
    """Each field of the profile in Chinese (家庭成员·证件号码), in the profile's order: the
    interchange header where the field is an interchange column, else the profile's first name."""
    tables = {"households": ix.HOUSEHOLDS, "members": ix.MEMBERS, "income": ix.INCOME}
    tables |= {"monitoring": ix.MONITORING, "cadre": ix.CADRES}
    out: dict[str, str] = {}
    for target, names in prof.columns.items():
        part, _, key = target.partition(".")
        try:
            shown = tables[part].column(key).header
        except KeyError:
            shown = (names[0] if names else key).removeprefix("帮扶责任人/")
        out[target] = f"{FIELD_GROUPS.get(part, part)}·{shown}"
    return out


def _sheet(path: Path, keep: Callable[[list[list[str | None]]], Sequence[int]]) -> sheet_slices.SheetRows:
    """The first sheet as text: ``ROW`` (the sheet's row number) and ``c0``, ``c1``, … (its columns),
    with the formula cells saved without a result.

    ``keep`` sees the first rows (as a grid, for the header) and names the columns to keep. An .xlsx
    is read slice by slice (:mod:`zengshou.ingest.sheet_slices`), so memory follows the kept columns,
    not the whole sheet; other workbooks are read whole.
    """

    def chosen(first: pl.DataFrame) -> Sequence[int]:
        return keep([list(r) for r in first.drop("ROW").head(HEADER_SEARCH_ROWS + 2).rows()])

    try:
        return sheet_slices.read_sheet(path, chosen)
    except sheet_slices.NotSliceable:
        pass
    import fastexcel

    reader = fastexcel.read_excel(path)
    whole = reader.load_sheet(reader.sheet_names[0], header_row=None, dtypes="string").to_polars()
    whole = whole.rename({c: f"c{i}" for i, c in enumerate(whole.columns)}).with_row_index("ROW", offset=1)
    whole = whole.with_columns(pl.col("ROW").cast(pl.Int64))
    return sheet_slices.SheetRows(whole.select("ROW", *[f"c{i}" for i in chosen(whole)]), [])


def _head_rows(path: Path) -> list[list[str | None]]:
    """The sheet's first rows with every column, read without reading the rest where it can be."""
    try:
        first = sheet_slices.read_sheet(path, rows_per_slice=HEADER_SEARCH_ROWS + 2, first_only=True).frame
        return [list(r) for r in first.drop("ROW").rows()]
    except sheet_slices.NotSliceable:
        import fastexcel

        reader = fastexcel.read_excel(path)
        head = reader.load_sheet(
            reader.sheet_names[0], header_row=None, n_rows=HEADER_SEARCH_ROWS + 2, dtypes="string"
        )
        return [list(r) for r in head.to_polars().rows()]


def looks_national(path: Path) -> bool:
    """A workbook whose sheets are not the interchange tables and whose first sheet has a national header."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
    except Exception:
        return False
    known = {*ix.TABLES_BY_NAME, *ix.FEEDS_BY_NAME, ix.MONITORING.name}
    if any(n.strip() in known for n in reader.sheet_names):
        return False
    try:
        return find_header(_head_rows(path), profile()) is not None
    except Exception:
        return False


def _text(col: str) -> pl.Expr:
    x = pl.col(col).cast(pl.Utf8).str.normalize("NFKC").str.strip_chars()
    return pl.when(x == "").then(None).otherwise(x)


def _coded(expr: pl.Expr, target: str, prof: Profile, allowed: tuple[str, ...] = ()) -> pl.Expr:
    """A cell through the profile's code table, then its patterns, the first that matches winning
    (values already allowed pass unchanged). One flat when-chain: nesting each pattern over the last
    would double the expression with every pattern."""
    codes = prof.codes.get(target, {})
    base = expr.replace(codes) if codes else expr
    chain: Any = None
    for pattern, value in prof.patterns.get(target, ()):
        hit = base.str.contains(f"^(?:{pattern.pattern})")
        if allowed:
            hit = hit & ~base.is_in(list(allowed))
        chain = pl.when(hit) if chain is None else chain.when(hit)
        chain = chain.then(pl.lit(value))
    return base if chain is None else chain.otherwise(base)


def _yes(expr: pl.Expr) -> pl.Expr:
    """是/否 from the national wordings (享受, 已享受, 整户享受 … as 是; an empty cell as 否)."""
    t = expr.fill_null("否")
    yes = t.is_in(list(TRUE_WORDS)) | t.str.contains("^(?:已?享受|整户|单人|部分|参加|已参加|是)")
    no = t.is_in(list(FALSE_WORDS)) | t.str.contains("^(?:未|不|否|无)")
    return pl.when(no).then(pl.lit("否")).when(yes).then(pl.lit("是")).otherwise(t)


def _month(expr: pl.Expr) -> pl.Expr:
    """YYYYMM, YYYY-MM, YYYY年M月 or a date → YYYY-MM-01 (other text passes to the date check)."""
    t = expr.str.replace_all(r"[年月/.]", "-").str.strip_chars("-")
    ym = t.str.extract(r"^(\d{4})-?(\d{1,2})(?:-\d{1,2})?(?:\s.*)?$", 1)
    mm = t.str.extract(r"^(\d{4})-?(\d{1,2})(?:-\d{1,2})?(?:\s.*)?$", 2).str.zfill(2)
    return pl.when(ym.is_not_null()).then(pl.concat_str([ym, pl.lit("-"), mm, pl.lit("-01")])).otherwise(expr)


@dataclass
class NationalRead:
    """What the translation found besides the tables: the profile, the header, ignored columns."""

    profile: Profile
    header: Header
    year: int
    year_from: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def mapping(self) -> list[tuple[str, str]]:
        """(the column's header in the file, the field in Chinese) of every mapped column, in file order."""
        labels = field_labels(self.profile)
        return [(self.header.names[i], labels.get(t, t)) for i, t in sorted(self.header.targets.items())]

    def note(self) -> str:
        rows = "、".join(str(r + 1) for r in self.header.rows)
        found = "映射指定" if self.profile.header_rows else "自动识别"
        shown = "、".join(self.header.ignored[:30]) + ("……" if len(self.header.ignored) > 30 else "")
        text = (
            f"全国人员表：使用映射“{self.profile.name}”（{self.profile.file}），表头在第 {rows} 行（{found}），"
            f"映射 {len(self.header.targets)} 列；收入年度 {self.year}（{self.year_from}）"
        )
        text += "\n列映射（表头 → 字段）：" + "；".join(f"{c} → {f}" for c, f in self.mapping())
        if self.header.ignored:
            text += f"\n系统无对应字段、未导入的列（{len(self.header.ignored)}）：{shown}"
        return text


def _areas() -> pl.DataFrame:
    from zengshou.registry.read import query_frame

    return query_frame(
        "SELECT code, name, level, parent_id FROM registry_area",
        [],
        {"code": pl.Utf8, "name": pl.Utf8, "level": pl.Utf8, "parent": pl.Utf8},
    )


def _short(name: str) -> str:
    """An area name without its level word, so 红寺堡区 matches 红寺堡 and 某某镇 matches 某某."""
    return re.sub(
        r"(自治区|省|市|自治州|州|盟|地区|县|区|旗|乡|镇|街道|苏木|村委会|村民委员会|村|社区|居委会)$",
        "",
        name,
    )


def resolve_areas(people: pl.DataFrame, nat: NationalRead) -> pl.DataFrame:
    """行政区划代码 from the area names (or the code column); a name matching none or several is an error."""
    given = [f"area.{lv}" for lv in AREA_LEVELS if f"area.{lv}" in people.columns]
    if "area.code" in people.columns:
        digits = pl.col("area.code").str.replace_all(r"\D", "")
        people = people.with_columns(
            pl.when(digits.str.len_chars() == 12).then(digits).otherwise(None).alias("_code_given")
        )
    else:
        people = people.with_columns(pl.lit(None, dtype=pl.Utf8).alias("_code_given"))
    if not given:
        return people.with_columns(pl.col("_code_given").alias("village_code"))
    areas = _areas().with_columns(pl.col("name").map_elements(_short, return_dtype=pl.Utf8).alias("short"))
    by_level = {lv: areas.filter(pl.col("level") == lv) for lv in ("city", "county", "township", "village")}
    combos = people.filter(pl.col("_code_given").is_null()).group_by(given).agg(pl.col(ROW).min())
    found: list[dict[str, Any]] = []
    for rec in combos.iter_rows(named=True):
        parent: list[str] | None = None
        code: str | None = None
        for lv in ("city", "county", "township", "village"):
            name = rec.get(f"area.{lv}")
            if not name:
                continue
            cand = by_level[lv].filter((pl.col("name") == name) | (pl.col("short") == _short(name)))
            if parent is not None:
                cand = cand.filter(pl.col("parent").is_in(parent))
            codes = cand["code"].to_list()
            level_zh = {"city": "市", "county": "县", "township": "乡(镇)", "village": "行政村"}[lv]
            where = "".join(str(rec.get(f"area.{x}") or "") for x in AREA_LEVELS[: AREA_LEVELS.index(lv)])
            if not codes:
                nat.errors.append(
                    Problem(
                        SHEET,
                        rec[ROW],
                        level_zh,
                        name,
                        f"系统中没有名为“{name}”的{level_zh}"
                        + (f"（在“{where}”下）" if where else "")
                        + "：请核对名称，或先在系统中建立该行政区划",
                        f"no {lv} named {name} in the registry",
                    )
                )
                code = None
                break
            if len(codes) > 1:
                nat.errors.append(
                    Problem(
                        SHEET,
                        rec[ROW],
                        level_zh,
                        name,
                        f"名为“{name}”的{level_zh}有 {len(codes)} 个（{'、'.join(codes[:5])}）："
                        "请在表中填写上级行政区划或行政区划代码",
                        f"{len(codes)} areas of level {lv} are named {name}",
                    )
                )
                code = None
                break
            code = codes[0]
            parent = codes
        found.append(
            {**{g: rec[g] for g in given}, "_code_named": code if code and len(code) == 12 else None}
        )
    named = pl.DataFrame(found, schema={**{g: pl.Utf8 for g in given}, "_code_named": pl.Utf8})
    return people.join(named, on=given, how="left", nulls_equal=True).with_columns(
        pl.coalesce("_code_given", "_code_named").alias("village_code")
    )


def _year(grid: list[list[str | None]], header: Header, people: pl.DataFrame) -> tuple[int, str]:
    import datetime as dt

    if "income.year" in people.columns:
        years = people["income.year"].drop_nulls().unique().to_list()
        if len(years) == 1 and re.fullmatch(r"\d{4}", str(years[0])):
            return int(years[0]), "年度列"
    for row in grid[: header.rows[0]]:
        for cell in row:
            m = re.search(r"(20\d{2})\s*年", str(cell or ""))
            if m:
                return int(m.group(1)), "标题行"
    return dt.date.today().year - 1, "文件未写明，取上一年度"


def _cadre_id(county: pl.Expr) -> pl.Expr:
    key = pl.concat_str(
        [
            county,
            pl.col("cadre.name"),
            pl.col("cadre.phone").fill_null(""),
            pl.col("cadre.unit").fill_null(""),
        ],
        separator="|",
    )
    return pl.concat_str([pl.lit("BF"), county, pl.lit("-"), key.map_elements(_digest, return_dtype=pl.Utf8)])


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def translate(path: Path, profile_name: str = "national") -> tuple[dict[str, pl.DataFrame], NationalRead]:
    """The interchange sheets (all text, with the workbook's row numbers) of a national person list."""
    prof = profile(profile_name)
    found: list[tuple[list[list[str | None]], Header]] = []

    def keep(grid: list[list[str | None]]) -> Sequence[int]:
        header = find_header(grid, prof)
        if header is None and prof.header_rows:
            raise unreadable(
                path,
                f"列映射“{prof.name}”指定表头在第 {prof.header_rows[-1] + 1} 行，但文件没有这么多行",
                "the profile's header row is past the end of the file",
            )
        if header is None:
            raise unreadable(
                path,
                f"在前 {HEADER_SEARCH_ROWS} 行中找不到表头（至少应有户编号、姓名、证件号码、与户主关系等列名）："
                "请确认这是全国防返贫监测系统导出的人员表，或在“列映射”页面为本县的表样建立映射，"
                "或用交换格式模板导入",
                "no header row found among the first rows",
            )
        found.append((grid, header))
        return list(header.targets)

    sheet = _sheet(path, keep)
    raw = sheet.frame
    grid, header = found[0]
    people = raw.filter(pl.col("ROW") > header.rows[-1] + 1).select(
        pl.col("ROW").alias(ROW), *[_text(f"c{i}").alias(t) for i, t in header.targets.items()]
    )
    keys = [c for c in people.columns if c != ROW]
    people = people.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in keys]))
    year, year_from = _year(grid, header, people)
    nat = NationalRead(prof, header, year, year_from)
    nat.errors += [
        Problem(SHEET, row, header.names[col], None, *UNSAVED_FORMULA)
        for row, col in sheet.unsaved_formulas
        if col in header.targets and row > header.rows[-1] + 1
    ]
    if "households.household_id" not in people.columns or "members.id_number" not in people.columns:
        missing = [
            n
            for t, n in (("households.household_id", "户编号"), ("members.id_number", "证件号码"))
            if t not in people.columns
        ]
        nat.errors.append(
            Problem(
                SHEET,
                header.rows[-1] + 1,
                "、".join(missing),
                None,
                f"缺少必填列（映射“{prof.name}”找不到{'、'.join(missing)}）：文件的表头与映射不同时，"
                "请在“列映射”页面把文件中的列对应到这些字段并保存，导入时选择该映射",
                "required column missing",
            )
        )
        return {}, nat
    people = people.with_columns(pl.col("households.household_id").alias("household_id"))
    for target in [c for c in people.columns if c.startswith(("members.", "households.", "cadre."))]:
        if target in prof.codes or target in prof.patterns:
            allowed = {"members.relation": ix.RELATIONS, "members.schooling": ix.SCHOOLING}.get(target, ())
            people = people.with_columns(_coded(pl.col(target), target, prof, allowed).alias(target))
    people = resolve_areas(people, nat)
    tables = {
        ix.HOUSEHOLDS.name: _households(people, nat),
        ix.MEMBERS.name: _members(people, prof),
        ix.INCOME.name: _income(people, year),
    }
    vil = _villages(people)
    if vil is not None:
        tables[ix.VILLAGES.name] = vil
    mon = _monitoring(people)
    if mon is not None:
        tables[ix.MONITORING.name] = mon
    cad = _cadres(people)
    if cad is not None:
        tables[ix.CADRES.name] = cad
    return tables, nat


def _first_rows(people: pl.DataFrame) -> pl.DataFrame:
    """One row per household: the 户主's row where there is one, else the first."""
    head_first = people.with_columns(
        (pl.col("members.relation").fill_null("") != "户主").alias("_not_head")
        if "members.relation" in people.columns
        else pl.lit(True).alias("_not_head")
    ).sort("household_id", "_not_head", ROW)
    return head_first.unique("household_id", keep="first", maintain_order=True)


def _households(people: pl.DataFrame, nat: NationalRead) -> pl.DataFrame:
    repeated = [f"households.{f}" for f in HOUSEHOLD_FIELDS if f"households.{f}" in people.columns]
    repeated += ["village_code"] if "village_code" in people.columns else []
    for col in repeated:
        spread = (
            people.filter(pl.col("household_id").is_not_null())
            .group_by("household_id")
            .agg(pl.col(col).n_unique().alias("n"), pl.col(ROW), pl.col(col).alias("v"))
            .filter(pl.col("n") > 1)
            .sort("household_id")
        )
        shown = (
            nat.header.names[[t for t in nat.header.targets.values()].index(col)]
            if col in nat.header.targets.values()
            else "行政区划"
        )
        for hid, rows, values in spread.select("household_id", ROW, "v").iter_rows():
            pairs = "；".join(f"第{r}行“{v or '空'}”" for r, v in zip(rows, values, strict=True))
            nat.errors.append(
                Problem(
                    SHEET,
                    rows[0],
                    shown,
                    None,
                    f"户{hid}各成员行的“{shown}”不一致：{pairs}。同一户的户信息应在每个成员行相同，请核对后重新导入",
                    f"household {hid}: the rows disagree on {col}",
                )
            )
    first = _first_rows(people)
    mon_type = (
        pl.col("monitoring.monitoring_type")
        if "monitoring.monitoring_type" in first.columns
        else pl.lit(None)
    )
    eliminated = (
        _yes(pl.col("monitoring.risk_eliminated")) == "是"
        if "monitoring.risk_eliminated" in first.columns
        else pl.lit(False)
    )
    given_type = (
        pl.col("households.household_type") if "households.household_type" in first.columns else pl.lit(None)
    )
    household_type = (
        pl.when(mon_type.is_not_null() & ~eliminated)
        .then(pl.concat_str([pl.lit("监测对象-"), mon_type]))
        .otherwise(given_type)
    )
    member_flag = {}
    for key, word in (("dibao_household", "members.dibao"), ("tekun", "members.tekun")):
        if word in people.columns:
            agg = (
                (_yes(pl.col(word)) == "是").all()
                if key == "dibao_household"
                else (_yes(pl.col(word)) == "是").any()
            )
            member_flag[key] = people.group_by("household_id").agg(agg.alias(key))
    out = first.select(
        ROW,
        "household_id",
        pl.col("village_code"),
        household_type.cast(pl.Utf8).alias("household_type"),
        *(
            [pl.col("households.arable_mu").str.replace_all(",", "").alias("arable_mu")]
            if "households.arable_mu" in first.columns
            else []
        ),
        *(
            [
                pl.when(_yes(pl.col("households.housing_unsafe")) == "是")
                .then(pl.lit("否"))
                .otherwise(pl.lit("是"))
                .alias("housing_safe")
            ]
            if "households.housing_unsafe" in first.columns
            else []
        ),
        *(
            [_yes(pl.col("households.water_safe")).alias("water_safe")]
            if "households.water_safe" in first.columns
            else []
        ),
        *([pl.col("households.phone").alias("phone")] if "households.phone" in first.columns else []),
    )
    for key, frame in member_flag.items():
        out = out.join(
            frame.with_columns(pl.when(pl.col(key)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(key)),
            on="household_id",
            how="left",
        )
    return out.rename({k: ix.HOUSEHOLDS.column(k).header for k in out.columns if k != ROW})


_MEMBER_DIRECT = (
    "name",
    "relation",
    "health",
    "disability_grade",
    "labour",
    "work_months",
    "work_place",
    "job_channel",
    "public_welfare_months",
    "monthly_wage",
)
_MEMBER_YES = (
    "employee_medical_insured",
    "critical_illness_insured",
    "pension_insured",
    "medical_assistance",
    "dibao",
    "tekun",
    "public_welfare_post",
)


def _members(people: pl.DataFrame, prof: Profile) -> pl.DataFrame:
    cols = people.columns
    idn = pl.col("members.id_number").str.to_uppercase()
    # 残疾人证: the 18-digit ID number followed by the category and grade digits.
    idn = pl.when(idn.str.len_chars() == 20).then(idn.str.slice(0, 18)).otherwise(idn)
    exprs: list[pl.Expr] = [pl.col(ROW), pl.col("household_id"), idn.alias("id_number")]
    for k in _MEMBER_DIRECT:
        if f"members.{k}" in cols:
            e = pl.col(f"members.{k}")
            if k == "monthly_wage":
                e = e.str.replace_all(",", "")
            exprs.append(e.alias(k))
    for k in _MEMBER_YES:
        if f"members.{k}" in cols:
            exprs.append(_yes(pl.col(f"members.{k}")).alias(k))
    insured = [
        pl.col(c) for c in ("members.resident_medical", "members.employee_medical_insured") if c in cols
    ]
    if insured:
        exprs.append(
            pl.when(pl.any_horizontal([_yes(c) == "是" for c in insured]))
            .then(pl.lit("是"))
            .otherwise(pl.lit("否"))
            .alias("medical_insured")
        )
    work = pl.col("members.work") if "members.work" in cols else pl.lit(None, dtype=pl.Utf8)
    if "members.job_channel" in cols:
        channel = pl.col("members.job_channel")
        work = (
            pl.when(channel == "公益岗位")
            .then(pl.lit("公益性岗位"))
            .when(channel.is_in(["帮扶车间", "自主创业", "灵活就业"]))
            .then(channel)
            .otherwise(work)
        )
    if "members.work" in cols or "members.job_channel" in cols:
        exprs.append(work.alias("work"))
    if "members.schooling" in cols:
        school = pl.col("members.schooling")
        if "members.dropout" in cols:
            school = pl.when(_yes(pl.col("members.dropout")) == "是").then(pl.lit("辍学")).otherwise(school)
        exprs.append(school.alias("schooling"))
    out = people.select(exprs)
    headers = {c.key: c.header for c in ix.MEMBERS.columns}
    return out.rename({k: headers[k] for k in out.columns if k != ROW})


_INCOME = (
    "wage",
    "operating_gross",
    "operating_cost",
    "property",
    "transfer",
    "transfer_dibao",
    "transfer_tekun",
    "transfer_pension",
    "transfer_eco",
    "transfer_family_planning",
    "transfer_other",
    "claims",
    "medical_selfpay",
)


def _income(people: pl.DataFrame, year: int) -> pl.DataFrame:
    present = [k for k in _INCOME if f"income.{k}" in people.columns]
    first = _first_rows(people)
    out = first.select(
        ROW,
        "household_id",
        pl.lit(str(year)).alias("year"),
        *[pl.col(f"income.{k}").str.replace_all(",", "").alias(k) for k in present],
    )
    headers = {c.key: c.header for c in ix.INCOME.columns}
    return out.rename({k: headers[k] for k in out.columns if k != ROW})


def _villages(people: pl.DataFrame) -> pl.DataFrame | None:
    """Villages a 行政区划代码 column names with their 行政村 and 乡(镇): created when the registry lacks them."""
    if "area.village" not in people.columns or people["_code_given"].null_count() == people.height:
        return None
    town = pl.col("area.township") if "area.township" in people.columns else pl.lit(None, dtype=pl.Utf8)
    return (
        people.filter(pl.col("_code_given").is_not_null() & pl.col("area.village").is_not_null())
        .group_by("_code_given", maintain_order=True)
        .agg(pl.col(ROW).min(), pl.col("area.village").first(), town.first().alias("town"))
        .select(
            ROW,
            pl.col("_code_given").alias("行政区划代码"),
            pl.col("area.village").alias("村名"),
            pl.col("town").alias("乡镇名"),
        )
    )


def _monitoring(people: pl.DataFrame) -> pl.DataFrame | None:
    if "monitoring.monitoring_type" not in people.columns:
        return None
    first = _first_rows(people).filter(pl.col("monitoring.monitoring_type").is_not_null())
    exprs: list[pl.Expr] = [
        pl.col(ROW),
        pl.col("household_id"),
        pl.col("monitoring.monitoring_type").alias("monitoring_type"),
    ]
    for k in ix.RISK_SLOTS:
        if f"monitoring.{k}" in first.columns:
            exprs.append(pl.col(f"monitoring.{k}").alias(k))
    for k in ("identified_month", "eliminated_month"):
        if f"monitoring.{k}" in first.columns:
            exprs.append(_month(pl.col(f"monitoring.{k}")).alias(k))
    if "monitoring.risk_eliminated" in first.columns:
        exprs.append(_yes(pl.col("monitoring.risk_eliminated")).alias("risk_eliminated"))
    if "monitoring.elimination_method" in first.columns:
        exprs.append(pl.col("monitoring.elimination_method").alias("elimination_method"))
    out = first.select(exprs)
    headers = {c.key: c.header for c in ix.MONITORING.columns}
    return out.rename({k: headers[k] for k in out.columns if k != ROW})


def _cadres(people: pl.DataFrame) -> pl.DataFrame | None:
    if "cadre.name" not in people.columns:
        return None
    first = _first_rows(people).filter(pl.col("cadre.name").is_not_null())
    for c in ("cadre.phone", "cadre.unit"):
        if c not in first.columns:
            first = first.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c))
    if "cadre.rank" not in first.columns:  # a list without ranks: the least a pair needs
        first = first.with_columns(pl.lit("一般干部").alias("cadre.rank"))
    county = pl.col("village_code").str.slice(0, 6).fill_null("")
    first = first.with_columns(_cadre_id(county).alias("cadre_id"), county.alias("county_code"))
    out = first.group_by("cadre_id", maintain_order=True).agg(
        pl.col(ROW).min(),
        pl.col("cadre.name").first().alias("name"),
        pl.col("cadre.unit").drop_nulls().first().alias("unit"),
        pl.col("cadre.rank").drop_nulls().first().alias("rank"),
        pl.col("county_code").first(),
        pl.col("household_id").unique().sort().str.join(";").alias("current_households"),
    )
    headers = {c.key: c.header for c in ix.CADRES.columns}
    return out.rename({k: headers[k] for k in out.columns if k != ROW})


def read(path: Path, profile_name: str = "national") -> tuple[ReadResult, NationalRead | None]:
    """Translate and check a national person list; the result goes to :func:`zengshou.ingest.load`."""
    from zengshou import setup_django
    from zengshou.ingest.reader import Unreadable

    setup_django()
    path = Path(path)
    try:
        tables, nat = translate(path, profile_name)
    except Unreadable as e:
        return ReadResult(population=Population(), errors=[e.problem], source=path), None
    result = read_tables(path, tables)
    result.errors = sorted([*nat.errors, *result.errors], key=sort_key)
    for name in nat.header.ignored:
        result.warnings.append(
            Problem(
                SHEET,
                nat.header.rows[-1] + 1,
                name,
                None,
                "系统无对应字段，该列未导入",
                "no registry field: not imported",
            )
        )
    return result, nat


#: The columns the national writer puts out: (group, header, person-frame column); group "" is one row.
WRITTEN: tuple[tuple[str, str, str], ...] = (
    ("", "省", "area.province"),
    ("", "市", "area.city"),
    ("", "县", "area.county"),
    ("", "乡(镇)", "area.township"),
    ("", "行政村", "area.village"),
    ("", "行政区划代码", "village_code"),
    ("", "户编号", "household_id"),
    ("", "户类型", "household_type"),
    ("", "姓名", "name"),
    ("", "证件类型", "id_document"),
    ("", "证件号码", "id_number"),
    ("", "与户主关系", "relation"),
    ("", "健康状况", "health"),
    ("", "残疾等级", "disability_grade"),
    ("", "劳动技能", "labour"),
    ("", "务工状况", "work"),
    ("", "务工时间(月)", "work_months"),
    ("", "就业渠道", "job_channel"),
    ("", "务工所在地", "work_place"),
    ("", "务工月收入", "monthly_wage"),
    ("", "是否公益性岗位", "public_welfare_post"),
    ("", "公益性岗位(月数)", "public_welfare_months"),
    ("", "在校生状况", "schooling"),
    ("", "是否参加城乡居民基本医疗保险", "medical_insured"),
    ("", "是否参加城镇职工基本医疗保险", "employee_medical_insured"),
    ("", "是否参加大病保险", "critical_illness_insured"),
    ("", "是否参加城乡居民基本养老保险", "pension_insured"),
    ("", "是否接受医疗救助", "medical_assistance"),
    ("", "享受低保政策情况", "dibao"),
    ("", "享受特困供养政策情况", "tekun"),
    ("", "联系电话", "phone"),
    ("", "耕地面积(亩)", "arable_mu"),
    ("", "是否危房户", "housing_unsafe"),
    ("", "是否解决安全饮用水", "water_safe"),
    ("", "监测对象类别", "monitoring_type"),
    *(("", f"致贫/返贫风险{i}", k) for i, k in enumerate(ix.RISK_SLOTS, 1)),
    ("", "识别监测时间", "identified_month"),
    ("", "风险是否已消除", "risk_eliminated"),
    ("", "风险消除方式", "elimination_method"),
    ("", "消除监测时间", "eliminated_month"),
    ("收入情况", "工资性收入", "wage"),
    ("收入情况", "生产经营性收入", "operating_gross"),
    ("收入情况", "生产经营性支出", "operating_cost"),
    ("收入情况", "财产性收入", "property"),
    ("收入情况", "转移性收入", "transfer"),
    ("收入情况", "低保金", "transfer_dibao"),
    ("收入情况", "特困供养金", "transfer_tekun"),
    ("收入情况", "养老保险金", "transfer_pension"),
    ("收入情况", "生态补偿金", "transfer_eco"),
    ("收入情况", "计划生育金", "transfer_family_planning"),
    ("收入情况", "其他转移性收入", "transfer_other"),
    ("收入情况", "理赔收入", "claims"),
    ("收入情况", "合规自付支出", "medical_selfpay"),
    ("帮扶责任人", "姓名", "cadre_name"),
    ("帮扶责任人", "帮扶单位名称", "cadre_unit"),
    ("帮扶责任人", "职务/职级", "cadre_rank"),
)


def person_rows(pop: Population, monitoring: pl.DataFrame | None, year: int) -> pl.DataFrame:
    """One row per person with the household, income, 监测对象 and 帮扶责任人 columns repeated."""
    villages = pop.villages.select(
        "village_code",
        pl.col("village_name").alias("area.village"),
        pl.col("township_name").alias("area.township"),
    )
    hh = pop.households.select(
        "household_id",
        "village_code",
        "household_type",
        "phone",
        pl.col("arable_mu").cast(pl.Utf8),
        pl.when(pl.col("housing_safe")).then(pl.lit("否")).otherwise(pl.lit("是")).alias("housing_unsafe"),
        _yn(pl.col("water_safe")).alias("water_safe"),
    )
    inc = pop.income.filter((pl.col("year") == year) & pl.col("quarter").is_null()).select(
        "household_id", *[pl.col(k).cast(pl.Utf8) for k in _INCOME]
    )
    mem = pop.members.with_columns(
        [_yn(pl.col(c)).alias(c) for c, t in pop.members.schema.items() if t == pl.Boolean]
    ).with_columns(
        pl.col("work_months").cast(pl.Utf8),
        pl.col("public_welfare_months").cast(pl.Utf8),
        pl.col("monthly_wage").cast(pl.Utf8),
        pl.lit("居民身份证").alias("id_document"),
    )
    out = mem.join(hh, on="household_id", how="left").join(villages, on="village_code", how="left")
    out = out.join(inc, on="household_id", how="left")
    if monitoring is not None and not monitoring.is_empty():
        out = out.join(monitoring, on="household_id", how="left")
    else:
        out = out.with_columns(pl.lit(None, dtype=pl.Utf8).alias("monitoring_type"))
    pairs = pop.cadres.select(
        pl.col("name").alias("cadre_name"),
        pl.col("unit").alias("cadre_unit"),
        pl.col("rank").alias("cadre_rank"),
        pl.col("current_households").str.split(";").alias("household_id"),
    ).explode("household_id")
    out = out.join(pairs.unique("household_id"), on="household_id", how="left")
    from zengshou.registry.areas import ningxia

    names = {a.code: a.name for a in ningxia()}
    out = out.with_columns(
        pl.col("village_code")
        .str.slice(0, 2)
        .map_elements(lambda c: names.get(c + "0000"), return_dtype=pl.Utf8)
        .alias("area.province"),
        pl.col("village_code")
        .str.slice(0, 4)
        .map_elements(lambda c: names.get(c + "00"), return_dtype=pl.Utf8)
        .alias("area.city"),
        pl.col("village_code")
        .str.slice(0, 6)
        .map_elements(names.get, return_dtype=pl.Utf8)
        .alias("area.county"),
    )
    return out


def _yn(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr).then(pl.lit("是")).when(expr.not_()).then(pl.lit("否")).otherwise(pl.lit(None))


def write_workbook(
    people: pl.DataFrame,
    out: Path,
    *,
    title: str = "防止返贫监测对象信息",
    title_rows: int = 2,
    two_row_header: bool = True,
    shuffle_seed: int | None = None,
    extra_columns: int = 0,
    fill_extra_columns: bool = False,
) -> Path:
    """A national-layout workbook: title rows, a (two-row, merged) header, one row per person.

    ``extra_columns`` adds columns no profile maps (备用字段1 …), empty or, with
    ``fill_extra_columns``, each a copy of a written column (as wide as a real export, for timing).
    """
    import random

    import xlsxwriter

    columns = list(WRITTEN)
    extras = [
        ("", f"备用字段{i + 1}", WRITTEN[i % len(WRITTEN)][2] if fill_extra_columns else "")
        for i in range(extra_columns)
    ]
    columns += extras
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(columns)
        # a group's columns stay together (at its first place), so its merged cell spans them
        first: dict[str, int] = {}
        for i, (g, _, _) in enumerate(columns):
            first.setdefault(g, i)
        position = {id(c): (first[c[0]] if c[0] else i, i) for i, c in enumerate(columns)}
        columns.sort(key=lambda c: position[id(c)])
    out = Path(out)
    wb = xlsxwriter.Workbook(
        str(out), {"constant_memory": True, "strings_to_numbers": False, "use_zip64": True}
    )
    ws = wb.add_worksheet("Sheet1")
    row = 0
    if title_rows >= 1:
        ws.write(row, 0, title)
        row += 1
    for i in range(1, title_rows):
        ws.write(row, 0, f"导出说明{i}：数据来源全国防返贫监测信息系统")
        row += 1
    two = two_row_header and any(g for g, _, _ in columns)
    if two:
        # constant_memory writes row by row: the group row whole, then the sub-header row.
        i = 0
        while i < len(columns):
            g = columns[i][0]
            j = i
            while g and j + 1 < len(columns) and columns[j + 1][0] == g:
                j += 1
            if j > i:
                ws.merge_range(row, i, row, j, g)
            else:
                ws.write(row, i, g or columns[i][1])
            i = j + 1
        for k, (g, h, _) in enumerate(columns):
            if g:
                ws.write(row + 1, k, h)
        row += 2
    else:
        for i, (g, h, _) in enumerate(columns):
            ws.write(row, i, f"{g}{h}" if g == "帮扶责任人" else h)
        row += 1
    keys = [k for _, _, k in columns]
    present = [k if k in people.columns else None for k in keys]
    frame = people.select(
        [
            (pl.col(k).cast(pl.Utf8) if k else pl.lit(None, dtype=pl.Utf8)).alias(f"c{i}")
            for i, k in enumerate(present)
        ]
    )
    for values in frame.iter_rows():
        for c, v in enumerate(values):
            if v is not None:
                ws.write_string(row, c, v)
        row += 1
    wb.close()
    return out


def synthetic_monitoring(pop: Population, year: int) -> pl.DataFrame:
    """监测对象 columns for a synthetic region: its 监测对象-* households, one risk each, identified in ``year``."""
    risks = list(ix.RISKS)
    return pop.households.filter(pl.col("household_type").str.starts_with("监测对象-")).select(
        "household_id",
        pl.col("household_type").str.strip_prefix("监测对象-").alias("monitoring_type"),
        pl.col("household_id")
        .hash(7)
        .mod(len(risks))
        .map_elements(lambda i: risks[i], return_dtype=pl.Utf8)
        .alias("risk_1"),
        pl.format(
            "{}{}", pl.lit(year), (pl.col("household_id").hash(3).mod(12) + 1).cast(pl.Utf8).str.zfill(2)
        ).alias("identified_month"),
        pl.lit("否").alias("risk_eliminated"),
    )
