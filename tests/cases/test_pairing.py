"""S02's case table: households and cadres written the way an official would (县, 职级, 现帮扶户,
收入不增反降), paired by the solver over a population; ``确认后`` writes them to the database,
confirms the proposal and counts each cadre's open pairs there."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from tests.cases import casebook
from zengshou import interchange as ix
from zengshou.frames import Population, conform
from zengshou.pairing import pair_population
from zengshou.pairing.solver import PairingResult
from zengshou.registry.areas import ningxia

TABLE = casebook.load("S02.yaml")
CASES = TABLE["cases"]
YES = ("是", True)
LIMIT = 5  # S02.max_households


def _code(name: str | int) -> str:
    """A county or city written by name (海原县) or code."""
    text = str(name)
    return next((a.code for a in ningxia() if a.name == text), text)


def _village(county: str) -> str:
    return f"{_code(county)}100201"


def population(case: dict[str, Any]) -> tuple[Population, pl.DataFrame, pl.DataFrame]:
    """The case's population, its accounts (fell, income) and its scope."""
    hh = case["农户"]
    households = conform(
        pl.DataFrame(
            {
                "household_id": [h["户编号"] for h in hh],
                "village_code": [_village(h["县"]) for h in hh],
                "household_type": ["脱贫户"] * len(hh),
            }
        ),
        ix.HOUSEHOLDS,
    )
    villages = sorted({_village(h["县"]) for h in hh})
    cadres = conform(
        pl.DataFrame(
            {
                "cadre_id": [c["干部编号"] for c in case["干部"]],
                "name": ["干部"] * len(case["干部"]),
                "unit": [""] * len(case["干部"]),
                "rank": [c["职级"] for c in case["干部"]],
                "county_code": [_code(c["县"]) for c in case["干部"]],
                "current_households": [";".join(c.get("现帮扶户") or []) or None for c in case["干部"]],
            }
        ),
        ix.CADRES,
    )
    pop = Population(
        households=households,
        villages=conform(
            pl.DataFrame({"village_code": villages, "village_name": ["村"] * len(villages)}), ix.VILLAGES
        ),
        cadres=cadres,
    )
    accounts = pl.DataFrame(
        {
            "household_id": [h["户编号"] for h in hh],
            "fell": [h.get("收入不增反降") in YES for h in hh],
            "per_capita_income": [float(h.get("人均纯收入", 6000)) for h in hh],
        }
    )
    scope = pl.DataFrame(
        {"household_id": [h["户编号"] for h in hh], "in_scope": [h.get("范围外") not in YES for h in hh]}
    )
    return pop, accounts, scope


def _store(case: dict[str, Any]) -> None:
    from zengshou.registry.areas import ensure_loaded
    from zengshou.registry.models import Area, Cadre, Household, Pairing

    ensure_loaded()
    for h in case["农户"]:
        county = _code(h["县"])
        Area.objects.get_or_create(
            code=f"{county}100", defaults={"name": "镇", "level": "township", "parent_id": county}
        )
        Area.objects.get_or_create(
            code=_village(h["县"]), defaults={"name": "村", "level": "village", "parent_id": f"{county}100"}
        )
        Household.objects.create(
            household_id=h["户编号"],
            village_id=_village(h["县"]),
            household_type="脱贫户",
            housing_safe=True,
            water_safe=True,
        )
    for c in case["干部"]:
        Cadre.objects.create(cadre_id=c["干部编号"], name="干部", rank=c["职级"], county_id=_code(c["县"]))
        for hid in c.get("现帮扶户") or []:
            Pairing.objects.create(household_id=hid, cadre_id=c["干部编号"])


def _check(case: dict[str, Any], result: PairingResult) -> None:
    got = {r["household_id"]: r for r in result.pairs.iter_rows(named=True)}
    for hid, want in (case.get("expect") or {}).items():
        row = got[hid]
        if want == "未结对":
            assert row["cadre_id"] is None, f"{hid}: {row}"
            continue
        if "干部编号" in want:
            assert row["cadre_id"] == want["干部编号"], f"{hid}: {row}"
        if "变更" in want:
            assert row["change"] == want["变更"], f"{hid}: {row}"
        if "临时" in want:
            assert row["interim"] == (want["临时"] in YES), f"{hid}: {row}"
    cities = dict(result.cities.select("city_code", "missing_senior").iter_rows())
    for city, n in (case.get("缺县处级以上干部") or {}).items():
        assert cities.get(_code(city), 0) == n, f"{city}: {result.cities}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    pop, accounts, scope = population(case)
    _check(case, pair_population(pop, accounts, scope, LIMIT))


CONFIRMED = [c for c in CASES if "确认后" in c]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CONFIRMED, ids=[c["name"] for c in CONFIRMED])
def test_case_after_confirmation(case: dict[str, Any]) -> None:
    from zengshou.pairing.store import confirm
    from zengshou.registry.models import Pairing

    pop, accounts, scope = population(case)
    result = pair_population(pop, accounts, scope, LIMIT)
    _store(case)
    confirm(result, "tester")
    for cadre, n in case["确认后"].items():
        assert Pairing.objects.filter(cadre_id=cadre, ended_on__isnull=True).count() == n, cadre
    unpaired = result.pairs.filter(pl.col("cadre_id").is_null())["household_id"].to_list()
    assert not Pairing.objects.filter(household_id__in=unpaired, ended_on__isnull=True).exists()
