"""Import/export speed: a synthetic region loaded from a CSV folder and from a workbook, on SQLite and
PostgreSQL; prints rows/second and peak memory of each run (each in a fresh process and database).

    .venv/bin/python benchmarks/import_bench.py                      # 200,000 households, 2 years
    .venv/bin/python benchmarks/import_bench.py -n 20000 --db sqlite --fmt csv

An .xlsx sheet holds at most 1,048,575 rows, so the workbook case keeps the whole-year income rows
only (the quarterly rows of 200,000 households would not fit a sheet); its row count is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

PG_URL = "postgres://postgres@127.0.0.1:5432/{name}"


def _child(source: str, export_dir: str | None) -> None:
    """Runs inside a fresh process: migrate, import (timed), re-import (timed), export (timed)."""
    from zengshou.cli.core import migrate
    from zengshou.ingest import export, load

    migrate()
    t0 = time.perf_counter()
    summary = load(Path(source), username="bench")
    first = time.perf_counter() - t0
    rows = sum(c.read for c in summary.counts.values())
    t0 = time.perf_counter()
    again = load(Path(source), username="bench")
    second = time.perf_counter() - t0
    unchanged = sum(c.unchanged for c in again.counts.values())
    out: dict[str, float | int] = {
        "rows": rows,
        "first_s": first,
        "reimport_s": second,
        "unchanged": unchanged,
    }
    if export_dir:
        t0 = time.perf_counter()
        export(Path(export_dir), "csv", with_personal_data=True, username="bench")
        out["export_s"] = time.perf_counter() - t0
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out))


def _fresh_pg(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.format(name="postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")


def _run(source: Path, db: str, work: Path, label: str) -> dict[str, float | int]:
    env = dict(os.environ)
    home = work / f"home-{label}-{db}"
    if home.exists():
        import shutil

        shutil.rmtree(home)
    home.mkdir(parents=True)
    env["ZENGSHOU_HOME"] = str(home)
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        name = "zs_import_bench"
        _fresh_pg(name)
        env["DATABASE_URL"] = PG_URL.format(name=name)
    cmd = [sys.executable, __file__, "--child", str(source), "--export-dir", str(home / "export")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        raise SystemExit(f"{label}/{db} failed:\n{proc.stdout}\n{proc.stderr}")
    result: dict[str, float | int] = json.loads(line[7:])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--households", type=int, default=200_000)
    ap.add_argument("--years", default="2024,2025")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--fmt", default="csv,xlsx")
    ap.add_argument(
        "--work", type=Path, default=Path(os.environ.get("ZENGSHOU_HOME", "/tmp")) / "import-bench"
    )
    ap.add_argument("--child")
    ap.add_argument("--export-dir")
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.export_dir)
        return

    import polars as pl

    from zengshou import synth

    years = [int(y) for y in args.years.split(",")]
    work = args.work / f"region-{args.households}-{args.seed}"
    t0 = time.perf_counter()
    region = synth.generate(args.households, years, args.seed)
    print(f"generated {args.households:,} households in {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"tables: {region.population.counts()}", flush=True)
    sources: dict[str, Path] = {}
    if "csv" in args.fmt:
        synth.write(region, work / "csv", "csv")
        sources["csv"] = work / "csv"
    if "xlsx" in args.fmt:
        pop = region.population
        if pop.income.height + 1 > synth.XLSX_MAX_ROWS:
            pop.income = pop.income.filter(pl.col("quarter").is_null())
            print(f"workbook: whole-year income rows only ({pop.income.height:,})", flush=True)
        synth.write(region, work / "region.xlsx", "xlsx")
        sources["xlsx"] = work / "region.xlsx"
    print(
        f"{'source':6} {'db':9} {'rows':>10} {'import s':>9} {'rows/s':>10} {'re-import s':>12} {'export s':>9} {'peak MB':>8}"
    )
    for fmt, source in sources.items():
        for db in args.db.split(","):
            r = _run(source, db, work, fmt)
            print(
                f"{fmt:6} {db:9} {r['rows']:>10,} {r['first_s']:>9.1f} {r['rows'] / r['first_s']:>10,.0f} "
                f"{r['reimport_s']:>12.1f} {r.get('export_s', 0):>9.1f} {r['peak_mb']:>8,.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
