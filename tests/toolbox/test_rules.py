"""Parameter dates, what-if, explanation texts and the 帮扶措施 table."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tests.toolbox import casebook
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
    with pytest.raises(ParameterError, match="unknown parameter"):
        toolbox.whatif(pop, q, 2025, {"L99.amount": 1})
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
        "L02 不适用：有闲置庭院房屋棚圈 未填，条件为有闲置场地、房屋、棚圈；有庭院经济意愿 未填，条件为有发展庭院经济意愿"
    )
    older = [e for e in toolbox.explain("H-003", pop, q, 2025) if e.code == "L11" and not e.applies]
    assert len(older) == 1 and "年龄 69 岁，条件为年龄在 16—65 岁" in older[0].text
    assert "********" in older[0].text  # the ID number is masked in the explanation
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
