"""M02 group monitoring by area and the M04 share among the low-income group."""

from __future__ import annotations

import pytest

from tests.income.build import Builder, params
from zengshou.income import account
from zengshou.monitor.groups import group_counts, group_list
from zengshou.tiers import classify

OTHER_VILLAGE = "640522101301"  # another township of 海原县
OTHER_COUNTY = "640402100201"  # 原州区


def _run(b: Builder):
    pop = b.population()
    acc = account(pop, 2024)
    return pop, acc, classify(acc, pop, params(), 2024)


def _population() -> Builder:
    b = Builder()
    # five poorest persons: H-LOW (2 persons, fell), H-LOW2 (1, 脱贫户, fell), H-MON (2, monitoring)
    b.household(
        "LOW",
        2,
        {2023: 12000, 2024: 10000},
        household_type="脱贫户",
        members=[{"disability_grade": "一级"}, {"dibao": True}],
    )
    b.household("LOW2", 1, {2023: 6000, 2024: 5500}, household_type="脱贫户", village=OTHER_VILLAGE)
    b.household("MON", 2, {2023: 8000, 2024: 9000}, household_type="监测对象-突发严重困难户", tekun=True)
    for i in range(5):
        b.household(
            f"R{i}", 4, {2023: 80000, 2024: 90000 + i}, household_type="一般农户", village=OTHER_COUNTY
        )
    return b


def test_counts_by_county() -> None:
    pop, acc, tiers = _run(_population())
    counts = group_counts(pop, acc, tiers, "county", params(), 2024)
    hy = counts.filter(counts["area_code"] == "640522").row(0, named=True)
    assert hy["area_name"] == "海原县"
    assert (hy["households"], hy["persons"]) == (3, 5)
    assert (hy["monitoring_households"], hy["monitoring_persons"]) == (1, 2)
    assert (hy["dibao_persons"], hy["tekun_persons"]) == (1, 2)
    assert (hy["disabled_persons"], hy["severe_disabled_persons"]) == (1, 1)
    # 8 households: the low-income group holds the poorest fifth of households (C01 ranks households),
    # MON (4,500 per person) and LOW (5,000); LOW2 (5,500) is the third, in the second group
    assert hy["low_income_persons"] == 4
    assert hy["low_income_fell_persons"] == 2
    assert hy["plan_scope_fell_share"] == pytest.approx(2 / 4)
    assert hy["above_national_average"] is True
    yz = counts.filter(counts["area_code"] == "640402").row(0, named=True)
    assert (yz["persons"], yz["low_income_persons"], yz["low_income_fell_share"]) == (20, 0, None)


def test_counts_by_village_and_city() -> None:
    pop, acc, tiers = _run(_population())
    villages = group_counts(pop, acc, tiers, "village")
    assert set(villages["area_code"]) == {"640522100201", OTHER_VILLAGE, OTHER_COUNTY}
    cities = group_counts(pop, acc, tiers, "city")
    assert cities.sort("area_code")["area_code"].to_list() == ["640400", "640500"]


def test_lists_of_a_group_under_an_area() -> None:
    pop, acc, tiers = _run(_population())
    fell = group_list(pop, acc, tiers, "fell", "640522")
    assert fell["household_id"].to_list() == ["LOW", "LOW2"]
    monitoring = group_list(pop, acc, tiers, "monitoring")
    assert monitoring.row(0, named=True)["household_type"] == "监测对象-突发严重困难户"
    with pytest.raises(ValueError, match="未知的群体"):
        group_list(pop, acc, tiers, "rich")
