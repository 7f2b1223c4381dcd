"""A big sheet read in slices of rows gives what the whole sheet gives, in the sheet's own places."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from zengshou.ingest import national, sheet_slices


def _whole(path: Path) -> pl.DataFrame:
    import fastexcel

    frame = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_polars()
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    return frame.with_row_index("ROW", offset=1).with_columns(pl.col("ROW").cast(pl.Int64))


def _filled(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows with a value (a blank row between two slices is in neither)."""
    return frame.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in frame.columns if c != "ROW"]))


@pytest.fixture
def ragged(tmp_path: Path) -> Path:
    """A title in A1, blank rows, rows narrower and wider than the first, numbers and text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "某县监测对象信息"
    for r in range(3, 60):
        if r % 11 == 0:
            continue
        for c in range(1, 4 + r % 5):
            ws.cell(r, c, f"{r}-{c}" if c % 2 else r * 10 + c)
    path = tmp_path / "名单.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("rows_per_slice", [1, 7, 1000])
def test_a_sheet_read_in_slices_is_the_sheet_read_whole(ragged, rows_per_slice):
    sliced = sheet_slices.read_sheet(ragged, rows_per_slice=rows_per_slice).frame
    whole = _whole(ragged)
    assert _filled(sliced.select(whole.columns)).equals(_filled(whole))


def test_the_kept_columns_keep_their_places_in_every_slice(ragged):
    sliced = sheet_slices.read_sheet(ragged, lambda first: [0, 5], rows_per_slice=5).frame
    whole = _whole(ragged).select("ROW", "c0", "c5")
    assert sliced.columns == ["ROW", "c0", "c5"]
    assert _filled(sliced).equals(_filled(whole))


def test_a_file_that_is_not_an_xlsx_is_left_to_the_whole_sheet_reader(tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(sheet_slices.NotSliceable):
        sheet_slices.read_sheet(path)


def test_a_formula_without_its_saved_result_is_an_error_naming_its_row_and_column(areas_db, tmp_path):
    from zengshou.synth import generate

    pop = generate(20, [2023, 2024], 3).population
    people = national.person_rows(pop, national.synthetic_monitoring(pop, 2024), 2024)
    path = national.write_workbook(people, tmp_path / "名单.xlsx", title="某县2024年监测对象信息")
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header_row = next(r for r in range(1, 6) if any(c.value == "工资性收入" for c in ws[r]))
    column = next(c.column for c in ws[header_row] if c.value == "工资性收入")
    ws.cell(header_row + 4, column, "=1000+2000")  # openpyxl saves the formula without its result
    wb.save(path)
    result, _ = national.read(path)
    formula = [p for p in result.errors if "公式" in p.message_zh]
    assert [(p.row, p.column) for p in formula] == [(header_row + 4, "收入情况/工资性收入")]
