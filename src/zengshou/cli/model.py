"""``zengshou model train | score | backtest | show``: the intelligent risk model (M02) from the command line."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from zengshou.cli import app

model_app = typer.Typer(
    help="智能风险模型：预测谁明年收入下降或低于监测范围，并说明原因 / the risk model (M02)",
    no_args_is_help=True,
)
app.add_typer(model_app, name="model")

_PARAMS_HELP = (
    "参数文件（覆盖内置参数，如走访比例、预警级别） / parameter file(s) layered over the shipped ones"
)


def _params(files: list[Path] | None) -> Any:
    from zengshou.model import model_params

    return model_params(*map(str, files or []))


def _population(area: str | None) -> Any:
    from zengshou.cli.core import migrate

    migrate()
    from zengshou.cli.checks import require_area
    from zengshou.registry.read import population_from_database

    require_area(area)
    pop = population_from_database(area)
    if pop.households.height == 0:
        typer.echo("数据库中没有农户数据（请先导入） / no households in the database", err=True)
        raise typer.Exit(1)
    return pop


def _fail(exc: Exception) -> None:
    typer.echo(f"错误 / error: {exc}", err=True)
    raise typer.Exit(1)


@model_app.command("train")
def train_cmd(
    years: Annotated[
        str | None,
        typer.Option(
            "--years", help="特征年度，如 2022-2024（需有次年收入）；默认全部可用年度 / feature years t"
        ),
    ] = None,
    area: Annotated[str | None, typer.Option("--area", help="只用该区划的数据 / only this area")] = None,
    params: Annotated[list[Path] | None, typer.Option("--params", exists=True, help=_PARAMS_HELP)] = None,
) -> None:
    """训练并校准模型，保存为新版本 / train, calibrate and store a new model version."""
    from zengshou.model import ModelError, save, train
    from zengshou.model.training import parse_years

    ps = _params(params)
    pop = _population(area)
    t0 = time.perf_counter()
    try:
        model = train(
            pop, parse_years(years) if years else None, ps, source=f"database{':' + area if area else ''}"
        )
    except ModelError as exc:
        _fail(exc)
        return
    folder = save(model)
    card = model.card
    m = card["metrics"]
    b = m["held_out_at_budget"]
    typer.echo(
        f"模型 {card['version']} 已保存 / stored → {folder}\n"
        f"训练年度 {card['years']}，{card['training']['rows']:,d} 户·年（{card['training']['households']:,d} 户），"
        f"次年风险比例 {card['training']['at_risk_rate']:.1%}\n"
        f"留出农户 AUC {m['held_out_auc']:.3f}，走访前 {m['budget_share']:.0%}（{b['visits']:,d} 户）精确率 {b['precision']:.1%}、"
        f"召回率 {b['recall']:.1%}\n用时 {time.perf_counter() - t0:.1f} 秒"
    )


@model_app.command("score")
def score_cmd(
    year: Annotated[int, typer.Option("--year", help="评分年度 t（预测 t+1） / year scored")],
    version: Annotated[
        str | None, typer.Option("--version", help="模型版本，默认最新 / model version")
    ] = None,
    area: Annotated[str | None, typer.Option("--area", help="只评该区划 / only this area")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="写出评分表 CSV / write the scores as CSV")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="显示风险最高的户数 / rows to show")] = 10,
    store: Annotated[
        bool, typer.Option("--store", help="将模型预警写入预警表 / store the warnings as alerts")
    ] = False,
    user: Annotated[str, typer.Option("--user", help="操作人（审计） / user for the audit trail")] = "system",
    params: Annotated[list[Path] | None, typer.Option("--params", exists=True, help=_PARAMS_HELP)] = None,
) -> None:
    """对一个年度评分：概率、级别、三条原因；报告特征漂移 / score a year, report drift."""
    from zengshou.cli.checks import output_file, require_income
    from zengshou.model import ModelError, alerts, load, score

    ps = _params(params)
    if out is not None:
        output_file(out, (".csv",))
    try:
        model = load(version)
        pop = _population(area)
        require_income(year, None, area)
        result = score(model, pop, year, ps)
    except ModelError as exc:
        _fail(exc)
        return
    s = result.scores
    warned = alerts(s)
    levels = warned["level"].value_counts().sort("level")
    typer.echo(
        f"模型 {model.version}：{year}年评分 {s.height:,d} 户；预警 {warned.height:,d} 户（"
        + "，".join(f"{lv} {n:,d}" for lv, n in levels.iter_rows())
        + f"）；走访名单 {int(s['in_budget'].sum()):,d} 户"
    )
    for row in s.head(top).iter_rows(named=True):
        typer.echo(
            f"  {row['rank']:>5d}. {row['household_id']}  {row['probability']:.0%}  {row['level'] or '—'}  "
            + "；".join(row["reasons"])
        )
    if result.drift:
        typer.echo("⚠ 特征漂移（评分年度与训练数据差异大，概率可信度下降） / drift:", err=True)
        for d in result.drift[:10]:
            typer.echo(f"    {d['label']}（{d['feature']}）PSI {d['psi']:.2f}", err=True)
    if out is not None:
        import polars as pl

        table = s.select(
            pl.col("household_id").alias("户编号"),
            pl.col("year").alias("年度"),
            pl.col("probability").round(4).alias("风险概率"),
            pl.col("rank").alias("排名"),
            pl.col("in_budget").replace_strict({True: "是", False: "否"}).alias("优先走访"),
            pl.col("level").alias("级别"),
            pl.col("reasons").list.join("；").alias("主要原因"),
        )
        from zengshou.frames import write_frame_csv

        write_frame_csv(table, out)
        typer.echo(f"评分表已写入 / written → {out}")
    if store:
        from zengshou.model.alerts_store import store_alerts

        counts = store_alerts(warned, year, user, model.version)
        typer.echo(
            f"已保存预警 / stored: 新 {counts['alerts_new']:,d}，更新 {counts['alerts_refreshed']:,d}，"
            f"本年已处理 {counts['alerts_already_decided']:,d}"
        )


@model_app.command("backtest")
def backtest_cmd(
    households: Annotated[
        int, typer.Option("--households", help="模拟农户数 / synthetic households")
    ] = 20000,
    seed: Annotated[int, typer.Option("--seed", help="随机种子 / seed")] = 1,
    years: Annotated[str, typer.Option("--years", help="模拟面板年度 / panel years")] = "2021-2025",
    test_year: Annotated[int | None, typer.Option("--test-year", help="测试年度 t / test year")] = None,
    budget: Annotated[
        float | None,
        typer.Option("--budget", min=0.0001, max=1.0, help="可走访农户占比 / visit budget share"),
    ] = None,
    from_database: Annotated[
        bool, typer.Option("--from-database", help="用数据库数据而非模拟面板 / use the database")
    ] = False,
    area: Annotated[
        str | None, typer.Option("--area", help="数据库区划 / area (with --from-database)")
    ] = None,
    params: Annotated[list[Path] | None, typer.Option("--params", exists=True, help=_PARAMS_HELP)] = None,
) -> None:
    """回测：早年训练、后一年测试，与规则基线在同样走访数下比较，输出 JSON / backtest, print JSON."""
    from zengshou.model import ModelError, backtest
    from zengshou.model.training import parse_years

    ps = _params(params)
    shocks = None
    t0 = time.perf_counter()
    if from_database:
        pop = _population(area)
        source = "database"
    else:
        from zengshou.synth import generate

        region = generate(households, parse_years(years), seed, show_progress=False)
        pop, shocks = region.population, region.shocks
        if not pop.feeds and region.feeds:
            pop.feeds = dict(region.feeds)
        source = f"synthetic:{households}:{seed}"
    t_data = time.perf_counter() - t0
    try:
        result = backtest(pop, shocks, test_year=test_year, budget_share=budget, params=ps)
    except ModelError as exc:
        _fail(exc)
        return
    result = {"source": source, "households": pop.households.height, **result}
    result["seconds"]["data"] = round(t_data, 2)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1))


@model_app.command("show")
def show_cmd(
    version: Annotated[str | None, typer.Option("--version", help="模型版本 / version")] = None,
) -> None:
    """显示模型卡片和已存版本 / print a stored version's card."""
    from zengshou.model import ModelError, load, versions
    from zengshou.model.storage import card_markdown

    try:
        model = load(version)
    except ModelError as exc:
        _fail(exc)
        return
    typer.echo(f"已存版本 / versions: {', '.join(versions())}\n")
    typer.echo(card_markdown(model.card))
