"""Column-wise parsing and checking of one interchange table, with polars over whole columns.

Every cell arrives as text. Each column is normalised (NFKC, trimmed, empty → null), checked against
its type in :mod:`zengshou.interchange` and cast; every bad cell becomes a :class:`Problem` naming its
row and header. No Python loop runs over rows except to format the problems found.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import polars_type
from zengshou.ingest.problems import Problem
from zengshou.registry.areas import counties

ROW = "_row"
#: A formula cell whose result the workbook never saved: (Chinese, English) message.
UNSAVED_FORMULA = (
    "该单元格是公式，但工作簿中没有保存计算结果（程序生成的文件常见）：请在Excel中打开该文件，"
    "确认数值显示正确后保存，再重新导入",
    "the cell holds a formula whose result was never saved in the workbook (typical of "
    "generated files): open the file in Excel, check the values and save it, then import again",
)
#: Prefix of a boolean column beside a workbook column: the cell was stored as a number, not text.
NUMERIC = "__numeric__"
#: Prefix of a boolean column beside a workbook column: the cell is a formula with no saved result.
FORMULA = "__formula__"
#: Marker columns that travel beside the table's columns from the reader to the checks.
MARKERS = (NUMERIC, FORMULA)
#: A cell value longer than this is shortened in a problem (a 10 MB 姓名 is not printed back).
SHOWN_CHARS = 40

TRUE_WORDS = ("是", "Y", "YES", "1", "1.0", "TRUE", "T", "√", "有", "对")
FALSE_WORDS = ("否", "N", "NO", "0", "0.0", "FALSE", "F", "×", "无", "不是")
_ENUM_ALIASES: dict[str, str] = {
    "1级": "一级",
    "2级": "二级",
    "3级": "三级",
    "4级": "四级",
    "一级残疾": "一级",
    "二级残疾": "二级",
    "三级残疾": "三级",
    "四级残疾": "四级",
    "本人": "户主",
    "妻": "配偶",
    "夫": "配偶",
    "a": "A",
    "b": "B",
    "c": "C",
    "d": "D",
}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"
MAX_LISTED_PER_CHECK = 100_000


#: Where each table is stored (registry model) and the model field of a key whose name differs;
#: ``None``: the column is not stored as one field (现帮扶户编号 becomes pairings).
_STORED_IN: dict[str, tuple[str, dict[str, str | None]]] = {
    "households": ("Household", {"village_code": "village"}),
    "members": ("Member", {}),
    "income": ("Income", {}),
    "villages": ("Area", {"village_code": "code", "village_name": "name", "township_name": "name"}),
    "cadres": ("Cadre", {"county_code": "county", "current_households": None}),
    "medical": ("MedicalRecord", {}),
    "disability": ("DisabilityRecord", {}),
    "civil": ("CivilAssistanceRecord", {}),
    "employment": ("EmploymentRecord", {}),
    "education": ("EducationRecord", {}),
    "housing": ("HousingRecord", {"household_id": "household_ref"}),
    "disaster": ("DisasterRecord", {}),
    "migrant_out": ("MigrantWorkRecord", {}),
    "migrant_planned": ("MigrantWorkRecord", {}),
    "monitoring": (
        "monitor.MonitoringObject",
        {
            "household_id": "household",
            "identified_month": "included_on",
            "eliminated_month": "risk_eliminated_on",
            "risk_eliminated": None,
        },
    ),
}


@dataclass(frozen=True)
class Stored:
    """What the database column of an interchange column holds: the bound every cell must keep."""

    max_length: int | None = None
    #: Largest magnitude a number may have (DecimalField digits, or the integer column's range).
    max_abs: float | None = None
    decimal_places: int | None = None


@functools.cache
def stored_bounds(table_key: str) -> dict[str, Stored]:
    """Column key → the bound of its database field, read from the registry models.

    The models are the one statement of column sizes (``max_length``, ``max_digits``); a file's
    cells are held to them here so a value the database cannot keep is an error naming its cell,
    never a failed write or a number no later step can read. Integer fields use Django's portable
    range (the 32-bit one of PostgreSQL), so SQLite keeps exactly what PostgreSQL would.
    """
    from zengshou import setup_django

    setup_django()
    from django.apps import apps
    from django.db.backends.base.operations import BaseDatabaseOperations
    from django.db.models import CharField, DecimalField, Field

    model_name, renamed = _STORED_IN[table_key]
    app, _, name_only = model_name.rpartition(".")
    model = apps.get_model(app or "registry", name_only)
    table = next(t for t in (*ix.TABLES, *ix.FEEDS, *ix.MIGRANT_FEEDS, ix.MONITORING) if t.key == table_key)
    out: dict[str, Stored] = {}
    for c in table.columns:
        name = renamed.get(c.key, c.key)
        if name is None:
            continue
        field: Any = model._meta.get_field(name)
        if field.is_relation:
            field = field.target_field
        assert isinstance(field, Field)
        if isinstance(field, CharField):
            out[c.key] = Stored(max_length=field.max_length)
        elif isinstance(field, DecimalField):
            digits, places = field.max_digits or 0, field.decimal_places or 0
            out[c.key] = Stored(max_abs=10.0 ** (digits - places) - 10.0**-places, decimal_places=places)
        elif field.get_internal_type() in BaseDatabaseOperations.integer_field_ranges:
            low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
            out[c.key] = Stored(max_abs=float(min(-low, high)))
    return out


def shown(expr: pl.Expr) -> pl.Expr:
    """A cell value as a problem shows it: at most :data:`SHOWN_CHARS` characters."""
    return (
        pl.when(expr.str.len_chars() > SHOWN_CHARS)
        .then(pl.concat_str([expr.str.slice(0, SHOWN_CHARS), pl.lit("…")]))
        .otherwise(expr)
    )


def known_counties() -> list[str]:
    return [c.code for c in counties()]


def normalize_header(text: str) -> str:
    """Trim, full-width → half-width (NFKC) and drop inner spaces, as the spec matches headers."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def header_map(table: ix.Table) -> dict[str, str]:
    """Every accepted spelling of a header → column key: Chinese, English key, ``中文 [key]``."""
    accepted: dict[str, str] = {}
    for c in table.columns:
        h = normalize_header(c.header)
        for spelling in (h, c.key, c.key.lower(), f"{h}[{c.key}]"):
            accepted[spelling] = c.key
    return accepted


