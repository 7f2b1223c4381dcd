"""Alerts as they leave the batch: the 预警 result table and the bulk upsert of stored alerts.

Rows go through :mod:`zengshou.registry.bulk` (PostgreSQL ``COPY``, SQLite ``executemany``), never one
ORM object per row, inside the caller's transaction, so a failed store leaves the previous alerts.

Alerts: a fingerprint (code|household or area|year[|detail]) already open (new/verified) is refreshed
(level, explanation, quarter), never duplicated; one already decided this year (included, dismissed,
closed) is not raised again for the same year; the rest are inserted as new.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl
from django.db import connection

from zengshou.registry import bulk

_CHUNK = 5000


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _db_time(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _existing_codes(table: str, column: str, codes: list[str]) -> set[str]:
    found: set[str] = set()
    with connection.cursor() as cur:
        for chunk in _chunks(codes, 900):
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", list(chunk))
            found.update(r[0] for r in cur.fetchall())
    return found


def result_table(alerts: pl.DataFrame) -> pl.DataFrame:
    """The spec's 预警 table with its Chinese columns."""
    return alerts.select(
        pl.col("household_id").alias("户编号"),
        pl.col("code").alias("预警代码"),
        pl.col("level").alias("级别"),
        # An area alert has no 户编号; its explanation names the area so the row stands alone.
        pl.when(pl.col("household_id").is_null())
        .then(pl.concat_str([pl.lit("【"), pl.col("area_code"), pl.lit("】"), pl.col("explanation")]))
        .otherwise(pl.col("explanation"))
        .alias("说明"),
    )


def store_alerts(alerts: pl.DataFrame, year: int, quarter: int | None, now: Any) -> dict[str, int]:
    """Upsert the alerts raised for the period by fingerprint (module docstring); counts."""
    from zengshou.monitor.models import OPEN_STATUSES, Alert

    run = alerts
    existing_rows = list(Alert.objects.filter(year=year).values_list("id", "fingerprint", "status"))
    existing = pl.DataFrame(
        existing_rows, schema={"id": pl.Int64, "fingerprint": pl.Utf8, "status": pl.Utf8}, orient="row"
    )
    open_existing = existing.filter(pl.col("status").is_in(list(OPEN_STATUSES)))
    refresh = run.join(open_existing, on="fingerprint", how="inner")
    fresh = run.join(existing, on="fingerprint", how="anti").unique(subset=["fingerprint"], keep="first")
    decided = run.join(
        existing.filter(~pl.col("status").is_in(list(OPEN_STATUSES))), on="fingerprint", how="semi"
    )
    decided = decided.join(open_existing, on="fingerprint", how="anti")

    stamp = str(_db_time(now))
    if refresh.height:
        with connection.cursor() as cur:
            cur.executemany(
                f"UPDATE {Alert._meta.db_table} SET level = %s, explanation = %s, quarter = %s, updated_at = %s "
                "WHERE id = %s AND (level <> %s OR explanation <> %s OR quarter IS DISTINCT FROM CAST(%s AS integer))"
                if connection.vendor == "postgresql"
                else f"UPDATE {Alert._meta.db_table} SET level = %s, explanation = %s, quarter = %s, updated_at = %s "
                "WHERE id = %s AND (level <> %s OR explanation <> %s OR quarter IS NOT %s)",
                [
                    (lvl, exp, quarter, stamp, i, lvl, exp, quarter)
                    for i, lvl, exp in refresh.select("id", "level", "explanation").iter_rows()
                ],
            )
    areas = _existing_codes("registry_area", "code", fresh["area_code"].drop_nulls().unique().to_list())
    rows = fresh.select(
        pl.col("household_id"),
        pl.when(pl.col("area_code").is_in(list(areas))).then(pl.col("area_code")).alias("area_id"),
        pl.col("area_code").fill_null(""),
        pl.lit(year, dtype=pl.Int64).alias("year"),
        pl.lit(quarter, dtype=pl.Int64).alias("quarter"),
        "code",
        "level",
        "explanation",
        pl.lit("new").alias("status"),
        pl.lit(stamp).alias("created_at"),
        pl.lit(stamp).alias("updated_at"),
        pl.lit("").alias("verified_by"),
        pl.lit(None, dtype=pl.Utf8).alias("verified_at"),
        pl.lit("").alias("dismissed_reason"),
        "fingerprint",
    )
    inserted = bulk.insert_frame(Alert._meta.db_table, rows)
    return {
        "alerts_new": inserted,
        "alerts_refreshed": refresh.height,
        "alerts_already_decided": decided.height,
    }
