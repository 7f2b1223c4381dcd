"""S02 pairing at Ningxia's scale: 31,400 households, ~7,000 cadres, 22 counties, 10% falling incomes.

Run: .venv/bin/python benchmarks/pairing_bench.py [--households N] [--cadres N] [--seed S]
Prints the time to an optimal assignment and the figures of the result.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from zengshou.pairing import solve
from zengshou.pairing.solver import SENIOR_RANK
from zengshou.registry.areas import counties


def frames(n_h: int, n_c: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    codes = [c.code for c in counties()]
    h_county = rng.choice(codes, n_h)
    township = rng.integers(100, 112, n_h)
    village = rng.integers(1, 20, n_h)
    c_county = rng.choice(codes, n_c)
    rank = rng.choice([SENIOR_RANK, "乡科级", "一般干部"], n_c, p=[0.55, 0.25, 0.20])
    cadre_ids = np.array([f"G{i:05d}" for i in range(n_c)])
    cadres = pl.DataFrame(
        {
            "cadre_id": cadre_ids,
            "rank": rank,
            "county_code": c_county,
            # a third of cadres work for a township government responsible for its villages
            "area_code": [
                f"{c}{t}" if r < 0.33 else None
                for c, t, r in zip(c_county, rng.integers(100, 112, n_c), rng.random(n_c), strict=True)
            ],
        }
    )
    # Half the households have a current cadre of their county (some now disallowed: rank, load).
    by_county = {c: cadre_ids[c_county == c] for c in codes}
    current = [
        (rng.choice(by_county[c]) if len(by_county[c]) and rng.random() < 0.5 else None) for c in h_county
    ]
    households = pl.DataFrame(
        {
            "household_id": [f"H{i:06d}" for i in range(n_h)],
            "county_code": h_county,
            "village_code": [f"{c}{t}{v:03d}" for c, t, v in zip(h_county, township, village, strict=True)],
            "fell": rng.random(n_h) < 0.10,
            "per_capita_income": rng.normal(9000, 2500, n_h).round(),
            "cadre_id": current,
        }
    )
    return households, cadres


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=31_400)
    ap.add_argument("--cadres", type=int, default=7_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    hh, cd = frames(a.households, a.cadres, a.seed)
    t0 = time.perf_counter()
    r = solve(hh, cd)
    t = time.perf_counter() - t0
    print(f"households {hh.height:,}  cadres {cd.height:,}  falling {int(hh['fell'].sum()):,}")
    print(f"time to optimal assignment: {t:.2f} s")
    print("stats:", r.stats)
    loaded = r.loads.filter(pl.col("households") > 0)["households"]
    print(f"cadre load: max {loaded.max()}, mean {loaded.mean():.2f}; counties short: {r.shortage.height}")
    if r.shortage.height:
        print(r.shortage)


if __name__ == "__main__":
    main()
