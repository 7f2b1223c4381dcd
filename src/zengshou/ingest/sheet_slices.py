"""A big worksheet read in slices of rows, so memory follows the slice and not the sheet.

The workbook reader (calamine, through fastexcel) parses a whole sheet into its cell range before a
single row reaches polars: about 65 bytes a cell, 7 GB for a national person list of 700,000 rows ×
170 columns, of which the import keeps a third of the columns. No maintained Python reader streams
an .xlsx with calamine's speed (openpyxl's read-only mode does, at a tenth of it), so the sheet's XML
is cut at row boundaries while it is decompressed, and each slice goes to calamine as a small
workbook of its own that shares the original's strings and styles. Every row keeps its place: a
frame's ``ROW`` column is the sheet's own row number, and the column ``c{i}`` is the sheet's column
``i`` (0 = A), whatever the slice holds.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

import polars as pl

#: Rows per slice: a slice of 170 columns costs calamine about 0.5 GB.
ROWS_PER_SLICE = 40_000
_BLOCK = 1 << 23
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")
_WORKSHEET = re.compile(rb"<(\w+:)?worksheet\b[^>]*>")
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"")
_UNSAVED = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*<(?:\w+:)?f\b(?:[^>]*/>|[^>]*>[^<]*</(?:\w+:)?f>)\s*'
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)


class NotSliceable(ValueError):
    """The file is not an .xlsx whose first sheet can be cut into rows (the whole-sheet reader is used)."""


@dataclass
class SheetRows:
    """Rows of the sheet as text: ``ROW`` (the sheet's row number) and ``c0``, ``c1``, … by column."""

    frame: pl.DataFrame
    #: (sheet row, column index) of formula cells saved without their result.
    unsaved_formulas: list[tuple[int, int]]


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def _first_sheet(z: zipfile.ZipFile) -> str:
    try:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError) as e:
        raise NotSliceable(str(e)) from e
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    sheet = next((s for s in book.iter() if s.tag.endswith("}sheet")), None)
    if sheet is None:
        raise NotSliceable("no sheet")
    target = targets.get(sheet.get(_REL), "").lstrip("/")
    member = target if target.startswith("xl/") else f"xl/{target}"
    if member not in z.namelist():
        raise NotSliceable(member)
    return member


def _pieces(stream: IO[bytes], rows_per_slice: int) -> Iterator[tuple[bytes, bytes]]:
    """(worksheet start tag, rows) with at most ``rows_per_slice`` row elements each, in order."""
    buffer = b""
    while True:
        more = stream.read(_BLOCK)
        buffer += more
        found = _SHEET_DATA.search(buffer)
        if found:
            break
        if not more:
            raise NotSliceable("no sheetData")
    start = _WORKSHEET.search(buffer, 0, found.start())
    if start is None:
        raise NotSliceable("no worksheet tag")
    if found.group(2):  # <sheetData/>: an empty sheet
        return
    tag = start.group(0)
    prefix = (found.group(1) or b"").decode()
    row_end = f"</{prefix}row>".encode()
    data_end = f"</{prefix}sheetData>".encode()
    tail = buffer[found.end() :]
    piece = bytearray()
    count = 0
    while True:
        end = tail.find(data_end)
        block = tail if end < 0 else tail[:end]
        taken = pos = 0
        while (nxt := block.find(row_end, pos)) >= 0:
            pos = nxt + len(row_end)
            count += 1
            if count == rows_per_slice:
                piece += block[taken:pos]
                yield tag, bytes(piece)
                piece, count, taken = bytearray(), 0, pos
        if end >= 0:
            piece += block[taken:]
            if piece.strip():
                yield tag, bytes(piece)
            return
        piece += block[taken:pos]
        more = stream.read(_BLOCK)
        if not more:
            raise NotSliceable("unterminated sheetData")
        tail = block[pos:] + more


def _letters(index: int) -> bytes:
    out = b""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = bytes([65 + rest]) + out
    return out


