"""A county's own version of the national person list: three title rows, the header on row 4,
证件号码 headed 公民身份号码 and 户编号 headed 户码 (the other headers as the national system's)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zengshou.ingest import national

YEAR = 2024
HEADER_ROW = 4
RENAMED = {"证件号码": "公民身份号码", "户编号": "户码"}
#: The fields of the renamed columns, which the national profile does not know by these names.
COUNTY_FIELDS = {"公民身份号码": "members.id_number", "户码": "households.household_id"}


def people(households: int = 40, seed: int = 3) -> pl.DataFrame:
    from zengshou.synth import generate

    pop = generate(households, [YEAR - 1, YEAR], seed).population
    return national.person_rows(pop, national.synthetic_monitoring(pop, YEAR), YEAR)


def national_list(rows: pl.DataFrame, out: Path) -> Path:
    """The list with the national headers, laid out as the county's."""
    return national.write_workbook(
        rows, out, title=f"某县{YEAR}年监测对象信息", title_rows=HEADER_ROW - 1, two_row_header=False
    )


def county_list(rows: pl.DataFrame, out: Path) -> Path:
    """The same list with the county's header names."""
    import openpyxl

    national_list(rows, out)
    book = openpyxl.load_workbook(out)
    sheet = book.active
    assert sheet is not None
    for cell in sheet[HEADER_ROW]:
        if cell.value in RENAMED:
            cell.value = RENAMED[str(cell.value)]
    book.save(out)
    return out
