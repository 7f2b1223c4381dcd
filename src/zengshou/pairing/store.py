"""Confirming a pairing proposal (S02): end the pairs that change, open the new ones, audit each, and
check the rules again on the stored pairs before the transaction commits."""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db import transaction

from zengshou.pairing.solver import SENIOR_RANK, PairingResult

#: The proposal's rows that write something: a new or changed pair, or an open pair that ends.
WRITTEN = ("新结对", "调整", "未结对")


class PairingConflict(ValueError):
    """A confirmation that would break S02 on the stored pairs (the proposal is out of date)."""


def current_pairs(area_prefix: str = "") -> pl.DataFrame:
    """The open pairs in the database (household_id, cadre_id), optionally under an area prefix."""
    from zengshou.registry.models import Pairing

    qs = Pairing.objects.filter(ended_on__isnull=True)
    if area_prefix:
        qs = qs.filter(household__village__code__startswith=area_prefix)
    rows = list(qs.values_list("household_id", "cadre_id"))
    return pl.DataFrame(rows, schema={"household_id": pl.Utf8, "cadre_id": pl.Utf8}, orient="row")


def confirm(result: PairingResult, username: str, on: dt.date | None = None) -> dict[str, int]:
    """Write the proposal in one transaction so the stored pairs are the proposal's, then check them.

    A household proposed 未结对 has its open pair ended (the pair broke a rule and no cadre is free:
    the shortage says who is missing); kept pairs are untouched. If the stored pairs would then break
    the limit or the one-to-one rule — another proposal was confirmed since this one was made — the
    whole confirmation is refused (``PairingConflict``) and nothing is written: the official reviewed
    this proposal, not a repaired one, and a new proposal starts from the stored pairs.
    """
    from zengshou.registry.audit import record_many
    from zengshou.registry.models import Pairing

    on = on or dt.date.today()
    changes = result.pairs.filter(pl.col("change").is_in(WRITTEN))
    new = changes.filter(pl.col("cadre_id").is_not_null())
    unpaired = changes.filter(pl.col("cadre_id").is_null())["household_id"].to_list()
    with transaction.atomic():
        open_pairs = Pairing.objects.filter(ended_on__isnull=True)
        ended = open_pairs.filter(household_id__in=new["household_id"].to_list()).update(ended_on=on)
        ended_unpaired = open_pairs.filter(household_id__in=unpaired).update(ended_on=on)
        Pairing.objects.bulk_create(
            [
                Pairing(household_id=h, cadre_id=c, started_on=on, source="solver")
                for h, c in new.select("household_id", "cadre_id").iter_rows()
            ],
            batch_size=5000,
        )
        _check_stored(result, new)
        record_many(
            {
                "username": username,
                "action": "pairing.confirm",
                "object_type": "household",
                "object_id": r["household_id"],
                "detail": {
                    "change": r["change"],
                    "from": r["previous_cadre_id"],
                    "to": r["cadre_id"],
                    "reason": r["reason"],
                },
            }
            for r in changes.iter_rows(named=True)
            if r["cadre_id"] is not None or r["previous_cadre_id"] is not None
        )
    return {"created": new.height, "ended": ended + ended_unpaired, "ended_unpaired": ended_unpaired}


def _check_stored(result: PairingResult, new: pl.DataFrame) -> None:
    """S02 on the stored open pairs of the cadres that received a household: the limit, one falling
    household per 县处级以上 cadre (counting those outside the proposal), none for another rank but
    an interim pair."""
    from django.db.models import Count

    from zengshou.registry.models import Cadre, Pairing

    cadres = new["cadre_id"].unique().to_list()
    if not cadres:
        return
    cap = result.max_households
    loads = dict(
        Pairing.objects.filter(cadre_id__in=cadres, ended_on__isnull=True)
        .values("cadre_id")
        .annotate(n=Count("id"))
        .values_list("cadre_id", "n")
    )
    problems = [f"干部 {c} 将有 {n} 户（上限 {cap} 户）" for c, n in sorted(loads.items()) if n > cap]
    falling = result.pairs.filter(pl.col("fell"))["household_id"].to_list()
    fixed: dict[str, int] = {}
    if "fixed_falling" in result.loads.columns:
        fixed = dict(result.loads.select("cadre_id", "fixed_falling").iter_rows())
    seniors = set(
        Cadre.objects.filter(cadre_id__in=cadres, rank=SENIOR_RANK).values_list("cadre_id", flat=True)
    )
    stored_falling: dict[str, int] = {}
    for c in Pairing.objects.filter(
        cadre_id__in=seniors, household_id__in=falling, ended_on__isnull=True
    ).values_list("cadre_id", flat=True):
        stored_falling[c] = stored_falling.get(c, 0) + 1
    for c in sorted(seniors):
        n = stored_falling.get(c, 0) + int(fixed.get(c) or 0)
        if n > 1:
            problems.append(f"县处级以上干部 {c} 将结对 {n} 户收入不增反降户（应一对一）")
    wrong = new.filter(pl.col("fell") & (pl.col("rank") != SENIOR_RANK) & ~pl.col("interim").fill_null(False))
    problems += [f"收入不增反降户 {h} 的干部不是县处级以上" for h in wrong["household_id"].to_list()]
    if problems:
        raise PairingConflict(
            "结对方案与已存结对冲突（可能已有其他方案确认），未写入，请重新生成方案："
            + "；".join(problems[:5])
        )
