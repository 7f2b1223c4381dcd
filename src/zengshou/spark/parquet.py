"""The registry as Parquet: one folder per table, the batch's input on Spark (and readable by polars).

Layout of a folder ``DIR``: ``DIR/<table>/part-*.parquet`` for households, members, income,
villages and cadres, and ``DIR/feeds/<feed>/part-*.parquet`` for each department feed (medical,
disability, civil, employment, education, housing, disaster). Columns are the interchange keys with
the types of :mod:`zengshou.frames`; a table may be split over several part files (a generator
writes a large region in slices), and Spark reads each folder as one table. Parquet was chosen as
the one columnar file format every engine of a national cluster reads (Spark, Hive, polars, DuckDB).
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl

from zengshou import frames
from zengshou import interchange as ix
from zengshou.frames import Population

#: The household tables, in the folder names they are written under.
TABLES: tuple[str, ...] = tuple(t.key for t in ix.TABLES)
#: The feed tables (``feeds/<key>``).
FEEDS: tuple[str, ...] = tuple(t.key for t in ix.FEEDS)
_FEED_TABLES = {t.key: t for t in ix.FEEDS}
_TABLES = {t.key: t for t in ix.TABLES}


def table_path(root: str | Path, key: str) -> str:
    """The folder of table or feed ``key`` under ``root`` (a local path or a cluster URI)."""
    base = str(root).rstrip("/")
    return f"{base}/feeds/{key}" if key in _FEED_TABLES else f"{base}/{key}"


def feed_schema(key: str) -> dict[str, pl.DataType]:
    """A feed's frame schema; person feeds read from the database carry the member's ``household_id``."""
    return dict(frames.schema(_FEED_TABLES[key]))


def write_population(pop: Population, root: str | Path, part: int = 0) -> list[Path]:
    """Write every table and feed of ``pop`` as ``part-<part>.parquet`` under ``root``; the paths.

    Writing slices of one region with parts 0, 1, 2, … gives one table per folder.
    """
    out = Path(root)
    written: list[Path] = []
    for key in TABLES:
        written.append(_write(frames.conform(pop.table(_TABLES[key]), _TABLES[key]), out / key, part))
    for key in FEEDS:
        frame = pop.feeds.get(key)
        table = _FEED_TABLES[key]
        written.append(
            _write(
                frames.conform(frame, table) if frame is not None else frames.empty(table),
                out / "feeds" / key,
                part,
            )
        )
    return written


def _write(frame: pl.DataFrame, folder: Path, part: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"part-{part:05d}.parquet"
    frame.write_parquet(path, statistics=True)
    return path


def read_population(root: str | Path) -> Population:
    """The population a Parquet folder holds (what the polars pipeline runs on, to compare with Spark)."""
    base = Path(root)

    def read(folder: Path, table: ix.Table) -> pl.DataFrame:
        files = sorted(folder.glob("*.parquet"))
        if not files:
            return frames.empty(table)
        return frames.conform(pl.read_parquet(files), table)

    got = {key: read(base / key, _TABLES[key]) for key in TABLES}
    pop = Population(
        households=got["households"],
        members=got["members"],
        income=got["income"],
        villages=got["villages"],
        cadres=got["cadres"],
    )
    pop.feeds = {key: read(base / "feeds" / key, _FEED_TABLES[key]) for key in FEEDS}
    return pop


def export_parquet(out: Path, area: str | None = None, username: str = "cli") -> tuple[dict[str, int], float]:
    """``zengshou export --format parquet``: the registry (under ``area``) and its feeds, unmasked (the
    batch needs the 证件号码: ages, feeds and person measures read them), recorded in the audit trail
    as an export with personal data. Returns the row counts and the seconds taken."""
    from zengshou import setup_django

    setup_django()
    from zengshou.registry.audit import record
    from zengshou.registry.read import population_from_database

    start = time.perf_counter()
    pop = population_from_database(area)
    write_population(pop, out)
    counts = {**pop.counts(), **{f"feeds/{k}": v.height for k, v in pop.feeds.items()}}
    record(
        username,
        "export.personal",
        "interchange",
        area or "",
        {"out": str(out), "format": "parquet", "counts": counts, "with_personal_data": True},
    )
    return counts, time.perf_counter() - start
