"""M03j reads a 人社 失业 registration as unemployment: an open one is no job, one made in the period is a loss."""

from __future__ import annotations

import datetime as dt

from tests.income.build import Builder, params
from zengshou.income import account
from zengshou.monitor.rules import alerts


def _m03j(b: Builder, year: int = 2024) -> dict[str, dict]:
    pop = b.population()
    al = alerts(pop, account(pop, year, None), params(), year, None)
    return {r["household_id"]: r for r in al.filter(al["code"] == "M03j").iter_rows(named=True)}


def _job(b: Builder, idn: str, start: dt.date, end: dt.date | None, status: str = "就业") -> None:
    b.feed("employment", id_number=idn, status=status, employer="某厂", start_date=start, end_date=end)


def test_a_job_ended_and_then_registered_unemployed_is_still_a_job_loss() -> None:
    b = Builder()
    ids = b.household("ENDED", 1, {2024: 40000})
    _job(b, ids[0], dt.date(2021, 3, 1), dt.date(2024, 4, 30))
    _job(b, ids[0], dt.date(2024, 5, 10), None, status="失业")
    m03j = _m03j(b)
    assert "ENDED" in m03j
    assert "2024-04-30终止" in m03j["ENDED"]["explanation"]


def test_unemployment_registered_in_the_year_raises_m03j_and_an_older_registration_does_not() -> None:
    b = Builder()
    new = b.household("NEW", 1, {2024: 40000})
    old = b.household("OLD", 1, {2024: 40000})
    _job(b, new[0], dt.date(2024, 7, 1), None, status="失业")
    _job(b, old[0], dt.date(2022, 7, 1), None, status="失业")
    m03j = _m03j(b)
    assert m03j["NEW"]["explanation"] == "人社数据：户主（44岁）于2024-07-01登记失业，暂无新的就业记录"
    assert "OLD" not in m03j


def test_a_new_job_after_the_loss_still_clears_m03j() -> None:
    b = Builder()
    ids = b.household("BACK", 1, {2024: 40000})
    _job(b, ids[0], dt.date(2024, 2, 1), dt.date(2024, 5, 1), status="失业")
    _job(b, ids[0], dt.date(2024, 6, 1), None)
    assert "BACK" not in _m03j(b)
