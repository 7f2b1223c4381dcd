"""Confirming checks S02 on the stored pairs: a proposal made before another confirmation filled its
cadre is refused, and nothing of it is written."""

from __future__ import annotations

import pytest

from tests.cases.test_pairing import _store, population
from zengshou.pairing import pair_population
from zengshou.pairing.store import PairingConflict, confirm

CASE = {
    "干部": [{"干部编号": "HY-S1", "县": "海原县", "职级": "县处级以上"}],
    "农户": [
        {"户编号": "A1", "县": "海原县", "收入不增反降": "是", "人均纯收入": 4000},
        *({"户编号": f"Z{i}", "县": "海原县", "人均纯收入": 20000, "范围外": "是"} for i in range(5)),
    ],
}


@pytest.mark.django_db
def test_a_stale_proposal_that_would_overfill_a_cadre_is_refused() -> None:
    from zengshou.registry.models import AuditEvent, Pairing

    pop, accounts, scope = population(CASE)
    result = pair_population(pop, accounts, scope, 5)
    assert result.pairs.filter(household_id="A1")["cadre_id"].item() == "HY-S1"
    _store(CASE)
    for i in range(5):  # confirmed elsewhere after the proposal was made: HY-S1 is full
        Pairing.objects.create(household_id=f"Z{i}", cadre_id="HY-S1")
    with pytest.raises(PairingConflict, match="HY-S1 将有 6 户"):
        confirm(result, "tester")
    assert not Pairing.objects.filter(household_id="A1").exists()
    assert not AuditEvent.objects.filter(action="pairing.confirm").exists()
