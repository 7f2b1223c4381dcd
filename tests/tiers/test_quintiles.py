"""C01: five equal groups of households; ties, household size not counted, a block spanning a boundary,
cut points computed, official or given."""

from __future__ import annotations

import random

import polars as pl
import pytest

from tests.income.build import Builder, params
from zengshou.income import account
from zengshou.params import ParameterError
from zengshou.tiers import classify
from zengshou.tiers.rules import CutPoints, compute_cut_points, quintile_index


def _accounts(sizes_incomes: list[tuple[int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "household_id": [f"H{i:03d}" for i in range(len(sizes_incomes))],
            "size": [s for s, _ in sizes_incomes],
            "per_capita_income": [pc for _, pc in sizes_incomes],
        },
        schema={"household_id": pl.Utf8, "size": pl.Int64, "per_capita_income": pl.Float64},
    )


def _groups(acc: pl.DataFrame, cuts: list[float] | None = None) -> list[int]:
    return (
        acc.join(quintile_index(acc, cuts), on="household_id", how="left")
        .sort("household_id")["quintile_index"]
        .to_list()
    )


def test_one_person_households_fill_one_group_each() -> None:
    acc = _accounts([(1, pc) for pc in (9000, 1000, 5000, 3000, 7000)])
    assert _groups(acc) == [4, 0, 2, 1, 3]


def test_households_not_persons_are_counted() -> None:
    # Ten households, one of 8 poor persons: each group holds two households, whatever their size
    # (the person rule put the big household in the second group, as it filled two fifths of persons).
    acc = _accounts([(8, 1000.0)] + [(1, 2000.0 + i) for i in range(9)])
    assert _groups(acc) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_equal_incomes_share_a_group() -> None:
    acc = _accounts([(1, 5000.0)] * 4 + [(1, 1000.0), (1, 9000.0)])
    groups = _groups(acc)
    assert len(set(groups[:4])) == 1
    assert groups[4] == 0 and groups[5] == 4


def test_a_block_spanning_a_boundary_goes_where_its_middle_household_ranks() -> None:
    # Ten households, boundaries after households 2, 4, 6, 8. Three share 200 (households 2–4):
    # the middle one is the 3rd, in the second fifth, so all three go to the second group.
    acc = _accounts([(1, 100.0)] + [(5, 200.0)] * 3 + [(1, 300.0 + i) for i in range(6)])
    assert _groups(acc) == [0, 1, 1, 1, 2, 2, 3, 3, 4, 4]


def test_group_sizes_stay_within_half_a_block_of_a_fifth() -> None:
    rng = random.Random(7)
    rows = [(rng.randint(1, 6), float(rng.randint(0, 40) * 500)) for _ in range(400)]
    acc = _accounts(rows)
    acc = acc.join(quintile_index(acc), on="household_id")
    biggest_block = acc.group_by("per_capita_income").len()["len"].max()
    households = acc.group_by("quintile_index").len().sort("quintile_index")
    assert households["quintile_index"].to_list() == [0, 1, 2, 3, 4]
    for n in households["len"]:
        assert abs(n - acc.height / 5) <= biggest_block  # type: ignore[operator]


def test_computed_cut_points_give_back_the_groups_and_place_other_households() -> None:
    rng = random.Random(11)
    acc = _accounts([(rng.randint(1, 6), float(rng.randint(0, 60) * 300)) for _ in range(300)])
    cuts = compute_cut_points(acc)
    assert cuts is not None and cuts.source == "计算" and cuts.households == 300
    assert list(cuts.values) == sorted(cuts.values)
    assert _groups(acc, cuts) == _groups(acc)
    # one area's households are placed with the region's cut points, not ranked among themselves
    area = acc.head(10)
    assert _groups(area, cuts) == _groups(acc)[:10]
    assert _groups(area) != _groups(area, cuts)


def test_cut_points_of_a_tiny_population_keep_its_groups() -> None:
    one = _accounts([(3, 8000.0)])
    cuts = compute_cut_points(one)
    assert cuts is not None and _groups(one, cuts) == [2]
    assert cuts.values[0] < 8000 <= cuts.values[2]
    assert compute_cut_points(_accounts([(0, 8000.0)])) is None


def test_given_cut_points_are_read_from_text() -> None:
    cuts = CutPoints.given("6000,11000,16000,24000")
    assert cuts.values == (6000.0, 11000.0, 16000.0, 24000.0) and cuts.label == "给定分界点"
    assert cuts.text() == "6,000、11,000、16,000、24,000元"
    for bad in ("1,2,3", "4,3,2,1", "a,b,c,d"):
        with pytest.raises(ParameterError):
            CutPoints.given(bad)


def test_classify_names_where_its_cut_points_come_from() -> None:
    b = Builder()
    for i, wage in enumerate((5000, 12000, 20000)):
        b.household(f"H{i}", 1, {2024: wage}, household_type="一般农户")
    pop = b.population()
    acc = account(pop, 2024)
    own = classify(acc, pop, params(), 2024).sort("household_id")
    assert "本文件自行分组位于" in own["reasons"][0]
    region = CutPoints((4000.0, 6000.0, 15000.0, 30000.0), "计算", 1000)
    placed = classify(acc, pop, params(), 2024, cut_points=region).sort("household_id")
    assert placed["quintile"].to_list() == ["中间偏下收入组", "中间收入组", "中间偏上收入组"]
    assert "按全区计算分界点位于中间偏下收入组" in placed["reasons"][0]
    # official cut points win over the region's
    ps = params(**{"C01.cut_points": [6000, 11000, 16000, 24000]})
    official = classify(acc, pop, ps, 2024, cut_points=region).sort("household_id")
    assert official["quintile"].to_list() == ["低收入组", "中间收入组", "中间偏上收入组"]


def test_official_cut_points_place_a_household_on_a_cut_in_the_lower_group() -> None:
    acc = _accounts([(1, 6000.0), (1, 6000.01), (1, 30000.0), (1, 0.0)])
    assert _groups(acc, [6000, 11000, 16000, 24000]) == [0, 1, 4, 0]


def test_official_cut_points_from_a_parameter_file_replace_the_computed_groups() -> None:
    b = Builder()
    for i, wage in enumerate((5000, 12000, 20000)):
        b.household(f"H{i}", 1, {2024: wage}, household_type="一般农户")
    pop = b.population()
    acc = account(pop, 2024)
    ps = params(**{"C01.cut_points": [6000, 11000, 16000, 24000]})
    tiers = classify(acc, pop, ps, 2024).sort("household_id")
    assert tiers["quintile"].to_list() == ["低收入组", "中间收入组", "中间偏上收入组"]
    assert "官方分界点" in tiers["reasons"][0]
    with pytest.raises(ParameterError):
        classify(acc, pop, params(**{"C01.cut_points": [1, 2, 3]}), 2024)
