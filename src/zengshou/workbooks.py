"""The one writer of every ``.xlsx`` the system produces: amounts and counts as numbers, codes as text.

Excel sums only number cells, so land, money, counts, years and quarters are written as numbers
(two decimals for land and money); 户编号, division codes, ID numbers, phones and enumerations stay
text, so no digit of an ID number or a leading zero is lost. Interchange tables take their cell
types from :mod:`zengshou.interchange`; other tables (batch results, pairing proposals,
assessment figures) from the frame's dtypes, with any text column kept text. Workbooks run in
constant-memory mode, so a sheet of a million rows is written without holding it in memory.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from zengshou import interchange as ix

#: Rows an .xlsx sheet holds, header included (Excel's limit).
MAX_ROWS = 1_048_576

#: How each interchange column type is written: a number with a format, a date, or text.
NUMBER_FORMATS: dict[str, str] = {"decimal": "0.00", "yuan": "0.00", "int": "0", "year": "0", "quarter": "0"}

Writer = Callable[[Any, int, int, Any], None]

_formats: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def cell_format(workbook: Any, kind: str) -> Any:
    """A format of ``workbook`` (number format code, ``header``, ``required`` or ``text``), made once."""
    cache = _formats.setdefault(workbook, {})
    if kind not in cache:
        if kind == "header":
            props: dict[str, Any] = {"bold": True, "bg_color": "#EEF2F7", "border": 1}
        elif kind == "required":
            props = {"bold": True, "bg_color": "#FCE4D6", "border": 1}
        elif kind == "text":
            props = {"num_format": "@"}
        else:
            props = {"num_format": kind}
        cache[kind] = workbook.add_format(props)
    return cache[kind]


@contextmanager
def open_workbook(path: Path | str) -> Iterator[Any]:
    """An xlsxwriter workbook at ``path`` (folder made), constant memory, text never turned into numbers."""
    import xlsxwriter

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(
        str(out), {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    ) as wb:
        yield wb


def column_is_number(column: ix.Column) -> bool:
    return column.type in NUMBER_FORMATS


def _text(sheet: Any, r: int, c: int, value: Any) -> None:
    sheet.write_string(r, c, str(value))


def _number_writer(fmt: Any, decimals: int | None = 2) -> Writer:
    """Numbers rounded to ``decimals`` (money and land: the fen); ``None`` keeps every digit."""

    def write(sheet: Any, r: int, c: int, value: Any) -> None:
        number = float(value)
        sheet.write_number(r, c, number if decimals is None else round(number, decimals), fmt)

    return write


def _bool(sheet: Any, r: int, c: int, value: Any) -> None:
    sheet.write_string(r, c, ix.YES if value else ix.NO)


def _date(sheet: Any, r: int, c: int, value: Any) -> None:
    """ISO text, as the CSV files hold dates (the reader takes either)."""
    day = value.date() if isinstance(value, dt.datetime) else value
    sheet.write_string(r, c, day.isoformat() if isinstance(day, dt.date) else str(day))


def _interchange_writer(workbook: Any, column: ix.Column) -> Writer:
    if column.type in NUMBER_FORMATS:
        return _number_writer(cell_format(workbook, NUMBER_FORMATS[column.type]))
    if column.type == "bool":
        return _bool
    if column.type == "date":
        return _date
    return _text


def _dtype_writer(workbook: Any, dtype: Any) -> Writer:
    if dtype.is_integer():
        return _number_writer(cell_format(workbook, "0"))
    if dtype.is_float() or dtype.is_decimal():
        # shares and scores need more than the fen: at least two decimals shown, up to four
        return _number_writer(cell_format(workbook, "0.00##"), decimals=None)
    if dtype == pl.Boolean:
        return _bool
    if dtype in (pl.Date, pl.Datetime):
        return _date
    return _text


def _write(
    workbook: Any,
    name: str,
    headers: list[str],
    frame: pl.DataFrame,
    writers: list[Writer],
    header_formats: list[Any],
    widths: list[float],
) -> Any:
    if frame.height + 1 > MAX_ROWS:
        raise ValueError(
            f"工作表“{name}”有 {frame.height:,} 行，超过 Excel 上限 {MAX_ROWS - 1:,} 行，请改用 CSV 文件 / "
            f"sheet {name} has {frame.height:,} rows, more than an .xlsx sheet holds; write CSV instead"
        )
    sheet = workbook.add_worksheet(name)
    for c, width in enumerate(widths):
        sheet.set_column(c, c, width)
    for c, (header, fmt) in enumerate(zip(headers, header_formats, strict=True)):
        sheet.write_string(0, c, header, fmt)
    sheet.freeze_panes(1, 0)
    for r, row in enumerate(frame.iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is not None and value != "":
                writers[c](sheet, r, c, value)
    return sheet


def _width(header: str) -> float:
    return max(10.0, 2.2 * len(header) + 2)


def write_table_sheet(workbook: Any, frame: pl.DataFrame, table: ix.Table) -> Any:
    """Add ``frame`` (interchange keys as columns) as the sheet ``table.name``, typed as the spec says.

    Columns the frame lacks are left empty; 是/否 columns are written 是/否; returns the sheet.
    """
    data = frame.select(
        [pl.col(c.key) if c.key in frame.columns else pl.lit(None).alias(c.key) for c in table.columns]
    )
    header = cell_format(workbook, "header")
    widths = [max(_width(c.header), 20.0 if c.type == "id_number" else 0.0) for c in table.columns]
    return _write(
        workbook,
        table.name,
        table.headers,
        data,
        [_interchange_writer(workbook, c) for c in table.columns],
        [header] * len(table.columns),
        widths,
    )


def write_frame_sheet(workbook: Any, name: str, frame: pl.DataFrame) -> Any:
    """Add any frame as a sheet: numeric dtypes as numbers, 是/否 for booleans, everything else text."""
    text = frame.with_columns(
        [
            pl.col(k).list.eval(pl.element().cast(pl.Utf8)).list.join(";")
            for k, t in frame.schema.items()
            if isinstance(t, pl.List)
        ]
    )
    header = cell_format(workbook, "header")
    return _write(
        workbook,
        name,
        list(text.columns),
        text,
        [_dtype_writer(workbook, t) for t in text.schema.values()],
        [header] * text.width,
        [_width(h) for h in text.columns],
    )


def write_frames(path: Path | str, sheets: Mapping[str, pl.DataFrame]) -> Path:
    """A workbook with one typed sheet per frame (sheet name → frame); returns its path."""
    with open_workbook(path) as wb:
        for name, frame in sheets.items():
            write_frame_sheet(wb, name, frame)
    return Path(path)
