"""Commands ``quality check``, ``quality report``, ``quality exempt`` and ``quality rules``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zengshou.cli import app

quality_app = typer.Typer(help="数据质量核查（封库前核查规则、豁免清单、质量报告） / data-quality checks")
app.add_typer(quality_app, name="quality")

_AREA = typer.Option("--area", help="行政区划代码（默认全区） / area code")


@quality_app.command("check")
def check(
    area: Annotated[str | None, _AREA] = None,
    year: Annotated[int | None, typer.Option("--year", help="收入年度（默认最近一年） / income year")] = None,
    user: Annotated[str, typer.Option("--user", help="操作人 / user recorded")] = "cli",
) -> None:
    """按全部核查规则核查辖区农户，结果按次保存 / run every check over the area and store the run."""
    from zengshou import setup_django

    setup_django()
    from zengshou.cli.checks import require_area
    from zengshou.quality.store import run_checks

    require_area(area)
    run = run_checks(area, year, trigger="manual", username=user)
    typer.echo(
        f"核查 {run.households:,} 户 {run.persons:,} 人（{run.year}年收入）：问题 {run.findings:,} 条，"
        f"涉及 {run.flagged_households:,} 户，豁免 {run.exempted:,} 条（{run.seconds:.1f} 秒）"
    )
    from zengshou.quality.models import QualityCount

    counts: dict[str, int] = {}
    for code, n in QualityCount.objects.filter(run=run).values_list("code", "households"):
        counts[code] = counts.get(code, 0) + n
    from zengshou.quality.checks import CHECKS

    for c in CHECKS:
        if counts.get(c.code):
            typer.echo(f"  {c.code} {c.severity} {c.title}：{counts[c.code]:,} 户")


@quality_app.command("report")
def report(
    out: Annotated[Path, typer.Option("--out", help="写出 .xlsx / write the report")],
    area: Annotated[str | None, _AREA] = None,
) -> None:
    """最近一次核查的质量报告（规则汇总、下级区域、问题清单、重复人员、趋势） / the quality report."""
    from zengshou import setup_django

    setup_django()
    from zengshou.cli.checks import fail, output_file, require_area
    from zengshou.quality.report import build, write_xlsx

    require_area(area)
    output_file(out, (".xlsx",))
    rep = build(area)
    if rep.run is None:
        fail("还没有覆盖该区域的核查结果，请先运行 zengshou quality check")
    write_xlsx(rep, out)
    typer.echo(
        f"质量报告已写出 {out}：问题 {rep.findings.height:,} 条，涉及 {rep.flagged_households:,} 户，"
        f"重复人员 {rep.duplicates.height:,} 对，核查 {len(rep.trend)} 次"
    )


@quality_app.command("exempt")
def exempt(
    file: Annotated[
        Path, typer.Argument(help="豁免清单 .xlsx 或 .csv（规则代码、户编号、豁免理由、有效期至）")
    ],
    user: Annotated[str, typer.Option("--user", help="登记人 / user recorded")] = "cli",
) -> None:
    """导入豁免清单：全部无误才写入，逐条留痕 / import an exemption list, all rows or none, audited."""
    from zengshou import setup_django

    setup_django()
    from zengshou.cli.checks import fail
    from zengshou.quality.store import ExemptionRejected, import_exemptions

    if not file.is_file():
        fail(f"文件 {file} 不存在")
    try:
        n = import_exemptions(file, user)
    except ExemptionRejected as exc:
        for p in exc.problems:
            typer.echo(p, err=True)
        fail(f"豁免清单有 {len(exc.problems)} 处错误，未写入任何数据")
    typer.echo(f"已登记豁免 {n} 条（已记入审计）")


@quality_app.command("rules")
def rules() -> None:
    """列出全部核查规则 / list the checks."""
    from zengshou.quality.checks import CHECKS

    for c in CHECKS:
        typer.echo(f"{c.code}\t{c.severity}\t{c.title}\t{'、'.join(c.reads)}")
