"""``zengshou demo``: a whole working system on the embedded default in one command."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import typer

from zengshou.cli import app
from zengshou.cli.core import migrate

DEMO_YEARS = range(2022, 2026)


class _Steps:
    """Runs named steps, printing each one's time so a user sees where a long run spends it."""

    def __init__(self) -> None:
        self.timings: list[tuple[str, float]] = []

    def run(self, label: str, fn: Callable[[], Any]) -> Any:
        typer.secho(f"▶ {label}", fg=typer.colors.CYAN, err=True)
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        self.timings.append((label, elapsed))
        typer.echo(f"  完成 / done in {elapsed:.1f} s", err=True)
        return result


def build_demo(households: int, seed: int, show_progress: bool = True) -> dict[str, Any]:
    """Generate a region, load it through the bulk import path, run the batch parts; return figures."""
    from zengshou import config
    from zengshou import synth as synth_mod
    from zengshou.ingest import feeds as feed_mod
    from zengshou.ingest import load

    steps = _Steps()
    out_dir = config.home() / "demo" / f"region-{households}-{seed}"
    steps.run("迁移数据库 / migrate", migrate)
    region = steps.run(
        f"生成模拟地区 {households:,} 户 / generate region",
        lambda: synth_mod.generate(households, DEMO_YEARS, seed, show_progress=show_progress),
    )
    steps.run("写出交换格式 / write interchange files", lambda: synth_mod.write(region, out_dir, "csv"))
    summary = steps.run(
        "导入农户数据 / import households",
        lambda: load(out_dir, username="demo", show_progress=show_progress),
    )
    for table in feed_mod.FEED_KINDS:
        path = out_dir / f"{table}.csv"
        if path.exists():
            steps.run(
                f"导入部门数据 {table} / feed", partial(feed_mod.import_feed, table, path, username="demo")
            )
    figures: dict[str, Any] = {"import": summary, "steps": steps.timings}
    for label, fn in _batch_steps(DEMO_YEARS[-1]):
        figures[label] = steps.run(label, fn)
    return figures


def _risk_model(year: int) -> str:
    """Train on the years before ``year``, score ``year`` and store the warnings as alerts.

    A region too small to train on is reported and skipped: the rest of the demo still stands.
    """
    from zengshou.model import ModelError, alerts, model_params, save, score, train
    from zengshou.model.alerts_store import store_alerts
    from zengshou.registry.read import population_from_database

    params = model_params()
    pop = population_from_database(None)
    try:
        model = train(pop, list(range(DEMO_YEARS[0], year)), params, source="demo")
    except ModelError as exc:
        message = f"风险模型未训练 / risk model not trained: {exc}"
        typer.echo(f"  {message}", err=True)
        return message
    save(model)
    warned = alerts(score(model, pop, year, params).scores)
    counts = store_alerts(warned, year, "demo", model.version)
    return f"模型 {model.version}：预警 {warned.height:,d} 户，新存 {counts['alerts_new']:,d}"


def _tier_history(years: range) -> str:
    """Accounts and tiers of the earlier years, stored without their alerts.

    A county that has used the system for years holds each year's tier results (the dashboard's and
    the household page's income trends read them); a demo region loaded at once has only its income
    rows, and raising years-old alerts would bury this year's queue.
    """
    from django.db import transaction
    from django.utils import timezone

    from zengshou.pipeline import MONITORING_STAGES, run_batch
    from zengshou.registry.read import population_from_database
    from zengshou.tiers.store import store_tiers

    stored = 0
    for y in years:
        pop = population_from_database(None, years=(y - 1, y))
        result = run_batch(pop, y, stages=MONITORING_STAGES)
        with transaction.atomic():
            stored += store_tiers(result.tiers, result.accounts, y, None, "demo", timezone.now())
    return f"{len(years)} 年分层结果 {stored:,d} 条 / tier results of earlier years"


def _batch_steps(year: int) -> list[tuple[str, Callable[[], Any]]]:
    """The batch parts over the database, in the order a county office would run them."""
    from zengshou.cli.toolbox import plan_generate
    from zengshou.pipeline import run_database

    history = range(DEMO_YEARS[0] + 1, year)
    return [
        (f"往年收入核算与分层 {history[0]}–{history[-1]} 年 / earlier years", lambda: _tier_history(history)),
        (f"收入核算、分层、预警、帮扶措施 {year} 年 / pipeline", lambda: run_database(year, username="demo")),
        (f"一户一策帮扶计划 {year} 年 / plans", lambda: plan_generate(year=year, area=None, user="demo")),
        (f"风险模型 {DEMO_YEARS[0]}–{year - 1} 训练、{year} 年评分 / risk model", lambda: _risk_model(year)),
    ]


@app.command()
def demo(
    households: int = typer.Option(50_000, "--households", "-n", min=1, help="农户数 / number of households"),
    seed: int = typer.Option(2025, help="随机种子 / random seed"),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="完成后启动网页 / serve the web app afterwards"
    ),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
) -> None:
    """演示：生成地区、导入、批处理、启动网页 / demo: generate, load, run the batch, serve."""
    start = time.perf_counter()
    build_demo(households, seed)
    from zengshou.web.demo import create_demo_users

    users = create_demo_users()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    typer.echo(
        f"\n演示数据已就绪 / demo ready: {households:,} 户, {time.perf_counter() - start:.1f} s, 峰值内存 {peak_mb:,.0f} MB"
    )
    typer.echo("演示账号 / demo users (用户名 / 密码 / 角色 / 区域):")
    for username, password, role, area in users:
        typer.echo(f"  {username:14s} {password:16s} {role:8s} {area}")
    if serve:
        from zengshou.cli.web import run_server

        run_server(host=host, port=port)
