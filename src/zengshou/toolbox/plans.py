"""Plans per household (W02): generated in bulk from the rules, moved through their statuses, costed.

Generation is idempotent: re-running the rules for a year adds new measures as 拟定 (proposed),
updates amounts and reasons of items still proposed, drops proposed items the rules no longer
find, and keeps agreed or delivered items (marked ``applies=False`` if the rules changed).
All writes are bulk statements; no ORM save per row. An item's income effect is the yearly money
to the household (``income_effect`` of :func:`evaluate_full`): amounts paid to brokers or employers
and one-off amounts (``<code>.one_off`` in toolbox.yaml: training, start-up subsidies) are costed
but not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

import polars as pl
from django.db import transaction

from zengshou.frames import Population
from zengshou.params import ParameterSet
from zengshou.registry import audit
from zengshou.toolbox.engine import evaluate_full
from zengshou.toolbox.models import Plan, PlanItem, PlanItemEvent

ORDER = ["proposed", "agreed", "delivered"]
STATUS_LABELS = dict(PlanItem.Status.choices)


class PlanError(ValueError):
    """A status change that is not allowed; the message says why in Chinese and English."""


_ITEM_VALUES = ["amount", "income_effect", "units", "reason"]
_ITEM_KEY = ["plan_id", "code", "id_number"]


def store_plans(
    results: pl.DataFrame,
    year: int,
    villages: Mapping[str, str],
    username: str = "system",
    covered: Collection[str] | None = None,
) -> dict[str, int]:
    """Write the plans of :func:`evaluate_full`'s ``results`` for ``year`` (household → village code).

    ``covered``: the households the rules were run for (an area's batch); plans of other households
    are left as they are. None: the run covered every household. The comparison with the stored
    items is a join of frames; new and changed rows go through the bulk writer.
    """
    from zengshou.registry import bulk
    from zengshou.registry.read import query_frame

    counts = {"plans_created": 0, "items_created": 0, "items_updated": 0, "items_removed": 0, "items_kept": 0}
    hids = results["household_id"].unique(maintain_order=True)
    plan_table, item_table = Plan._meta.db_table, PlanItem._meta.db_table
    with transaction.atomic():
        plan_sql = f"SELECT household_id, id FROM {plan_table} WHERE year = %s"
        plan_schema = {"household_id": pl.Utf8, "plan_id": pl.Int64}
        existing = query_frame(plan_sql, [year], plan_schema)
        now = bulk.timestamp()
        village = hids.replace_strict(dict(villages), default="", return_dtype=pl.Utf8)
        new_plans = (
            pl.DataFrame({"household_id": hids, "village_code": village})
            .join(existing, on="household_id", how="anti")
            .select(
                "household_id",
                pl.lit(year).alias("year"),
                pl.col("village_code").str.slice(0, 6).alias("county_code"),
                "village_code",
                pl.lit(now).alias("created_at"),
                pl.lit(now).alias("updated_at"),
            )
        )
        bulk.insert(plan_table, new_plans.columns, new_plans)
        counts["plans_created"] = new_plans.height
        plan_ids = query_frame(plan_sql, [year], plan_schema)
        current = query_frame(
            f"SELECT i.id, i.plan_id, i.code, i.id_number, i.status, i.amount, i.income_effect, i.units, "
            f"i.reason, i.applies, p.household_id FROM {item_table} i JOIN {plan_table} p ON p.id = i.plan_id "
            "WHERE p.year = %s",
            [year],
            {
                "id": pl.Int64,
                "plan_id": pl.Int64,
                "code": pl.Utf8,
                "id_number": pl.Utf8,
                "status": pl.Utf8,
                "amount": pl.Float64,
                "income_effect": pl.Float64,
                "units": pl.Utf8,
                "reason": pl.Utf8,
                "applies": pl.Boolean,
                "household_id": pl.Utf8,
            },
        ).with_columns(pl.col("id_number", "units", "reason").fill_null(""))
        if covered is not None:
            current = current.filter(pl.col("household_id").is_in(list(covered)))
        wanted = (
            results.join(plan_ids, on="household_id", how="left")
            .select(
                "plan_id",
                "code",
                pl.col("id_number").fill_null(""),
                pl.col("amount").round(2),
                pl.col("income_effect").round(2),
                pl.col("units").fill_null(""),
                pl.col("reason").fill_null(""),
            )
            .unique(subset=_ITEM_KEY, keep="last", maintain_order=True)
        )
        create = wanted.join(current, on=_ITEM_KEY, how="anti").with_columns(
            pl.lit(True).alias("applies"),
            pl.lit(PlanItem.Status.PROPOSED.value).alias("status"),
            pl.lit("").alias("evidence"),
            pl.lit("").alias("updated_by"),
        )
        bulk.insert(item_table, create.columns, create)
        counts["items_created"] = create.height
        both = wanted.join(
            current.select("id", *_ITEM_KEY, *_ITEM_VALUES, "applies"), on=_ITEM_KEY, suffix="_db"
        )
        changed = ~pl.col("applies")
        for c in _ITEM_VALUES:
            changed = changed | pl.col(c).ne_missing(pl.col(f"{c}_db"))
        update = both.filter(changed).select("id", *_ITEM_VALUES, pl.lit(True).alias("applies"))
        bulk.update(item_table, "id", [*_ITEM_VALUES, "applies"], update.rows())
        counts["items_updated"] = update.height
        gone = current.join(wanted, on=_ITEM_KEY, how="anti")
        drop = gone.filter(pl.col("status") == PlanItem.Status.PROPOSED.value)["id"].to_list()
        keep = gone.filter(pl.col("status") != PlanItem.Status.PROPOSED.value)["id"].to_list()
        for i in range(0, len(drop), 5000):
            PlanItem.objects.filter(id__in=drop[i : i + 5000]).delete()
        for i in range(0, len(keep), 5000):
            PlanItem.objects.filter(id__in=keep[i : i + 5000]).update(applies=False)
        counts["items_removed"], counts["items_kept"] = len(drop), len(keep)
        audit.record(username, "plan.generate", "Plan", str(year), {**counts, "households": hids.len()})
    return counts


def generate_plans(
    pop: Population,
    quintiles: pl.DataFrame,
    year: int,
    county_toolboxes: Mapping[str, Any] | None = None,
    params: ParameterSet | None = None,
    username: str = "system",
) -> dict[str, int]:
    """Evaluate the rules and store a plan for every household with at least one measure."""
    results = evaluate_full(pop, quintiles, year, county_toolboxes, params)
    villages = dict(pop.households.select("household_id", "village_code").iter_rows())
    return store_plans(results, year, villages, username)


def transition(
    item_id: int, to_status: str, on: dt.date, evidence: str = "", username: str = "system", ip: str = ""
) -> PlanItem:
    """Move a plan item one step on (proposed → agreed → delivered); delivery needs evidence."""
    if to_status not in ORDER:
        raise PlanError(f"未知状态 {to_status!r}（可用：{'、'.join(ORDER)}）/ unknown status")
    with transaction.atomic():
        item = PlanItem.objects.select_for_update().select_related("plan").get(id=item_id)
        if ORDER.index(to_status) != ORDER.index(item.status) + 1:
            raise PlanError(
                f"措施 {item.code} 当前为「{STATUS_LABELS[item.status]}」，不能改为「{STATUS_LABELS[to_status]}」"
                f" / cannot go from {item.status} to {to_status}"
            )
        if to_status == "delivered" and not evidence.strip():
            raise PlanError(f"措施 {item.code} 标记为已落实需要佐证材料 / delivery needs evidence")
        if item.status_date and on < item.status_date:
            raise PlanError(
                f"日期 {on} 早于上一状态日期 {item.status_date} / date is before the previous step"
            )
        PlanItemEvent.objects.create(
            item=item, from_status=item.status, to_status=to_status, on=on, evidence=evidence, by=username
        )
        old = item.status
        item.status, item.status_date, item.updated_by = to_status, on, username
        if evidence:
            item.evidence = evidence
        item.save(update_fields=["status", "status_date", "evidence", "updated_by"])
        audit.record(
            username,
            "plan.status",
            "PlanItem",
            str(item.id),
            {
                "household_id": item.plan.household_id,
                "code": item.code,
                "from": old,
                "to": to_status,
                "on": str(on),
            },
            ip,
        )
    return item


def plan_cost(year: int, by: str = "county", area_prefix: str = "") -> pl.DataFrame:
    """Cost of the stored plans by county, lead department (first responsible unit) or measure.

    Counts every item the rules still find, whatever its status, plus the delivered amount.
    """
    qs = PlanItem.objects.filter(plan__year=year, applies=True)
    if area_prefix:
        qs = qs.filter(plan__village_code__startswith=area_prefix)
    rows = list(
        qs.values_list(
            "plan__county_code", "units", "code", "amount", "income_effect", "status", "plan__household_id"
        )
    )
    frame = pl.DataFrame(
        rows,
        schema={
            "county_code": pl.Utf8,
            "units": pl.Utf8,
            "code": pl.Utf8,
            "amount": pl.Float64,
            "income_effect": pl.Float64,
            "status": pl.Utf8,
            "household_id": pl.Utf8,
        },
        orient="row",
    ).with_columns(pl.col("units").str.split("、").list.first().alias("lead_unit"))
    key = {"county": "county_code", "unit": "lead_unit", "code": "code"}[by]
    return (
        frame.group_by(key)
        .agg(
            pl.col("household_id").n_unique().alias("households"),
            pl.len().alias("items"),
            pl.col("amount").fill_null(0).sum().alias("cost"),
            pl.col("income_effect").fill_null(0).sum().alias("income_effect"),
            pl.col("amount").filter(pl.col("status") == "delivered").fill_null(0).sum().alias("delivered"),
        )
        .sort(key)
    )
