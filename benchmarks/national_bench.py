"""Import of a national-layout person list: a synthetic region written as the national system's
workbook (title rows, merged group header, ~170 columns), imported into a fresh SQLite home in a
fresh process; prints the time of reading + translating, of the checked write, and peak memory.

    .venv/bin/python benchmarks/national_bench.py                  # 200,000 households (~680,000 rows)
    .venv/bin/python benchmarks/national_bench.py -n 50000 --columns 170

The workbook is kept under --work and reused when it exists (generating it is not what is timed).
Targets: the whole import in under 2 minutes on 2 cores, peak memory under 6 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def _child(source: str) -> None:
    """Runs inside a fresh process and database: migrate, then read + translate and load (timed)."""
    from zengshou.cli.core import migrate
    from zengshou.ingest import load, national

    migrate()
    t0 = time.perf_counter()
    result, nat = national.read(Path(source))
    read_s = time.perf_counter() - t0
    if result.errors:
        raise SystemExit(f"{len(result.errors)} errors, first: {result.errors[0]}")
    t1 = time.perf_counter()
    summary = load(result, username="bench")
    load_s = time.perf_counter() - t1
    out = {
        "persons": summary.counts["members"].inserted,
        "households": summary.counts["households"].inserted,
        "mapped": len(nat.header.targets) if nat else 0,
        "ignored": len(nat.header.ignored) if nat else 0,
        "read_s": read_s,
        "load_s": load_s,
        "total_s": read_s + load_s,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print("RESULT " + json.dumps(out))


def _workbook(households: int, year: int, seed: int, columns: int, path: Path) -> None:
    from zengshou import synth
    from zengshou.ingest import national

    t0 = time.perf_counter()
    pop = synth.generate(households, [year - 1, year], seed).population
    people = national.person_rows(pop, national.synthetic_monitoring(pop, year), year)
    t1 = time.perf_counter()
    partial = path.with_name(path.stem + ".partial.xlsx")
    national.write_workbook(
        people,
        partial,
        title=f"模拟县{year}年防止返贫监测对象信息",
        extra_columns=max(columns - len(national.WRITTEN), 0),
        fill_extra_columns=True,
    )
    partial.replace(path)
    print(
        f"generated {households:,} households, {people.height:,} person rows in {t1 - t0:.1f} s; "
        f"wrote {columns} columns in {time.perf_counter() - t1:.1f} s ({path.stat().st_size / 1e6:,.0f} MB)",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--households", type=int, default=200_000)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--columns", type=int, default=170, help="columns in all (the mapped ones padded)")
    ap.add_argument(
        "--work", type=Path, default=Path(os.environ.get("ZENGSHOU_HOME", "/tmp")) / "national-bench"
    )
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    source = args.work / f"national-{args.households}-{args.seed}-{args.columns}.xlsx"
    if not source.exists():
        _workbook(args.households, args.year, args.seed, args.columns, source)
    home = args.work / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    env = dict(os.environ, ZENGSHOU_HOME=str(home))
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(source)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        raise SystemExit(f"import failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    r = json.loads(line[7:])
    print(
        f"{'households':>10} {'persons':>9} {'columns':>7} {'read s':>7} {'load s':>7} {'total s':>8} {'peak MB':>8}"
    )
    print(
        f"{r['households']:>10,} {r['persons']:>9,} {r['mapped'] + r['ignored']:>7} {r['read_s']:>7.1f} "
        f"{r['load_s']:>7.1f} {r['total_s']:>8.1f} {r['peak_mb']:>8,.0f}"
    )


if __name__ == "__main__":
    main()
