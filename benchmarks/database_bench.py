"""The batch over the database: import, ``zengshou pipeline`` step by step, and a bare read of the same tables.

    .venv/bin/python benchmarks/database_bench.py -n 800000                 # SQLite and PostgreSQL
    .venv/bin/python benchmarks/database_bench.py -n 200000 --db postgres   # the import goal's size

Generates a region once (``zengshou synth``, CSV, kept under ``--work``), then for each database:
a fresh home (and a fresh PostgreSQL database ``zs_dbbench``), ``zengshou import`` of the region, a
bare read of the tables the pipeline reads (ADBC, straight to Arrow, no joins or types: the floor
any reader stands on), ``zengshou pipeline --year Y`` for the region ``--repeat`` times and once for
one county. Every command runs as its own process; its wall time and peak memory (``wait4``) are
measured from outside. Prints medians, the pipeline's own read / compute / store split, the ratio of
its read to the bare read, and the goal beside each figure.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PG_ROOT = "postgres://postgres@127.0.0.1:5432"
PG_DB = "zs_dbbench"

BARE_READ = """
import sys, time
from zengshou import interchange as ix
kind, target, years = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
def cols(t): return ", ".join(c.key for c in t.columns)
queries = [
    f"SELECT {cols(ix.HOUSEHOLDS)} FROM registry_household",
    f"SELECT {cols(ix.MEMBERS)} FROM registry_member",
    f"SELECT {cols(ix.INCOME)} FROM registry_income WHERE year IN ({', '.join(years)})",
    f"SELECT {cols(ix.FEED_MEDICAL)}, member_id FROM registry_medicalrecord",
    f"SELECT {cols(ix.FEED_CIVIL)}, member_id FROM registry_civilassistancerecord",
    f"SELECT {cols(ix.FEED_EMPLOYMENT)}, member_id FROM registry_employmentrecord",
]
t0 = time.perf_counter()
if kind == "sqlite":
    import adbc_driver_sqlite.dbapi as adbc
else:
    import adbc_driver_postgresql.dbapi as adbc
rows = 0
with adbc.connect(target) as con:
    for q in queries:
        with con.cursor() as cur:
            if kind == "sqlite":
                cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "2000000000"})
            cur.execute(q)
            rows += cur.fetch_arrow_table().num_rows
print(f"{time.perf_counter() - t0:.3f} {rows}")
"""


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB and output of one command run as its own process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, out


def median(values: list[float]) -> float:
    return statistics.median(values)


def line(label: str, value: str, goal: str = "") -> None:
    print(f"  {label:46s} {value:>24s}   {goal}")


def bench(kind: str, region: Path, households: int, year: int, repeat: int, work: Path) -> None:
    home = work / f"home-{kind}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = {**os.environ, "ZENGSHOU_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    if kind == "postgres":
        subprocess.run(["psql", PG_ROOT, "-qc", f"DROP DATABASE IF EXISTS {PG_DB}"], check=True)
        subprocess.run(["psql", PG_ROOT, "-qc", f"CREATE DATABASE {PG_DB}"], check=True)
        env["DATABASE_URL"] = f"{PG_ROOT}/{PG_DB}"
        target = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
    else:
        target = str(home / "zengshou.sqlite3")
    zs = str(BIN / "zengshou")
    print(f"\n{kind}: {households:,d} households, pipeline --year {year}")
    secs, peak, _ = run([zs, "import", str(region)], env)
    per = secs / households * 200_000
    line(
        "import",
        f"{secs:6.1f} s  {peak:7,.0f} MB",
        f"(200,000 households at this rate: {per:.0f} s; goal < 60 s)",
    )
    bare = []
    for _ in range(repeat):
        _, _, out = run([sys.executable, "-c", BARE_READ, kind, target, f"{year - 1},{year}"], env)
        bare.append(float(out.split()[0]))
    line("bare read of the same tables (ADBC)", f"{median(bare):6.1f} s", "(median)")
    walls, peaks, splits = [], [], []
    for _ in range(repeat):
        secs, peak, out = run([zs, "pipeline", "--year", str(year)], env)
        walls.append(secs)
        peaks.append(peak)
        m = re.search(r"读库 ([\d.]+) 秒，计算 ([\d.]+) 秒，写库 ([\d.]+) 秒", out)
        if m:
            splits.append(tuple(float(x) for x in m.groups()))
    read_s = median([s[0] for s in splits]) if splits else float("nan")
    line("pipeline, whole region, end to end", f"{median(walls):6.1f} s", "(median; goal < 60 s)")
    line("  of which: read the registry", f"{read_s:6.1f} s", f"({read_s / median(bare):.1f}× the bare read)")
    if splits:
        line("  compute", f"{median([s[1] for s in splits]):6.1f} s")
        line("  store", f"{median([s[2] for s in splits]):6.1f} s")
    line("  peak memory", f"{max(peaks):7,.0f} MB", "(goal < 8,000 MB)")
    county = county_of(region)
    secs, peak, _ = run([zs, "pipeline", "--year", str(year), "--area", county], env)
    line(f"pipeline, one county ({county})", f"{secs:6.1f} s  {peak:7,.0f} MB", "(a few seconds)")


def county_of(region: Path) -> str:
    """The county of the region's first village (村.csv's 行政区划代码)."""
    import polars as pl

    villages = pl.read_csv(region / "村.csv", infer_schema=False, n_rows=1)
    return str(villages[villages.columns[0]][0])[:6]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--households", type=int, default=200_000)
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/zs-database-bench"))
    args = ap.parse_args()
    region = args.work / f"region-{args.households}"
    if not (region / ".done").exists():
        shutil.rmtree(region, ignore_errors=True)
        args.work.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "ZENGSHOU_HOME": str(args.work / "synth-home")}
        secs, peak, _ = run(
            [
                str(BIN / "zengshou"),
                "synth",
                "-n",
                str(args.households),
                "--years",
                f"2022-{args.year}",
                "--out",
                str(region),
            ],
            env,
        )
        (region / ".done").write_text("")
        print(f"generated {args.households:,d} households in {secs:.0f} s (peak {peak:,.0f} MB)")
    for kind in ("postgres", "sqlite") if args.db == "both" else (args.db,):
        bench(kind, region, args.households, args.year, args.repeat, args.work)


if __name__ == "__main__":
    main()
