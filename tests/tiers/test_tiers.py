"""C02–C03: tiers from quintiles, the 三保障/饮水/risk override, and the recorded reasons."""

from __future__ import annotations

import datetime as dt

from tests.income.build import Builder, params
from zengshou.income import account
from zengshou.monitor.rules import alerts
from zengshou.tiers import classify


def _tiers(b: Builder, year: int = 2024, with_alerts: bool = False):
    pop = b.population()
    acc = account(pop, year)
    ps = params()
    al = alerts(pop, acc, ps, year) if with_alerts else None
    t = classify(acc, pop, ps, year, alerts=al)
    return {r["household_id"]: r for r in t.iter_rows(named=True)}


def _five(b: Builder, **high_kwargs) -> None:
    """Five one-person households, one per group; H4 (the richest) gets ``high_kwargs``."""
    for i, wage in enumerate((8000, 12000, 16000, 20000)):
        b.household(f"H{i}", 1, {2024: wage}, household_type="一般农户")
    b.household("H4", 1, {2024: 30000}, **{"household_type": "一般农户", **high_kwargs})


def test_tiers_follow_the_quintiles() -> None:
    b = Builder()
    _five(b)
    t = _tiers(b)
    assert [t[f"H{i}"]["tier"] for i in range(5)] == [
        "风险防范户",
        "风险防范户",
        "巩固提升户",
        "示范引领户",
        "示范引领户",
    ]
    assert t["H0"]["quintile"] == "低收入组" and t["H3"]["quintile"] == "中间偏上收入组"
    assert t["H0"]["reasons"] == "C01 人均纯收入8,000元，按本文件自行分组位于低收入组；C02 对应风险防范户"
    assert t["H4"]["c03_override"] is False


def test_unsafe_house_keeps_a_rich_household_at_risk_with_the_reason() -> None:
    b = Builder()
    _five(b, housing_safe=False)
    h = _tiers(b)["H4"]
    assert (h["quintile"], h["tier"], h["c03_override"]) == ("高收入组", "风险防范户", True)
    assert h["reasons"].endswith("C03 住房不安全，调整为风险防范户")


def test_unsafe_water_uninsured_member_and_open_monitoring_each_override() -> None:
    for kwargs, phrase in (
        ({"water_safe": False}, "饮水不安全"),
        ({"members": [{"medical_insured": False}]}, "未参加基本医疗保险1人"),
        ({"household_type": "监测对象-边缘易致贫户"}, "监测对象-边缘易致贫户，风险未消除"),
    ):
        b = Builder()
        _five(b, **kwargs)
        h = _tiers(b)["H4"]
        assert h["tier"] == "风险防范户", phrase
        assert phrase in h["reasons"]


def test_dropout_counts_only_at_compulsory_school_age() -> None:
    b = Builder()
    for i, wage in enumerate((8000, 12000, 16000, 20000)):
        b.household(f"H{i}", 2, {2024: 2 * wage}, household_type="一般农户")
    b.household(
        "CHILD",
        2,
        {2024: 60000},
        household_type="一般农户",
        members=[{}, {"born": dt.date(2010, 3, 1), "schooling": "辍学"}],
    )
    b.household(
        "ADULT",
        2,
        {2024: 62000},
        household_type="一般农户",
        members=[{}, {"born": dt.date(2000, 3, 1), "schooling": "辍学"}],
    )
    t = _tiers(b)
    assert t["CHILD"]["tier"] == "风险防范户"
    assert "义务教育阶段辍学1人" in t["CHILD"]["reasons"]
    assert t["ADULT"]["tier"] == "示范引领户"


def test_dropout_reported_by_the_education_feed() -> None:
    b = Builder()
    for i, wage in enumerate((8000, 12000, 16000, 20000)):
        b.household(f"H{i}", 1, {2024: wage}, household_type="一般农户")
    ids = b.household(
        "H4",
        2,
        {2024: 60000},
        household_type="一般农户",
        members=[{}, {"born": dt.date(2012, 9, 1), "schooling": "初中"}],
    )
    b.feed("education", id_number=ids[1], stage="初中", status="辍学")
    assert _tiers(b)["H4"]["tier"] == "风险防范户"


def test_level_one_risk_alert_overrides_and_is_named() -> None:
    b = Builder()
    for i, wage in enumerate((8000, 12000, 16000, 20000)):
        b.household(f"H{i}", 1, {2024: wage}, household_type="一般农户")
    ids = b.household("H4", 1, {2024: 30000}, household_type="一般农户")
    b.feed("medical", id_number=ids[0], year=2024, total_cost=90000, self_paid=25000)
    h = _tiers(b, with_alerts=True)["H4"]
    assert h["tier"] == "风险防范户"
    assert "一级预警M03d" in h["reasons"]


def test_household_without_members_gets_no_group() -> None:
    b = Builder()
    b.household("EMPTY", 0, {2024: 5000})
    b.household("H1", 1, {2024: 5000})
    t = _tiers(b)
    assert t["EMPTY"]["quintile"] is None and t["EMPTY"]["tier"] is None
    assert "无法计算人均纯收入" in t["EMPTY"]["reasons"]
