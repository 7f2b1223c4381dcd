"""Periods on the yearly pages: each opens on the latest year with complete data for the user's area,
has a year selector, honours ``?year=``, and says so when the year asked for has no data (M01)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

YEARLY_PAGES = ["/", "/households/", "/alerts/", "/alerts/list/", "/monitoring/"]


def _stray_row(household: Any, year: int = 2026, pc: int = 30000) -> None:
    """One household's income and result for a year no other household has yet."""
    from zengshou.registry.models import Income
    from zengshou.tiers.models import TierResult

    size = household.members.count()
    Income.objects.create(household=household, year=year, wage=Decimal(pc * size))
    TierResult.objects.create(
        household=household,
        year=year,
        size=size,
        net_income=Decimal(pc * size),
        per_capita_income=Decimal(pc),
        wage_pc=Decimal(pc),
        quintile="高收入组",
        tier="示范引领户",
        fell=False,
        computed_at=timezone.now(),
    )


@pytest.fixture
def stray_2026(world) -> Any:
    _stray_row(world.households["A1"])
    return world


def test_one_households_2026_row_does_not_turn_the_county_dashboard_into_2026(stray_2026, login) -> None:
    r = login("county").get("/")
    data = r.context["data"]
    assert data["year"] == 2025 and data["filled"]
    tiers = {t["tier"]: t["households"] for t in data["tiers"]}
    assert tiers == {"示范引领户": 1, "巩固提升户": 1, "风险防范户": 1}  # the county's 2025 figures
    page = r.content.decode()
    assert "2025年度" in page and "该期间暂无数据" not in page


def test_a_year_with_one_households_row_says_it_has_no_data_and_links_to_the_latest_filled_year(
    stray_2026, login
) -> None:
    page = login("county").get("/?year=2026").content.decode()
    assert "该期间暂无数据" in page
    assert "2026年度只有1户有收入测算结果" in page
    assert '<a href="?year=2025">查看最近有数据的期间：2025年度</a>' in page
    assert '示范引领户</div><div class="v">1' not in page  # no tier cards built on one household


def test_the_default_year_is_the_users_area_not_the_newest_row_anywhere(world, login) -> None:
    _stray_row(world.households["B1"])  # county B's only household: B's 2026 is complete
    assert login("countyb").get("/").context["data"]["year"] == 2026
    assert login("county").get("/").context["data"]["year"] == 2025
    assert login("region").get("/").context["data"]["year"] == 2025  # 1 of the region's 4 households


@pytest.mark.parametrize("url", YEARLY_PAGES)
def test_every_yearly_page_has_the_year_selector_and_honours_year(stray_2026, login, url) -> None:
    c = login("county")
    r = c.get(url)
    page = r.content.decode()
    assert r.context["period"].year == 2025
    assert 'name="year"' in page and '<option value="2025" selected>2025年</option>' in page
    assert '<option value="2026">2026年（暂无完整数据）</option>' in page
    r = c.get(url + "?year=2024")
    assert r.context["period"].year == 2024
    assert '<option value="2024" selected>2024年</option>' in r.content.decode()
    assert "该期间暂无数据" not in r.content.decode()
    assert "该期间暂无数据" in c.get(url + "?year=2026").content.decode()


def test_the_household_list_shows_the_chosen_years_income_and_tier(stray_2026, login) -> None:
    c = login("county")
    row = '<a href="/households/6405221002010001/">6405221002010001</a>'
    default = c.get("/households/").content.decode()
    assert row in default and "8,000" in default.split(row, 1)[1].split("</tr>", 1)[0]
    older = c.get("/households/?year=2024").content.decode()
    assert "9,000" in older.split(row, 1)[1].split("</tr>", 1)[0]
    assert "分层结果 2024年度" in older


def test_the_dashboard_of_an_earlier_year_shows_that_years_figures_and_alerts(stray_2026, login) -> None:
    data = login("county").get("/?year=2024").context["data"]
    assert data["year"] == 2024
    assert data["fell"]["fell_persons"] == 0  # nobody's income fell in 2024
    assert data["open_alerts"] == []  # the world's alerts are raised for 2025


def test_alerts_are_listed_for_the_chosen_year_or_for_all_years(stray_2026, login) -> None:
    c = login("county")
    for url in ("/alerts/", "/alerts/list/"):  # the clue queue (A1, A3) and the alert list (2 alerts)
        assert c.get(url).context["page"].paginator.count == 2
        assert c.get(url + "?year=2024").context["page"].paginator.count == 0
        everything = c.get(url + "?year=all")
        assert everything.context["page"].paginator.count == 2
        assert '<option value="all" selected>全部年度</option>' in everything.content.decode()


def test_monitoring_objects_are_those_monitored_in_the_chosen_year(world, login) -> None:
    from zengshou.monitor.models import MonitoringObject

    MonitoringObject.objects.create(
        household=world.households["A3"],
        monitoring_type="突发严重困难户",
        included_on=dt.date(2024, 6, 1),
        included_by="county",
        risk_eliminated_on=dt.date(2025, 5, 1),
        eliminated_by="county",
    )
    c = login("county")
    assert c.get("/monitoring/?year=2024").context["page"].paginator.count == 1  # monitored at 2024's end
    assert c.get("/monitoring/").context["page"].paginator.count == 0  # 2025: no longer monitored
    assert c.get("/monitoring/?state=eliminated").context["page"].paginator.count == 1
    assert c.get("/monitoring/?state=eliminated&year=2024").context["page"].paginator.count == 0


def test_the_api_household_list_reads_the_areas_latest_filled_year(stray_2026, login) -> None:
    c = login("county")
    items = {h["household_id"]: h for h in c.get("/api/households").json()["items"]}
    assert items["6405221002010001"]["per_capita_income"] == 8000
    items = {h["household_id"]: h for h in c.get("/api/households?year=2026").json()["items"]}
    assert items["6405221002010001"]["per_capita_income"] == 30000


def test_a_bad_year_falls_back_to_the_default(stray_2026, login) -> None:
    c = login("county")
    for bad in ("abc", "99999999999", "-1", "2025.5"):
        r = c.get(f"/?year={bad}")
        assert r.status_code == 200 and r.context["data"]["year"] == 2025
