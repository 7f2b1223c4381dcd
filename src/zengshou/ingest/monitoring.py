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

from zengshou import interchange as ix
from zengshou.ingest.columns import ROW
from zengshou.ingest.problems import Problem
from zengshou.registry.read import query_frame

PREFIX = "监测对象-"
#: 户类型 before inclusion when the file cannot say: a 脱贫不稳定户 is a 脱贫户 at risk, the others are not.
_DEFAULT_PREVIOUS = {"脱贫不稳定户": "脱贫户"}


def _open_objects() -> pl.DataFrame:
    return query_frame(
        "SELECT id, household_id, monitoring_type FROM monitor_monitoringobject "
        "WHERE risk_eliminated_on IS NULL",
        [],
        {"object_id": pl.Int64, "household_id": pl.Utf8, "monitoring_type": pl.Utf8},
    )


def kept_in_monitoring(
    households: pl.DataFrame, eliminated: pl.Series | None = None
) -> tuple[pl.DataFrame, list[Problem]]:
    """File rows that would give an open monitoring object a non-monitoring 户类型 keep its type.

    Returns the frame with those rows' 户类型 set back to 监测对象-<type>, and a warning for each.
    ``eliminated``: households whose object the file itself eliminates (:func:`eliminated_in_file`).
    """
    if "household_type" not in households.columns or households.is_empty():
        return households, []
    objects = _open_objects()
    if eliminated is not None and eliminated.len():
        objects = objects.filter(~pl.col("household_id").is_in(eliminated.implode()))
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
    ever = query_frame(
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


def eliminated_in_file(monitoring: pl.DataFrame | None) -> pl.Series:
    """The households a 监测对象 sheet marks 风险已消除 (their 户类型 may leave 监测对象-*)."""
    if monitoring is None or "risk_eliminated" not in monitoring.columns:
        return pl.Series("household_id", [], dtype=pl.Utf8)
    return monitoring.filter(pl.col("risk_eliminated").fill_null(False))["household_id"]


def eliminate_imported(
    monitoring: pl.DataFrame, *, source_file: str, username: str, events: list[dict[str, Any]]
) -> int:
    """Close the open objects whose 监测对象 row says 风险已消除, on its 消除监测时间 (else today).

    Runs before the households are written, so their 户类型 may go back to the one before inclusion.
    """
    from zengshou.monitor.models import MonitoringObject

    done = monitoring.filter(pl.col("risk_eliminated").fill_null(False)).join(
        _open_objects(), on="household_id", how="inner"
    )
    today = dt.date.today()
    objects = []
    for object_id, hid, month, method in done.select(
        "object_id", "household_id", "eliminated_month", "elimination_method"
    ).rows():
        obj = MonitoringObject(pk=object_id)
        obj.risk_eliminated_on = min(month or today, today)
        obj.elimination_method = method or ""
        obj.eliminated_by = username
        obj.evidence = {"source": "import", "file": source_file}
        objects.append(obj)
        events.append(
            {
                "username": username,
                "action": "monitoring.eliminate",
                "object_type": "household",
                "object_id": hid,
                "detail": {"source": "import", "file": source_file, "method": method or ""},
            }
        )
    MonitoringObject.objects.bulk_update(
        objects, ["risk_eliminated_on", "elimination_method", "eliminated_by", "evidence"], batch_size=2000
    )
    return len(objects)


_DETAILS = ("monitoring_type", *ix.RISK_SLOTS, "elimination_method")


def record_details(
    monitoring: pl.DataFrame, households: pl.DataFrame, *, source_file: str, username: str
) -> int:
    """Give each household's object the sheet's category, risks 1–5, dates and elimination method.

    After the households are written and :func:`include_imported` ran: the open object of a row under
    monitoring, the object eliminated on the row's 消除监测时间 of an eliminated one. An eliminated
    row with no such object (a list that reports a past object) creates it, already eliminated, with
    the household's 户类型 as the one before inclusion. Returns the objects written.
    """
    from zengshou.monitor.models import MonitoringObject, MonitoringSource

    stored = query_frame(
        "SELECT id, household_id, risk_eliminated_on FROM monitor_monitoringobject",
        [],
        {"object_id": pl.Int64, "household_id": pl.Utf8, "eliminated_on": pl.Date},
    )
    today = dt.date.today()
    rows = monitoring.with_columns(
        pl.col("risk_eliminated").fill_null(False),
        pl.min_horizontal(pl.col("eliminated_month"), pl.lit(today)).alias("_until"),
    )
    live = rows.filter(~pl.col("risk_eliminated")).join(
        stored.filter(pl.col("eliminated_on").is_null()), on="household_id", how="inner"
    )
    gone = rows.filter(pl.col("risk_eliminated"))
    gone_hit = gone.join(
        stored.filter(pl.col("eliminated_on").is_not_null()),
        left_on=["household_id", "_until"],
        right_on=["household_id", "eliminated_on"],
        how="inner",
    )
    types = households.select("household_id", pl.col("household_type").alias("_type"))
    missing = gone.join(gone_hit, on="household_id", how="anti").join(types, on="household_id", how="left")
    update = []
    for rec in pl.concat([live.drop("eliminated_on"), gone_hit], how="diagonal").iter_rows(named=True):
        obj = MonitoringObject(pk=rec["object_id"])
        for k in _DETAILS:
            setattr(obj, k, rec.get(k) or "")
        obj.included_on = min(rec["identified_month"] or today, today)
        update.append(obj)
    MonitoringObject.objects.bulk_update(update, [*_DETAILS, "included_on"], batch_size=2000)
    created = []
    for rec in missing.iter_rows(named=True):
        kind = rec["_type"] or ""
        created.append(
            MonitoringObject(
                household_id=rec["household_id"],
                included_on=min(rec["identified_month"] or today, today),
                included_by=username,
                previous_household_type=kind if kind and not kind.startswith(PREFIX) else "",
                source=MonitoringSource.IMPORT,
                source_file=source_file[:255],
                risk_eliminated_on=rec["_until"] or today,
                eliminated_by=username,
                evidence={"source": "import", "file": source_file},
                **{k: rec.get(k) or "" for k in _DETAILS},
            )
        )
    MonitoringObject.objects.bulk_create(created, batch_size=2000)
    return len(update) + len(created)
