"""Parameter dates, what-if, explanation texts and the 帮扶措施 table."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tests.cases import casebook
from zengshou import toolbox
from zengshou.params import ParameterError
from zengshou.toolbox import engine


def _pop():
    cases = [
        {
            "household": {"闲置庭院房屋棚圈": "是", "庭院经济意愿": "是"},
            "members": [{"年龄": 68}, {"年龄": 40}],
        },
        {"household": {"户类型": "一般农户", "五等份组": "中间收入组"}, "members": [{"年龄": 68}]},
        {"members": [{"年龄": 69, "残疾等级": "一级", "劳动技能": "丧失劳动力"}, {"年龄": 30}]},
    ]
    return casebook.population(cases, 2025)


def test_a_2026_change_does_not_rewrite_2025() -> None:
    pop, q = _pop()
    ps = engine.shipped_params().with_value("L02.amount", 3000, dt.date(2026, 1, 1))
    assert toolbox.evaluate(pop, q, 2025, params=ps).filter(pl.col("code") == "L02")["amount"].to_list() == [
        2000
    ]
    assert toolbox.evaluate(pop, q, 2026, params=ps).filter(pl.col("code") == "L02")["amount"].to_list() == [
        3000
    ]


def test_whatif_counts_gains_losses_and_cost_by_county() -> None:
    pop, q = _pop()
    result = toolbox.whatif(pop, q, 2025, {"L02.amount": "3000", "L11.max_age": "70"})
    m = {r["code"]: r for r in result.by_measure.iter_rows(named=True)}
    assert (m["L02"]["cost_before"], m["L02"]["cost_after"], m["L02"]["cost_change"]) == (2000, 3000, 1000)
    # the 68- and 69-year-olds of the two households in scope gain L11; the 一般农户 does not.
    assert m["L11"]["gained"] == 2 and m["L11"]["lost"] == 0
    assert m["L11"]["households_after"] == 2
    county = result.by_county.row(0, named=True)
    assert county["county_name"] == "海原县" and county["cost_change"] == 1000
    assert result.changes == {"L02.amount": 3000, "L11.max_age": 70}


def test_whatif_narrowing_loses_households_and_rejects_bad_input() -> None:
    pop, q = _pop()
    result = toolbox.whatif(pop, q, 2025, {"L11.min_age": 50})
    m = {r["code"]: r for r in result.by_measure.iter_rows(named=True)}
    assert m["L11"]["lost"] == 2  # the 40- and 30-year-olds
    with pytest.raises(ParameterError, match="unknown parameter") as err:
        toolbox.whatif(pop, q, 2025, {"L99.amount": 1})
    assert "没有 L99 这一措施" in str(err.value) and "L02" in str(err.value)
    with pytest.raises(ParameterError, match="L11 的参数有 / valid keys of L11: ") as err:
        toolbox.whatif(pop, q, 2025, {"L11.maxage": 70})
    assert "L11.max_age" in str(err.value) and "L11.cover" in str(err.value)
    # a measure code names the keys its measures read (L04a and L04b share L04a.max_spare_labourers)
    with pytest.raises(ParameterError, match=r"L04a\.max_spare_labourers"):
        toolbox.whatif(pop, q, 2025, {"L04.spare": 1})
    with pytest.raises(ParameterError, match="类型不符"):
        toolbox.whatif(pop, q, 2025, {"L02.amount": "很多"})


def test_whatif_switching_a_measure_off_loses_its_households() -> None:
    pop, q = _pop()
    result = toolbox.whatif(pop, q, 2025, {"L13a.enabled": "否"})
    m = {r["code"]: r for r in result.by_measure.iter_rows(named=True)}
    assert m["L13a"]["lost"] == 2 and m["L13a"]["households_after"] == 0


def test_explanation_texts() -> None:
    pop, q = _pop()
    texts = {(e.code, e.id_number): e for e in toolbox.explain("H-003", pop, q, 2025)}
    l06 = texts[("L06", None)]
    assert l06.applies and l06.text.startswith("L06 适用")
    assert "患大病或残疾成员 1 人" in l06.text and "劳动力 1 人" in l06.text
    l02 = texts[("L02", None)]
    assert l02.text == (
        "L02 不适用：有闲置庭院房屋棚圈 无，条件为有闲置场地、房屋、棚圈；有庭院经济意愿 无，条件为有发展庭院经济意愿"
        "；依据 低收入组方案 二（二）"
    )
    assert l02.clause == "低收入组方案 二（二）" and "每户补贴2000元" in l02.quote
    older = [e for e in toolbox.explain("H-003", pop, q, 2025) if e.code == "L11" and not e.applies]
    assert len(older) == 1 and "年龄 69 岁，条件为年龄在 16—65 岁" in older[0].text
    # a member is named by relation and age, never by ID number (masked or not)
    assert older[0].who.endswith("，69岁") and older[0].text.startswith(f"L11（{older[0].who}） 不适用")
    assert "*" not in older[0].text and (older[0].id_number or "x")[-4:] not in older[0].text
    outside = next(e for e in toolbox.explain("H-002", pop, q, 2025) if e.code == "L00")
    assert not outside.applies and "户类型 一般农户" in outside.text
    with pytest.raises(KeyError, match="不存在"):
        toolbox.explain("nobody", pop, q, 2025)


def test_measures_table_has_the_spec_columns_and_person_ids() -> None:
    from zengshou.interchange import RESULT_TABLES

    pop, q = _pop()
    table = toolbox.measures_table(toolbox.evaluate(pop, q, 2025))
    assert tuple(table.columns) == RESULT_TABLES["帮扶措施"]
    l11 = table.filter(pl.col("措施代码") == "L11")
    assert l11["证件号码"].null_count() == 0
    l06 = table.filter(pl.col("措施代码") == "L06")
    assert l06["证件号码"].null_count() == l06.height and l06["金额(元)"].null_count() == l06.height


def test_work_months_threshold_on_fractional_months() -> None:
    """The spec stores whole months; a feed with fractions (5.9) must still fall short of 6."""
    pop, q = casebook.population(
        [
            {
                "household": {"五等份组": "中间收入组"},
                "members": [{"务工状况": "省外务工"}, {"务工状况": "省外务工"}],
            }
        ],
        2025,
    )
    pop.members = pop.members.with_columns(pl.Series("work_months", [5.9, 6.0]))
    result = toolbox.evaluate(pop, q, 2025).filter(pl.col("code").is_in(["T03", "T09"]))
    ids = pop.members["id_number"].to_list()
    assert set(result["id_number"].to_list()) == {ids[1]}


def test_bad_inputs_say_what_is_wrong() -> None:
    pop, q = _pop()
    with pytest.raises(ParameterError, match="在 2023-12-31 尚无取值（最早生效 2024-01-01）"):
        toolbox.evaluate(pop, q, 2023)
    with pytest.raises(ValueError, match="缺少列"):
        toolbox.evaluate(pop, q.rename({"quintile": "group"}), 2025)


def test_whatif_warns_about_keys_no_rule_reads() -> None:
    pop, q = _pop()
    result = toolbox.whatif(pop, q, 2025, {"L11.cover": 600000, "T10.one_off": "否", "L02.amount": 2500})
    assert result.warnings == [
        "没有规则读取 L11.cover：它只出现在措施说明文字中，适用户数和费用不变"
        " / no rule reads L11.cover; it only appears in explanation texts",
        "T10.one_off 只决定计划的预计年增收是否计入该金额，不改变适用户数和费用"
        " / T10.one_off only affects the plans' income effect, not households or costs",
    ]
    m = {r["code"]: r for r in result.by_measure.iter_rows(named=True)}
    assert m["L11"]["gained"] == m["L11"]["lost"] == 0 and m["L02"]["cost_change"] == 500
    assert toolbox.whatif(pop, q, 2025, {"L02.amount": 2500}).warnings == []


def test_t03_reads_the_broker_subsidy_and_months_of_l05() -> None:
    """One source of truth: the 200 yuan / 6 months of 低收入组方案 二（五） serve T03 too."""
    pop, q = casebook.population(
        [
            {
                "members": [
                    {"务工状况": "省外务工", "务工月数": m, "就业渠道": "有组织劳务输出"} for m in (5, 8)
                ]
            }
        ],
        2025,
    )
    result = toolbox.whatif(pop, q, 2025, {"L05.broker_subsidy": 300, "L05.min_months": 5})
    t03 = result.by_measure.filter(pl.col("code") == "T03").row(0, named=True)
    assert (t03["cost_before"], t03["cost_after"]) == (200, 600)
    assert result.warnings == []
    explained = [e.text for e in toolbox.explain("H-001", pop, q, 2025) if e.code == "L05"]
    assert "说明：劳务中介组织就业 6 个月及以上的，按 200元/人补贴中介（见 T03）" in explained[0]


def test_one_off_amounts_are_costed_but_not_yearly_income() -> None:
    pop, q = casebook.population(
        [
            {  # T10: an idle working-age labourer in a 巩固提升户 (training subsidy, paid once)
                "household": {"五等份组": "中间收入组"},
                "members": [{}],
            },
            {  # L08: a graduate whose business, registered after graduating, has run a year (paid once); L02 yearly
                "household": {"闲置庭院房屋棚圈": "是", "庭院经济意愿": "是"},
                "members": [
                    {"年龄": 23, "毕业年份": 2024, "创业年份": 2024, "务工状况": "自主创业", "务工月数": 12}
                ],
            },
        ],
        2025,
    )
    full = engine.evaluate_full(pop, q, 2025)
    rows = {r["code"]: r for r in full.iter_rows(named=True) if r["code"] in ("T10", "L08", "L02", "T17")}
    assert rows["T10"]["amount"] == 500 and rows["T10"]["income_effect"] is None
    assert rows["L08"]["amount"] == 10000 and rows["L08"]["income_effect"] is None
    assert rows["L02"]["amount"] == 2000 and rows["L02"]["income_effect"] == 2000
    # a parameter like any other: dated, and a county may say otherwise
    ps = engine.shipped_params().with_value("T10.one_off", False, dt.date(2025, 1, 1))
    again = engine.evaluate_full(pop, q, 2025, params=ps).filter(pl.col("code") == "T10")
    assert again["income_effect"].to_list() == [500]


def test_t14_counts_only_compulsory_school_age_dropouts_as_c03_does() -> None:
    from zengshou.tiers.rules import guarantee_facts

    pop, q = casebook.population(
        [
            {"members": [{}, {"年龄": 17, "在校生状况": "辍学"}]},
            {"members": [{}, {"年龄": 15, "在校生状况": "辍学"}]},
            {"household": {"住建房屋安全等级": "D"}},
        ],
        2025,
    )
    t14 = set(toolbox.evaluate(pop, q, 2025).filter(pl.col("code") == "T14")["household_id"].to_list())
    c03 = set(guarantee_facts(pop, 2025, engine.shipped_params())["household_id"].to_list())
    assert t14 == c03 == {"H-002", "H-003"}
    # the ages are C03's parameter, so a what-if on it moves T14 too
    result = toolbox.whatif(pop, q, 2025, {"C03.compulsory_school_age": "6,17"})
    assert result.changes == {"C03.compulsory_school_age": [6, 17]}
    assert result.by_measure.filter(pl.col("code") == "T14")["gained"].to_list() == [1]


def test_render_formats_ranges_and_shares() -> None:
    env = engine.make_env(None, 2025)
    assert engine.render("{C03.compulsory_school_age|range} 岁", env) == "6—16 岁"
    assert engine.render("{T17.public_post_share|%}", env) == "10%"
    assert engine.render("{L00.quintiles}", env) == "低收入组"