def match_header(raw: str, accepted: dict[str, str]) -> str | None:
    h = normalize_header(raw)
    if h in accepted:
        return accepted[h]
    m = re.fullmatch(r"(.*?)\[(\w+)\]", h)
    if m:
        return accepted.get(m.group(1)) or accepted.get(m.group(2)) or accepted.get(m.group(2).lower())
    return accepted.get(h.lower())


def _clean(expr: pl.Expr, wide: bool = True) -> pl.Expr:
    x = expr.cast(pl.Utf8)
    x = (x.str.normalize("NFKC") if wide else x).str.strip_chars()
    return pl.when(x == "").then(None).otherwise(x)


class Checker:
    """Collects problems of one table while its columns are checked."""

    def __init__(self, table_name: str) -> None:
        self.table = table_name
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def flag(
        self,
        frame: pl.DataFrame,
        bad: pl.Expr,
        column: ix.Column | str,
        zh: Callable[[str | None], str] | str,
        en: Callable[[str | None], str] | str,
        value_col: str | None = None,
        warning: bool = False,
    ) -> int:
        """Record a problem for every row where ``bad`` holds; returns how many."""
        header = column if isinstance(column, str) else column.header
        vcol = value_col if value_col is not None else (column if isinstance(column, str) else column.key)
        hit = frame.filter(bad.fill_null(False))
        if hit.is_empty():
            return 0
        values = hit[vcol].cast(pl.Utf8).to_list() if vcol in hit.columns else [None] * hit.height
        out = self.warnings if warning else self.errors
        for row, value in zip(hit[ROW].to_list()[:MAX_LISTED_PER_CHECK], values, strict=False):
            out.append(
                Problem(
                    self.table,
                    row,
                    header,
                    value,
                    zh(value) if callable(zh) else zh,
                    en(value) if callable(en) else en,
                )
            )
        return hit.height

    def flag_each(
        self,
        frame: pl.DataFrame,
        bad: pl.Expr,
        column: str,
        value: pl.Expr,
        zh: pl.Expr,
        en: pl.Expr,
        warning: bool = False,
    ) -> int:
        """As :meth:`flag`, with the value and both messages computed per row by polars expressions."""
        hit = frame.filter(bad.fill_null(False))
        if hit.is_empty():
            return 0
        texts = hit.head(MAX_LISTED_PER_CHECK).select(
            pl.col(ROW), value.cast(pl.Utf8).alias("_v"), zh.alias("_zh"), en.alias("_en")
        )
        out = self.warnings if warning else self.errors
        for row, v, z, e in texts.iter_rows():
            out.append(Problem(self.table, row, column, v, z, e))
        return hit.height


def birth_date(id_number: pl.Expr) -> pl.Expr:
    """The birth date inside an 18-digit ID number (null when it is not a date)."""
    return id_number.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)


