"""Synthetic region benchmark: time and peak memory to generate and write N households.

.venv/bin/python benchmarks/synth_bench.py --households 1000000 [--out /tmp/region]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from zengshou import synth


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--years", default="2022-2025")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="keep the CSV folder here (default: temporary)")
    args = ap.parse_args()
    a, b = (int(x) for x in args.years.split("-"))
    t0 = time.perf_counter()
    region = synth.generate(args.households, range(a, b + 1), args.seed, show_progress=True)
    t_gen = time.perf_counter() - t0
    out = args.out or Path(tempfile.mkdtemp(prefix="synth-bench-"))
    t1 = time.perf_counter()
    synth.write(region, out, "csv")
    t_write = time.perf_counter() - t1
    counts = region.population.counts()
    print(f"households            {counts['households']:>12,}")
    print(f"members               {counts['members']:>12,}")
    print(f"income rows           {counts['income']:>12,}")
    print(f"villages              {counts['villages']:>12,}")
    print(f"cadres                {counts['cadres']:>12,}")
    print(f"shocks                {region.shocks.height:>12,}")
    print(f"generate (s)          {t_gen:>12.1f}")
    print(f"write CSV (s)         {t_write:>12.1f}")
    print(f"total (s)             {t_gen + t_write:>12.1f}")
    print(f"peak memory (MB)      {peak_mb():>12,.0f}")
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
