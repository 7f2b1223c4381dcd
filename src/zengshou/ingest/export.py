"""Export the registry in the interchange format: a CSV folder or one workbook, masked by default.

Rows are sorted by natural key and written through :mod:`zengshou.frames`, so an export imported
into an empty database and exported again gives the same bytes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from zengshou import frames
from zengshou import interchange as ix
from zengshou.progress import progress
from zengshou.registry.idnumber import mask, mask_name, mask_phone

_MASKS = {"id_number": mask, "name": mask_name, "phone": mask_phone}


@dataclass
class ExportSummary:
    out: Path
    fmt: str
    area: str | None
    with_personal_data: bool
    counts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        rows = "，".join(f"{t.name} {self.counts.get(t.key, 0):,}" for t in ix.TABLES)
        masked = (
            "含个人信息 / with personal data"
            if self.with_personal_data
            else "个人信息已脱敏 / personal data masked"
        )
        return f"导出 / exported {self.out}（{self.fmt}，{masked}）：{rows}（{self.seconds:.1f} 秒）"


def sorted_for_export(pop: frames.Population) -> dict[str, pl.DataFrame]:
    """Each table in a stable order: by natural key (members: household, 户主 first, then ID number)."""
    rank = {r: i for i, r in enumerate(ix.RELATIONS)}
    members = pop.members.with_columns(
        pl.col("relation").replace_strict(rank, default=len(rank), return_dtype=pl.Int64).alias("_rank")
    )
    cadres = pop.cadres.with_columns(
        pl.col("current_households").str.split(";").list.sort().list.join(";").alias("current_households")
    )
    return {
        "villages": pop.villages.sort("village_code"),
        "households": pop.households.sort("household_id"),
        "members": members.sort(["household_id", "_rank", "id_number"]).drop("_rank"),
        "income": pop.income.sort(["household_id", "year", "quarter"], nulls_last=False),
        "cadres": cadres.sort("cadre_id"),
    }


def mask_personal(frame: pl.DataFrame, table: ix.Table) -> pl.DataFrame:
    """Names, ID numbers and phones masked as lists show them (640522********1234)."""
    cols = [c.key for c in table.columns if c.personal and c.key in frame.columns]
    return frame.with_columns(
        [pl.col(c).map_elements(_MASKS[c], return_dtype=pl.Utf8, skip_nulls=True) for c in cols]
    )


def export(
    out: Path,
    fmt: str = "csv",
    area: str | None = None,
    with_personal_data: bool = False,
    username: str = "cli",
    show_progress: bool = False,
) -> ExportSummary:
    """Write the registry (under ``area``) in the interchange format to ``out``."""
    from zengshou import setup_django

    setup_django()
    from zengshou.registry.audit import record

    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"格式应为 csv 或 xlsx，实际为 {fmt!r} / format must be csv or xlsx")
    start = time.perf_counter()
    out = Path(out)
    pop = frames.from_database(area)
    tables = sorted_for_export(pop)
    if not with_personal_data:
        tables = {t.key: mask_personal(tables[t.key], t) for t in ix.TABLES}
    summary = ExportSummary(out, fmt, area, with_personal_data, {k: f.height for k, f in tables.items()})
    with progress("导出 / export", sum(summary.counts.values()), enabled=show_progress) as advance:
        if fmt == "csv":
            out.mkdir(parents=True, exist_ok=True)
            for t in ix.TABLES:
                path = out / f"{t.name}.csv"
                frames.write_csv(tables[t.key], t, path)
                summary.files.append(path)
                advance(tables[t.key].height)
        else:
            too_big = [t.name for t in ix.TABLES if tables[t.key].height >= 1_048_576]
            if too_big:
                raise ValueError(
                    f"工作表“{too_big[0]}”超过 Excel 行数上限，请导出为 CSV / sheet {too_big[0]} is too big for .xlsx; use csv"
                )
            import xlsxwriter

            out.parent.mkdir(parents=True, exist_ok=True)
            with xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_numbers": False}) as wb:
                for t in ix.TABLES:
                    frames.write_xlsx_sheet(wb, tables[t.key], t)
                    advance(tables[t.key].height)
            summary.files.append(out)
    summary.seconds = time.perf_counter() - start
    record(
        username,
        "export.personal" if with_personal_data else "export",
        "interchange",
        area or "",
        {"out": str(out), "format": fmt, "counts": summary.counts, "with_personal_data": with_personal_data},
    )
    return summary
