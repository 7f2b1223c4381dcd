"""Command ``pair``: propose (and on ``--confirm`` write) the S02 cadre pairing over the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from zengshou.cli import app


@app.command("pair")
def pair(
    year: Annotated[int, typer.Option("--year", help="年度（收入核算与五等份所用年度） / year")],
    area: Annotated[str | None, typer.Option("--area", help="行政区划代码（默认全区） / area code")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="方案写出为 .xlsx 或 .csv / write the proposal")
    ] = None,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="确认并写入数据库（变更逐户留痕） / write the changes, audited")
    ] = False,
    user: Annotated[str, typer.Option("--user", help="操作人 / user recorded in the audit")] = "system",
) -> None:
    """按S02规则求解干部结对方案：保留可保留的结对，不足时列出各县缺少的干部 / propose the cadre pairing."""
    from zengshou import setup_django

    setup_django()
    from zengshou.cli.checks import output_file, require_income

    require_income(year, None, area)
    if out is not None:
        output_file(out, (".xlsx", ".csv"))
    from zengshou.frames import write_frame_csv
    from zengshou.pairing import max_households, pair_population
    from zengshou.pairing.solver import city_of
    from zengshou.pairing.store import PairingConflict
    from zengshou.pairing.store import confirm as confirm_result
    from zengshou.params import tree
    from zengshou.pipeline import MONITORING_STAGES, run_batch
    from zengshou.registry.areas import level_of
    from zengshou.registry.read import population_from_database
    from zengshou.workbooks import write_frames

    # the city's population: its senior cadres serve falling households of every county of it
    city = city_of(area[:6]) if area and level_of(area) in ("county", "township", "village") else area
    pop = population_from_database(city, years=(year - 1, year))
    if pop.households.height == 0:
        typer.echo("数据库中没有农户数据（请先导入） / no households in the database", err=True)
        raise typer.Exit(2)
    params = tree()
    # the solver needs accounts and tiers; the pipeline's own pairing stage would solve it twice
    batch = run_batch(pop, year, params=params, stages=MONITORING_STAGES)
    cap = max_households(params, year)
    result = pair_population(pop, batch.accounts, batch.tiers, cap, area=area)
    s = result.stats
    typer.echo(
        f"{year}年结对方案：范围内 {s['households']:,d} 户，结对 {s['paired']:,d} 户"
        f"（保留 {s['kept']:,d}，新结对或调整 {s['changed']:,d}），未结对 {s['unpaired']:,d} 户；"
        f"收入不增反降户临时帮扶 {s['interim']:,d} 户"
    )
    for r in result.cities.filter(pl.col("missing_senior") > 0).iter_rows(named=True):
        typer.echo(
            f"  {r['city_code']} 缺县处级以上干部 {r['missing_senior']} 名：收入不增反降户 {r['falling']} 户，"
            f"由县处级以上干部结对 {r['senior_paired']} 户，临时帮扶 {r['interim']} 户，未结对 {r['unpaired_falling']} 户"
        )
    loads = result.loads.filter(pl.col("households") > 0)
    if loads.height:
        typer.echo(
            f"干部 {result.loads.height:,d} 名，其中有结对户 {loads.height:,d} 名，"
            f"每名最多 {loads.select(pl.col('households').max()).item()} 户（S02 上限 {cap} 户）"
        )
    for r in result.shortage.iter_rows(named=True):
        typer.echo(
            f"  {r['county_code']} 干部不足：收入下降户未结对 {r['unpaired_falling']} 户，其他 {r['unpaired_other']} 户；"
            f"需增加县处级以上干部 {r['missing_senior']} 名、其他干部 {r['missing_any']} 名"
        )
    if out is not None:
        table = result.pairs.select(
            pl.col("household_id").alias("户编号"),
            pl.col("county_code").alias("县区代码"),
            pl.col("fell").alias("收入不增反降"),
            pl.col("per_capita_income").alias("人均纯收入"),
            pl.col("previous_cadre_id").alias("原干部编号"),
            pl.col("cadre_id").alias("干部编号"),
            pl.col("rank").alias("干部职级"),
            pl.when(pl.col("interim")).then(pl.lit("是")).otherwise(pl.lit("")).alias("临时帮扶"),
            pl.col("change").alias("变更"),
            pl.col("reason").alias("依据"),
        )
        if out.suffix.lower() == ".xlsx":
            write_frames(out, {"结对方案": table})
        else:
            write_frame_csv(table, out)
        typer.echo(f"方案已写出 / written: {out}")
    if confirm:
        try:
            counts = confirm_result(result, user)
        except PairingConflict as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"已确认：新建结对 {counts['created']:,d}，结束原结对 {counts['ended']:,d}（已记入审计）")
    else:
        typer.echo("（仅为方案；加 --confirm 写入数据库） / proposal only; add --confirm to write")
