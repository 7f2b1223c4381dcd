"""Write a generated region in the interchange format: a CSV folder or one workbook."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zengshou import frames
from zengshou import interchange as ix
from zengshou.synth.generate import SynthRegion
from zengshou.workbooks import write_table_sheet

#: Rows an .xlsx sheet holds, header included (Excel's limit).
XLSX_MAX_ROWS = 1_048_576
#: The ground truth of applied shocks; not part of the interchange format.
SHOCKS_FILE = "_冲击.csv"


def write(region: SynthRegion, out: Path | str, fmt: str = "csv") -> list[Path]:
    """Write the tables, the feeds and the shocks; returns the files written.

    ``csv``: ``out`` is a folder with ``<表名>.csv`` per table and feed (UTF-8 with BOM) and
    ``_冲击.csv``. ``xlsx``: ``out`` is a workbook with one sheet per table and feed; the shocks go
    beside it as ``<name>_冲击.csv``.
    """
    out = Path(out)
    pop = region.population
    tables = [(t, pop.table(t)) for t in ix.TABLES] + [
        (t, region.feeds[t.key]) for t in ix.FEEDS if t.key in region.feeds
    ]
    if fmt == "csv":
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for table, frame in tables:
            path = out / f"{table.name}.csv"
            frames.write_csv(frame, table, path)
            written.append(path)
        shocks = out / SHOCKS_FILE
        _write_shocks(region.shocks, shocks)
        return [*written, shocks]
    if fmt == "xlsx":
        too_big = [(t.name, f.height) for t, f in tables if f.height + 1 > XLSX_MAX_ROWS]
        if too_big:
            name, rows = too_big[0]
            raise ValueError(
                f"工作表“{name}”有 {rows:,} 行，超过 Excel 上限 {XLSX_MAX_ROWS - 1:,} 行，请改用 CSV 文件夹 / "
                f"sheet {name} has {rows:,} rows, more than an .xlsx sheet holds; write a CSV folder instead"
            )
        import xlsxwriter

        out.parent.mkdir(parents=True, exist_ok=True)
        with xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False}) as wb:
            for table, frame in tables:
                write_table_sheet(wb, frame, table)
        shocks = out.with_name(out.stem + SHOCKS_FILE)
        _write_shocks(region.shocks, shocks)
        return [out, shocks]
    raise ValueError(f"格式应为 csv 或 xlsx，实际为 {fmt!r} / format must be csv or xlsx")


def _write_shocks(shocks: pl.DataFrame, path: Path) -> None:
    renamed = shocks.rename(
        {
            "household_id": "户编号",
            "year": "年度",
            "shock": "冲击类型",
            "member_id_number": "证件号码",
            "area_code": "行政区划代码",
            "magnitude": "幅度",
            "event_date": "发生日期",
        }
    )
    frames.write_frame_csv(renamed, path)
