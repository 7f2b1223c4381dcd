"""M02 features: only what is known at the end of year t, with the figures a cadre would check."""

from __future__ import annotations

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from tests.income.build import Builder
from zengshou.frames import Population
from zengshou.model import as_of, build, model_params, outcomes
from zengshou.model.features import FEATURE_NAMES


def _with_future(pop: Population, year: int) -> Population:
    """The same population with every kind of data of ``year`` + 1 changed or added."""
    nxt = year + 1
    members = pop.members["id_number"].to_list()
    income = pop.income.with_columns(
        pl.when(pl.col("year") == nxt).then(pl.col("wage") * 0.1).otherwise(pl.col("wage")).alias("wage")
    )
    feeds = dict(pop.feeds)
    feeds["medical"] = pl.concat(
        [
            feeds["medical"],
            pl.DataFrame({"id_number": members[:50], "year": [nxt] * 50, "self_paid": [90000.0] * 50}),
        ],
        how="diagonal_relaxed",
    )
    feeds["employment"] = feeds["employment"].with_columns(
        pl.when(pl.col("end_date").is_null())
        .then(pl.lit(dt.date(nxt, 3, 1)))
        .otherwise(pl.col("end_date"))
        .alias("end_date")
    )
    feeds["disability"] = pl.DataFrame(
        {"id_number": members[:30], "grade": ["一级"] * 30, "issued_on": [dt.date(nxt, 2, 1)] * 30}
    )
    feeds["civil"] = pl.DataFrame(
        {
            "id_number": members[:30],
            "assistance_type": ["低保"] * 30,
            "start_date": [dt.date(nxt, 1, 5)] * 30,
            "end_date": [None] * 30,
        },
        schema_overrides={"end_date": pl.Date},
    )
    feeds["housing"] = pl.DataFrame(
        {
            "household_id": pop.households["household_id"].to_list()[:30],
            "safety_grade": ["D"] * 30,
            "assessed_on": [dt.date(nxt, 4, 1)] * 30,
        }
    )
    feeds["disaster"] = pl.DataFrame(
        {
            "area_code": ["640522"],
            "disaster_type": ["冰雹"],
            "occurred_on": [dt.date(nxt, 1, 10)],
            "households_affected": [500],
            "direct_loss_10k": [3000.0],
        }
    )
    return Population(
        households=pop.households,
        members=pop.members,
        income=income,
        villages=pop.villages,
        cadres=pop.cadres,
        feeds=feeds,
    )


def test_no_leakage_changing_only_next_year_leaves_this_years_features_alone(panel) -> None:
    pop, _ = panel
    params = model_params()
    before = build(pop, 2023, params)
    after = build(_with_future(pop, 2023), 2023, params)
    assert before.height == 2500
    assert_frame_equal(before, after)
    # the change does reach the outcome of 2024 and the features of 2024: the test can see a leak
    assert not outcomes(pop, 2024, params).equals(outcomes(_with_future(pop, 2023), 2024, params))
    assert not build(pop, 2024, params).equals(build(_with_future(pop, 2023), 2024, params))


def test_as_of_blanks_end_dates_not_yet_known() -> None:
    pop = Population(
        feeds={
            "employment": pl.DataFrame(
                {
                    "id_number": ["A", "B", "C"],
                    "start_date": [dt.date(2020, 1, 1), dt.date(2020, 1, 1), dt.date(2024, 2, 1)],
                    "end_date": [dt.date(2023, 10, 1), dt.date(2024, 5, 1), None],
                }
            )
        }
    )
    emp = as_of(pop, 2023).feeds["employment"]
    assert emp["id_number"].to_list() == ["A", "B"]  # C started after 2023
    assert emp["end_date"].to_list() == [dt.date(2023, 10, 1), None]  # B's end was still in the future


def test_features_carry_the_facts_of_the_year() -> None:
    b = Builder()
    ids = b.household("JOB", 2, {2022: 30000, 2023: 15000}, operating_gross={2022: 4000, 2023: 4000})
    b.feed(
        "employment",
        id_number=ids[1],
        status="就业",
        start_date=dt.date(2019, 1, 1),
        end_date=dt.date(2023, 8, 31),
    )
    ill = b.household("ILL", 3, {2022: 40000, 2023: 41000}, village="640522100202")
    b.feed("medical", id_number=ill[0], year=2023, total_cost=80000.0, self_paid=26000.0)
    b.feed("disability", id_number=ill[2], grade="二级", issued_on=dt.date(2023, 6, 1))
    b.feed(
        "disaster",
        area_code="640522100",
        disaster_type="冰雹",
        occurred_on=dt.date(2023, 8, 2),
        direct_loss_10k=120.0,
    )
    f = {r["household_id"]: r for r in build(b.population(), 2023, model_params()).iter_rows(named=True)}
    job, sick = f["JOB"], f["ILL"]
    assert set(FEATURE_NAMES) <= set(job)
    assert job["wage_change_ratio"] == -0.5
    assert job["jobs_ended"] == 1 and job["employed_end"] == 0
    assert job["fell_now"] == 1
    assert sick["medical_high_new"] == 1 and sick["medical_self_paid"] == 26000
    assert sick["disability_new"] == 1 and sick["disability_severe_new"] == 1
    # the township's hailstorm reaches both villages of the township
    assert (
        sick["area_disasters"] == 1 and sick["area_disaster_loss"] == 120 and sick["area_disaster_late"] == 1
    )
    assert job["area_disasters"] == 1
    # rule baseline: a department signal (lost job, high medical self-pay) flags the household
    assert job["rule_flag"] and sick["rule_flag"]


def test_outcome_is_a_fall_or_an_income_under_the_line() -> None:
    b = Builder()
    b.household("FELL", 1, {2023: 20000, 2024: 19000})
    b.household("UNDER", 1, {2023: 6000, 2024: 7000})  # rose, but under 2024's line 7,100
    b.household("FINE", 1, {2023: 20000, 2024: 21000})
    b.household("NEW", 1, {2024: 9000})  # no 2023 row: no outcome
    out = {r["household_id"]: r for r in outcomes(b.population(), 2024, model_params()).iter_rows(named=True)}
    assert set(out) == {"FELL", "UNDER", "FINE"}
    assert out["FELL"]["at_risk"] and out["FELL"]["fell"]
    assert out["UNDER"]["at_risk"] and out["UNDER"]["under_line"] and not out["UNDER"]["fell"]
    assert not out["FINE"]["at_risk"]
