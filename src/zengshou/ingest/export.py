"""Export the registry in the interchange format: a CSV folder or one workbook, masked by default.

Rows are sorted by natural key and written through :mod:`zengshou.frames` (CSV) or
:mod:`zengshou.workbooks` (amounts and counts as numbers, codes and ID numbers as text), so an export
imported into an empty database and exported again gives the same bytes. The output path decides the
format: a name ending in ``.xlsx`` is a workbook, anything else a CSV folder. A masked export cannot
be imported again (its ID numbers are hidden); :mod:`.templates` writes the blank file to fill in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from zengshou import frames, workbooks
from zengshou import interchange as ix
from zengshou.progress import progress
from zengshou.registry.idnumber import mask, mask_name, mask_phone

_MASKS = {"id_number": mask, "name": mask_name, "phone": mask_phone}
FORMATS = ("csv", "xlsx")
#: File suffixes that are neither a workbook the exporter writes nor a folder name.
_FILE_SUFFIXES = (".csv", ".xls", ".xlsm", ".ods", ".zip", ".txt", ".json")


class ExportError(ValueError):
    """An output path or format that cannot be written; the message says what to give instead."""


def output_format(out: Path, fmt: str | None = None) -> str:
    """``xlsx`` or ``csv`` for writing to ``out``: the suffix decides, ``fmt`` may only agree with it.

    Raises :class:`ExportError` for an unknown format, a format that contradicts the suffix, an
    existing folder given as a workbook, an existing file given as a CSV folder, or another suffix.
    """
    out = Path(out)
    if fmt is not None and fmt not in FORMATS:
        raise ExportError(f"格式应为 csv 或 xlsx，实际为“{fmt}”")
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        if fmt == "csv":
            raise ExportError(
                f"输出“{out}”以 .xlsx 结尾，却指定了 CSV 格式：要工作簿请去掉 --format csv，"
                "要 CSV 请给出一个文件夹路径"
            )
        if out.is_dir():
            raise ExportError(
                f"“{out}”是一个已有的文件夹，不能写成 .xlsx 工作簿：请给出工作簿文件名，如 导出.xlsx"
            )
        return "xlsx"
    if suffix in _FILE_SUFFIXES:
        raise ExportError(
            f"不能导出为“{out.name}”：请给出 .xlsx 工作簿文件名（如 导出.xlsx），"
            "或一个文件夹路径（每张表写一个 表名.csv）"
        )
    if fmt == "xlsx":
        raise ExportError(
            f"指定了 xlsx 格式，但输出“{out}”不以 .xlsx 结尾：请写成 --out {out.with_name(out.name + '.xlsx')}"
        )
    if out.exists() and not out.is_dir():
        raise ExportError(
            f"“{out}”是一个已有的文件，不是文件夹：CSV 导出写入文件夹，请换一个路径或以 .xlsx 结尾"
        )
    return "csv"


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


def _properties(with_personal_data: bool) -> dict[str, str]:
    if with_personal_data:
        return {"title": "农户数据（含个人信息）", "comments": "含姓名、证件号码、电话，请妥善保管"}
    return {
        "title": "农户数据（脱敏）",
        "comments": "姓名、证件号码、电话已脱敏，不能作为导入文件；导入请用空白模板",
    }


def export(
    out: Path,
    fmt: str | None = None,
    area: str | None = None,
    with_personal_data: bool = False,
    username: str = "cli",
    show_progress: bool = False,
) -> ExportSummary:
    """Write the registry (under ``area``) in the interchange format to ``out`` (see :func:`output_format`)."""
    from zengshou import setup_django

    setup_django()
    from zengshou.registry.audit import record

    out = Path(out)
    fmt = output_format(out, fmt)
    start = time.perf_counter()
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
            too_big = [t.name for t in ix.TABLES if tables[t.key].height >= workbooks.MAX_ROWS]
            if too_big:
                raise ExportError(f"工作表“{too_big[0]}”超过 Excel 行数上限，请导出为 CSV 文件夹")
            with workbooks.open_workbook(out) as wb:
                wb.set_properties(_properties(with_personal_data))
                for t in ix.TABLES:
                    workbooks.write_table_sheet(wb, tables[t.key], t)
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
