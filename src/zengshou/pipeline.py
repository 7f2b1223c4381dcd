"""The batch pipeline: facts → income accounting → alerts → tiers → measures → pairing, written out in order.

:func:`run_batch` works on a :class:`~zengshou.frames.Population` in memory and returns a
:class:`BatchResult`; :func:`store` writes a result to the database in bulk. Each step is a plain call
to the part that owns it, whose arguments are the frames it reads; each part also builds its own
result table and stores its own frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from zengshou.frames import Population
from zengshou.income import account
from zengshou.monitor import rules as monitor_rules
from zengshou.monitor import store as alert_store
from zengshou.pairing import stage as pairing_stage
from zengshou.params import ParameterSet, tree
from zengshou.tiers import CutPoints, classify
from zengshou.tiers import store as tier_store
from zengshou.tiers.rules import cut_points_for
from zengshou.toolbox import stage as toolbox_stage

#: Every step, in run order: what ``run_batch(..., stages=...)`` picks from and the batch page lists.
STAGES: tuple[str, ...] = ("facts", "accounts", "alerts", "tiers", "measures", "pairing")

#: The monitoring stages themselves (M01–M05, C01–C03): what a caller that needs accounts, alerts and
#: tiers, but not the later parts' measures or pairing, runs with ``run_batch(..., stages=...)``.
MONITORING_STAGES: tuple[str, ...] = ("facts", "accounts", "alerts", "tiers")


@dataclass
class BatchResult:
    """Frames of one run, keyed by stage name (``accounts``, ``alerts``, ``tiers``, ``measures``, ``pairing``)."""

    year: int
    quarter: int | None
    params: ParameterSet
    population: Population
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: Seconds per stage, in run order.
    timings: dict[str, float] = field(default_factory=dict)
    #: C01's cut points the tiers were placed with (official, the region's, given, or the run's own).
    cut_points: CutPoints | None = None

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
        """The spec's result tables (分层结果, 预警, 帮扶措施, 结对) with its Chinese columns, for the
        stages that ran."""
        frames, tables = self.frames, {}
        if "tiers" in frames:
            tables["分层结果"] = tier_store.result_table(frames["tiers"], self.year)
        if "alerts" in frames:
            tables["预警"] = alert_store.result_table(frames["alerts"])
        if "measures" in frames:
            tables["帮扶措施"] = toolbox_stage.result_table(frames["measures"])
        if "pairing" in frames:
            tables["结对"] = pairing_stage.result_table(frames["pairing"])
        return tables


class _Steps:
    """Which steps run (``stages``), telling ``on_stage`` as each starts and timing each."""

    def __init__(
        self, result: BatchResult, stages: Iterable[str] | None, on_stage: Callable[[str], None] | None
    ) -> None:
        self.result = result
        self.wanted = set(STAGES if stages is None else stages)
        self.on_stage = on_stage
        self.current: tuple[str, float] | None = None

    def __call__(self, name: str) -> bool:
        """Whether step ``name`` runs now; the step before it ends here."""
        self.finish()
        if name not in self.wanted:
            return False
        if self.on_stage is not None:
            self.on_stage(name)
        self.current = (name, time.perf_counter())
        return True

    def finish(self) -> None:
        if self.current is not None:
            name, t0 = self.current
            self.result.timings[name] = time.perf_counter() - t0
            self.current = None


def run_batch(
    pop: Population,
    year: int,
    quarter: int | None = None,
    params: ParameterSet | None = None,
    stages: Iterable[str] | None = None,
    on_stage: Callable[[str], None] | None = None,
    cut_points: CutPoints | None = None,
) -> BatchResult:
    """Run every step (or only those named in ``stages``, in :data:`STAGES` order) over ``pop`` for the
    year (or cumulative quarter 1–4); ``on_stage(name)`` is told as each one starts (the web's batch
    page shows it). C01 places the households with the official cut points, else ``cut_points`` (the
    region's), else ranks ``pop`` on its own (:func:`zengshou.tiers.rules.cut_points_for`)."""
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise ValueError(f"季度应为1–4，实际为{quarter} / quarter must be 1–4, got {quarter}")
    ps = params or tree()
    result = BatchResult(year, quarter, ps, pop)
    frames = result.frames
    step = _Steps(result, stages, on_stage)
    facts, toolboxes = None, None
    if step("facts"):
        toolboxes = toolbox_stage.county_toolboxes()
        facts = toolbox_stage.facts(pop, ps, year, toolboxes)
    if step("accounts"):
        frames["accounts"] = account(pop, year, quarter)
    if step("alerts"):
        frames["alerts"] = monitor_rules.alerts(pop, frames["accounts"], ps, year, quarter, facts=facts)
    if step("tiers"):
        result.cut_points = cut_points_for(frames["accounts"], ps, year, cut_points)
        frames["tiers"] = classify(
            frames["accounts"],
            pop,
            ps,
            year,
            alerts=frames.get("alerts"),
            facts=facts,
            cut_points=result.cut_points,
        )
    if step("measures"):
        frames["measures"] = toolbox_stage.measures(pop, frames["tiers"], ps, year, facts, toolboxes)
    if step("pairing"):
        frames["pairing"] = pairing_stage.pairs(pop, frames["accounts"], frames["tiers"], ps, year)
    step.finish()
    return result


def write_files(result: BatchResult, out_dir: Any) -> list[Any]:
    """Each result table as ``<name>.csv`` (UTF-8 with BOM) and all in ``结果.xlsx``; returns the paths."""
    from pathlib import Path

    from zengshou.frames import write_frame_csv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = result.result_tables()
    paths = []
    # rows in a stable order a clerk can scan: by 户编号 (area alerts last), then by code; the other
    # columns settle ties (several area alerts of one code), so two runs write the same file
    tables = {
        name: frame.sort([*frame.columns[:2], *frame.columns[2:]], nulls_last=True, maintain_order=True)
        for name, frame in tables.items()
    }
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        write_frame_csv(frame, path)
        paths.append(path)
    from zengshou.workbooks import write_frames

    paths.append(write_frames(out / "结果.xlsx", tables))
    return paths


def store(result: BatchResult, username: str) -> dict[str, int]:
    """Write the run's frames to the database in one transaction, each part storing its own, and record
    the run in the audit trail; so a failed store leaves the previous results in place.

    Tier results and the region's cut points (``tiers.store``) and alerts (``monitor.store``) are
    stored; measures become plans with ``zengshou plan generate`` and pairs are confirmed with
    ``zengshou pair --confirm``.
    """
    from django.db import transaction
    from django.utils import timezone

    from zengshou.registry.audit import record

    now = timezone.now()
    with transaction.atomic():
        counts = {
            "tier_results": tier_store.store_tiers(
                result.tiers, result.accounts, result.year, result.quarter, username, now
            )
        }
        if result.cut_points is not None:
            tier_store.store_cut_points(result.cut_points, result.year, result.quarter, now)
        counts.update(alert_store.store_alerts(result.alerts, result.year, result.quarter, now))
        record(
            username,
            "pipeline.store",
            "pipeline",
            f"{result.year}" + (f"Q{result.quarter}" if result.quarter else ""),
            {"year": result.year, "quarter": result.quarter, **counts},
        )
    return counts


def run_on_database(
    year: int,
    quarter: int | None = None,
    area: str | None = None,
    params: ParameterSet | None = None,
    username: str = "system",
    on_step: Callable[[str], None] | None = None,
) -> tuple[BatchResult, dict[str, Any]]:
    """Read the registry and its feeds (under ``area``), run every step, store; result and figures.

    C01's groups are the region's: the cut points are the official ones, or computed over every
    household of the region for the period (even when the run is for one area), and stored with it.
    ``on_step`` is told ``"read"``, each stage's name and ``"store"`` as each step starts.
    Raises ``ValueError`` when the database holds no household in the area (nothing to run).
    """
    from zengshou.registry.read import population_from_database

    step = on_step or (lambda name: None)
    step("read")
    t0 = time.perf_counter()
    # the stages compare a period with the same period of the year before, no further back
    pop = population_from_database(area, years=(year - 1, year))
    if pop.households.height == 0:
        raise ValueError("数据库中没有农户数据（请先导入） / no households in the database")
    cuts = tier_store.region_cut_points(params or tree(), year, quarter)
    t1 = time.perf_counter()
    result = run_batch(pop, year, quarter, params, on_stage=on_step, cut_points=cuts)
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
        "cut_points": _cut_points_figures(result.cut_points),
        "alerts_by_code": dict(result.alerts["code"].value_counts().iter_rows()),
        "seconds": {"read": t1 - t0, "run": t2 - t1, "store": t3 - t2, **result.timings},
    }
    return result, figures


def _cut_points_figures(cuts: CutPoints | None) -> dict[str, Any] | None:
    if cuts is None:
        return None
    return {"values": list(cuts.values), "source": cuts.label, "households": cuts.households}


def run_database(
    year: int,
    quarter: int | None = None,
    area: str | None = None,
    params: ParameterSet | None = None,
    username: str = "system",
) -> dict[str, Any]:
    """``zengshou pipeline`` as a function: figures only (counts, tiers, alerts by code, seconds)."""
    return run_on_database(year, quarter, area, params, username)[1]
