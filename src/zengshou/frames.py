"""Columnar frames of the population: the one in-memory shape every batch part works on.

A :class:`Population` holds one polars frame per interchange table, with the interchange keys as
column names and these types: text and enumerations ``Utf8`` (empty cells null), 是/否 ``Boolean``,
land and money ``Float64`` (yuan, two decimals; results are rounded half-up to the fen),
counts and years ``Int64``, quarter ``Int64`` (null for a whole-year row). Frames come from
interchange files (``zengshou.ingest``) or from the database (``zengshou.registry.read``), so the
batch pipeline, the toolbox, the risk model and the Spark runner see the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from zengshou import interchange as ix

_POLARS_TYPES: dict[str, Any] = {
    "text": pl.Utf8,
    "code12": pl.Utf8,
    "code6": pl.Utf8,
    "id_number": pl.Utf8,
    "enum": pl.Utf8,
    "bool": pl.Boolean,
    "decimal": pl.Float64,
    "int": pl.Int64,
    "year": pl.Int64,
    "quarter": pl.Int64,
    "yuan": pl.Float64,
    "date": pl.Date,
    "list": pl.Utf8,
}


def polars_type(column: ix.Column) -> Any:
    return _POLARS_TYPES[column.type]


def schema(table: ix.Table) -> dict[str, Any]:
    """The frame schema of an interchange table: key → polars dtype, in the spec's column order."""
    return {c.key: polars_type(c) for c in table.columns}


def empty(table: ix.Table) -> pl.DataFrame:
    return pl.DataFrame(schema=schema(table))


def conform(frame: pl.DataFrame, table: ix.Table) -> pl.DataFrame:
    """Cast to the table's schema and column order; columns the frame lacks are added as nulls."""
    cols = []
    for key, dtype in schema(table).items():
        if key in frame.columns:
            cols.append(pl.col(key).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(key))
    return frame.select(cols)


@dataclass
class Population:
    """The household tables of the interchange format as frames (feeds are optional)."""

    households: pl.DataFrame = field(default_factory=lambda: empty(ix.HOUSEHOLDS))
    members: pl.DataFrame = field(default_factory=lambda: empty(ix.MEMBERS))
    income: pl.DataFrame = field(default_factory=lambda: empty(ix.INCOME))
    villages: pl.DataFrame = field(default_factory=lambda: empty(ix.VILLAGES))
    cadres: pl.DataFrame = field(default_factory=lambda: empty(ix.CADRES))
    #: Department feeds keyed by the feed's English key (medical, disability, civil, …).
    feeds: dict[str, pl.DataFrame] = field(default_factory=dict)

    def table(self, table: ix.Table) -> pl.DataFrame:
        frame: pl.DataFrame = getattr(self, table.key)
        return frame

    def counts(self) -> dict[str, int]:
        return {t.key: self.table(t).height for t in ix.TABLES}


def to_text(frame: pl.DataFrame, table: ix.Table) -> pl.DataFrame:
    """The frame as the interchange format writes it: Chinese headers in spec order, all text.

    是/否 for booleans, two decimals for money and land, ISO dates, nulls for empty cells. The
    generator and the exporter both write through this, so their files are byte-identical in form.
    """
    cols = []
    for c in table.columns:
        src = pl.col(c.key) if c.key in frame.columns else pl.lit(None, dtype=polars_type(c))
        if c.type == "bool":
            expr = (
                pl.when(src).then(pl.lit(ix.YES)).when(src.not_()).then(pl.lit(ix.NO)).otherwise(pl.lit(""))
            )
        elif c.type in ("yuan", "decimal"):
            expr = src.cast(pl.Float64).round(2).cast(pl.Decimal(20, 2)).cast(pl.Utf8)
        elif c.type == "date":
            expr = src.cast(pl.Date).dt.strftime("%Y-%m-%d")
        else:
            expr = src.cast(pl.Utf8)
        cols.append(expr.alias(c.header))
    return frame.select(cols)


#: Cells a spreadsheet would run as a formula start with one of these (OWASP, "CSV injection").
_FORMULA_START = r"^'*[=+\-@\t\r]"
#: What :func:`neutralise` made of such a cell: the same text behind one more single quote.
_NEUTRALISED = r"^'+[=+\-@\t\r]"
#: Interchange column types whose cells are free text (numbers, 是/否 and dates never start with = + @).
_TEXT_TYPES = frozenset({"text", "code12", "code6", "id_number", "enum", "list"})


def neutralise(column: str) -> pl.Expr:
    """A text cell Excel shows as text, never runs: ``'`` before a leading ``= + - @``, tab or CR.

    Quotes already before such a character get one more, so :func:`restore_neutralised` gives back
    every original value exactly (``'=x`` is written ``''=x`` and read back as ``'=x``).
    """
    text = pl.col(column).cast(pl.Utf8)
    return pl.when(text.str.contains(_FORMULA_START)).then(pl.lit("'") + text).otherwise(text).alias(column)


def restore_neutralised(column: str) -> pl.Expr:
    """The inverse of :func:`neutralise`, applied to every cell a CSV reader takes in."""
    text = pl.col(column)
    return pl.when(text.str.contains(_NEUTRALISED)).then(text.str.slice(1)).otherwise(text).alias(column)


def csv_bytes(frame: pl.DataFrame, text_columns: Iterable[str] | None = None) -> bytes:
    """``frame`` as CSV for Excel: UTF-8 with BOM, text cells neutralised, number columns untouched.

    ``text_columns`` names the columns to neutralise (default: every string column), so a negative
    amount stays a number. Every CSV file the system writes goes through here.
    """
    names = (
        [k for k, t in frame.schema.items() if t in (pl.Utf8, pl.Categorical)]
        if text_columns is None
        else list(text_columns)
    )
    safe = frame.with_columns([neutralise(k) for k in names])
    return b"\xef\xbb\xbf" + safe.write_csv(quote_style="necessary", null_value="").encode("utf-8")


def write_frame_csv(frame: pl.DataFrame, path: Any) -> Path:
    """Write any frame as a CSV file through :func:`csv_bytes`; returns the path."""
    out = Path(path)
    out.write_bytes(csv_bytes(frame))
    return out


def write_csv(frame: pl.DataFrame, table: ix.Table, path: Any) -> None:
    """Write ``frame`` as ``<table>.csv`` text: UTF-8 with BOM so Excel opens it, Chinese headers."""
    text = [c.header for c in table.columns if c.type in _TEXT_TYPES]
    Path(path).write_bytes(csv_bytes(to_text(frame, table), text))
