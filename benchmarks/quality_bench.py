"""Benchmark of the data-quality checks: every rule over a synthetic region, in memory.

    .venv/bin/python benchmarks/quality_bench.py                   # 800,000 households (target < 30 s)
    .venv/bin/python benchmarks/quality_bench.py --households 100000

Generates the region with ``zengshou.synth`` (not timed), then times :func:`zengshou.quality.evaluate.prepare`
(facts, quality facts, accounts of the year, monitoring records) and :func:`~zengshou.quality.evaluate.evaluate`
(every declared check, the duplicate checks over the whole region), and prints findings per rule and peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("POLARS_MAX_THREADS", "2")

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=800_000)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from zengshou.params import tree
    from zengshou.quality.evaluate import evaluate, prepare
    from zengshou.synth.generate import generate

    t0 = time.perf_counter()
    pop = generate(args.households, [args.year - 1, args.year], args.seed).population
    print(
        f"generated {args.households:,} households, {pop.members.height:,} persons in {time.perf_counter() - t0:.1f} s"
    )
    params = tree()
    t1 = time.perf_counter()
    prepared = prepare(pop, args.year, params)
    t2 = time.perf_counter()
    findings = evaluate(prepared)
    t3 = time.perf_counter()
    print(f"prepare  {t2 - t1:6.1f} s")
    print(f"evaluate {t3 - t2:6.1f} s")
    print(f"total    {t3 - t1:6.1f} s  (target < 30 s at 800,000 households)")
    print(
        f"findings {findings.height:,} on {findings['household_id'].n_unique():,} households; peak {peak_mb():,.0f} MB"
    )
    with pl.Config(tbl_rows=80):
        print(
            findings.group_by("code", "severity")
            .agg(pl.col("household_id").n_unique().alias("households"))
            .sort("code")
        )


if __name__ == "__main__":
    main()
