"""M03–M05: one test per alert rule on hand-made households and feeds."""

from __future__ import annotations

import datetime as dt

from tests.income.build import Builder, params
from zengshou.income import account
from zengshou.monitor.rules import alerts


def _alerts(b: Builder, year: int = 2024, quarter: int | None = None, **overrides):
    pop = b.population()
    return alerts(pop, account(pop, year, quarter), params(**overrides), year, quarter)


def _codes(al, hid: str | None = None) -> dict[str, dict]:
    rows = al.filter(al["household_id"] == hid) if hid else al.filter(al["household_id"].is_null())
    return {r["code"]: r for r in rows.iter_rows(named=True)}


def test_m04_income_fell_with_levels_by_size_of_fall() -> None:
    b = Builder()
    b.household("BIG", 1, {2023: 20000, 2024: 12000})  # −40 %
    b.household("MID", 1, {2023: 20000, 2024: 17000})  # −15 %
    b.household("SMALL", 1, {2023: 20000, 2024: 19500})  # −2.5 %
    b.household("UP", 1, {2023: 20000, 2024: 21000})
    al = _alerts(b)
    assert _codes(al, "BIG")["M04"]["level"] == "一级"
    assert _codes(al, "MID")["M04"]["level"] == "二级"
    small = _codes(al, "SMALL")["M04"]
    assert small["level"] == "三级"
    assert small["explanation"] == "人均纯收入19,500元，比上年同期20,000元减少500元（下降2.5%），收入不增反降"
    assert "M04" not in _codes(al, "UP")
    assert small["fingerprint"] == "M04|SMALL|2024"


def test_m05_under_the_years_monitoring_line() -> None:
    b = Builder()
    b.household("UNDER", 2, {2024: 14000})  # 7,000 < 7,100 (2024)
    b.household("ON", 2, {2024: 14200})  # 7,100: "以下" includes the line itself
    b.household("ABOVE", 2, {2024: 14200.02})  # 7,100.01
    al = _alerts(b)
    under = _codes(al, "UNDER")["M05"]
    assert under["level"] == "一级"
    assert "低于2024年防止返贫监测范围7,100元（假设值）" in under["explanation"]
    assert "在2024年防止返贫监测范围7,100元以下（含本数）" in _codes(al, "ON")["M05"]["explanation"]
    assert "M05" not in _codes(al, "ABOVE")
    # 2023's line (6,900) lets the same income pass
    b2 = Builder()
    b2.household("UNDER", 2, {2023: 14000})
    assert "M05" not in _codes(_alerts(b2, 2023), "UNDER")


def test_m05_line_comes_from_a_user_parameter_and_is_prorated_for_a_quarter() -> None:
    b = Builder()
    b.household("H", 1, {2024: 7500})
    assert "M05" in _codes(_alerts(b, **{"M05.monitoring_line": 8000}), "H")
    q = Builder()
    q.household("H", 1)
    q.quarter("H", 2024, 2, wage=3500)  # half-year line 7,100 × 2/4 = 3,550
    m05 = _codes(_alerts(q, 2024, 2), "H")["M05"]
    assert "第2季度累计按2/4折算为3,550元" in m05["explanation"]


def test_m03a_wage_halved_points_to_job_loss_but_small_falls_do_not() -> None:
    b = Builder()
    b.household("JOB", 2, {2023: 30000, 2024: 14000}, transfer={2023: 0, 2024: 17000})
    b.household("TINY", 1, {2023: 1500, 2024: 700})  # halved, but only 800 yuan per person
    al = _alerts(b)
    job = _codes(al, "JOB")
    assert job["M03a"]["level"] == "二级"  # whole income did not fall
    assert "疑似务工中断或失业" in job["M03a"]["explanation"]
    assert "M04" not in job
    assert "M03a" not in _codes(al, "TINY")


def test_m03b_operating_income_collapse() -> None:
    b = Builder()
    b.household("FARM", 1, operating_gross={2023: 20000, 2024: 8000}, operating_cost={2023: 4000, 2024: 4000})
    m = _codes(_alerts(b), "FARM")["M03b"]
    assert m["level"] == "一级"  # total income fell too
    assert "人均经营净收入由上年同期16,000元降至4,000元" in m["explanation"]


