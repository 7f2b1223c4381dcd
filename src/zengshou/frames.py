"""Columnar frames of the population: the one in-memory shape every batch part works on.

A :class:`Population` holds one polars frame per interchange table, with the interchange keys as
column names and these types: text and enumerations ``Utf8`` (empty cells null), 是/否 ``Boolean``,
land and money ``Float64`` (yuan, two decimals; results are rounded half-up to the fen),
counts and years ``Int64``, quarter ``Int64`` (null for a whole-year row). Frames come from
interchange files (``zengshou.ingest``) or from the database (:func:`from_database`), so the
batch pipeline, the toolbox, the risk model and the Spark runner see the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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


def _query_frame(sql: str, params: list[Any], frame_schema: dict[str, Any]) -> pl.DataFrame:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    raw = pl.DataFrame(rows, schema=list(frame_schema), orient="row", infer_schema_length=None)
    # Django stores a blank text field as ''; frames hold a missing value as null
    return raw.with_columns(
        [
            pl.col(k).cast(pl.Float64).cast(t)
            if t == pl.Boolean
            else pl.col(k).cast(t).replace("", None)
            if t == pl.Utf8
            else pl.col(k).cast(t)
            for k, t in frame_schema.items()
        ]
    )


def from_database(area_code: str | None = None, years: Iterable[int] | None = None) -> Population:
    """Read the registry into frames, optionally only the households under one area.

    ``years`` limits the income rows read (a run for a year needs that year and the one before);
    income is by far the largest table. Reads with plain SQL; no ORM object per row.
    """
    from zengshou.registry.areas import code_prefix

    prefix = code_prefix(area_code) + "%" if area_code else "%"
    hh_cols = [c.key for c in ix.HOUSEHOLDS.columns]
    hh_sql_cols = ", ".join("h." + ("village_code" if k == "village_code" else k) for k in hh_cols)
    households = _query_frame(
        f"SELECT {hh_sql_cols} FROM registry_household h WHERE h.village_code LIKE %s ORDER BY h.household_id",
        [prefix],
        schema(ix.HOUSEHOLDS),
    )
    mem_cols = [c.key for c in ix.MEMBERS.columns]
    mem_sql_cols = ", ".join(("m.household_id" if k == "household_id" else "m." + k) for k in mem_cols)
    members = _query_frame(
        f"SELECT {mem_sql_cols} FROM registry_member m JOIN registry_household h "
        "ON h.household_id = m.household_id WHERE h.village_code LIKE %s ORDER BY m.household_id, m.id",
        [prefix],
        schema(ix.MEMBERS),
    )
    inc_cols = ", ".join("i." + c.key for c in ix.INCOME.columns)
    year_list = sorted(set(years)) if years is not None else []
    year_filter = f" AND i.year IN ({', '.join(['%s'] * len(year_list))})" if year_list else ""
    income = _query_frame(
        f"SELECT {inc_cols} FROM registry_income i JOIN registry_household h "
        f"ON h.household_id = i.household_id WHERE h.village_code LIKE %s{year_filter} "
        "ORDER BY i.household_id, i.year, i.quarter",
        [prefix, *year_list],
        schema(ix.INCOME),
    )
    villages = _query_frame(
        "SELECT v.code, v.name, t.name, v.collective_income_10k FROM registry_area v "
        "LEFT JOIN registry_area t ON t.code = v.parent_id WHERE v.level = 'village' AND v.code LIKE %s "
        "ORDER BY v.code",
        [prefix],
        schema(ix.VILLAGES),
    )
    # Cadres work in their county (S02): a township or village reads its county's cadres, a city or
    # the region those of all its counties.
    cadre_prefix = code_prefix(area_code[:6]) + "%" if area_code else "%"
    cadre_rows = _query_frame(
        "SELECT c.cadre_id, c.name, c.unit, c.rank, c.county_code FROM registry_cadre c "
        "WHERE c.county_code LIKE %s ORDER BY c.cadre_id",
        [cadre_prefix],
        {k: v for k, v in schema(ix.CADRES).items() if k != "current_households"},
    )
    pairs = _query_frame(
        "SELECT p.cadre_id, p.household_id FROM registry_pairing p WHERE p.ended_on IS NULL ORDER BY p.household_id",
        [],
        {"cadre_id": pl.Utf8, "household_id": pl.Utf8},
    )
    current = pairs.group_by("cadre_id", maintain_order=True).agg(
        pl.col("household_id").str.join(";").alias("current_households")
    )
    cadres = conform(cadre_rows.join(current, on="cadre_id", how="left"), ix.CADRES)
    return Population(households=households, members=members, income=income, villages=villages, cadres=cadres)


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


def write_csv(frame: pl.DataFrame, table: ix.Table, path: Any) -> None:
    """Write ``frame`` as ``<table>.csv`` text: UTF-8 with BOM so Excel opens it, Chinese headers."""
    from pathlib import Path

    data = to_text(frame, table).write_csv(quote_style="necessary", null_value="")
    Path(path).write_bytes(b"\xef\xbb\xbf" + data.encode("utf-8"))
