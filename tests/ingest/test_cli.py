"""The commands a clerk types: import (exit 2 and an error report on bad input), export, feed import."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.ingest.conftest import Rows, write_folder
from zengshou.cli import app

pytestmark = pytest.mark.django_db


def test_import_then_export_then_stats(folder: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["import", str(folder), "--no-progress", "--user", "clerk"])
    assert out.exit_code == 0, out.output
    assert "家庭成员" in out.output and "6" in out.output
    out = runner.invoke(app, ["export", "--out", str(tmp_path / "x.xlsx"), "--format", "xlsx"])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "x.xlsx").stat().st_size > 0
    out = runner.invoke(app, ["stats", "--json"])
    assert '"registry.member": 6' in out.output


def test_a_bad_file_exits_with_2_and_writes_an_error_report(tmp_path: Path, rows: Rows) -> None:
    import fastexcel

    from zengshou.registry.models import Household

    rows["家庭"][0]["户类型"] = "贫困户"
    rows["家庭成员"][0]["证件号码"] = "640522198005170010"
    report = tmp_path / "错误报告.xlsx"
    out = CliRunner().invoke(
        app,
        ["import", str(write_folder(tmp_path / "in", rows)), "--no-progress", "--error-report", str(report)],
    )
    assert out.exit_code == 2
    assert "户类型" in out.output and "贫困户" in out.output
    errors = fastexcel.read_excel(report).load_sheet("错误", dtypes="string").to_polars()
    assert sorted(errors["列"].to_list()) == ["户类型", "证件号码"]
    assert Household.objects.count() == 0


def test_feed_import_command(tmp_path: Path, folder: Path, rows: Rows) -> None:
    runner = CliRunner()
    runner.invoke(app, ["import", str(folder), "--no-progress"])
    path = tmp_path / "教育.csv"
    path.write_text(
        f"证件号码,学段,在校状态,毕业年份\n{rows['家庭成员'][2]['证件号码']},高中,辍学,\n", encoding="utf-8"
    )
    out = runner.invoke(app, ["feed", "import", "教育", str(path)])
    assert out.exit_code == 0, out.output
    assert "匹配 1" in out.output
    out = runner.invoke(app, ["feed", "import", "税务", str(path)])
    assert out.exit_code == 2


def test_feed_import_writes_every_unmatched_row_to_the_report(
    tmp_path: Path, folder: Path, rows: Rows
) -> None:
    import fastexcel

    from tests.conftest import make_id

    runner = CliRunner()
    runner.invoke(app, ["import", str(folder), "--no-progress"])
    strangers = [make_id(900 + i) for i in range(30)]
    path = tmp_path / "残联.csv"
    path.write_text(
        "证件号码,残疾类别,残疾等级,发证日期\n" + "".join(f"{i},肢体,三级,2025-03-01\n" for i in strangers),
        encoding="utf-8",
    )
    report = tmp_path / "未匹配.xlsx"
    out = runner.invoke(app, ["feed", "import", "残联", str(path), "--error-report", str(report)])
    assert out.exit_code == 0, out.output
    assert "未匹配 30" in out.output
    unmatched = fastexcel.read_excel(report).load_sheet("未匹配", dtypes="string").to_polars()
    assert unmatched.height == 30


def test_an_unreadable_file_exits_with_2_and_says_which_and_what_to_do(tmp_path: Path) -> None:
    corrupt = tmp_path / "农户.xlsx"
    corrupt.write_bytes(b"not a workbook")
    out = CliRunner().invoke(app, ["import", str(corrupt), "--no-progress"])
    assert out.exit_code == 2
    assert "农户.xlsx" in out.output and "另存为" in out.output
    assert "Traceback" not in out.output
    out = CliRunner().invoke(app, ["feed", "import", "残联", str(corrupt)])
    assert out.exit_code == 2 and "农户.xlsx" in out.output
