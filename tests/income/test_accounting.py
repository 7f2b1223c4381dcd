"""M01/M04: income accounting on hand-made households."""

from __future__ import annotations

import polars as pl
import pytest

from tests.income.build import Builder
from zengshou.income import account


def _row(acc, hid):
    return acc.filter(acc["household_id"] == hid).row(0, named=True)


def test_net_income_and_components_per_capita() -> None:
    b = Builder()
    b.household(
        "H1",
        3,
        {2024: 12000},
        operating_gross={2024: 9000},
        operating_cost={2024: 3000},
        property={2024: 600},
        transfer={2024: 2400},
        consumption={2024: 15000},
    )
    r = _row(account(b.population(), 2024), "H1")
    assert r["size"] == 3
    assert r["net_income"] == 12000 + 9000 - 3000 + 600 + 2400
    assert r["per_capita_income"] == 7000.0
    assert (r["wage_pc"], r["operating_net_pc"], r["property_pc"], r["transfer_pc"]) == (4000, 2000, 200, 800)
    assert r["consumption_pc"] == 5000.0
    assert r["village_code"] == "640522100201"


def test_rigid_spending_is_reported_not_deducted() -> None:
    b = Builder()
    b.household("H1", 2, {2024: 10000}, medical_selfpay={2024: 4000}, education_spending={2024: 1000})
    r = _row(account(b.population(), 2024), "H1")
    assert r["per_capita_income"] == 5000.0
    assert (r["medical_selfpay"], r["education_spending"]) == (4000.0, 1000.0)


def test_per_capita_is_rounded_to_the_fen() -> None:
    b = Builder()
    b.household("H1", 3, {2024: 10000})
    b.household("H2", 3, {2024: 20000})
    acc = account(b.population(), 2024)
    assert _row(acc, "H1")["per_capita_income"] == 3333.33
    assert _row(acc, "H2")["per_capita_income"] == 6666.67


def test_year_on_year_change_and_fall() -> None:
    b = Builder()
    b.household("DOWN", 2, {2023: 20000, 2024: 15000})
    b.household("UP", 2, {2023: 10000, 2024: 12000})
    b.household("NEW", 2, {2024: 8000})
    acc = account(b.population(), 2024)
    down = _row(acc, "DOWN")
    assert down["prev_per_capita_income"] == 10000.0
    assert down["change"] == -2500.0
    assert down["change_ratio"] == pytest.approx(-0.25)
    assert down["fell"] is True
    assert _row(acc, "UP")["fell"] is False
    new = _row(acc, "NEW")
    assert new["fell"] is None and new["prev_per_capita_income"] is None


def test_cumulative_quarter_compares_with_the_same_quarter_a_year_earlier() -> None:
    b = Builder()
    b.household("H1", 2)
    b.quarter("H1", 2023, 2, wage=8000)
    b.quarter("H1", 2024, 1, wage=1000)
    b.quarter("H1", 2024, 2, wage=6000)
    acc = account(b.population(), 2024, quarter=2)
    r = _row(acc, "H1")
    assert (r["quarter"], r["per_capita_income"], r["prev_per_capita_income"], r["fell"]) == (
        2,
        3000,
        4000,
        True,
    )
    assert account(b.population(), 2024).height == 0  # no whole-year row yet


def test_household_without_members_has_no_per_capita_income() -> None:
    b = Builder()
    b.household("EMPTY", 0, {2024: 5000})
    r = _row(account(b.population(), 2024), "EMPTY")
    assert r["size"] == 0
    assert r["net_income"] == 5000.0
    assert r["per_capita_income"] is None


def test_income_by_area_weights_households_by_persons_and_trend_over_years() -> None:
    from zengshou.income import by_area, trend

    b = Builder()
    b.household("A", 1, {2023: 10000, 2024: 12000})
    b.household("B", 3, {2023: 30000, 2024: 24000}, village="640522101301")
    b.household("C", 2, {2024: 40000}, village="640402100201")
    acc = account(b.population(), 2024)
    county = {r["area_code"]: r for r in by_area(acc, "county").iter_rows(named=True)}
    hy = county["640522"]
    assert (hy["households"], hy["persons"]) == (2, 4)
    assert hy["per_capita_income"] == (12000 + 24000) / 4
    assert (hy["fell_persons"], hy["fell_share"]) == (3, 0.75)
    assert county["640402"]["fell_share"] is None  # nobody to compare
    assert set(by_area(acc, "township")["area_code"]) == {"640522100", "640522101", "640402100"}
    t = trend(b.population(), [2023, 2024], "county").filter(pl.col("area_code") == "640522")
    assert t["year"].to_list() == [2023, 2024]
    assert t["per_capita_income"].to_list() == [10000.0, 9000.0]
