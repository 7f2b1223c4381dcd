"""Confirming a pairing proposal (S02): end the pairs that change, open the new ones, audit each."""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db import transaction

from zengshou.pairing.solver import PairingResult


def current_pairs(area_prefix: str = "") -> pl.DataFrame:
    """The open pairs in the database (household_id, cadre_id), optionally under an area prefix."""
    from zengshou.registry.models import Pairing

    qs = Pairing.objects.filter(ended_on__isnull=True)
    if area_prefix:
        qs = qs.filter(household__village__code__startswith=area_prefix)
    rows = list(qs.values_list("household_id", "cadre_id"))
    return pl.DataFrame(rows, schema={"household_id": pl.Utf8, "cadre_id": pl.Utf8}, orient="row")


def confirm(result: PairingResult, username: str, on: dt.date | None = None) -> dict[str, int]:
    """Write the proposal's changes in one transaction: close changed pairs, create new ones, audit.

    Households left unpaired by a shortage keep whatever open pair they had (nothing is taken away
    without a replacement); pairs kept are untouched.
    """
    from zengshou.registry.audit import record_many
    from zengshou.registry.models import Pairing

    on = on or dt.date.today()
    changes = result.pairs.filter(pl.col("change").is_in(["新结对", "调整"]))
    ids = changes["household_id"].to_list()
    with transaction.atomic():
        ended = Pairing.objects.filter(household_id__in=ids, ended_on__isnull=True).update(ended_on=on)
        Pairing.objects.bulk_create(
            [
                Pairing(household_id=h, cadre_id=c, started_on=on, source="solver")
                for h, c in changes.select("household_id", "cadre_id").iter_rows()
            ],
            batch_size=5000,
        )
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
        )
    return {"created": len(ids), "ended": ended}
