"""Monitoring objects from an import (M02): a household imported with 户类型 监测对象-* is one.

The interchange format has no inclusion date. The 户类型 describes the household in the period the
file reports, so an imported object is taken as included on 1 January of the latest year the file
has income for (that household's, else the file's), never later than the import's date, and on the
import's date when the file has no income; by the importing user, with ``source`` 导入 and the file's
name. Re-importing the same file
creates nothing; a later file that moves a monitoring object to another 监测对象 type changes its
category (audited); a file that gives a monitoring object still under monitoring a non-monitoring
户类型 does not take it out of monitoring — only risk elimination (M05, with its evidence) does — so
that row keeps its 户类型 and the import warns. A household whose risk was eliminated is included
again only when a file turns its 户类型 back to 监测对象-* (re-inclusion).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from zengshou.frames import _query_frame
from zengshou.ingest.columns import ROW
from zengshou.ingest.problems import Problem

PREFIX = "监测对象-"
#: 户类型 before inclusion when the file cannot say: a 脱贫不稳定户 is a 脱贫户 at risk, the others are not.
_DEFAULT_PREVIOUS = {"脱贫不稳定户": "脱贫户"}


def _open_objects() -> pl.DataFrame:
    return _query_frame(
        "SELECT id, household_id, monitoring_type FROM monitor_monitoringobject "
        "WHERE risk_eliminated_on IS NULL",
        [],
        {"object_id": pl.Int64, "household_id": pl.Utf8, "monitoring_type": pl.Utf8},
    )


def kept_in_monitoring(households: pl.DataFrame) -> tuple[pl.DataFrame, list[Problem]]:
    """File rows that would give an open monitoring object a non-monitoring 户类型 keep its type.

    Returns the frame with those rows' 户类型 set back to 监测对象-<type>, and a warning for each.
    """
    if "household_type" not in households.columns or households.is_empty():
        return households, []
    objects = _open_objects()
    hit = households.join(objects, on="household_id", how="inner").filter(
        ~pl.col("household_type").fill_null("").str.starts_with(PREFIX)
    )
    if hit.is_empty():
        return households, []
    warnings = [
        Problem(
            "家庭",
            row,
            "户类型",
            given,
            f"户{hid}为监测对象（{mtype}，风险未消除），户类型保持“{PREFIX}{mtype}”：监测对象须经风险消除"
            "（“监测对象”页）退出监测，不能由导入改变",
            f"household {hid} is a monitoring object under monitoring; its 户类型 stays {PREFIX}{mtype} "
            "until its risk is eliminated",
        )
        for row, hid, given, mtype in hit.select(ROW, "household_id", "household_type", "monitoring_type")
        .sort(ROW)
        .iter_rows()
    ]
    kept = hit.select("household_id", (pl.lit(PREFIX) + pl.col("monitoring_type")).alias("_kept"))
    out = (
        households.join(kept, on="household_id", how="left")
        .with_columns(pl.coalesce("_kept", "household_type").alias("household_type"))
        .drop("_kept")
    )
    return out, warnings


def include_imported(
    households: pl.DataFrame,
    before: pl.DataFrame,
    *,
    source_file: str,
    username: str,
    events: list[dict[str, Any]],
    since: pl.DataFrame | None = None,
    today: dt.date | None = None,
) -> tuple[int, int]:
    """Create or re-categorise the monitoring objects the imported 户类型 say exist (module docstring).

    ``households``: the file's (household_id, household_type) as stored now; ``before``: the stored
    (household_id, type_before) before the import; ``since``: (household_id, included_on) from the
    file's data, where it tells. Returns (objects created, categories changed).
    Call inside the import's transaction.
    """
    from zengshou.monitor.models import MonitoringObject, MonitoringSource

    monitored = households.filter(pl.col("household_type").fill_null("").str.starts_with(PREFIX)).select(
        "household_id", pl.col("household_type").str.strip_prefix(PREFIX).alias("short")
    )
    if monitored.is_empty():
        return 0, 0
    objects = _open_objects()
    ever = _query_frame(
        "SELECT DISTINCT household_id FROM monitor_monitoringobject", [], {"household_id": pl.Utf8}
    )
    moved = monitored.join(objects, on="household_id", how="inner").filter(
        pl.col("short") != pl.col("monitoring_type")
    )
    for object_id, hid, short, old in moved.select(
        "object_id", "household_id", "short", "monitoring_type"
    ).rows():
        MonitoringObject.objects.filter(pk=object_id).update(monitoring_type=short)
        events.append(
            {
                "username": username,
                "action": "monitoring.recategorise",
                "object_type": "household",
                "object_id": hid,
                "detail": {"from": old, "to": short, "source": "import", "file": source_file},
            }
        )
    fresh = (
        monitored.join(objects, on="household_id", how="anti")
        .join(before, on="household_id", how="left")
        .join(ever.with_columns(pl.lit(True).alias("_had")), on="household_id", how="left")
        .filter(
            pl.col("type_before").is_null()
            | ~pl.col("type_before").str.starts_with(PREFIX)
            | pl.col("_had").is_null()
        )
    )
    day = today or dt.date.today()
    if since is not None:
        fresh = fresh.join(since, on="household_id", how="left")
    else:
        fresh = fresh.with_columns(pl.lit(None, dtype=pl.Date).alias("included_on"))
    created = []
    for hid, short, before_type, included in fresh.select(
        "household_id", "short", "type_before", "included_on"
    ).rows():
        previous = (
            before_type
            if before_type and not before_type.startswith(PREFIX)
            else _DEFAULT_PREVIOUS.get(short, "一般农户")
        )
        created.append(
            MonitoringObject(
                household_id=hid,
                monitoring_type=short,
                included_on=min(included or day, day),
                included_by=username,
                previous_household_type=previous,
                source=MonitoringSource.IMPORT,
                source_file=source_file[:255],
            )
        )
        events.append(
            {
                "username": username,
                "action": "monitoring.include",
                "object_type": "household",
                "object_id": hid,
                "detail": {
                    "monitoring_type": short,
                    "source": "import",
                    "file": source_file,
                    "included_on": str(min(included or day, day)),
                },
            }
        )
    MonitoringObject.objects.bulk_create(created, batch_size=2000)
    return len(created), moved.height
