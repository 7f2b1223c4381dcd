"""Files a clerk can fill in: a blank template per table imports once rows are added; a masked export
given back as an import is refused with one message that says why and what to use instead."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.ingest.conftest import Rows, write_folder
from zengshou import interchange as ix
from zengshou.cli import app
from zengshou.ingest import ImportRejected, export, load, read
from zengshou.ingest.templates import NOTES_SHEET, write_template

pytestmark = pytest.mark.django_db

NUMBER_TYPES = ("decimal", "yuan", "int", "year", "quarter")


def _fill_workbook(path: Path, rows: Rows) -> None:
    """Type the rows into the template as Excel would store them: numbers as numbers, codes as text."""
    wb = openpyxl.load_workbook(path)
    for table in ix.TABLES:
        ws = wb[table.name]
        types = {c.header: c.type for c in table.columns}
        for r, row in enumerate(rows[table.name], start=2):
            for c, header in enumerate(table.headers, start=1):
                value = row.get(header, "")
                if value == "":
                    continue
                ws.cell(r, c, float(value) if types[header] in NUMBER_TYPES else value)
    wb.save(path)


def test_the_blank_template_has_a_sheet_per_table_with_the_interchange_headers_and_no_rows(
    tmp_path: Path,
) -> None:
    [path] = write_template(tmp_path / "模板.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [t.name for t in ix.TABLES] + [NOTES_SHEET]
    for t in ix.TABLES:
        ws = wb[t.name]
        assert [c.value for c in ws[1]] == t.headers
        assert ws.max_row == 1, t.name
    lists = {
        next(iter(dv.sqref.ranges)).min_col: dv.formula1 for dv in wb["家庭"].data_validations.dataValidation
    }
    household_type = ix.HOUSEHOLDS.headers.index("户类型") + 1
    assert "监测对象-边缘易致贫户" in lists[household_type]
    assert wb["家庭成员"].column_dimensions["C"].number_format == "@"  # 证件号码 stays text
    guide = [[c.value for c in row] for row in wb[NOTES_SHEET].iter_rows(min_row=2)]
    assert len(guide) == sum(len(t.columns) for t in ix.TABLES)
    assert ["家庭", "户类型", "household_type", "是"] == guide[[r[1] for r in guide].index("户类型")][:4]


def test_a_filled_blank_workbook_template_imports(tmp_path: Path, rows: Rows) -> None:
    from zengshou.registry.models import Household, Income, Member

    [path] = write_template(tmp_path / "模板.xlsx")
    assert read(path).errors, "an empty template imports nothing"
    _fill_workbook(path, rows)
    summary = load(path)
    assert summary.counts["households"].inserted == 3
    assert summary.counts["members"].inserted == 6
    assert Household.objects.get(household_id="H001").cattle == 3
    assert Member.objects.filter(household_id="H001").count() == 3
    assert Income.objects.get(household_id="H001", year=2025, quarter=1).wage == pytest.approx(9000.5)
    assert not [w for w in summary.warnings if NOTES_SHEET in str(w)]


def test_a_filled_blank_csv_template_imports(tmp_path: Path, rows: Rows) -> None:
    written = write_template(tmp_path / "模板")
    assert {p.name for p in written} >= {f"{t.name}.csv" for t in ix.TABLES}
    for t in ix.TABLES:
        path = tmp_path / "模板" / f"{t.name}.csv"
        with path.open("a", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerows([[row.get(h, "") for h in t.headers] for row in rows[t.name]])
    summary = load(tmp_path / "模板")
    assert summary.counts["members"].inserted == 6 and summary.counts["income"].inserted == 4


def test_the_cli_writes_the_blank_template(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["export", "--template", "--out", str(tmp_path / "t.xlsx")])
    assert out.exit_code == 0, out.output
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames[0] == "村"
    out = runner.invoke(app, ["export", "--template", "--out", str(tmp_path / "csv")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "csv" / "家庭成员.csv").read_text("utf-8-sig").strip() == ",".join(ix.MEMBERS.headers)
    out = runner.invoke(app, ["export", "--template", "--out", str(tmp_path / "t.xlsx"), "--format", "csv"])
    assert out.exit_code == 2 and "以 .xlsx 结尾" in out.output


@pytest.mark.parametrize("suffix", ["x.xlsx", "csv"])
def test_a_masked_export_given_as_an_import_is_refused_with_one_message(
    folder: Path, tmp_path: Path, suffix: str
) -> None:
    from zengshou.registry.models import Household

    load(folder)
    masked = tmp_path / suffix
    export(masked)
    Household.objects.filter(household_id="H002").update(cattle=99)
    with pytest.raises(ImportRejected) as refused:
        load(masked)
    [error] = refused.value.errors
    assert "该文件是脱敏导出" in error.message_zh and "空白模板" in error.message_zh
    assert "zengshou export --template" in error.message_zh
    assert Household.objects.get(household_id="H002").cattle == 99


def test_the_cli_refuses_a_masked_export_with_one_message(folder: Path, tmp_path: Path) -> None:
    load(folder)
    export(tmp_path / "x.xlsx")
    out = CliRunner().invoke(app, ["import", str(tmp_path / "x.xlsx"), "--no-progress"])
    assert out.exit_code == 2
    assert "发现 1 处错误" in out.output and "该文件是脱敏导出" in out.output


def test_a_stray_star_in_a_hand_made_file_gets_the_ordinary_error(tmp_path: Path, rows: Rows) -> None:
    rows["家庭成员"][0]["证件号码"] = rows["家庭成员"][0]["证件号码"][:6] + "********" + "1234"
    result = read(write_folder(tmp_path / "in", rows))
    assert result.errors and not any("脱敏导出" in e.message_zh for e in result.errors)
    assert any(e.column == "证件号码" for e in result.errors)
