"""``zengshou spark run``: the batch pipeline on Apache Spark, from a Parquet registry to Parquet results."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from zengshou.cli import app

spark_app = typer.Typer(
    help="在 Apache Spark 上运行批处理（Parquet 输入、Parquet 输出）/ the batch on Spark",
    no_args_is_help=True,
)
app.add_typer(spark_app, name="spark")

_STAGE_NAMES = {
    "accounts": "收入核算",
    "cut_points": "全区五等份分界点",
    "alerts": "预警与分层",
    "measures": "帮扶措施",
    "pairing": "结对",
}


@spark_app.command("run")
def spark_run(
    input: Annotated[
        str,
        typer.Option(
            "--input", help="Parquet 数据文件夹（zengshou export --format parquet 写出）/ Parquet folder"
        ),
    ],
    year: Annotated[int, typer.Option("--year", help="年度 / year")],
    out: Annotated[str, typer.Option("--out", help="结果 Parquet 文件夹 / output folder")],
    quarter: Annotated[
        int | None, typer.Option("--quarter", min=1, max=4, help="季度（累计） / cumulative quarter 1–4")
    ] = None,
    master: Annotated[
        str,
        typer.Option(
            "--master",
            help="Spark master：本机 local[*]（默认）；在 spark-submit 下给空字符串，由 spark-submit 决定 / Spark master",
        ),
    ] = "local[*]",
    params: Annotated[
        list[Path] | None,
        typer.Option("--params", exists=True, help="参数文件（覆盖内置参数）/ parameter files"),
    ] = None,
    cut_points: Annotated[
        str | None,
        typer.Option(
            "--cut-points",
            help="全区五等份分界点（4个，由低到高）；不给时按输入的全部农户排序计算 / the region's four C01 cut points",
        ),
    ] = None,
    local_dir: Annotated[
        str | None, typer.Option("--local-dir", help="Spark 临时文件目录 / spark.local.dir")
    ] = None,
    driver_memory: Annotated[
        str | None, typer.Option("--driver-memory", help="本机模式的内存，如 8g / spark.driver.memory")
    ] = None,
) -> None:
    """在 Spark 上运行收入核算、预警、分层、帮扶措施和结对，结果写为 Parquet / run the batch on Spark.

    The same definitions as ``zengshou run``: the steps that are rules of the DSL are compiled to
    Spark, the others run the project's polars code per county (pairing per city); docs/spark.md.
    """
    from zengshou.params import ParameterError, tree
    from zengshou.spark import session
    from zengshou.spark.batch import run
    from zengshou.tiers import CutPoints

    given = None
    if cut_points is not None:
        try:
            given = CutPoints.given(cut_points)
        except ParameterError as exc:
            typer.echo(f"错误：--cut-points {exc}", err=True)
            raise typer.Exit(2) from None
    if "://" not in input and not Path(input, "households").is_dir():
        typer.echo(
            f"错误：“{input}”不是 Parquet 数据文件夹（应有 households/ 等子文件夹，"
            "可用 zengshou export --format parquet 写出）",
            err=True,
        )
        raise typer.Exit(2)
    from pyspark.sql import SparkSession

    t0 = time.perf_counter()
    ours = SparkSession.getActiveSession() is None  # a caller's session (tests, a notebook) stays open
    spark = session(master, "zengshou-batch", local_dir=local_dir, driver_memory=driver_memory)
    if ours:
        spark.sparkContext.setLogLevel("ERROR")
    try:
        result = run(
            spark,
            input,
            year,
            out,
            quarter,
            tree(map(str, params or [])),
            on_step=lambda name: typer.echo(f"… {_STAGE_NAMES.get(name, name)}"),
            cut_points=given,
        )
    except ValueError as exc:  # a parameter missing for the year, a malformed user parameter file
        typer.echo(f"未运行 / not run: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        if ours:
            spark.stop()
    period = f"{year}年" + (f"第{quarter}季度（累计）" if quarter else "")
    typer.echo(f"{period}：" + "，".join(f"{name} {n:,d} 行" for name, n in result.rows.items()))
    if result.cut_points is not None:
        typer.echo(f"五等份分界点（{result.cut_points.label}）：{result.cut_points.text()}")
    typer.echo("用时 / seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items()))
    typer.echo(f"结果已写入 / written: {out}（共 {time.perf_counter() - t0:.1f} 秒）")
