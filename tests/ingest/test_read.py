"""Reading and checking files without a database: every problem with its row and column."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.ingest.conftest import Rows, pid, write_folder, write_workbook
from zengshou.ingest import Problem, read


def _at(problems: list[Problem], table: str, row: int, column: str) -> list[Problem]:
    return [p for p in problems if (p.table, p.row, p.column) == (table, row, column)]


def test_a_valid_folder_reads_without_problems_into_typed_frames(folder: Path) -> None:
    result = read(folder)
    assert result.errors == [] and result.warnings == []
    pop = result.population
    assert pop.counts() == {"villages": 2, "households": 3, "members": 6, "income": 4, "cadres": 2}
    hh = pop.households.sort("household_id")
    assert hh["housing_safe"].to_list() == [True, True, True]
    assert hh["arable_mu"].to_list() == [12.5, 12.5, 12.5]
    assert pop.income.filter(pl.col("quarter") == 1)["wage"].to_list() == [9000.5]
    assert pop.members.filter(pl.col("household_id") == "H002")["disability_grade"].to_list() == ["三级"]
    assert sorted(result.tables) == ["家庭", "家庭成员", "帮扶干部", "收入", "村"]


def test_gb18030_and_utf8_without_bom_read_the_same(tmp_path: Path, rows: Rows) -> None:
    utf8 = read(write_folder(tmp_path / "utf8", rows, "utf-8"))
    gb = read(write_folder(tmp_path / "gb", rows, "gb18030"))
    assert gb.errors == [] and utf8.errors == []
    assert gb.encoding["家庭"] == "gb18030"
    assert gb.population.members.equals(utf8.population.members)
    assert gb.population.households.equals(utf8.population.households)


def test_common_variants_are_accepted(tmp_path: Path, rows: Rows) -> None:
    hh = rows["家庭"]
    hh[0]["住房安全"] = "Y"
    hh[1]["住房安全"] = "0"
    hh[2]["饮水安全"] = " 是 "
    hh[0]["牛存栏(头)"] = "１２"  # full-width digits
    rows["家庭成员"][0]["健康状况"] = "健　康"  # full-width space inside
    rows["家庭成员"][3]["残疾等级"] = "3级"
    rows["收入"][1]["季度"] = "第1季度"
    renamed = [
        {
            ("household_id" if k == "户编号" else "饮水安全 [water_safe]" if k == "饮水安全" else k): v
            for k, v in r.items()
        }
        for r in hh
    ]
    rows["家庭"] = renamed
    result = read(write_folder(tmp_path / "in", rows))
    assert result.errors == []
    h = result.population.households.sort("household_id")
    assert h["housing_safe"].to_list() == [True, False, True]
    assert h["cattle"].to_list()[0] == 12
    assert result.population.members["health"].to_list()[0] == "健康"
    assert "三级" in result.population.members["disability_grade"].to_list()
    assert result.population.income["quarter"].drop_nulls().to_list() == [1]


def test_every_problem_is_reported_with_row_and_column(tmp_path: Path, rows: Rows) -> None:
    rows["家庭"][1]["住房安全"] = ""  # required, row 3
    rows["家庭"][2]["户类型"] = "贫困户"  # not an allowed value, row 4
    bad_check = pid(7)[:17] + ("0" if pid(7)[17] != "0" else "1")
    rows["家庭成员"][1]["证件号码"] = bad_check  # row 3
    rows["家庭成员"][2]["证件号码"] = "640522" + "20081341" + "0011"  # month 13, row 4
    rows["家庭成员"][5]["户编号"] = "H999"  # unknown household, row 7
    rows["收入"][0]["工资性收入"] = "-5"  # row 2
    rows["收入"][1]["季度"] = "5"  # row 3
    rows["村"][1]["行政区划代码"] = "999999101202"  # unknown county, row 3
    result = read(write_folder(tmp_path / "in", rows))
    e = result.errors
    assert _at(e, "家庭", 3, "住房安全")
    assert _at(e, "家庭", 4, "户类型")[0].value == "贫困户"
    assert "校验位" in _at(e, "家庭成员", 3, "证件号码")[0].message_zh
    assert "出生日期" in _at(e, "家庭成员", 4, "证件号码")[0].message_zh
    assert _at(e, "家庭成员", 7, "户编号")
    assert _at(e, "收入", 2, "工资性收入")[0].message_en == "must not be negative"
    assert _at(e, "收入", 3, "季度")
    assert "22" in _at(e, "村", 3, "行政区划代码")[0].message_zh
    text = str(_at(e, "家庭", 4, "户类型")[0])
    assert all(part in text for part in ("家庭", "第4行", "户类型", "贫困户", "not an allowed value"))


def test_duplicates_and_head_of_household_rules(tmp_path: Path, rows: Rows) -> None:
    m = rows["家庭成员"]
    m[4]["证件号码"] = m[0]["证件号码"]  # duplicate ID, rows 2 and 6
    m[1]["与户主关系"] = "户主"  # H001 has two heads (rows 2, 3)
    m[3]["与户主关系"] = "配偶"  # H002 has none (row 5)
    rows["家庭"].append(dict(rows["家庭"][0]))  # duplicate 户编号, row 5
    rows["收入"].append(dict(rows["收入"][0]))  # duplicate income period, row 6
    result = read(write_folder(tmp_path / "in", rows))
    e = result.errors
    assert _at(e, "家庭成员", 2, "证件号码") and _at(e, "家庭成员", 6, "证件号码")
    assert _at(e, "家庭成员", 3, "与户主关系")
    assert "没有户主" in _at(e, "家庭成员", 5, "与户主关系")[0].message_zh
    assert _at(e, "家庭", 5, "户编号") and _at(e, "收入", 6, "户编号")


def test_missing_required_column_is_an_error_on_the_header_row(tmp_path: Path, rows: Rows) -> None:
    for r in rows["家庭成员"]:
        del r["健康状况"]
    result = read(write_folder(tmp_path / "in", rows))
    assert _at(result.errors, "家庭成员", 1, "健康状况")


def test_workbook_with_extra_sheets_and_columns_gives_warnings_only(tmp_path: Path, rows: Rows) -> None:
    for r in rows["家庭"]:
        r["备注"] = "自填"
    path = write_workbook(tmp_path / "in.xlsx", rows, {"说明": [["这是说明"]]})
    result = read(path)
    assert result.errors == []
    assert {(w.table, w.column) for w in result.warnings} == {("家庭", "备注"), ("说明", "")}
    assert result.population.counts()["members"] == 6
    csv = read(write_folder(tmp_path / "csv", rows))
    assert result.population.members.equals(csv.population.members)


def test_feed_files_in_the_folder_fill_population_feeds(folder: Path) -> None:
    (folder / "残联.csv").write_text(
        f"证件号码,残疾类别,残疾等级,发证日期\n{pid(1)},肢体,二级,2024/03/01\n", encoding="utf-8"
    )
    result = read(folder)
    assert result.errors == []
    feed = result.population.feeds["disability"]
    assert feed.columns == ["id_number", "category", "grade", "issued_on"]
    assert str(feed["issued_on"][0]) == "2024-03-01"


@pytest.mark.parametrize("value", ["abc", "1.5"])
def test_counts_must_be_whole_numbers(tmp_path: Path, rows: Rows, value: str) -> None:
    rows["家庭"][0]["羊存栏(只)"] = value
    result = read(write_folder(tmp_path / "in", rows))
    assert [p.value for p in _at(result.errors, "家庭", 2, "羊存栏(只)")] == [value]