def _marker_row(prefix: bytes, row: int, last_column: int) -> bytes:
    """A row of empty-text cells in column A (and the last column wanted): calamine's range then
    starts on this row in column A and reaches that column, so positions stay the sheet's own. Where
    the row is also a real row, the real cells come after it and win."""
    cells = b"".join(
        b'<%sc r="%s%d" t="inlineStr"><%sis><%st></%st></%sis></%sc>'
        % (prefix, _letters(col), row, prefix, prefix, prefix, prefix, prefix)
        for col in sorted({0, last_column})
    )
    return b'<%srow r="%d">%s</%srow>' % (prefix, row, cells, prefix)


def _mini_workbook(z: zipfile.ZipFile, sheet: str, parts: Sequence[bytes], out: Path) -> None:
    """A workbook at ``out`` of the original's parts with ``parts`` (written one after the other) as
    the rows of its first sheet; the other sheets are left empty."""
    empty = f'<worksheet xmlns="{_MAIN}"><sheetData/></worksheet>'.encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as mini:
        for info in z.infolist():
            if info.is_dir():
                continue
            if info.filename == sheet:
                with mini.open(info.filename, "w", force_zip64=True) as target:
                    for part in parts:
                        target.write(part)
            elif info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                mini.writestr(info.filename, empty)
            else:
                with z.open(info) as source, mini.open(info.filename, "w", force_zip64=True) as target:
                    shutil.copyfileobj(source, target, _BLOCK)


def _frame(workbook: Path, first_row: int, columns: Sequence[int] | None) -> pl.DataFrame:
    import fastexcel

    sheet = fastexcel.read_excel(workbook).load_sheet(
        0, header_row=None, dtypes="string", use_columns=list(columns) if columns is not None else None
    )
    frame = sheet.to_polars()
    names = list(columns) if columns is not None else list(range(frame.width))
    frame = frame.rename({old: f"c{i}" for old, i in zip(frame.columns, names, strict=True)})
    return frame.with_row_index("ROW", offset=first_row).with_columns(pl.col("ROW").cast(pl.Int64))


def read_sheet(
    path: Path,
    keep: Callable[[pl.DataFrame], Sequence[int] | None] = lambda _: None,
    *,
    rows_per_slice: int = ROWS_PER_SLICE,
    first_only: bool = False,
) -> SheetRows:
    """The first sheet of ``path``, read slice by slice.

    ``keep`` sees the first slice with every column (its first rows hold the header) and names the
    columns (0-based) to keep from then on, or None for all of them; ``first_only`` stops after the
    first slice. Raises :class:`NotSliceable` when the file is not an .xlsx this can cut (the
    caller then reads it whole).
    """
    if not zipfile.is_zipfile(path):
        raise NotSliceable("not a zip")
    frames: list[pl.DataFrame] = []
    unsaved: list[tuple[int, int]] = []
    columns: Sequence[int] | None = None
    with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory(prefix="zengshou-slice-") as tmp:
        sheet = _first_sheet(z)
        book = Path(tmp) / "slice.xlsx"
        with z.open(sheet) as stream:
            for tag, piece in _pieces(stream, rows_per_slice):
                prefix = tag[1 : tag.find(b"worksheet")]
                numbered = _ROW_NUMBER.search(piece)
                if numbered is None:
                    raise NotSliceable("rows without numbers")
                first = not frames
                # the first slice begins on row 1, as the sheet does; a later one on the row before its own
                marker = 1 if first else int(numbered.group(1)) - 1
                last_column = max(columns) if columns else 0
                _mini_workbook(
                    z,
                    sheet,
                    [
                        tag,
                        b"<" + prefix + b"sheetData>",
                        _marker_row(prefix, marker, last_column),
                        piece,
                        b"</" + prefix + b"sheetData></" + prefix + b"worksheet>",
                    ],
                    book,
                )
                if b"<f" in piece or b":f>" in piece or b":f " in piece:
                    unsaved += [(int(r), _column_index(c)) for c, r in _UNSAVED.findall(piece)]
                del piece
                frame = _frame(book, marker, columns)
                if first:
                    columns = keep(frame)
                    if columns is not None:
                        frame = frame.select("ROW", *[f"c{i}" for i in columns if f"c{i}" in frame.columns])
                else:
                    frame = frame.slice(1)
                frames.append(frame)
                if first_only:
                    break
    if not frames:
        return SheetRows(pl.DataFrame({"ROW": []}, schema={"ROW": pl.Int64}), unsaved)
    return SheetRows(pl.concat(frames, how="diagonal"), unsaved)
