"""The risk model reads an open 人社 失业 registration as unemployment, never as a job held."""

from __future__ import annotations

import datetime as dt

from tests.income.build import Builder
from zengshou.model import as_of, build, model_params


def _features(b: Builder, year: int = 2023) -> dict[str, dict]:
    return {r["household_id"]: r for r in build(b.population(), year, model_params()).iter_rows(named=True)}


def test_an_open_unemployment_registration_is_not_counted_as_employed() -> None:
    b = Builder()
    ids = b.household("REG", 2, {2022: 30000, 2023: 20000})
    b.feed("employment", id_number=ids[0], status="失业", start_date=dt.date(2023, 9, 1), end_date=None)
    b.feed("employment", id_number=ids[1], status="就业", start_date=dt.date(2020, 1, 1), end_date=None)
    f = _features(b)["REG"]
    assert f["employed_end"] == 1
    assert f["jobs_ended"] == 1 and f["job_end_month"] == 9


def test_a_job_ended_then_registered_unemployed_counts_as_a_job_lost() -> None:
    b = Builder()
    ids = b.household("LOST", 1, {2022: 30000, 2023: 20000})
    b.feed(
        "employment",
        id_number=ids[0],
        status="就业",
        start_date=dt.date(2019, 1, 1),
        end_date=dt.date(2023, 5, 31),
    )
    b.feed("employment", id_number=ids[0], status="失业", start_date=dt.date(2023, 6, 15), end_date=None)
    f = _features(b)["LOST"]
    assert f["employed_end"] == 0
    assert f["jobs_ended"] == 1 and f["job_end_month"] == 6


def test_a_job_that_ends_next_year_was_held_at_the_end_of_this_one() -> None:
    b = Builder()
    ids = b.household("LATER", 1, {2022: 30000, 2023: 30000})
    b.feed(
        "employment",
        id_number=ids[0],
        status="失业",
        start_date=dt.date(2021, 3, 1),
        end_date=dt.date(2024, 4, 1),
    )
    pop = b.population()
    assert as_of(pop, 2023).feeds["employment"]["status"].to_list() == ["就业"]
    f = _features(b)["LATER"]
    assert f["employed_end"] == 1 and f["jobs_ended"] == 0
