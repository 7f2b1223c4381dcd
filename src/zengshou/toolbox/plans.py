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
from decimal import Decimal
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


def _dec(v: float | None) -> Decimal | None:
    return None if v is None else Decimal(str(round(v, 2)))


def store_plans(
    results: pl.DataFrame,
    year: int,
    villages: Mapping[str, str],
    username: str = "system",
    covered: Collection[str] | None = None,
) -> dict[str, int]:
    """Write the plans of :func:`evaluate_full`'s ``results`` for ``year`` (household → village code).

    ``covered``: the households the rules were run for (an area's batch); plans of other households
    are left as they are. None: the run covered every household.
    """
    counts = {"plans_created": 0, "items_created": 0, "items_updated": 0, "items_removed": 0, "items_kept": 0}
    hids = results["household_id"].unique().to_list()
    with transaction.atomic():
        existing = dict(Plan.objects.filter(year=year).values_list("household_id", "id"))
        new_plans = [
            Plan(
                household_id=h,
                year=year,
                county_code=villages.get(h, "")[:6],
                village_code=villages.get(h, ""),
            )
            for h in hids
            if h not in existing
        ]
        Plan.objects.bulk_create(new_plans, batch_size=5000)
        counts["plans_created"] = len(new_plans)
        plan_ids = dict(Plan.objects.filter(year=year).values_list("household_id", "id"))
        wanted_hids = None if covered is None else set(covered)
        outside = None if wanted_hids is None else {p for h, p in plan_ids.items() if h not in wanted_hids}
        current: dict[tuple[int, str, str], tuple[int, str]] = {}
        stored: dict[int, tuple[Any, ...]] = {}
        for iid, pid, code, idn, status, *vals in PlanItem.objects.filter(plan__year=year).values_list(
            "id",
            "plan_id",
            "code",
            "id_number",
            "status",
            "amount",
            "income_effect",
            "units",
            "reason",
            "applies",
        ):
            if outside is not None and pid in outside:
                continue
            current[(pid, code, idn)] = (iid, status)
            stored[iid] = tuple(vals)
        wanted: dict[tuple[int, str, str], dict[str, Any]] = {}
        for row in results.iter_rows(named=True):
            key = (plan_ids[row["household_id"]], row["code"], row["id_number"] or "")
            amount = row["amount"]
            wanted[key] = {
                "amount": _dec(amount),
                "income_effect": _dec(row["income_effect"]),
                "units": row["units"],
                "reason": row["reason"],
            }
        create = [
            PlanItem(plan_id=k[0], code=k[1], id_number=k[2], **v)
            for k, v in wanted.items()
            if k not in current
        ]
        PlanItem.objects.bulk_create(create, batch_size=5000)
        counts["items_created"] = len(create)
        update = []
        for k, v in wanted.items():
            if k in current:
                iid, _ = current[k]
                fresh = (v["amount"], v["income_effect"], v["units"], v["reason"], True)
                if stored[iid] != fresh:
                    update.append(PlanItem(id=iid, applies=True, **v))
        PlanItem.objects.bulk_update(
            update, ["amount", "income_effect", "units", "reason", "applies"], batch_size=5000
        )
        counts["items_updated"] = len(update)
        gone = [(iid, status) for k, (iid, status) in current.items() if k not in wanted]
        drop = [iid for iid, status in gone if status == "proposed"]
        keep = [iid for iid, status in gone if status != "proposed"]
        for i in range(0, len(drop), 5000):
            PlanItem.objects.filter(id__in=drop[i : i + 5000]).delete()
        for i in range(0, len(keep), 5000):
            PlanItem.objects.filter(id__in=keep[i : i + 5000]).update(applies=False)
        counts["items_removed"], counts["items_kept"] = len(drop), len(keep)
        audit.record(username, "plan.generate", "Plan", str(year), {**counts, "households": len(hids)})
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
