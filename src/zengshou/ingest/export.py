"""Export the registry in the interchange format: a CSV folder or one workbook, masked by default.

Rows are sorted by natural key and written through :mod:`zengshou.frames` (CSV) or
:mod:`zengshou.workbooks` (amounts and counts as numbers, codes and ID numbers as text), so an export
imported into an empty database and exported again gives the same bytes. The output path decides the
format: a name ending in ``.xlsx`` is a workbook, anything else a CSV folder. A masked export cannot
be imported again (its ID numbers are hidden); :mod:`.templates` writes the blank file to fill in.
:func:`export_national` writes the national monitoring system's person-list layout instead, with
the headers :mod:`.national` reads, so figures can be compared with the national system's.
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
        if self.fmt == "national":
            rows = f"全国人员表：农户 {self.counts.get('households', 0):,}，成员行 {self.counts.get('members', 0):,}"
        else:
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
    from zengshou.registry.read import from_database

    out = Path(out)
    fmt = output_format(out, fmt)
    start = time.perf_counter()
    pop = from_database(area)
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


#: Person-row columns the national export masks without ``with_personal_data`` (as the tables are).
_NATIONAL_MASKS = {"name": mask_name, "id_number": mask, "phone": mask_phone, "cadre_name": mask_name}


def monitoring_rows(households: pl.Series | None = None) -> pl.DataFrame:
    """Each household's monitoring object as the national lists give it: the open one, else the
    latest eliminated; 识别监测时间 and 消除监测时间 as YYYYMM, 风险是否已消除 as 是/否."""
    from zengshou.registry.read import query_frame

    objects = query_frame(
        "SELECT household_id, monitoring_type, risk_1, risk_2, risk_3, risk_4, risk_5, included_on, "
        "risk_eliminated_on, elimination_method FROM monitor_monitoringobject",
        [],
        {
            "household_id": pl.Utf8,
            "monitoring_type": pl.Utf8,
            **{k: pl.Utf8 for k in ix.RISK_SLOTS},
            "included_on": pl.Date,
            "eliminated_on": pl.Date,
            "elimination_method": pl.Utf8,
        },
    )
    if households is not None:
        objects = objects.filter(pl.col("household_id").is_in(households.implode()))
    blank = [pl.when(pl.col(k) == "").then(None).otherwise(pl.col(k)).alias(k) for k in ix.RISK_SLOTS]
    return (
        objects.sort(
            ["household_id", pl.col("eliminated_on").is_null(), "eliminated_on", "included_on"],
            nulls_last=True,
        )
        .unique("household_id", keep="last", maintain_order=True)
        .select(
            "household_id",
            "monitoring_type",
            *blank,
            pl.col("included_on").dt.strftime("%Y%m").alias("identified_month"),
            pl.when(pl.col("eliminated_on").is_null())
            .then(pl.lit("否"))
            .otherwise(pl.lit("是"))
            .alias("risk_eliminated"),
            pl.when(pl.col("elimination_method") == "")
            .then(None)
            .otherwise(pl.col("elimination_method"))
            .alias("elimination_method"),
            pl.col("eliminated_on").dt.strftime("%Y%m").alias("eliminated_month"),
        )
    )


def export_national(
    out: Path,
    area: str | None = None,
    year: int | None = None,
    with_personal_data: bool = False,
    username: str = "cli",
) -> ExportSummary:
    """Write the registry (under ``area``) as a national-layout person list: one row per person with
    the household, the year's income, the 监测对象 and the 帮扶责任人 columns repeated, the headers
    :mod:`.national` reads back. ``year``: the income year (default the latest with whole-year rows)."""
    from zengshou import setup_django

    setup_django()
    from zengshou.ingest import national
    from zengshou.registry.audit import record
    from zengshou.registry.read import from_database

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise ExportError(f"全国人员表导出为 .xlsx 工作簿：请写成 --out {out.with_suffix('.xlsx')}")
    if out.is_dir():
        raise ExportError(f"“{out}”是一个已有的文件夹，不能写成 .xlsx 工作簿：请给出工作簿文件名")
    start = time.perf_counter()
    pop = from_database(area)
    years = pop.income.filter(pl.col("quarter").is_null())["year"].unique().sort().to_list()
    if year is None:
        if not years:
            raise ExportError("没有全年收入数据，无法确定收入年度：请先导入收入表，或用 --year 指定")
        year = int(years[-1])
    elif years and year not in years:
        raise ExportError(f"{year} 年没有全年收入数据；已有：{'、'.join(str(y) for y in years)}")
    people = national.person_rows(pop, monitoring_rows(pop.households["household_id"]), year)
    rank = {r: i for i, r in enumerate(ix.RELATIONS)}
    people = (
        people.with_columns(
            pl.col("relation").replace_strict(rank, default=len(rank), return_dtype=pl.Int64).alias("_rank")
        )
        .sort(["household_id", "_rank", "id_number"])
        .drop("_rank")
    )
    if people.height + 4 > workbooks.MAX_ROWS:
        raise ExportError(
            f"{people.height:,} 个成员行超过 Excel 工作表行数上限：请按县或乡镇（--area）分别导出"
        )
    if not with_personal_data:
        people = people.with_columns(
            [
                pl.col(c).map_elements(f, return_dtype=pl.Utf8, skip_nulls=True)
                for c, f in _NATIONAL_MASKS.items()
                if c in people.columns
            ]
        )
    title = f"{year}年防止返贫监测对象信息" + (
        "" if with_personal_data else "（个人信息已脱敏，不能作为导入文件）"
    )
    national.write_workbook(people, out, title=title)
    summary = ExportSummary(
        out,
        "national",
        area,
        with_personal_data,
        {"households": people["household_id"].n_unique(), "members": people.height},
        [out],
    )
    summary.seconds = time.perf_counter() - start
    record(
        username,
        "export.personal" if with_personal_data else "export",
        "national",
        area or "",
        {
            "out": str(out),
            "format": "national",
            "year": year,
            "counts": summary.counts,
            "with_personal_data": with_personal_data,
        },
    )
    return summary
