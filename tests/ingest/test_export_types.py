"""Workbooks an official sums in Excel: amounts and counts are number cells, codes and ID numbers text.

Every ``.xlsx`` the system writes goes through :mod:`zengshou.workbooks`: ``zengshou export`` (and the
web export), ``zengshou run``'s 结果.xlsx, the pairing proposal and the assessment figures. The
output path decides the format of ``zengshou export``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.ingest.conftest import Rows
from zengshou import interchange as ix
from zengshou.cli import app
from zengshou.ingest import export, load

pytestmark = pytest.mark.django_db

NUMBER_TYPES = ("decimal", "yuan", "int", "year", "quarter")


def _sheet(path: Path, name: str) -> dict[str, list[openpyxl.cell.cell.Cell]]:
    """Header → the cells below it (empty cells included)."""
    ws = openpyxl.load_workbook(path)[name]
    columns = list(ws.iter_cols(values_only=False))
    return {str(col[0].value): list(col[1:]) for col in columns}


def test_an_xlsx_export_writes_amounts_and_counts_as_numbers_and_codes_as_text(
    folder: Path, rows: Rows, tmp_path: Path
) -> None:
    load(folder)
    out = tmp_path / "导出.xlsx"
    export(out, "xlsx", with_personal_data=True)
    for table in ix.TABLES:
        cells = _sheet(out, table.name)
        assert list(cells) == table.headers, table.name
        for c in table.columns:
            filled = [cell for cell in cells[c.header] if cell.value not in (None, "")]
            kinds = {cell.data_type for cell in filled}
            if c.type in NUMBER_TYPES:
                assert kinds <= {"n"}, (table.name, c.header, kinds)
            else:
                assert kinds <= {"s"}, (table.name, c.header, kinds)
    income = _sheet(out, "收入")
    assert sum(cell.value for cell in income["工资性收入"]) == pytest.approx(36000 + 9000.5 + 0 + 18000)
    assert income["工资性收入"][0].number_format == "0.00"
    households = _sheet(out, "家庭")
    assert [cell.value for cell in households["牛存栏(头)"]] == [3, 3, 3]
    assert households["耕地面积(亩)"][0].value == 12.5
    assert households["户编号"][0].value == "H001"
    assert households["联系电话"][0].value == "13912345678"
    assert households["住房安全"][0].value == "是"
    members = _sheet(out, "家庭成员")
    assert members["证件号码"][0].value == rows["家庭成员"][0]["证件号码"]
    assert members["务工月数"][0].value == 10
    villages = _sheet(out, "村")
    assert villages["行政区划代码"][0].value == "640522100201"


def test_a_masked_xlsx_export_keeps_numbers_and_masks_ids_as_text(folder: Path, tmp_path: Path) -> None:
    load(folder)
    export(tmp_path / "x.xlsx", "xlsx")
    members = _sheet(tmp_path / "x.xlsx", "家庭成员")
    assert "*" in members["证件号码"][0].value and members["证件号码"][0].data_type == "s"
    assert members["务工月数"][0].data_type == "n"
    props = openpyxl.load_workbook(tmp_path / "x.xlsx").properties
    assert props.title is not None and "脱敏" in props.title


def test_export_to_a_name_ending_in_xlsx_writes_a_workbook(folder: Path, tmp_path: Path) -> None:
    load(folder)
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(app, ["export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and zipfile.is_zipfile(out)
    assert openpyxl.load_workbook(out).sheetnames == [t.name for t in ix.TABLES]


@pytest.mark.parametrize(
    ("name", "extra", "says"),
    [
        ("folder.xlsx", ["--format", "xlsx"], "文件夹"),
        ("x.xlsx", ["--format", "csv"], "以 .xlsx 结尾"),
        ("plain", ["--format", "xlsx"], "不以 .xlsx 结尾"),
        ("x.csv", [], "文件夹路径"),
        ("x.xlsx", ["--format", "pdf"], "格式应为 csv 或 xlsx"),
    ],
)
def test_export_to_a_folder_as_workbook_or_a_conflicting_suffix_is_refused_in_chinese(
    folder: Path, tmp_path: Path, name: str, extra: list[str], says: str
) -> None:
    load(folder)
    out = tmp_path / name
    if name == "folder.xlsx":
        out.mkdir()
    result = CliRunner().invoke(app, ["export", "--out", str(out), *extra])
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output
    assert (out.is_dir() and not any(out.iterdir())) or not out.exists()


def test_zengshou_run_writes_result_figures_as_numbers(tmp_path: Path, folder: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", "--input", str(folder), "--year", "2024", "--out", str(tmp_path / "结果")]
    )
    assert result.exit_code == 0, result.output
    tiers = _sheet(tmp_path / "结果" / "结果.xlsx", "分层结果")
    assert {c.data_type for c in tiers["户编号"]} == {"s"}
    assert {c.data_type for c in tiers["人均纯收入"]} == {"n"}
    assert {c.data_type for c in tiers["家庭人口"]} == {"n"} and tiers["年度"][0].value == 2024


def test_pairing_and_assessment_tables_get_numbers_yes_or_no_and_text(tmp_path: Path) -> None:
    """Frames other than the interchange tables (pairing proposal, assessment figures) are typed by
    dtype: counts and shares as numbers with every digit, a yes-no column as 是/否, lists joined."""
    import polars as pl

    from zengshou.workbooks import write_frames

    table = pl.DataFrame(
        {
            "户编号": ["0012", "0013"],
            "收入不增反降": [True, False],
            "占比": [0.123456, 0.5],
            "家庭人口": [2, 3],
            "依据": [["S02", "M04"], ["S02"]],
        }
    )
    cells = _sheet(write_frames(tmp_path / "结对方案.xlsx", {"结对方案": table}), "结对方案")
    assert [c.value for c in cells["户编号"]] == ["0012", "0013"]
    assert [c.value for c in cells["收入不增反降"]] == ["是", "否"]
    assert [c.value for c in cells["占比"]] == [0.123456, 0.5]
    assert [c.data_type for c in cells["家庭人口"]] == ["n", "n"]
    assert cells["依据"][0].value == "S02;M04"