def test_m03c_rigid_spending_large_against_income() -> None:
    b = Builder()
    b.household("SICK", 2, {2024: 30000}, medical_selfpay={2024: 12000}, education_spending={2024: 4000})
    b.household("OK", 2, {2024: 30000}, medical_selfpay={2024: 3000})
    al = _alerts(b)
    sick = _codes(al, "SICK")["M03c"]
    assert sick["level"] == "二级"
    assert sick["explanation"].startswith("刚性支出16,000元（合规自付医疗费用12,000元、教育支出4,000元）")
    assert "M03c" not in _codes(al, "OK")


def test_m03d_high_medical_self_pay_from_the_feed_names_the_relation_not_the_person() -> None:
    b = Builder()
    ids = b.household("H", 2, {2024: 40000})
    b.feed("medical", id_number=ids[1], year=2024, total_cost=60000, self_paid=12000)
    b.feed("medical", id_number=ids[0], year=2023, total_cost=60000, self_paid=50000)  # other year
    m = _codes(_alerts(b), "H")["M03d"]
    assert m["level"] == "二级"
    assert m["explanation"] == "医保数据（2024年）：之子（44岁）医疗总费用60,000元，个人自付12,000元"
    assert ids[1] not in m["explanation"]


def test_m03d_a_first_critical_illness_reimbursement_is_a_new_serious_illness() -> None:
    b = Builder()
    new = b.household("NEW", 1, {2024: 40000})
    old = b.household("OLD", 1, {2024: 40000})
    b.feed("medical", id_number=new[0], year=2024, total_cost=30000, self_paid=3000, critical_reimbursed=8000)
    b.feed("medical", id_number=old[0], year=2024, total_cost=30000, self_paid=3000, critical_reimbursed=8000)
    b.feed("medical", id_number=old[0], year=2023, total_cost=30000, self_paid=3000, critical_reimbursed=9000)
    al = _alerts(b)
    m = _codes(al, "NEW")["M03d"]
    assert m["level"] == "二级"
    assert m["explanation"].endswith("个人自付3,000元，大病保险报销8,000元")
    assert "M03d" not in _codes(al, "OLD")  # the illness was known the year before


def test_m03e_new_disability_certificate_in_the_period() -> None:
    b = Builder()
    ids = b.household("NEW", 1, {2024: 40000})
    old = b.household("OLD", 1, {2024: 40000})
    b.feed("disability", id_number=ids[0], category="肢体", grade="二级", issued_on=dt.date(2024, 4, 2))
    b.feed("disability", id_number=old[0], category="视力", grade="四级", issued_on=dt.date(2019, 4, 2))
    al = _alerts(b)
    assert _codes(al, "NEW")["M03e"]["level"] == "一级"
    assert "新办残疾证（肢体二级）" in _codes(al, "NEW")["M03e"]["explanation"]
    assert "M03e" not in _codes(al, "OLD")


def test_m03f_dibao_ended_unless_renewed() -> None:
    b = Builder()
    ended = b.household("ENDED", 1, {2024: 40000})
    renewed = b.household("RENEWED", 1, {2024: 40000})
    b.feed(
        "civil",
        id_number=ended[0],
        assistance_type="低保",
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2024, 6, 30),
    )
    b.feed(
        "civil",
        id_number=renewed[0],
        assistance_type="低保",
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2024, 6, 30),
    )
    b.feed(
        "civil", id_number=renewed[0], assistance_type="低保", start_date=dt.date(2024, 7, 1), end_date=None
    )
    al = _alerts(b)
    assert "低保于2024-06-30终止" in _codes(al, "ENDED")["M03f"]["explanation"]
    assert "M03f" not in _codes(al, "RENEWED")


def test_m03g_dropout_from_member_sheet_or_education_feed() -> None:
    b = Builder()
    b.household("SHEET", 2, {2024: 40000}, members=[{}, {"born": dt.date(2011, 1, 5), "schooling": "辍学"}])
    ids = b.household(
        "FEED", 2, {2024: 40000}, members=[{}, {"born": dt.date(2012, 1, 5), "schooling": "初中"}]
    )
    b.feed("education", id_number=ids[1], stage="初中", status="辍学")
    al = _alerts(b)
    assert "之子（13岁）辍学，来源：家庭成员表" in _codes(al, "SHEET")["M03g"]["explanation"]
    assert "来源：教育数据" in _codes(al, "FEED")["M03g"]["explanation"]


