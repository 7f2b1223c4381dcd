"""The household page's 一户一策 (W02): each measure by its Chinese title, its amount in yuan and what
that amount is, and the expected yearly income effect with what it leaves out; never a bare code,
a "—" or "预计年增收 0 元" for a plan whose money goes to a broker or is paid once."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import polars as pl
import pytest

from zengshou.toolbox.engine import FULL_SCHEMA

pytestmark = pytest.mark.django_db


def _plan(world: Any) -> str:
    """A plan for A1 as the rules write it: L02 paid yearly to the household, T03 paid to the broker,
    T10 paid once, L11 without a sum (insurance)."""
    from zengshou.toolbox.plans import store_plans

    h = world.households["A1"]
    member = h.members.order_by("id").first().id_number
    rows = [
        ("L02", None, 2000.0, "自治区农业农村厅", True, 2000.0),
        ("L11", member, None, "自治区医保局", True, None),
        ("T03", member, 200.0, "自治区人社厅", False, None),
        ("T10", None, 1000.0, "自治区人社厅", True, None),
    ]
    frame = pl.DataFrame(
        [
            {
                "household_id": h.household_id,
                "code": code,
                "id_number": idn,
                "amount": amount,
                "units": units,
                "reason": f"{code}：适用",
                "county_code": "640522",
                "to_household": to_household,
                "income_effect": income,
            }
            for code, idn, amount, units, to_household, income in rows
        ],
        schema=FULL_SCHEMA,
    )
    store_plans(frame, 2025, {h.household_id: h.village_id})
    return str(h.household_id)


def _plan_text(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    end = html.index("</table>", start)
    return unescape(re.sub(r"<[^>]+>", " ", html[start:end].split(">", 1)[1]))


def test_household_page_plan_shows_measure_titles_amounts_and_the_yearly_income(world, login) -> None:
    hid = _plan(world)
    html = login("county").get(f"/households/{hid}/").content.decode()
    table = _plan_text(html, "household-plan")
    for title in (
        "庭院经济补贴",
        "乡村振兴健康保、铁杆庄稼保",
        "劳务经纪人就业创业服务补贴",
        "就业服务与技能培训补贴",
    ):
        assert title in table, title
    assert "2,000 元" in table and "每年发给农户" in table
    assert "200 元" in table and "付给劳务中介或用工企业" in table
    assert "1,000 元" in table and "一次性发放" in table
    assert "政策文件未规定金额" in table and "—" not in table
    income = unescape(html)
    assert "预计年增收 2,000 元" in income and "另有一次性补贴 1,000 元" in income
    assert "付给劳务中介或用工企业 200 元" in income and "1 项为服务或政策倾斜" in income


def test_toolbox_household_page_plan_says_what_each_amount_is(world, login) -> None:
    hid = _plan(world)
    html = unescape(login("county").get(f"/toolbox/household/{hid}/", {"year": 2025}).content.decode())
    table = _plan_text(html, "plan-items")
    assert "庭院经济补贴" in table and "劳务经纪人就业创业服务补贴" in table and "—" not in table
    assert "预计年增收 2,000 元" in html and "预计年增收 0 元" not in html


def test_a_plan_paid_only_to_a_broker_does_not_read_as_no_income_effect(world, login) -> None:
    """T03's subsidy is costed but is the broker's: the page says where the money goes."""
    from zengshou.toolbox.models import PlanItem

    hid = _plan(world)
    PlanItem.objects.exclude(code="T03").delete()
    html = unescape(login("county").get(f"/households/{hid}/").content.decode())
    assert "预计年增收 0 元（直接发给农户的年度补贴）；付给劳务中介或用工企业 200 元" in html
