"""Commands ``assess`` (M06/S01 quarterly figures per area) and ``report`` (.docx / PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zengshou.cli import app

_Year = Annotated[int, typer.Option("--year", help="年度 / year")]
_Quarter = Annotated[int, typer.Option("--quarter", min=1, max=4, help="季度（累计） / cumulative quarter")]


def _assess(year: int, quarter: int, area: str | None) -> object:
    from zengshou import setup_django

    setup_django()
    from zengshou.assess.database import assess_database

    try:
        return assess_database(year, quarter, area)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _require_filled(area: str, year: int, quarter: int) -> None:
    """Refuse a period without data for the area before the assessment runs (same rule as the web)."""
    from zengshou import setup_django

    setup_django()
    from zengshou.web.periods import NoData, require_filled

    try:
        require_filled(area, year, quarter)
    except NoData as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@app.command("assess")
def assess(
    year: _Year,
    quarter: _Quarter,
    area: Annotated[str | None, typer.Option("--area", help="行政区划代码（默认全区） / area")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="指标写出为 .csv 或 .xlsx / write figures")
    ] = None,
) -> None:
    """按县、市、全区计算季度收入监测指标，列出低于全区平均的县区（约谈提醒） / quarterly assessment."""
    from zengshou.assess.indicators import LABELS, Assessment
    from zengshou.assess.report import SUMMARY_KEYS, fmt
    from zengshou.cli.checks import output_file
    from zengshou.frames import write_frame_csv
    from zengshou.registry.areas import REGION_CODE
    from zengshou.workbooks import write_frames

    if out is not None:
        output_file(out, (".csv", ".xlsx"))
    _require_filled(area or REGION_CODE, year, quarter)
    a = _assess(year, quarter, area)
    assert isinstance(a, Assessment)
    typer.echo(f"{year}年第{quarter}季度（累计）收入监测分析")
    for r in a.figures.sort(["level", "area_code"], descending=[True, False]).iter_rows(named=True):
        figures = "，".join(f"{LABELS[k]} {fmt(k, r[k])}" for k in SUMMARY_KEYS)
        typer.echo(f"  {r['area_code']} {r['area_name'] or ''}：{figures}")
    typer.echo(f"约谈提醒（S01）：{a.interviews.height} 个县区")
    for r in a.interviews.iter_rows(named=True):
        typer.echo(f"  {r['area_code']} {r['area_name'] or ''}（得分 {r['score']:g}）：{r['worse']}")
    if out is not None:
        table = a.figures.rename({k: v for k, v in LABELS.items() if k in a.figures.columns}).rename(
            {"area_code": "行政区划代码", "area_name": "名称", "level": "级别"}
        )
        if out.suffix.lower() == ".xlsx":
            write_frames(out, {"季度分析": table})
        else:
            write_frame_csv(table, out)
        typer.echo(f"已写出 / written: {out}")


@app.command("report")
def report(
    area: Annotated[str, typer.Option("--area", help="行政区划代码 / area code")],
    year: _Year,
    quarter: _Quarter,
    out: Annotated[Path, typer.Option("--out", help="报告文件 .docx 或 .pdf / report file")],
) -> None:
    """生成季度收入监测分析报告（Word 或 PDF） / quarterly analysis report."""
    from zengshou.assess.indicators import Assessment
    from zengshou.assess.report import ReportError, write_report
    from zengshou.cli.checks import output_file

    output_file(out, (".docx", ".pdf"))
    _require_filled(area, year, quarter)
    a = _assess(year, quarter, None)
    assert isinstance(a, Assessment)
    try:
        write_report(a, area, out)
    except ReportError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"报告已生成 / written: {out}")


targets_app = typer.Typer(help="目标任务及进度 / the plans' targets and their progress", no_args_is_help=True)
app.add_typer(targets_app, name="targets")


@targets_app.command("show")
def targets_show(year: _Year, quarter: _Quarter) -> None:
    """列出各项目标任务的完成进度，标出滞后项 / progress against each target, behind schedule flagged."""
    from zengshou import setup_django

    setup_django()
    from zengshou.assess.targets import PLAN_START, load_targets, progress_frame, status

    targets = load_targets()
    last = max([d.year for d in targets["deadline"].drop_nulls().to_list()], default=PLAN_START.year)
    if not PLAN_START.year <= year <= last:
        typer.echo(
            f"错误：{year} 年不在两个工作方案的目标年度（{PLAN_START.year}–{last} 年）之内，没有可显示的目标任务",
            err=True,
        )
        raise typer.Exit(2)
    s = status(targets, progress_frame(), year, quarter)
    for r in s.iter_rows(named=True):
        done = "无数据" if r["done"] is None else f"{r['done']:,.0f}（{r['done_share']:.0%}）"
        typer.echo(
            f"[{r['status']}] {r['target_id']}：目标 {r['value']:,.0f}{r['unit']}，完成 {done}，"
            f"应完成 {r['expected_share']:.0%}，期限 {r['due']}，责任单位 {r['units']}"
        )
    typer.echo(
        f"滞后 {int((s['status'] == '滞后').sum())} 项，无数据 {int((s['status'] == '无数据').sum())} 项"
    )


@targets_app.command("progress")
def targets_progress(
    target: Annotated[str, typer.Option("--target", help="目标（代码:名称） / target id")],
    year: _Year,
    quarter: _Quarter,
    value: Annotated[float, typer.Option("--value", help="截至本季度累计完成值 / cumulative figure")],
    user: Annotated[str, typer.Option("--user", help="填报人 / user")] = "system",
    unit_name: Annotated[str, typer.Option("--unit", help="填报单位 / department")] = "",
) -> None:
    """填报目标任务季度进度（累计值） / enter a target's cumulative progress for a quarter."""
    from zengshou import setup_django

    setup_django()
    from zengshou.assess.targets import TargetError, record_progress

    try:
        record_progress(target, year, quarter, value, user, unit_name)
    except TargetError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已填报 / recorded: {target} {year}年第{quarter}季度 {value:,.2f}")