def is_male(id_number: pl.Expr) -> pl.Expr:
    """GB 11643: an odd 17th digit is a man."""
    return id_number.str.slice(16, 1).cast(pl.Int64, strict=False) % 2 == 1


def age_on(id_number: pl.Expr, day: dt.date) -> pl.Expr:
    """Full years of age on ``day`` from the birth date inside the ID number."""
    born = birth_date(id_number)
    before_birthday = (born.dt.month() * 100 + born.dt.day()) > (day.month * 100 + day.day)
    return pl.lit(day.year) - born.dt.year().cast(pl.Int64) - before_birthday.cast(pl.Int64)


def id_number_ok(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(well-formed, checksum right, birth date valid and not in the future) — GB 11643, vectorised."""
    shape = expr.str.contains(r"^\d{17}[\dX]$")
    total = pl.sum_horizontal(
        [expr.str.slice(i, 1).cast(pl.Int64, strict=False) * w for i, w in enumerate(_ID_WEIGHTS)]
    )
    expected = pl.lit(list(_ID_CHECK)).list.get(total % 11, null_on_oob=True)
    checksum = expected == expr.str.slice(17, 1)
    born = birth_date(expr)
    birth = born.is_not_null() & (born <= pl.lit(dt.date.today())) & (born >= pl.lit(dt.date(1900, 1, 1)))
    return shape, checksum, birth


def parse_date(expr: pl.Expr) -> pl.Expr:
    x = pl.when(expr.str.contains(r"^\d{4}-\d{2}-\d{2}[ T]")).then(expr.str.slice(0, 10)).otherwise(expr)
    return pl.coalesce([x.str.to_date(f, strict=False) for f in _DATE_FORMATS])


class _Deferred(Checker):
    """Collects the checks of a table as expressions, then evaluates them all in one pass."""

    def __init__(self, target: Checker) -> None:
        super().__init__(target.table)
        self.target = target
        self.pending: list[tuple[pl.Expr, str, str | None, Any, Any, bool]] = []
        self.helpers: list[pl.Expr] = []

    def helper(self, key: str, what: str, expr: pl.Expr) -> pl.Expr:
        """Compute ``expr`` once as a helper column and refer to it by name."""
        name = f"__{key}__{what}"
        self.helpers.append(expr.alias(name))
        return pl.col(name)

    def flag(  # type: ignore[override]
        self,
        frame: pl.DataFrame,
        bad: pl.Expr,
        column: ix.Column | str,
        zh: Callable[[str | None], str] | str,
        en: Callable[[str | None], str] | str,
        value_col: str | None = None,
        warning: bool = False,
    ) -> int:
        header = column if isinstance(column, str) else column.header
        vcol = value_col if value_col is not None else (column if isinstance(column, str) else column.key)
        self.pending.append((bad, header, vcol, zh, en, warning))
        return 0

    def run(self, frame: pl.DataFrame, typed: list[pl.Expr]) -> pl.DataFrame:
        names = [f"_bad{i}" for i in range(len(self.pending))]
        bads = [p[0].fill_null(False).alias(n) for p, n in zip(self.pending, names, strict=True)]
        independent = [h for h in self.helpers if not _uses_helpers(h)]
        if independent:
            frame = frame.with_columns(independent)
        for h in self.helpers:
            if _uses_helpers(h):
                frame = frame.with_columns(h)
        out = frame.select(pl.col(ROW), *typed, *bads)
        hits = out.select([pl.col(n).any() for n in names]).row(0) if names else ()
        values = frame
        for (_, header, vcol, zh, en, warning), name, hit in zip(self.pending, names, hits, strict=True):
            if not hit:
                continue
            mask = out[name]
            self.target.flag(
                values.filter(mask), pl.lit(True), header, zh, en, value_col=vcol, warning=warning
            )
        return out.drop(names)


def _uses_helpers(expr: pl.Expr) -> bool:
    return any(name.startswith("__") for name in expr.meta.root_names())


def check_table(raw: pl.DataFrame, table: ix.Table, checker: Checker, wide: bool = True) -> pl.DataFrame:
    """Check and cast every column of ``raw`` (text, interchange keys, plus ``_row``).

    Returns the typed frame (bad cells null) with ``_row``; problems go to ``checker``. All checks
    of the table are evaluated in one pass; NFKC runs only on columns holding full-width forms
    (``wide=False``: the caller knows the file has none).
    """
    present = [c for c in table.columns if c.key in raw.columns]
    frame = raw.with_columns(
        [_clean(pl.col(c.key), wide and _has_wide(raw, c.key)).alias(c.key) for c in present]
    )
    county_codes = known_counties()
    bounds = stored_bounds(table.key)
    deferred = _Deferred(checker)
    typed: list[pl.Expr] = []
    for c in table.columns:
        if c.key not in frame.columns:
            typed.append(pl.lit(None, dtype=polars_type(c)).alias(c.key))
            continue
        col = pl.col(c.key)
        formula = pl.col(FORMULA + c.key).fill_null(False) if FORMULA + c.key in frame.columns else None
        if formula is not None:
            deferred.flag(
                frame,
                formula,
                c,
                *UNSAVED_FORMULA,
            )
        if c.required:
            empty = col.is_null() if formula is None else col.is_null() & ~formula
            deferred.flag(frame, empty, c, "必填项为空", "required cell is empty")
        typed.append(_check_column(frame, c, deferred, county_codes, bounds.get(c.key)).alias(c.key))
    return deferred.run(frame, typed)


def _has_wide(frame: pl.DataFrame, key: str) -> bool:
    """Whether a column holds full-width forms or ideographic spaces that NFKC would change."""
    return bool(frame.select(pl.col(key).str.contains("[\u3000\uff01-\uff5e\u00a0]").any()).item())


def _number_text(frame: pl.DataFrame, key: str) -> pl.Expr:
    """The column ready for a numeric cast; separators removed only when the column has any."""
    col = pl.col(key)
    if frame.select(col.str.contains("[,¥ ]").any()).item():
        return (
            col.str.replace_all(",", "", literal=True)
            .str.replace_all("¥", "", literal=True)
            .str.strip_chars()
        )
    return col


def _number(value: float) -> str:
    """A bound as a message shows it: thousands separated, decimals only when it has them."""
    return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"


def _check_column(
    frame: pl.DataFrame, c: ix.Column, ch: _Deferred, county_codes: list[str], stored: Stored | None
) -> pl.Expr:
    """The typed value of column ``c`` (null where bad); each check is registered on ``ch``.

    Intermediate values are helper columns (``ch.helper``) so no expression is nested in itself.
    ``stored`` is the bound of the database field the column is written to.
    """
    col = pl.col(c.key)
    t = c.type
    if t == "text" or t == "list":
        if stored is None or stored.max_length is None:
            return col
        n = stored.max_length
        long = ch.helper(c.key, "long", col.str.len_chars() > n)
        ch.helper(c.key, "shown", shown(col))
        ch.flag(
            frame,
            long,
            c,
            f"内容过长：最多{n}个字符，请删减后重新导入",
            f"too long: at most {n} characters; shorten it and import again",
            value_col=f"__{c.key}__shown",
        )
        return pl.when(~long).then(col)
    if t in ("code12", "code6"):
        n = 12 if t == "code12" else 6
        ok = ch.helper(c.key, "ok", col.str.contains(rf"^\d{{{n}}}$"))
        county = ch.helper(c.key, "county", col.str.slice(0, 6).is_in(county_codes))
        ch.flag(frame, col.is_not_null() & ~ok, c, f"应为{n}位数字代码", f"must be a {n}-digit code")
        ch.flag(
            frame,
            col.is_not_null() & ok & ~county,
            c,
            lambda v: f"县区代码{(v or '')[:6]}不是宁夏已知的22个县（区）之一",
            lambda v: f"county code {(v or '')[:6]} is not one of Ningxia's 22 counties",
        )
        return pl.when(ok & county).then(col)
    if t == "id_number":
        x = ch.helper(c.key, "upper", col.str.to_uppercase())
        shape_e, checksum_e, birth_e = id_number_ok(x)
        shape = ch.helper(c.key, "shape", shape_e)
        checksum = ch.helper(c.key, "checksum", checksum_e)
        birth = ch.helper(c.key, "birth", birth_e)
        typed_as_number = (
            pl.col(NUMERIC + c.key).fill_null(False) if NUMERIC + c.key in frame.columns else pl.lit(False)
        )
        ch.flag(
            frame,
            col.is_not_null() & typed_as_number,
            c,
            "证件号码在Excel中存为数字，只保留了15位有效数字，末几位已丢失：请把该列设为“文本”格式后重新填写",
            "the ID number is stored as a number in Excel, which keeps only 15 digits, so the last ones "
            "are lost: format the column as Text and type the numbers again",
        )
        col = pl.when(typed_as_number).then(None).otherwise(col)
        ch.flag(
            frame,
            col.is_not_null() & ~shape,
            c,
            "证件号码应为18位：17位数字加数字或X",
            "ID number must be 17 digits followed by a digit or X",
        )
        ch.flag(
            frame,
            col.is_not_null() & shape & ~birth,
            c,
            lambda v: f"证件号码中的出生日期{(v or '')[6:14]}无效",
            lambda v: f"birth date {(v or '')[6:14]} inside the ID number is not a valid past date",
        )
        ch.flag(
            frame,
            col.is_not_null() & shape & birth & ~checksum,
            c,
            "证件号码校验位错误（GB 11643）",
            "ID number check digit is wrong (GB 11643)",
        )
        return pl.when(shape & birth & checksum & ~typed_as_number).then(x)
    if t == "bool":
        up = col.str.to_uppercase()
        value = ch.helper(
            c.key, "bool", pl.when(up.is_in(TRUE_WORDS)).then(True).when(up.is_in(FALSE_WORDS)).then(False)
        )
        ch.flag(
            frame, col.is_not_null() & value.is_null(), c, "应填“是”或“否”", "must be 是 (yes) or 否 (no)"
        )
        return value
    if t == "enum":
        canon = ch.helper(c.key, "canon", col.str.replace_all(r"\s+", "").replace(_ENUM_ALIASES))
        ok = canon.is_in(list(c.choices))
        ch.flag(
            frame,
            col.is_not_null() & ~ok,
            c,
            f"不是允许的取值（{'、'.join(c.choices)}）",
            f"not an allowed value ({', '.join(c.choices)})",
        )
        return pl.when(ok).then(canon)
    if t in ("decimal", "yuan", "int", "year", "quarter"):
        text = _number_text(frame, c.key)
        if t == "quarter":
            text = text.str.replace(r"^(第|Q|q)", "").str.replace(r"(季度|季)$", "")
        parsed = ch.helper(c.key, "parsed", text.cast(pl.Float64, strict=False))
        ch.flag(frame, col.is_not_null() & parsed.is_null(), c, "应为数字", "must be a number")
        ch.flag(
            frame,
            parsed.is_not_null() & ~parsed.is_finite(),
            c,
            "不是有效数字（NaN或无穷大）：请填写具体数值，没有的填0或留空",
            "not a number one can store (NaN or infinity): give the figure, or 0, or leave it empty",
        )
        num = ch.helper(c.key, "num", pl.when(parsed.is_finite()).then(parsed))
        valid = num.is_not_null()
        if t in ("int", "year", "quarter"):
            whole = num == num.round(0)
            ch.flag(frame, num.is_not_null() & ~whole, c, "应为整数", "must be a whole number")
            valid = valid & whole
        lo, hi = c.min_value, c.max_value
        if t == "year":
            lo, hi = 1949, 2100
        if t == "quarter":
            lo, hi = 1, 4
        if stored is not None and stored.max_abs is not None:
            # The database bound, on the value as it will be stored (rounded to its decimals).
            limit, places = stored.max_abs, stored.decimal_places or 0
            beyond = num.round(places).abs() > limit + 0.25 * 10.0**-places
            if hi is not None:
                beyond = beyond & (num <= hi)
            if lo is not None:
                beyond = beyond & (num >= lo)
            ch.flag(
                frame,
                beyond,
                c,
                f"数值超出系统可保存的范围（绝对值应不大于{_number(limit)}）：请核实是否多填了位数或写错了单位",
                f"beyond what the system can store (at most {_number(limit)} in magnitude): check for "
                "extra digits or a wrong unit",
            )
            valid = valid & ~beyond
        if lo is not None:
            ch.flag(
                frame,
                num < lo,
                c,
                "不能为负数" if lo == 0 else f"应不小于{lo:g}",
                "must not be negative" if lo == 0 else f"must be at least {lo:g}",
            )
            valid = valid & (num >= lo)
        if hi is not None:
            ch.flag(frame, num > hi, c, f"应不大于{hi:g}", f"must be at most {hi:g}")
            valid = valid & (num <= hi)
        if t in ("yuan", "decimal"):
            ch.flag(
                frame,
                (num - num.round(2)).abs() > 1e-9,
                c,
                "小数超过两位，将四舍五入到分",
                "more than two decimals; rounded to two",
                warning=True,
            )
            return pl.when(valid).then(num.round(2))
        return pl.when(valid).then(num).cast(pl.Int64)
    if t == "date":
        d = ch.helper(c.key, "date", parse_date(col))
        ch.flag(
            frame,
            col.is_not_null() & d.is_null(),
            c,
            "日期无效（应为 YYYY-MM-DD）",
            "invalid date (use YYYY-MM-DD)",
        )
        return d
    raise ValueError(f"unknown column type {t}")
