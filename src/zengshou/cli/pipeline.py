"""Commands ``run`` (a file in, result files out) and ``pipeline`` (over the database, results stored)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zengshou.cli import app

if TYPE_CHECKING:
    from zengshou.tiers import CutPoints

_PARAMS_HELP = (
    "参数文件（可多个，覆盖内置参数，如各年监测范围） / parameter file(s) layered over the shipped ones"
)


def _summary(result: object) -> None:
    from zengshou.pipeline import BatchResult

    assert isinstance(result, BatchResult)
    period = f"{result.year}年" + (f"第{result.quarter}季度（累计）" if result.quarter else "")
    typer.echo(f"{period}：核算 {result.accounts.height:,d} 户")
    tiers = result.tiers["tier"].value_counts(sort=True)
    for tier, n in tiers.iter_rows():
        typer.echo(f"  {tier or '未分层'}：{n:,d} 户")
    codes = result.alerts["code"].value_counts().sort("code")
    typer.echo(
        f"预警 {result.alerts.height:,d} 条：" + "，".join(f"{c} {n:,d}" for c, n in codes.iter_rows())
    )
    typer.echo("用时 / seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))
    _cut_points(result)
    _groups(result)


def _cut_points(result: object) -> None:
    """C01: which cut points placed the households; a file ranked on its own is said to be so."""
    from zengshou.pipeline import BatchResult

    assert isinstance(result, BatchResult)
    cuts = result.cut_points
    if cuts is None:
        return
    if cuts.source == "自行":
        typer.echo(
            f"五等份：没有全区分界点，按本文件 {cuts.households or 0:,d} 户自行分组（分界点 {cuts.text()}），"
            "不是全区的分组；可用 --cut-points 给出全区分界点"
        )
        return
    ranked = f"，全区 {cuts.households:,d} 户排序" if cuts.households else ""
    typer.echo(f"五等份分界点（{cuts.label}{ranked}）：{cuts.text()}")


def _groups(result: object) -> None:
    """M02/M04 by county: persons, monitoring objects, low-income group and its share that fell."""
    from zengshou.monitor.groups import group_counts
    from zengshou.pipeline import BatchResult

    assert isinstance(result, BatchResult)
    counts = group_counts(
        result.population, result.accounts, result.tiers, "county", result.params, result.year
    )
    typer.echo("群体监测（按县）/ groups by county:")
    for r in counts.iter_rows(named=True):
        share = r["plan_scope_fell_share"]
        flag = "（高于全国平均）" if r.get("above_national_average") else ""
        share_text = "—" if share is None else f"{share:.1%}{flag}"
        typer.echo(
            f"  {r['area_code']} {r['area_name'] or ''}：{r['persons']:,d}人，监测对象{r['monitoring_persons']:,d}人，"
            f"低保{r['dibao_persons']:,d}人，特困{r['tekun_persons']:,d}人，残疾{r['disabled_persons']:,d}人，"
            f"低收入组{r['low_income_persons']:,d}人，其中脱贫人口收入不增反降占比{share_text}"
        )


@app.command("run")
def run_file(
    input: Annotated[
        Path,
        typer.Option(
            "--input", exists=True, help="交换格式工作簿(.xlsx)或CSV文件夹 / workbook or CSV folder"
        ),
    ],
    year: Annotated[int, typer.Option("--year", help="年度 / year")],
    out: Annotated[Path, typer.Option("--out", help="结果文件夹 / output folder")],
    quarter: Annotated[
        int | None, typer.Option("--quarter", min=1, max=4, help="季度（累计） / cumulative quarter 1–4")
    ] = None,
    params: Annotated[list[Path] | None, typer.Option("--params", exists=True, help=_PARAMS_HELP)] = None,
    cut_points: Annotated[
        str | None,
        typer.Option(
            "--cut-points",
            help="全区五等份分界点（4个，由低到高，如 6000,11000,16000,24000）；不给时用数据库保存的全区分界点，"
            "都没有则按本文件自行分组 / the region's four C01 cut points",
        ),
    ] = None,
) -> None:
    """对交换格式文件运行收入核算、分层和预警，写出结果表 / run the pipeline on a file, write result tables.

    C01 places the file's households with the region's cut points: official ones of the parameters,
    else ``--cut-points``, else those stored by ``zengshou pipeline`` for the period; without any, the
    file is ranked on its own and the output says so.
    """
    from zengshou.ingest import read
    from zengshou.params import ParameterError, tree
    from zengshou.pipeline import run_batch, write_files
    from zengshou.tiers import CutPoints

    given = None
    if cut_points is not None:
        try:
            given = CutPoints.given(cut_points)
        except ParameterError as exc:
            typer.echo(f"错误：--cut-points {exc}", err=True)
            raise typer.Exit(2) from None

    t0 = time.perf_counter()
    read_result = read(input)
    for w in getattr(read_result, "warnings", [])[:20]:
        typer.echo(f"警告 / warning: {w}", err=True)
    if read_result.errors:
        typer.echo(
            f"文件有 {len(read_result.errors)} 处错误，未运行 / {len(read_result.errors)} errors, nothing run:",
            err=True,
        )
        for e in read_result.errors[:50]:
            typer.echo(f"  {e}", err=True)
        raise typer.Exit(1)
    from zengshou.cli.checks import output_folder, require_population_year

    require_population_year(read_result.population, year, quarter)
    output_folder(out)
    if given is None:
        given = _stored_cut_points(year, quarter)
    try:
        result = run_batch(
            read_result.population, year, quarter, tree(map(str, params or [])), cut_points=given
        )
    except ValueError as exc:  # a parameter missing for the year, a malformed user parameter file
        typer.echo(f"未运行 / not run: {exc}", err=True)
        raise typer.Exit(1) from None
    paths = write_files(result, out)
    _summary(result)
    typer.echo(
        f"结果已写入 / written: {', '.join(p.name for p in paths)} → {out}  （共 {time.perf_counter() - t0:.1f} 秒）"
    )


def _stored_cut_points(year: int, quarter: int | None) -> CutPoints | None:
    """The region's cut points ``zengshou pipeline`` stored for the period, when a database exists;
    a file run needs no database, so one that is absent, not migrated or unreachable gives none."""
    import os

    from zengshou.config import database_settings

    settings = database_settings()
    if not os.environ.get("DATABASE_URL", "").strip() and not Path(settings["NAME"]).exists():
        return None
    from zengshou import setup_django

    try:
        setup_django()
        from zengshou.tiers.store import stored_cut_points

        return stored_cut_points(year, quarter)
    except Exception:  # no database to read: the file is ranked on its own, as the output says
        return None


@app.command("pipeline")
def pipeline_db(
    year: Annotated[int, typer.Option("--year", help="年度 / year")],
    quarter: Annotated[
        int | None, typer.Option("--quarter", min=1, max=4, help="季度（累计） / cumulative quarter 1–4")
    ] = None,
    area: Annotated[
        str | None, typer.Option("--area", help="只运行该区划（县、乡、村代码） / only this area")
    ] = None,
    params: Annotated[list[Path] | None, typer.Option("--params", exists=True, help=_PARAMS_HELP)] = None,
    user: Annotated[
        str, typer.Option("--user", help="操作人（写入审计） / user recorded in the audit trail")
    ] = "system",
) -> None:
    """对数据库运行批处理：流水线、一户一策计划、风险模型评分，保存结果 / run the batch over the database.

    The same work as the web's 运行批处理 (zengshou.batch.run), done here at once; the run is recorded
    and refused while a run of the same area is queued or running.
    """
    from zengshou.cli.checks import require_income
    from zengshou.cli.core import migrate

    migrate()
    require_income(year, quarter, area)
    from zengshou.batch.run import BatchBusy, create_run, execute
    from zengshou.registry.models import Area

    name = Area.objects.filter(code=area).values_list("name", flat=True).first() if area else ""
    try:
        files = [str(p) for p in params or []]
        run = create_run(area or "", name or "", year, quarter, user, source="cli", params_files=files)
    except BatchBusy as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    outcome = execute(run.pk, echo=lambda line: typer.echo(line, err=True))
    if outcome.result is not None:
        _summary(outcome.result)
    if not outcome.ok:
        typer.echo(outcome.run.message, err=True)
        raise typer.Exit(1)
    counts, seconds = outcome.figures, outcome.figures["seconds"]
    typer.echo(
        f"已保存 / stored: 分层结果 {counts['tier_results']:,d}，新预警 {counts['alerts_new']:,d}，"
        f"更新未处理预警 {counts['alerts_refreshed']:,d}，本年已处理不再预警 {counts['alerts_already_decided']:,d}"
    )
    for step in outcome.run.steps:
        if step["key"] in ("plans", "model") and step["note"]:
            typer.echo(f"{step['label']}：{step['note']}")
    typer.echo(f"读库 {seconds['read']:.1f} 秒，计算 {seconds['run']:.1f} 秒，写库 {seconds['store']:.1f} 秒")
    typer.echo(f"已记为批处理第 {run.pk} 号 / recorded as batch run {run.pk}")
