"""M06/S01 figures on a hand-made region of two counties, checked against sums done by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from zengshou import interchange as ix
from zengshou.assess.indicators import indicators, interviews
from zengshou.frames import Population, conform
from zengshou.params import tree

A = "640522"  # 海原县 (中卫市 640500)
B = "640521"  # 中宁县


def region() -> tuple[Population, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    # id, county, type, size, income now (per capita), income a year earlier, quintile
    rows = [
        ("A1", A, "脱贫户", 2, 5000.0, 6000.0, "低收入组"),  # fell
        ("A2", A, "脱贫户", 3, 8000.0, 7000.0, "低收入组"),
        ("A3", A, "监测对象-边缘易致贫户", 1, 4000.0, 5000.0, "低收入组"),  # fell
        ("B1", B, "脱贫户", 4, 10000.0, 9000.0, "低收入组"),
        ("B2", B, "监测对象-突发严重困难户", 2, 6000.0, 5000.0, "中间偏下收入组"),
        ("B3", B, "一般农户", 3, 20000.0, 19000.0, "高收入组"),
    ]
    hh = pl.DataFrame(
        [(r[0], f"{r[1]}100001", r[2]) for r in rows],
        schema=["household_id", "village_code", "household_type"],
        orient="row",
    )
    accounts = pl.DataFrame(
        [(r[0], f"{r[1]}100001", r[3], r[4] * r[3], r[4], r[5], r[4] < r[5]) for r in rows],
        schema=[
            "household_id",
            "village_code",
            "size",
            "net_income",
            "per_capita_income",
            "prev_per_capita_income",
            "fell",
        ],
        orient="row",
    )
    tiers = pl.DataFrame([(r[0], r[6]) for r in rows], schema=["household_id", "quintile"], orient="row")
    cadres = conform(pl.DataFrame({"cadre_id": ["K1"], "current_households": ["A1;A2;B1"]}), ix.CADRES)
    pop = Population(households=conform(hh, ix.HOUSEHOLDS), cadres=cadres)
    alerts = pl.DataFrame({"household_id": ["A3", "A1", None], "code": ["M05", "M04", "M05"]})
    prev = pl.DataFrame({"household_id": ["B2"], "code": ["M05"]})
    return pop, accounts, tiers, alerts, prev


def test_figures_by_county_city_region() -> None:
    pop, accounts, tiers, alerts, prev = region()
    f = indicators(pop, accounts, tiers, alerts, prev)
    a = f.filter(pl.col("area_code") == A).row(0, named=True)
    # 脱贫人口 of A: (5000*2 + 8000*3) / 5 = 6800; a year earlier (12000+21000)/5 = 6600
    assert a["tuopin_income"] == 6800
    assert a["tuopin_income_growth"] == pytest.approx(6800 / 6600 - 1)
    assert a["monitoring_income"] == 4000
    # low-income scope persons in A: 2+3+1 = 6, of whom fell 2+1 = 3
    assert a["fell_share"] == pytest.approx(0.5)
    assert a["under_line"] == 1 and a["under_line_change"] == 1
    assert a["pairing_coverage"] == pytest.approx(2 / 3)
    assert a["open_alerts"] is None  # no database counts: 无数据, not 0
    r = f.filter(pl.col("level") == "region").row(0, named=True)
    assert r["area_code"] == "640000"
    # region 脱贫人口: (10000+24000+40000)/9
    assert r["tuopin_income"] == pytest.approx(round(74000 / 9, 2))
    # scope persons: A 6 + B1 4 = 10, fell 3
    assert r["fell_share"] == pytest.approx(0.3)
    assert r["under_line_change"] == 0  # one household now (A3), one a year earlier (B2)
    city = f.filter(pl.col("area_code") == "640500").row(0, named=True)
    assert city["level"] == "city" and city["under_line"] == 1


def test_counties_below_the_regional_average_are_named_with_their_indicators() -> None:
    pop, accounts, tiers, alerts, prev = region()
    f = indicators(pop, accounts, tiers, alerts, prev)
    params = tree()
    called = interviews(f, params, 2025)
    assert called["area_code"].to_list() == [A]
    # A is worse on growth (3.0% vs 9.6%; −20% vs +6.7%), falls (50% vs 30%) and coverage (2/3 vs 3/4),
    # level with the region on households under the line (1 vs 1): −1 −1 −2 −1 +1.
    assert (
        called["worse"][0]
        == "脱贫人口人均收入同比增幅、监测对象人均收入同比增幅、低收入组收入不增反降人数占比、结对帮扶覆盖率"
    )
    assert called["score"][0] == -4


def test_database_counts_roll_up() -> None:
    pop, accounts, tiers, alerts, prev = region()
    counts = pl.DataFrame(
        {
            "area_code": [A, B],
            "open_alerts": [2, 3],
            "inclusions": [1, 0],
            "risk_eliminations": [0, 1],
            "measures_planned": [5, 4],
            "measures_delivered": [1, 2],
        }
    )
    f = indicators(pop, accounts, tiers, alerts, prev, counts)
    r = f.filter(pl.col("level") == "region").row(0, named=True)
    assert (r["open_alerts"], r["measures_planned"], r["measures_delivered"]) == (5, 9, 3)


def test_fall_share_against_the_national_average() -> None:
    pop, accounts, tiers, alerts, prev = region()
    f = indicators(pop, accounts, tiers, alerts, prev, fell_share_national=0.3)
    rows = {r["area_code"]: r for r in f.iter_rows(named=True)}
    # A: 50% of its scope persons fell, 20 points above a national 30%; B: none fell; the region: 30%
    assert rows[A]["fell_share_national"] == 0.3
    assert rows[A]["fell_share_vs_national"] == pytest.approx(0.2)
    assert rows[A]["fell_share_above_national"] is True
    assert rows[B]["fell_share_vs_national"] == pytest.approx(-0.3)
    assert rows[B]["fell_share_above_national"] is False
    # level with the national figure is not below it, which is what the plan asks for
    assert rows["640000"]["fell_share_above_national"] is True
    # without the parameter the comparison is missing (无数据), not invented
    g = indicators(pop, accounts, tiers, alerts, prev)
    assert g["fell_share_vs_national"].null_count() == g.height
    assert g["fell_share_above_national"].null_count() == g.height


def test_income_trend_by_year_and_area() -> None:
    from tests.income.build import Builder
    from zengshou.assess.indicators import income_trend

    b = Builder()
    b.household("H1", 2, {2023: 10000, 2024: 12000, 2025: 9000})  # 脱贫户 (the Builder's default)
    b.household("H2", 1, {2024: 6000, 2025: 8000}, household_type="监测对象-边缘易致贫户")
    b.household("H3", 3, {2024: 30000, 2025: 30000}, household_type="一般农户")
    t = income_trend(b.population(), [2023, 2024, 2025])
    county = t.filter(pl.col("level") == "county")
    assert county["year"].to_list() == [2023, 2024, 2025]
    # per capita: H1's income over 2 persons; 监测对象 H2 alone, no 监测对象 with a 2023 row
    assert county["tuopin_income"].to_list() == [5000, 6000, 4500]
    assert county["monitoring_income"].to_list() == [None, 6000, 8000]
    assert set(t["level"]) == {"county", "city", "region"}


def test_action_list_names_fell_unpaired_and_open_first_level_alerts_masked() -> None:
    from zengshou.assess.indicators import FELL_UNPAIRED, OPEN_LEVEL1, action_list
    from zengshou.registry.idnumber import make

    pop, accounts, tiers, _, _ = region()
    members = conform(
        pl.DataFrame(
            {
                "household_id": ["A1", "A3", "B2"],
                "name": ["马福贵", "李强", "王丽"],
                "id_number": [make("640522", dt.date(1970, 1, 2), i, True) for i in (1, 2, 3)],
                "relation": ["户主", "户主", "户主"],
            }
        ),
        ix.MEMBERS,
    )
    pop = Population(households=pop.households, members=members, cadres=pop.cadres)
    level1 = pl.DataFrame({"household_id": ["B2", "A3", "A3"], "code": ["M05", "M04", "M05"]})
    out = action_list(pop, accounts, tiers, level1)
    rows = {r["household_id"]: r for r in out.iter_rows(named=True)}
    # A1 fell but is paired (K1); A3 fell, unpaired, and has open 一级 alerts; B2 only the alert
    assert list(rows) == ["A3", "B2"]
    assert rows["A3"]["reason"] == f"{FELL_UNPAIRED}；{OPEN_LEVEL1}：M04、M05"
    assert rows["B2"]["reason"] == f"{OPEN_LEVEL1}：M05"
    assert rows["A3"]["head_name"] == "李*" and rows["B2"]["head_name"] == "王*"
    assert (
        rows["A3"]["head_id_number"].startswith("640522********") and len(rows["A3"]["head_id_number"]) == 18
    )
    assert "马福贵" not in str(out.to_dicts())
