"""The batch on Spark in local mode at growing sizes: time per household should stay flat.

A synthetic slice (``zengshou.synth``, ``--slice`` households, income for the run year and the one
before) is generated once and written straight to Parquet — never through the database — as copy
0; copies 1, 2, … are the same households under other 户编号, 证件号码 and 干部编号 (a suffix), so a
size of k slices is k part files per table (villages and the 应急 area records only once). Each size
is run with ``zengshou.spark.batch.run`` (all five stages, results written as Parquet) ``--runs``
times; the script prints per size the median seconds, seconds per 1,000 households and the ratio
of that to the smallest size's, and the polars pipeline on one slice as a yardstick.

    flock /tmp/zs-cpu.lock .venv/bin/python benchmarks/spark_bench.py --sizes 1000000,4000000,10000000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from zengshou.frames import Population
from zengshou.spark.parquet import FEEDS, TABLES, read_population, write_population

YEAR = 2025


def _suffix(col: str, k: int) -> pl.Expr:
    return (pl.col(col) + pl.lit(f"{k:02d}")).alias(col)


def copy_of(pop: Population, k: int) -> Population:
    """Copy ``k`` of a slice: the same households under other keys (copy 0 is the slice itself)."""
    if k == 0:
        return pop
    cadres = pop.cadres.with_columns(
        _suffix("cadre_id", k),
        pl.col("current_households")
        .str.split(";")
        .list.eval(pl.element().str.strip_chars() + pl.lit(f"{k:02d}"))
        .list.join(";")
        .alias("current_households"),
    )
    feeds = {}
    for key, frame in pop.feeds.items():
        if key == "disaster":
            feeds[key] = frame.clear()
            continue
        cols = [_suffix(c, k) for c in ("id_number", "household_id") if c in frame.columns]
        feeds[key] = frame.with_columns(cols)
    return Population(
        households=pop.households.with_columns(_suffix("household_id", k)),
        members=pop.members.with_columns(_suffix("household_id", k), _suffix("id_number", k)),
        income=pop.income.with_columns(_suffix("household_id", k)),
        villages=pop.villages.clear(),
        cadres=cadres,
        feeds=feeds,
    )


def build(slice_households: int, copies: int, folder: Path) -> None:
    from zengshou import synth

    t0 = time.perf_counter()
    pop = synth.generate(slice_households, range(YEAR - 1, YEAR + 1), 2025).population
    print(f"generated one slice of {slice_households:,} households in {time.perf_counter() - t0:.1f} s")
    for k in range(copies):
        write_population(copy_of(pop, k), folder / "all", part=k)
    print(f"wrote {copies} copies to {folder / 'all'} in {time.perf_counter() - t0:.1f} s")


def size_folder(folder: Path, copies: int) -> Path:
    """A folder of the first ``copies`` part files of each table (symbolic links)."""
    out = folder / f"size-{copies}"
    shutil.rmtree(out, ignore_errors=True)
    for key in (*TABLES, *(f"feeds/{k}" for k in FEEDS)):
        (out / key).mkdir(parents=True)
        for k in range(copies):
            name = f"part-{k:05d}.parquet"
            (out / key / name).symlink_to(folder / "all" / key / name)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,4000000,10000000", help="households, increasing")
    parser.add_argument("--slice", type=int, default=500_000, help="households per generated slice")
    parser.add_argument("--runs", type=int, default=1, help="runs per size (median printed)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    copies = [max(1, round(s / args.slice)) for s in sizes]
    work = Path(args.work or tempfile.mkdtemp(prefix="zs-spark-bench-"))
    build(args.slice, max(copies), work)

    # the yardstick: the polars pipeline over one slice, in this process
    from zengshou.pipeline import run_batch

    one = read_population(size_folder(work, 1))
    t0 = time.perf_counter()
    run_batch(one, YEAR)
    polars_s = time.perf_counter() - t0
    polars_per_k = polars_s / one.households.height * 1000
    print(
        f"polars run_batch, {one.households.height:,} households: {polars_s:.1f} s, {polars_per_k:.3f} s per 1,000"
    )
    del one

    from zengshou.spark import session
    from zengshou.spark.batch import run

    spark = session(
        args.master,
        "zengshou-spark-bench",
        local_dir=str(work / "spark-local"),
        driver_memory=args.driver_memory,
    )
    spark.sparkContext.setLogLevel("ERROR")
    rows = []
    base = None
    for n in copies:
        folder = size_folder(work, n)
        households = n * args.slice
        times, steps = [], {}
        for _ in range(args.runs):
            t0 = time.perf_counter()
            result = run(spark, str(folder), YEAR, str(work / f"out-{n}"))
            times.append(time.perf_counter() - t0)
            steps = result.seconds
        median = statistics.median(times)
        per_k = median / households * 1000
        base = base or per_k
        rows.append((households, median, per_k, per_k / base))
        print(
            f"{households:>11,} households: {median:8.1f} s  {per_k:.3f} s per 1,000  ratio {per_k / base:.2f}"
            f"  (Spark/polars per household {per_k / polars_per_k:.1f}×; steps "
            + ", ".join(f"{k} {v:.0f}" for k, v in steps.items())
            + ")",
            flush=True,
        )
    spark.stop()
    print("\nsize, seconds (median), seconds per 1,000 households, ratio to the smallest size")
    for households, median, per_k, ratio in rows:
        print(f"{households:,}\t{median:.1f}\t{per_k:.3f}\t{ratio:.2f}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
