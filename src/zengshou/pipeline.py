"""The batch pipeline: income accounting → alerts → tiers (→ measures → pairing, as those parts land).

:func:`run_batch` works on a :class:`~zengshou.frames.Population` in memory and returns a
:class:`BatchResult`; :func:`store` writes a result to the database in bulk. A later part adds a
stage with :func:`register_stage` and its result table with :func:`register_result_table`; the CLI,
``store`` and the benchmark pick both up without change.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from zengshou.frames import Population
from zengshou.params import ParameterSet

#: Parts that add stages and result tables by importing themselves; loaded on the first run.
STAGE_MODULES: list[str] = ["zengshou.toolbox.stage", "zengshou.pairing.stage"]

#: The monitoring stages themselves (M01–M05, C01–C03): what a caller that needs accounts, alerts and
#: tiers, but not the later parts' measures or pairing, runs with ``run_batch(..., stages=...)``.
MONITORING_STAGES: tuple[str, ...] = ("accounts", "alerts", "tiers")

#: The parameter files every run layers, in order (data/params/<name>.yaml).
SHIPPED_PARAMS: list[str] = ["monitoring", "tiers"]


def default_params(*overrides: str) -> ParameterSet:
    """The shipped parameters, with the user's files (``--params``) layered on top."""
    return ParameterSet.shipped(*SHIPPED_PARAMS, overrides=overrides)


@dataclass
class BatchResult:
    """Frames of one run, keyed by stage name (``accounts``, ``alerts``, ``tiers``, later ``measures`` …)."""

    year: int
    quarter: int | None
    params: ParameterSet
    population: Population
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: Seconds per stage, in run order.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def accounts(self) -> pl.DataFrame:
        return self.frames["accounts"]

    @property
    def tiers(self) -> pl.DataFrame:
        return self.frames["tiers"]

    @property
    def alerts(self) -> pl.DataFrame:
        return self.frames["alerts"]

    def result_tables(self) -> dict[str, pl.DataFrame]:
        """The spec's result tables (分层结果, 预警, …) with its Chinese columns, for the stages that ran."""
        return {name: build(self) for name, (needs, build) in RESULT_TABLES.items() if needs in self.frames}


Stage = Callable[[BatchResult], pl.DataFrame]


@dataclass(frozen=True)
class _StageSpec:
    name: str
    run: Stage


STAGES: list[_StageSpec] = []
#: result table name → (stage whose frame it needs, builder)
RESULT_TABLES: dict[str, tuple[str, Callable[[BatchResult], pl.DataFrame]]] = {}


def register_stage(name: str, run: Stage, after: str | None = None) -> None:
    """Add (or replace) a stage; it sees the frames of the stages before it in ``result.frames``."""
    for i, s in enumerate(STAGES):
        if s.name == name:
            STAGES[i] = _StageSpec(name, run)
            return
    if after is None:
        STAGES.append(_StageSpec(name, run))
    else:
        pos = next(i for i, s in enumerate(STAGES) if s.name == after)
        STAGES.insert(pos + 1, _StageSpec(name, run))


def register_result_table(name: str, needs: str, build: Callable[[BatchResult], pl.DataFrame]) -> None:
    """Add a result table of the spec built from the frame of stage ``needs``."""
    RESULT_TABLES[name] = (needs, build)


def _accounts(r: BatchResult) -> pl.DataFrame:
    from zengshou.income import account

    return account(r.population, r.year, r.quarter)


def _alerts(r: BatchResult) -> pl.DataFrame:
    from zengshou.monitor.rules import alerts

    return alerts(r.population, r.accounts, r.params, r.year, r.quarter)


def _tiers(r: BatchResult) -> pl.DataFrame:
    from zengshou.tiers import classify

    return classify(r.accounts, r.population, r.params, r.year, alerts=r.frames.get("alerts"))


register_stage("accounts", _accounts)
register_stage("alerts", _alerts)
register_stage("tiers", _tiers)


def _tier_table(r: BatchResult) -> pl.DataFrame:
    return r.tiers.select(
        pl.col("household_id").alias("户编号"),
        pl.lit(r.year, dtype=pl.Int64).alias("年度"),
        pl.col("size").alias("家庭人口"),
        pl.col("per_capita_income").alias("人均纯收入"),
        pl.col("quintile").alias("五等份组"),
        pl.col("tier").alias("层级"),
        pl.col("reasons").alias("依据"),
    )


