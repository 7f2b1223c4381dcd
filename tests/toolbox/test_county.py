"""County toolboxes (W01): switching measures off, own amounts by date, local measures, bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from tests.cases import casebook
from zengshou import toolbox
from zengshou.toolbox import county

EXAMPLE = Path(county.TOOLBOX_DIR) / "examples" / "640522.yaml"
HAIYUAN = "640522100201"  # a village of 海原县
TONGXIN = "640324100201"  # a village of 同心县, no toolbox of its own


def _pop():
    courtyard = {"闲置庭院房屋棚圈": "是", "庭院经济意愿": "是", "牛存栏(头)": 3}
    cases = [
        {"household": {**courtyard, "行政区划代码": HAIYUAN}},
        {"household": {**courtyard, "行政区划代码": TONGXIN}},
        {
            "household": {
                "行政区划代码": HAIYUAN,
                "五等份组": "中间偏下收入组",
                "户类型": "一般农户",
                "耕地面积(亩)": 4,
            }
        },
        {"household": {"行政区划代码": HAIYUAN, "牛存栏(头)": 2}},
    ]
    return casebook.population(cases, 2025)


def _amount(result: pl.DataFrame, hid: str, code: str) -> float | None:
    rows = result.filter((pl.col("household_id") == hid) & (pl.col("code") == code))
    return rows["amount"][0] if rows.height else None


def _codes(result: pl.DataFrame, hid: str) -> set[str]:
    return set(result.filter(pl.col("household_id") == hid)["code"].to_list())


def test_county_amount_change_holds_from_its_date_and_only_in_that_county() -> None:
    tb = county.load_file(EXAMPLE)
    pop, q = _pop()
    r2025 = toolbox.evaluate(pop, q, 2025, county_toolboxes={"640522": tb})
    r2026 = toolbox.evaluate(pop, q, 2026, county_toolboxes={"640522": tb})
    assert _amount(r2025, "H-001", "L02") == 2000  # the county's 3000 starts in 2026
    assert _amount(r2026, "H-001", "L02") == 3000
    assert _amount(r2026, "H-002", "L02") == 2000  # 同心县 keeps the region's amount


def test_county_switches_a_measure_off_and_widens_a_tier_list() -> None:
    tb = county.load_file(EXAMPLE)
    pop, q = _pop()
    plain = toolbox.evaluate(pop, q, 2025)
    local = toolbox.evaluate(pop, q, 2025, county_toolboxes={"640522": tb})
    assert "L13a" in _codes(plain, "H-001") and "L13a" not in _codes(local, "H-001")
    assert "L13a" in _codes(local, "H-002")
    # T06 is for 巩固提升户 in the region; 海原县 also offers it to 风险防范户.
    assert "T06" not in _codes(plain, "H-003") and "T06" in _codes(local, "H-003")
    texts = [e.text for e in toolbox.explain("H-001", pop, q, 2025, county_toolboxes={"640522": tb})]
    assert any(t.startswith("L13a 不适用") and "本县工具箱启用 L13a" in t for t in texts)


def test_local_measure_built_from_facts_applies_only_in_its_county() -> None:
    tb = county.load_file(EXAMPLE)
    pop, q = _pop()
    result = toolbox.evaluate(pop, q, 2025, county_toolboxes={"640522": tb})
    assert _amount(result, "H-001", "X640522-01") == 1500
    assert "X640522-01" not in _codes(result, "H-002")  # 同心县, though it has 3 cattle
    assert "X640522-01" not in _codes(result, "H-004")  # 2 cattle, below the county's 3
    texts = {e.code: e.text for e in toolbox.explain("H-004", pop, q, 2025, county_toolboxes={"640522": tb})}
    assert "牛存栏(头)" not in texts["X640522-01"]  # raw columns are not shown as facts
    assert "肉牛存栏不少于 3 头" in texts["X640522-01"]


def test_show_lists_the_effective_toolbox_with_origins() -> None:
    tb = county.load_file(EXAMPLE)
    entries = {e.code: e for e in county.show("640522", dt.date(2026, 3, 1), tb)}
    assert entries["L13a"].enabled is False
    l02 = dict((k, (v, origin)) for k, _, v, _, origin in entries["L02"].params)
    assert l02["L02.amount"] == (3000, "本县")
    assert entries["X640522-01"].local
    before = {e.code: e for e in county.show("640522", dt.date(2025, 6, 1), tb)}
    assert dict((k, v) for k, _, v, _, _ in before["L02"].params)["L02.amount"] == 2000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("county: '999999'\n", "不是宁夏的县"),
        (
            "county: '640522'\nparams:\n  L99.amount: {source: 县文件, values: [{from: 2025-01-01, value: 1}]}\n",
            "参数 L99.amount 不在区级工具箱中",
        ),
        ("county: '640522'\nlocal_measures:\n  - {code: L02, title: x}\n", "以 X 开头"),
        (
            "county: '640522'\nlocal_measures:\n  - code: X1\n    conditions: [{fact: nonsense, op: '>=', value: 1}]\n",
            "未知事实 'nonsense'",
        ),
        (
            "county: '640522'\nparams:\n  L02.amount: {source: 县文件, values: [{from: soon, value: 1}]}\n",
            "L02.amount: 生效日期 'soon' 不是日期",
        ),
    ],
)
def test_bad_toolbox_files_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(county.ToolboxError, match=message):
        county.parse_text(text, "测试文件.yaml")


def test_every_override_cites_its_source_or_the_file_is_rejected_at_its_line() -> None:
    text = (
        "county: '640522'\n"
        "params:\n"
        "  L02.amount:\n"
        "    source: 海原县庭院经济实施方案\n"
        "    values: [{from: 2026-01-01, value: 3000}]\n"
        "  L13a.enabled:\n"
        "    values: [{from: 2025-01-01, value: false}]\n"
    )
    with pytest.raises(county.ToolboxError) as err:
        county.parse_text(text, "640522.yaml")
    message = str(err.value)
    assert message.startswith("640522.yaml 第 6 行: 参数 L13a.enabled 没有写明依据")
    assert "640522.yaml:6: override 'L13a.enabled' needs a source" in message
    blank = text.replace(
        "    values: [{from: 2025-01-01, value: false}]",
        "    source: ' '\n    values: [{from: 2025-01-01, value: false}]",
    )
    with pytest.raises(county.ToolboxError, match=r"第 6 行: 参数 L13a\.enabled"):
        county.parse_text(blank, "640522.yaml")
    # 依据 is the Chinese key for the same thing, and is what the toolbox shows as the source
    cited = text.replace(
        "    values: [{from: 2025-01-01, value: false}]",
        "    依据: 海原县联农带农实施意见\n    values: [{from: 2025-01-01, value: false}]",
    )
    tb = county.parse_text(cited, "640522.yaml")
    assert tb.params["L13a.enabled"].reference == "海原县联农带农实施意见"
    assert tb.params["L02.amount"].reference == "海原县庭院经济实施方案"


def test_shipped_county_files_cite_a_source_for_every_override() -> None:
    files = sorted(Path(county.TOOLBOX_DIR).rglob("*.yaml"))
    assert files  # at least the example
    for path in files:
        tb = county.load_file(path)
        own = [k for k in tb.params if not (k.endswith(".enabled") and tb.is_local_key(k))]
        assert own and all(tb.params[k].reference.strip() for k in own), path
