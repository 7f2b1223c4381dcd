"""Bulk writes of a pipeline result: tier results replaced per period, alerts upserted by fingerprint.

PostgreSQL gets ``COPY … FROM STDIN`` of a CSV the frame writes itself; SQLite gets one prepared
``executemany``. Neither goes through one ORM object per row. Everything happens in one transaction,
so a failed store leaves the previous results in place.

Alerts: a fingerprint (code|household or area|year[|detail]) already open (new/verified) is refreshed
(level, explanation, quarter), never duplicated; one already decided this year (included, dismissed,
closed) is not raised again for the same year; the rest are inserted as new.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from zengshou.monitor.models import OPEN_STATUSES

if TYPE_CHECKING:
    from zengshou.pipeline import BatchResult

_CHUNK = 5000


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def bulk_insert(table: str, frame: pl.DataFrame) -> int:
    """Insert every row of ``frame`` (columns = the table's columns) in bulk."""
    if frame.height == 0:
        return 0
    cols = ", ".join(frame.columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            buf = io.BytesIO()
            frame.write_csv(buf, include_header=False, quote_style="non_numeric", null_value="")
            with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buf.getvalue())
        else:
            marks = ", ".join(["%s"] * frame.width)
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", frame.rows())
    return frame.height


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


def store_tiers(result: BatchResult, username: str, now: Any) -> int:
    """Replace the stored tier results of the run's period for the households it covered."""
    from zengshou.tiers.models import TierResult

    acc = result.accounts.select(
        "household_id",
        "net_income",
        "wage_pc",
        "operating_net_pc",
        "property_pc",
        "transfer_pc",
        "consumption_pc",
        "prev_per_capita_income",
        "change_ratio",
        "fell",
    )
    rows = (
        result.tiers.select("household_id", "size", "per_capita_income", "quintile", "tier", "reasons")
        .join(acc, on="household_id", how="left")
        .select(
            pl.col("household_id"),
            pl.lit(result.year, dtype=pl.Int64).alias("year"),
            pl.lit(result.quarter, dtype=pl.Int64).alias("quarter"),
            "size",
            "net_income",
            "per_capita_income",
            "wage_pc",
            "operating_net_pc",
            "property_pc",
            "transfer_pc",
            "consumption_pc",
            "prev_per_capita_income",
            "change_ratio",
            "fell",
            pl.col("quintile").fill_null(""),
            pl.col("tier").fill_null(""),
            pl.col("reasons").fill_null(""),
            pl.lit(str(_db_time(now))).alias("computed_at"),
            pl.lit(username).alias("computed_by"),
        )
    )
    ids = rows["household_id"].to_list()
    period = TierResult.objects.filter(year=result.year, quarter=result.quarter)
    for chunk in _chunks(ids):
        period.filter(household_id__in=chunk).delete()
    return bulk_insert(TierResult._meta.db_table, rows)


def store_alerts(result: BatchResult, now: Any) -> dict[str, int]:
    """Upsert the run's alerts by fingerprint (module docstring)."""
    from zengshou.monitor.models import Alert

    run = result.alerts
    existing_rows = list(Alert.objects.filter(year=result.year).values_list("id", "fingerprint", "status"))
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
                    (lvl, exp, result.quarter, stamp, i, lvl, exp, result.quarter)
                    for i, lvl, exp in refresh.select("id", "level", "explanation").iter_rows()
                ],
            )
    areas = _existing_codes("registry_area", "code", fresh["area_code"].drop_nulls().unique().to_list())
    rows = fresh.select(
        pl.col("household_id"),
        pl.when(pl.col("area_code").is_in(list(areas))).then(pl.col("area_code")).alias("area_id"),
        pl.col("area_code").fill_null(""),
        pl.lit(result.year, dtype=pl.Int64).alias("year"),
        pl.lit(result.quarter, dtype=pl.Int64).alias("quarter"),
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
    inserted = bulk_insert(Alert._meta.db_table, rows)
    return {
        "alerts_new": inserted,
        "alerts_refreshed": refresh.height,
        "alerts_already_decided": decided.height,
    }


def store_result(result: BatchResult, username: str) -> dict[str, int]:
    """Write tier results and alerts in one transaction and record the run in the audit trail."""
    from zengshou.registry.audit import record

    now = timezone.now()
    with transaction.atomic():
        counts = {"tier_results": store_tiers(result, username, now)}
        counts.update(store_alerts(result, now))
        record(
            username,
            "pipeline.store",
            "pipeline",
            f"{result.year}" + (f"Q{result.quarter}" if result.quarter else ""),
            {"year": result.year, "quarter": result.quarter, **counts},
        )
    return counts
