"""Plans (W02): bulk generation, status steps with history and audit, regeneration, cost."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cases import casebook
from zengshou.registry.models import AuditEvent
from zengshou.toolbox import generate_plans
from zengshou.toolbox.models import Plan, PlanItem
from zengshou.toolbox.plans import PlanError, plan_cost, transition

pytestmark = pytest.mark.django_db


def _pop(idle: str = "是"):
    cases = [
        {"household": {"闲置庭院房屋棚圈": idle, "庭院经济意愿": "是"}, "members": [{}, {"年龄": 30}]},
        {
            "household": {"户类型": "一般农户", "五等份组": "高收入组"},
            "members": [{"务工状况": "省外务工", "务工月数": 8, "就业渠道": "劳务中介或经纪人介绍"}],
        },
        {
            "household": {"行政区划代码": "640324100201"},
            "members": [{"残疾等级": "三级", "创业年份": 2024, "务工状况": "自主创业", "务工月数": 12}],
        },
    ]
    return casebook.population(cases, 2025)


def test_generate_stores_one_plan_per_household_with_its_measures() -> None:
    pop, q = _pop()
    counts = generate_plans(pop, q, 2025, username="县管理员")
    assert counts["plans_created"] == 3
    plan = Plan.objects.get(household_id="H-001", year=2025)
    assert plan.county_code == "640522"
    items = {(i.code, i.id_number): i for i in plan.items.all()}
    assert items[("L02", "")].amount == 2000 and items[("L02", "")].income_effect == 2000
    assert items[("L02", "")].status == "proposed"
    assert len([k for k in items if k[0] == "L11"]) == 2  # one per member aged 16–65
    broker = PlanItem.objects.get(plan__household_id="H-002", code="T03")
    assert broker.amount == 200 and broker.income_effect is None  # paid to the broker
    assert AuditEvent.objects.filter(action="plan.generate", username="县管理员").count() == 1
    # running again changes nothing
    again = generate_plans(pop, q, 2025)
    assert again["plans_created"] == again["items_created"] == again["items_updated"] == 0


def test_status_steps_are_ordered_dated_evidenced_and_audited() -> None:
    pop, q = _pop()
    generate_plans(pop, q, 2025)
    item = PlanItem.objects.get(plan__household_id="H-001", code="L02")
    with pytest.raises(PlanError, match="不能改为"):
        transition(item.id, "delivered", dt.date(2025, 5, 1), "收据", "村干部")
    transition(item.id, "agreed", dt.date(2025, 4, 1), "", "村干部")
    with pytest.raises(PlanError, match="需要佐证"):
        transition(item.id, "delivered", dt.date(2025, 5, 1), "", "村干部")
    with pytest.raises(PlanError, match="早于"):
        transition(item.id, "delivered", dt.date(2025, 3, 1), "收据", "村干部")
    transition(item.id, "delivered", dt.date(2025, 5, 1), "发放凭证 2025-051", "村干部")
    item.refresh_from_db()
    assert (item.status, item.status_date, item.evidence) == (
        "delivered",
        dt.date(2025, 5, 1),
        "发放凭证 2025-051",
    )
    assert [(e.from_status, e.to_status) for e in item.events.all()] == [
        ("proposed", "agreed"),
        ("agreed", "delivered"),
    ]
    assert AuditEvent.objects.filter(action="plan.status", object_id=str(item.id)).count() == 2


def test_regeneration_keeps_agreed_items_and_drops_proposed_ones() -> None:
    pop, q = _pop()
    generate_plans(pop, q, 2025)
    l02 = PlanItem.objects.get(plan__household_id="H-001", code="L02")
    transition(l02.id, "agreed", dt.date(2025, 4, 1), "", "村干部")
    l13a = PlanItem.objects.get(plan__household_id="H-001", code="L13a")
    pop2, q2 = _pop(idle="否")  # the courtyard is no longer idle
    counts = generate_plans(pop2, q2, 2025)
    l02.refresh_from_db()
    assert l02.status == "agreed" and l02.applies is False
    assert counts["items_kept"] == 1
    assert PlanItem.objects.filter(id=l13a.id, applies=True).exists()


def test_plan_cost_by_county_department_and_measure() -> None:
    pop, q = _pop()
    generate_plans(pop, q, 2025)
    by_county = {r["county_code"]: r for r in plan_cost(2025, "county").iter_rows(named=True)}
    assert by_county["640522"]["cost"] == 2000 + 200
    assert by_county["640324"]["cost"] == 8000  # T17: first business year (2025 − 2024 = 1)
    by_code = {r["code"]: r["cost"] for r in plan_cost(2025, "code").iter_rows(named=True)}
    assert by_code["L02"] == 2000 and by_code["T17"] == 8000
    by_unit = {r["lead_unit"]: r["cost"] for r in plan_cost(2025, "unit").iter_rows(named=True)}
    assert by_unit["农业农村厅"] == 2000 and by_unit["残联"] == 8000 and by_unit["人社厅"] == 200


def test_one_off_subsidies_are_costed_but_not_counted_as_yearly_income() -> None:
    pop, q = casebook.population(
        [
            {"household": {"五等份组": "中间收入组"}, "members": [{}]},  # T10 training subsidy
            {  # L08 start-up subsidy: a business registered after graduating, running a year
                "members": [
                    {"年龄": 23, "毕业年份": 2024, "创业年份": 2024, "务工状况": "自主创业", "务工月数": 12}
                ]
            },
        ],
        2025,
    )
    generate_plans(pop, q, 2025)
    t10 = PlanItem.objects.get(plan__household_id="H-001", code="T10")
    l08 = PlanItem.objects.get(plan__household_id="H-002", code="L08")
    assert (t10.amount, t10.income_effect) == (500, None)
    assert (l08.amount, l08.income_effect) == (10000, None)
    by_code = {r["code"]: r for r in plan_cost(2025, "code").iter_rows(named=True)}
    assert by_code["T10"]["cost"] == 500 and by_code["T10"]["income_effect"] == 0
    assert by_code["L08"]["cost"] == 10000 and by_code["L08"]["income_effect"] == 0
