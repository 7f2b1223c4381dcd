"""C01: five equal groups of persons; ties, one-person households, a household spanning a boundary."""

from __future__ import annotations

import random

import polars as pl
import pytest

from tests.income.build import Builder, params
from zengshou.income import account
from zengshou.params import ParameterError
from zengshou.tiers import classify
from zengshou.tiers.rules import quintile_index


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


def test_persons_not_households_are_counted() -> None:
    # One household of 8 poor persons and eight one-person households above it: 16 persons,
    # so the big household fills the first two groups and the rest share the upper three.
    acc = _accounts([(8, 1000.0)] + [(1, 2000.0 + i) for i in range(8)])
    groups = _groups(acc)
    assert groups[0] == 1  # its middle person is the 4th–5th of 16: rank 4/16 → second group
    assert groups[1:] == [2, 2, 3, 3, 3, 4, 4, 4]


def test_equal_incomes_share_a_group() -> None:
    acc = _accounts([(1, 5000.0)] * 4 + [(1, 1000.0), (1, 9000.0)])
    groups = _groups(acc)
    assert len(set(groups[:4])) == 1
    assert groups[4] == 0 and groups[5] == 4


def test_household_spanning_a_boundary_goes_where_most_of_its_members_rank() -> None:
    # Ten persons, boundaries after persons 2, 4, 6, 8. B (3 persons, ranks 2–4) spans the first
    # boundary: one member in the first fifth, two in the second, so B goes to the second group.
    acc = _accounts([(1, 100.0), (3, 200.0), (2, 300.0), (4, 400.0)])
    assert _groups(acc) == [0, 1, 2, 4]


def test_group_sizes_stay_within_half_a_household_of_a_fifth() -> None:
    rng = random.Random(7)
    rows = [(rng.randint(1, 6), float(rng.randint(0, 40) * 500)) for _ in range(400)]
    acc = _accounts(rows)
    acc = acc.join(quintile_index(acc), on="household_id")
    total = acc["size"].sum()
    biggest_block = acc.group_by("per_capita_income").agg(pl.col("size").sum())["size"].max()
    persons = acc.group_by("quintile_index").agg(pl.col("size").sum()).sort("quintile_index")
    assert persons["quintile_index"].to_list() == [0, 1, 2, 3, 4]
    for n in persons["size"]:
        assert abs(n - total / 5) <= biggest_block  # type: ignore[operator]


def test_official_cut_points_place_a_household_on_a_cut_in_the_lower_group() -> None:
    acc = _accounts([(1, 6000.0), (1, 6000.01), (1, 30000.0), (1, 0.0)])
    assert _groups(acc, [6000, 11000, 16000, 24000]) == [0, 1, 4, 0]


def test_official_cut_points_from_a_parameter_file_replace_the_computed_groups() -> None:
    b = Builder()
    for i, wage in enumerate((5000, 12000, 20000)):
        b.household(f"H{i}", 1, {2024: wage}, household_type="一般农户")
    pop = b.population()
    acc = account(pop, 2024)
    ps = params(quintile_cut_points=[6000, 11000, 16000, 24000])
    tiers = classify(acc, pop, ps, 2024).sort("household_id")
    assert tiers["quintile"].to_list() == ["低收入组", "中间收入组", "中间偏上收入组"]
    assert "官方分界点" in tiers["reasons"][0]
    with pytest.raises(ParameterError):
        classify(acc, pop, params(quintile_cut_points=[1, 2, 3]), 2024)
