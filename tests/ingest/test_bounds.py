"""Bounds: every cell is held to what its database column keeps; what it cannot keep is refused.

The cases are the table in ``bounds.yaml``. Each one alone is refused naming its table, row and
column; all of them in one file are refused on SQLite and PostgreSQL alike with nothing written; the
largest value each column keeps is stored exactly. Figures that are storable but unusual are
warnings. A workbook formula with no saved result, an old-Mac CSV and a CSV with a NUL byte are
each met with one plain answer.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ingest.conftest import Rows, _csv_text, valid_rows, write_folder, write_workbook
from zengshou import interchange as ix
from zengshou.ingest import ImportRejected, load, read
from zengshou.ingest.columns import stored_bounds
from zengshou.ingest.feeds import read_feed
from zengshou.ingest.problems import Problem

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "bounds.yaml").read_text("utf-8"))


def _value(case: dict[str, Any]) -> str:
    return str(case["value"]) * int(case.get("repeat", 1))


def _with(rows: Rows, *cases: dict[str, Any]) -> Rows:
    for case in cases:
        rows[case["table"]][case["row"] - 2][case["column"]] = _value(case)
    return rows


def _at(errors: list[Problem], case: dict[str, Any]) -> list[Problem]:
    return [e for e in errors if (e.table, e.row, e.column) == (case["table"], case["row"], case["column"])]


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_a_cell_the_database_cannot_keep_is_refused_at_its_row_and_column(
    tmp_path: Path, case: dict[str, Any]
) -> None:
    result = read(write_folder(tmp_path / "in", _with(valid_rows(), case)))
    [error] = _at(result.errors, case)
    assert case["says"] in error.message_zh
    assert error.value is not None and len(error.value) <= 41  # a long cell is shown shortened


@pytest.mark.django_db
def test_a_file_with_every_kind_of_bad_cell_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    """On the database in use (run once with DATABASE_URL for PostgreSQL): refused, never a traceback."""
    from zengshou.registry.models import Household, Income, Member

    load(write_folder(tmp_path / "good", valid_rows()))

    def state() -> tuple[int, int, list[tuple[Decimal]]]:
        return Household.objects.count(), Member.objects.count(), list(Income.objects.values_list("wage"))

    before = state()
    rows = valid_rows()
    rows["收入"].append({**rows["收入"][0], "年度": "2023"})  # a new row, refused with the rest
    with pytest.raises(ImportRejected) as refused:
        load(write_folder(tmp_path / "bad", _with(rows, *CASES)))
    for case in CASES:
        assert [case["says"] in e.message_zh for e in _at(refused.value.errors, case)] == [True], case["why"]
    assert state() == before


@pytest.mark.django_db
def test_the_largest_value_each_column_keeps_is_stored_exactly_and_exported(tmp_path: Path) -> None:
    from zengshou.ingest import export
    from zengshou.registry.models import Household, Income, Member

    rows = valid_rows()
    rows["收入"][0]["工资性收入"] = "999999999999.99"
    rows["家庭"][0]["牛存栏(头)"] = "2147483647"
    rows["家庭"][0]["耕地面积(亩)"] = "99999999.99"
    rows["家庭"][0]["联系电话"] = "1" * 30
    rows["家庭成员"][0]["姓名"] = "马" * 50
    summary = load(write_folder(tmp_path / "in", rows))
    assert Income.objects.get(household_id="H001", year=2024).wage == Decimal("999999999999.99")
    household = Household.objects.get(household_id="H001")
    assert (household.cattle, household.arable_mu, household.phone) == (
        2147483647,
        Decimal("99999999.99"),
        "1" * 30,
    )
    assert Member.objects.get(id_number=rows["家庭成员"][0]["证件号码"]).name == "马" * 50
    assert {w.column for w in summary.warnings} >= {"工资性收入", "牛存栏(头)", "耕地面积(亩)"}
    export(tmp_path / "out", "csv", with_personal_data=True)
    assert "999999999999.99" in (tmp_path / "out" / "收入.csv").read_text("utf-8-sig")


def test_an_income_of_ten_million_yuan_is_a_warning_not_an_error(tmp_path: Path) -> None:
    rows = valid_rows()
    rows["收入"][0]["工资性收入"] = "10000001"
    result = read(write_folder(tmp_path / "in", rows))
    assert result.errors == []
    [warning] = [w for w in result.warnings if w.column == "工资性收入"]
    assert (warning.table, warning.row) == ("收入", 2) and "请核实" in warning.message_zh


def test_every_stored_column_of_the_format_has_the_bound_of_its_database_field() -> None:
    shaped = ("code12", "code6", "id_number", "enum", "bool", "date", "year", "quarter", "list")
    for table in (*ix.TABLES, *ix.FEEDS):
        bounds = stored_bounds(table.key)
        for c in table.columns:
            if c.type in shaped:
                continue
            bound = bounds[c.key]
            assert bound.max_length if c.type == "text" else bound.max_abs, (table.name, c.header)
    assert stored_bounds("members")["name"].max_length == 50
    assert stored_bounds("income")["wage"].max_abs == pytest.approx(999_999_999_999.99)


def test_a_feed_amount_beyond_its_column_is_refused_at_its_row(tmp_path: Path) -> None:
    member = valid_rows()["家庭成员"][0]["证件号码"]
    path = tmp_path / "医保.csv"
    path.write_text(
        f"证件号码,年度,医疗总费用,个人自付\n{member},2024,1e30,100\n{member},2023,500,NaN\n",
        encoding="utf-8",
    )
    errors = read_feed("医保", path).errors
    assert [(e.row, e.column) for e in errors] == [(2, "医疗总费用"), (3, "个人自付")]
    assert "超出系统可保存的范围" in errors[0].message_zh and "NaN" in errors[1].message_zh


def _formula_workbook(path: Path, cached: bool) -> Path:
    """The 收入 sheet with 工资性收入 of H001 as a formula: saved with its result (as Excel does) or
    without (as openpyxl and other programs write it); also a last row holding only formulas."""
    rows = valid_rows()
    write_workbook(path, rows)
    import openpyxl

    wb = openpyxl.load_workbook(path)
    sheet = wb["收入"]
    headers = [c.value for c in sheet[1]]
    wage = headers.index("工资性收入") + 1
    sheet.cell(row=2, column=wage, value="=30000+6000")
    if not cached:
        last = sheet.max_row + 1
        sheet.cell(row=last, column=1, value="=A2")
        sheet.cell(row=last, column=2, value="=B2")
    wb.save(path)
    if cached:
        import xlsxwriter

        # openpyxl cannot save a formula's result; xlsxwriter writes it as Excel would.
        with xlsxwriter.Workbook(str(path), {"strings_to_numbers": False}) as book:
            for name, table in rows.items():
                ws = book.add_worksheet(name)
                ws.write_row(0, 0, list(table[0]))
                for r, row in enumerate(table, start=1):
                    for c, (header, value) in enumerate(row.items()):
                        if name == "收入" and r == 1 and header == "工资性收入":
                            ws.write_formula(r, c, "=30000+6000", None, 36000)
                        elif value != "":
                            ws.write_string(r, c, value)
    return path


def test_a_formula_without_a_saved_result_is_an_error_not_an_empty_cell(tmp_path: Path) -> None:
    result = read(_formula_workbook(tmp_path / "formulas.xlsx", cached=False))
    formula = [e for e in result.errors if "公式" in e.message_zh]
    assert {(e.table, e.row, e.column) for e in formula} == {
        ("收入", 2, "工资性收入"),
        ("收入", 6, "户编号"),
        ("收入", 6, "年度"),
    }
    assert "在Excel中打开" in formula[0].message_zh
    assert not [e for e in result.errors if (e.row, e.column) == (6, "户编号") and "必填" in e.message_zh]


def test_a_formula_saved_with_its_result_reads_as_that_result(tmp_path: Path) -> None:
    result = read(_formula_workbook(tmp_path / "formulas.xlsx", cached=True))
    assert result.errors == []
    assert result.population.income.filter(household_id="H001", year=2024)["wage"].to_list() == [36000.0]


def test_an_old_mac_csv_with_cr_line_endings_reads_row_by_row(tmp_path: Path) -> None:
    rows = valid_rows()
    folder = write_folder(tmp_path / "in", rows)
    (folder / "收入.csv").write_bytes(_csv_text(rows["收入"]).replace("\n", "\r").encode("utf-8"))
    result = read(folder)
    assert result.errors == []
    assert result.population.income.height == len(rows["收入"])


def test_a_nul_byte_in_a_csv_is_one_error_naming_the_file_and_its_line(tmp_path: Path) -> None:
    rows = valid_rows()
    folder = write_folder(tmp_path / "in", rows)
    text = _csv_text(rows["家庭成员"]).encode("utf-8").split(b"\n")
    text[3] = text[3].replace(b",", b",\x00", 2)
    (folder / "家庭成员.csv").write_bytes(b"\n".join(text))
    result = read(folder)
    [nul] = result.errors  # not also every household "without members"
    assert (nul.table, nul.row) == ("家庭成员.csv", 4)
    assert "空字符" in nul.message_zh and "共2处" in nul.message_zh
