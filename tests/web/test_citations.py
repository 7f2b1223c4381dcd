"""Pages and the API cite the clause an alert, a tier reason or a plan item rests on, with its
sentence, and name a member of the plan by relation and age, never by ID number."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_household_page_cites_the_alerts_and_tier_clauses(world: Any, login: Any) -> None:
    from zengshou.tiers.models import TierResult

    h = world.households["A3"]
    TierResult.objects.filter(household=h).update(reasons="C01 人均纯收入3,000元；C02 对应风险防范户")
    html = unescape(login("county").get(f"/households/{h.household_id}/").content.decode())
    assert "<summary>依据 分层方案 二（二）3</summary>" in html  # M03d
    assert "因病、因残、因学、因意外事故等造成的个体返贫致贫风险" in html
    assert 'C02 对应风险防范户<details class="quote"><summary>依据 分层方案 二（一）</summary>' in html


def test_household_page_names_plan_members_by_relation_and_age(world: Any, login: Any) -> None:
    import polars as pl

    from zengshou.toolbox.engine import FULL_SCHEMA
    from zengshou.toolbox.plans import store_plans

    h = world.households["A1"]
    m = h.members.order_by("id").first()
    row = {"household_id": h.household_id, "code": "L11", "id_number": m.id_number, "amount": None}
    row |= {"units": "医保局", "reason": "L11：年龄 40 岁", "county_code": "640522"}
    row |= {"to_household": True, "income_effect": None}
    store_plans(pl.DataFrame([row], schema=FULL_SCHEMA), 2025, {h.household_id: h.village_id})
    html = unescape(login("county").get(f"/households/{h.household_id}/").content.decode())
    age = 2025 - int(m.id_number[6:10])
    assert (
        f"<td>{m.relation}，{age}岁</td>" in html and m.id_number[-4:] not in html.split("household-plan")[1]
    )


def test_api_alerts_carry_their_clause(world: Any, login: Any) -> None:
    client = login("county")
    items = client.get("/api/alerts").json()["items"]
    m03d = next(a for a in items if a["code"] == "M03d")
    assert m03d["clause"] == "分层方案 二（二）3" and "个体返贫致贫风险" in m03d["quote"]


def test_alert_page_cites_the_clause(world: Any, login: Any) -> None:
    a = world.alerts["A3"]
    html = unescape(login("county").get(f"/alerts/{a.pk}/").content.decode())
    assert "<summary>依据 分层方案 二（二）3</summary>" in html and "个体返贫致贫风险" in html