def _alert_table(r: BatchResult) -> pl.DataFrame:
    return r.alerts.select(
        pl.col("household_id").alias("户编号"),
        pl.col("code").alias("预警代码"),
        pl.col("level").alias("级别"),
        # An area alert has no 户编号; its explanation names the area so the row stands alone.
        pl.when(pl.col("household_id").is_null())
        .then(pl.concat_str([pl.lit("【"), pl.col("area_code"), pl.lit("】"), pl.col("explanation")]))
        .otherwise(pl.col("explanation"))
        .alias("说明"),
    )


register_result_table("分层结果", "tiers", _tier_table)
register_result_table("预警", "alerts", _alert_table)


def run_batch(
    pop: Population,
    year: int,
    quarter: int | None = None,
    params: ParameterSet | None = None,
    stages: Iterable[str] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> BatchResult:
    """Run every registered stage (or only those named in ``stages``, in registration order) over
    ``pop`` for the year (or cumulative quarter 1–4); ``on_stage(name)`` is told as each one starts
    (the web's batch page shows it)."""
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise ValueError(f"季度应为1–4，实际为{quarter} / quarter must be 1–4, got {quarter}")
    for module in STAGE_MODULES:
        importlib.import_module(module)
    result = BatchResult(year, quarter, params or default_params(), pop)
    wanted = None if stages is None else set(stages)
    for stage in STAGES:
        if wanted is not None and stage.name not in wanted:
            continue
        if on_stage is not None:
            on_stage(stage.name)
        t0 = time.perf_counter()
        result.frames[stage.name] = stage.run(result)
        result.timings[stage.name] = time.perf_counter() - t0
    return result


def write_files(result: BatchResult, out_dir: Any) -> list[Any]:
    """Each result table as ``<name>.csv`` (UTF-8 with BOM) and all in ``结果.xlsx``; returns the paths."""
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = result.result_tables()
    paths = []
    # rows in a stable order a clerk can scan: by 户编号 (area alerts last), then by code
    tables = {name: frame.sort(frame.columns[:2], nulls_last=True) for name, frame in tables.items()}
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        path.write_bytes(b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8"))
        paths.append(path)
    from zengshou.workbooks import write_frames

    paths.append(write_frames(out / "结果.xlsx", tables))
    return paths


def store(result: BatchResult, username: str) -> dict[str, int]:
    """Write the run's tier results and alerts to the database (bulk; see :mod:`zengshou.monitor.store`)."""
    from zengshou.monitor.store import store_result

    return store_result(result, username)


def run_on_database(
    year: int,
    quarter: int | None = None,
    area: str | None = None,
    params: ParameterSet | None = None,
    username: str = "system",
    on_step: Callable[[str], None] | None = None,
) -> tuple[BatchResult, dict[str, Any]]:
    """Read the registry and its feeds (under ``area``), run every stage, store; result and figures.

    ``on_step`` is told ``"read"``, each stage's name and ``"store"`` as each step starts.
    Raises ``ValueError`` when the database holds no household in the area (nothing to run).
    """
    from zengshou.monitor.feeds import population_from_database

    step = on_step or (lambda name: None)
    step("read")
    t0 = time.perf_counter()
    # the stages compare a period with the same period of the year before, no further back
    pop = population_from_database(area, years=(year - 1, year))
    if pop.households.height == 0:
        raise ValueError("数据库中没有农户数据（请先导入） / no households in the database")
    t1 = time.perf_counter()
    result = run_batch(pop, year, quarter, params, on_stage=on_step)
    t2 = time.perf_counter()
    step("store")
    counts = store(result, username)
    t3 = time.perf_counter()
    figures: dict[str, Any] = {
        "year": year,
        "quarter": quarter,
        "households": pop.households.height,
        "accounted": result.accounts.height,
        **counts,
        "tiers": dict(result.tiers["tier"].fill_null("未分层").value_counts().iter_rows()),
        "alerts_by_code": dict(result.alerts["code"].value_counts().iter_rows()),
        "seconds": {"read": t1 - t0, "run": t2 - t1, "store": t3 - t2, **result.timings},
    }
    return result, figures


def run_database(
    year: int,
    quarter: int | None = None,
    area: str | None = None,
    params: ParameterSet | None = None,
    username: str = "system",
) -> dict[str, Any]:
    """``zengshou pipeline`` as a function: figures only (counts, tiers, alerts by code, seconds)."""
    return run_on_database(year, quarter, area, params, username)[1]
