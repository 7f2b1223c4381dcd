"""Reading and checking files without a database: every problem with its row and column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from tests.ingest.conftest import Rows, pid, write_folder, write_typed_workbook, write_workbook
from zengshou import interchange as ix
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


def test_odd_but_legal_values_are_warnings_at_their_row_and_column(tmp_path: Path, rows: Rows) -> None:
    hh, m, inc = rows["家庭"], rows["家庭成员"], rows["收入"]
    hh[0]["耕地未种植(亩)"] = "13"  # more than the 12.5 mu of land, row 2
    hh[2]["低保户"] = "是"  # H003 on 低保, but its daughter (row 7) is not
    inc[0]["其中:低保金"] = "1000"  # 1000 + 300 > 1200 of transfers, row 2
    inc[0]["其中:养老金"] = "300"
    inc.append({**inc[1], "季度": "2", "工资性收入": "8000.00"})  # below Q1's 9000.50, row 6
    inc.append({**inc[1], "年度": "2023", "季度": "4", "工资性收入": "30000"})  # row 7
    inc.append({**inc[1], "年度": "2023", "季度": "", "工资性收入": "29000"})  # year below Q4, row 8
    m[5]["享受低保"] = "否"
    m[0]["证件号码"] = pid(1, dt.date(2012, 3, 2))  # the 户主 is 13, row 2
    m[2]["证件号码"] = pid(3, dt.date(2008, 1, 1), male=False)  # 之子 who is a woman, row 4
    m[3]["务工状况"] = "未务工"  # but 10 months of work, row 5
    result = read(write_folder(tmp_path / "in", rows))
    assert result.errors == []
    w = result.warnings
    assert "13" in _at(w, "家庭", 2, "耕地未种植(亩)")[0].message_zh
    assert "转移性收入" in _at(w, "收入", 2, "转移性收入")[0].message_en
    fall = _at(w, "收入", 6, "工资性收入")[0]
    assert fall.value == "8000" and "第1季度" in fall.message_zh
    assert "quarter 4" in _at(w, "收入", 8, "工资性收入")[0].message_en
    assert "16" in _at(w, "家庭成员", 2, "与户主关系")[0].message_zh
    assert "女" in _at(w, "家庭成员", 4, "与户主关系")[0].message_zh
    assert _at(w, "家庭成员", 5, "务工月数")[0].value == "10"
    assert _at(w, "家庭成员", 7, "享受低保")
    assert len(w) == 8
    assert not _at(w, "收入", 7, "工资性收入")  # Q4 itself is fine


def test_a_spouse_of_the_heads_sex_and_empty_work_with_months_are_warnings(
    tmp_path: Path, rows: Rows
) -> None:
    rows["家庭成员"][1]["证件号码"] = pid(2, dt.date(1977, 8, 9), male=True)  # 配偶 of a man, row 3
    rows["家庭成员"][4]["务工状况"] = ""  # 10 months, no work status, row 6
    result = read(write_folder(tmp_path / "in", rows))
    assert result.errors == []
    assert {(p.row, p.column) for p in result.warnings} == {(3, "与户主关系"), (6, "务工月数")}


def test_a_partial_file_is_not_warned_about_columns_it_leaves_out(tmp_path: Path, rows: Rows) -> None:
    for r in rows["家庭成员"]:
        del r["务工状况"]
    for r in rows["收入"]:
        del r["转移性收入"]
        r["其中:低保金"] = "5000"
    result = read(write_folder(tmp_path / "in", rows))
    assert result.errors == [] and result.warnings == []


def _problem_named(result_errors: list[Problem], name: str) -> Problem:
    assert len(result_errors) == 1, [str(e) for e in result_errors]
    assert result_errors[0].table == name
    return result_errors[0]


def test_unreadable_csv_files_are_errors_naming_the_file(tmp_path: Path, rows: Rows) -> None:
    folder = write_folder(tmp_path / "in", rows)
    (folder / "收入.csv").write_bytes("户编号,年度\nH001,2024\n".encode("utf-16"))
    e = _problem_named(read(folder).errors, "收入.csv")
    assert "UTF-16" in e.message_zh and "CSV UTF-8" in e.message_en
    (folder / "收入.csv").write_bytes(b"\xe6\x88\xb7\xe7\xbc\x96\xe5\x8f\xb7,\x80\x80\n")
    e = _problem_named(read(folder).errors, "收入.csv")
    assert "GB18030" in e.message_zh and "另存为" in e.message_zh
    (folder / "收入.csv").write_bytes(b"")
    assert "文件为空" in _problem_named(read(folder).errors, "收入.csv").message_zh
    (folder / "收入.csv").write_text("户编号,年度\nH001,2024,7\n", encoding="utf-8")
    e = _problem_named(read(folder).errors, "收入.csv")
    assert e.row == 2 and "3" in e.message_zh


def test_unreadable_workbooks_and_paths_are_errors_naming_them(tmp_path: Path) -> None:
    corrupt = tmp_path / "农户.xlsx"
    corrupt.write_bytes(b"this is not a zip archive")
    assert "另存为 .xlsx" in _problem_named(read(corrupt).errors, "农户.xlsx").message_zh
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    assert "0字节" in _problem_named(read(empty).errors, "空.xlsx").message_zh
    missing = tmp_path / "没有.xlsx"
    assert "找不到" in _problem_named(read(missing).errors, "没有.xlsx").message_zh
    other = tmp_path / "户.txt"
    other.write_text("户编号\n", encoding="utf-8")
    assert ".txt" in _problem_named(read(other).errors, "户.txt").message_zh
    folder = tmp_path / "杂"
    folder.mkdir()
    (folder / "名单.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    e = _problem_named(read(folder).errors, "杂")
    assert "家庭.csv" in e.message_en and e.value == str(folder)
    unknown_sheets = write_workbook(tmp_path / "x.xlsx", {"Sheet1": [{"a": "1"}]})
    assert "家庭成员" in _problem_named(read(unknown_sheets).errors, "x.xlsx").message_zh


def test_blank_sheets_of_a_template_are_skipped_but_a_blank_workbook_is_an_error(
    tmp_path: Path, rows: Rows
) -> None:
    import xlsxwriter

    blank = tmp_path / "模板.xlsx"
    with xlsxwriter.Workbook(str(blank)) as wb:
        wb.add_worksheet("家庭")
        wb.add_worksheet("收入")
    assert "都是空的" in _problem_named(read(blank).errors, "模板.xlsx").message_zh
    path = write_workbook(tmp_path / "in.xlsx", rows, {"应急": []})
    result = read(path)
    assert result.errors == []
    assert [(w.table, w.message_en) for w in result.warnings] == [
        ("应急", "the sheet is empty (no header row), ignored")
    ]


def test_workbook_cells_stored_as_numbers_and_dates_read_as_typed(tmp_path: Path, rows: Rows) -> None:
    path = write_typed_workbook(tmp_path / "typed.xlsx", rows)
    result = read(path)
    assert result.errors == []
    csv = read(write_folder(tmp_path / "csv", rows))
    for table in ix.TABLES:
        assert result.population.table(table).equals(csv.population.table(table)), table.name
    assert result.population.feeds["disability"]["issued_on"].to_list() == [dt.date(2024, 3, 1)]


def test_an_id_number_stored_as_a_number_is_a_clear_error(tmp_path: Path, rows: Rows) -> None:
    path = write_typed_workbook(tmp_path / "typed.xlsx", rows, ids_as_numbers={1})
    result = read(path)
    e = _problem_named(result.errors, "家庭成员")
    assert (e.row, e.column) == (3, "证件号码")
    assert "文本" in e.message_zh and "15 digits" in e.message_en