def test_m03h_unsafe_house_by_housing_feed_latest_grade_and_m03i_water() -> None:
    b = Builder()
    b.household("D", 1, {2024: 40000})
    b.household("FIXED", 1, {2024: 40000})
    b.household("DRY", 1, {2024: 40000}, water_safe=False)
    b.feed("housing", household_id="D", safety_grade="D", assessed_on=dt.date(2024, 3, 1))
    b.feed("housing", household_id="FIXED", safety_grade="C", assessed_on=dt.date(2022, 3, 1))
    b.feed("housing", household_id="FIXED", safety_grade="A", assessed_on=dt.date(2024, 3, 1))
    al = _alerts(b)
    assert _codes(al, "D")["M03h"]["explanation"] == "住建鉴定房屋安全等级为D级，住房不安全"
    assert "M03h" not in _codes(al, "FIXED")
    assert _codes(al, "DRY")["M03i"]["level"] == "一级"


def test_m03j_employment_ended_without_a_new_job() -> None:
    b = Builder()
    lost = b.household("LOST", 1, {2024: 40000})
    moved = b.household("MOVED", 1, {2024: 40000})
    b.feed(
        "employment",
        id_number=lost[0],
        status="就业",
        employer="某建筑公司",
        start_date=dt.date(2022, 1, 1),
        end_date=dt.date(2024, 5, 1),
    )
    b.feed(
        "employment",
        id_number=moved[0],
        status="就业",
        employer="甲厂",
        start_date=dt.date(2022, 1, 1),
        end_date=dt.date(2024, 5, 1),
    )
    b.feed(
        "employment",
        id_number=moved[0],
        status="就业",
        employer="乙厂",
        start_date=dt.date(2024, 6, 1),
        end_date=None,
    )
    al = _alerts(b)
    assert _codes(al, "LOST")["M03j"]["level"] == "三级"
    assert "某建筑公司" in _codes(al, "LOST")["M03j"]["explanation"]
    assert "M03j" not in _codes(al, "MOVED")


def test_m03k_disaster_in_the_period_is_an_area_alert() -> None:
    b = Builder()
    b.household("H", 1, {2024: 40000})
    b.feed(
        "disaster",
        area_code="640522100",
        disaster_type="洪涝",
        occurred_on=dt.date(2024, 7, 20),
        households_affected=230,
        direct_loss_10k=85.5,
    )
    b.feed(
        "disaster",
        area_code="640522",
        disaster_type="干旱",
        occurred_on=dt.date(2024, 11, 20),
        households_affected=20,
    )
    b.feed(
        "disaster",
        area_code="640522",
        disaster_type="冰雹",
        occurred_on=dt.date(2023, 7, 1),
        households_affected=500,
    )
    al = _alerts(b, 2024, 3)  # through September: the November drought is not yet in the period
    area = al.filter(al["code"] == "M03k")
    assert area.height == 1
    row = area.row(0, named=True)
    assert (row["household_id"], row["area_code"], row["level"]) == (None, "640522100", "一级")
    assert "2024-07-20发生洪涝，受灾230户，直接经济损失85.5万元" in row["explanation"]


def test_m03l_many_households_operating_income_fell_together_in_a_village() -> None:
    b = Builder()
    for i in range(12):  # 10 of 12 farms lose more than 30 %
        after = 5000 if i < 10 else 10000
        b.household(f"F{i}", 1, operating_gross={2023: 10000, 2024: after})
    for i in range(12):  # another village: only 2 of 12
        after = 5000 if i < 2 else 10000
        b.household(f"G{i}", 1, operating_gross={2023: 10000, 2024: after}, village="640522100202")
    al = _alerts(b)
    scale = {r["area_code"]: r for r in al.filter(al["code"] == "M03l").iter_rows(named=True)}
    assert "640522100201" in scale and "640522100202" not in scale
    assert scale["640522100201"]["level"] == "二级"
    assert "12户中10户人均经营净收入下降30%以上" in scale["640522100201"]["explanation"]
    # the county as a whole: 12 of 24 (50 %) fell → a county-level alert, 一级
    assert scale["640522"]["level"] == "一级"


def test_m07a_household_without_income_for_the_period() -> None:
    b = Builder()
    b.household("HAS", 1, {2024: 40000})
    b.household("NONE", 2, {2023: 40000})
    al = _alerts(b)
    m = _codes(al, "NONE")["M07a"]
    assert (m["level"], m["explanation"]) == (
        "三级",
        "2024年全年无收入数据，未能核算人均纯收入和分层，请补充",
    )
    assert "M07a" not in _codes(al, "HAS")
    assert _alerts(b, 2022).height == 0  # a period without any data raises nothing
