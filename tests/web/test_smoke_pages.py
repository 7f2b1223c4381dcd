"""Every page renders for the roles that use it, in Chinese, with personal data masked in lists."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("url", ["/", "/households/", "/alerts/", "/monitoring/", "/imports/"])
def test_county_pages_render(world, login, url):
    c = login("county")
    r = c.get(url)
    assert r.status_code == 200
    assert "退出" in r.content.decode()


def test_household_list_masks_names_and_ids(world, login):
    c = login("county")
    html = c.get("/households/").content.decode()
    assert "6405221002010001" in html
    assert "马福贵" not in html and "马*贵" in html
    assert world.households["A1"].members.get(relation="户主").id_number not in html
    assert "6404021002010001" not in html  # county B's household is not listed


def test_dashboard_counts_tiers_for_the_county(world, login):
    c = login("county")
    r = c.get("/")
    data = r.context["data"]
    tiers = {t["tier"]: t for t in data["tiers"]}
    assert data["households"] == 3
    assert tiers["风险防范户"]["households"] == 1 and tiers["风险防范户"]["persons"] == 2
    assert tiers["示范引领户"]["persons"] == 3
    assert [c["name"] for c in data["children"]] == ["海城镇"]
    assert {a["code"]: a["count"] for a in data["open_alerts"]} == {"M04": 1, "M03d": 1}
    # M04 share: low-income 脱贫户 persons whose income fell: A1's 2 of 2.
    assert data["fell"]["persons"] == 2 and data["fell"]["fell_persons"] == 2


def test_region_dashboard_ranks_counties(world, login):
    c = login("region")
    data = c.get("/").context["data"]
    assert {ch["code"] for ch in data["children"]} == {"640522", "640402"}
    assert data["households"] == 4
