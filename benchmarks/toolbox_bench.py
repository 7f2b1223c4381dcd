"""Toolbox benchmark: facts, every measure, what-if and one explanation on a synthetic region.

    .venv/bin/python benchmarks/toolbox_bench.py [--households 1000000] [--seed 7]
    .venv/bin/python benchmarks/toolbox_bench.py --from-database   # the registry (e.g. after make demo)

With ``--synth`` the region comes from ``zengshou.synth.generate`` and the tiers from the
pipeline (income accounting, alerts, C01–C03); otherwise a population is built with numpy in a few
seconds (the columns the rules read, random but plausible, quintiles at random). Prints seconds
per step, households per measure and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

import numpy as np
import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population, conform

COUNTIES = [
    "640104",
    "640122",
    "640221",
    "640302",
    "640323",
    "640324",
    "640402",
    "640422",
    "640522",
    "640521",
]


def _text(values: Any) -> pl.Series:
    return pl.Series(values.tolist(), dtype=pl.Utf8)


def _year(values: Any) -> pl.Series:
    return pl.Series(values).fill_nan(None).cast(pl.Int64)


def synthetic_population(households: int, seed: int = 7, year: int = 2025) -> tuple[Population, pl.DataFrame]:
    """A vectorised random region: ~3.3 members per household; quintiles drawn at random."""
    rng = np.random.default_rng(seed)
    n = households
    hid = pl.Series("household_id", np.arange(n)).cast(pl.Utf8).str.zfill(8)
    county = np.array(COUNTIES)[rng.integers(0, len(COUNTIES), n)]
    village = pl.Series(county).cast(pl.Utf8) + "100" + pl.Series(rng.integers(200, 260, n)).cast(pl.Utf8)
    types = np.array(ix.HOUSEHOLD_TYPES)[rng.choice(5, n, p=[0.6, 0.3, 0.04, 0.04, 0.02])]
    yes = lambda p: rng.random(n) < p  # noqa: E731
    hh = pl.DataFrame(
        {
            "household_id": hid,
            "village_code": village,
            "household_type": types,
            "arable_mu": np.round(rng.gamma(2.0, 3.0, n) * yes(0.8), 1),
            "arable_idle_mu": np.round(rng.gamma(1.0, 1.0, n) * yes(0.1), 1),
            "idle_courtyard": yes(0.3),
            "courtyard_willing": yes(0.4),
            "livestock_willing": yes(0.2),
            "cattle": rng.poisson(1.0, n) * yes(0.3),
            "sheep": rng.poisson(10, n) * yes(0.3),
            "pigs": rng.poisson(2, n) * yes(0.1),
            "collective_yard": yes(0.05),
            "rents_greenhouse": yes(0.03),
            "housing_safe": ~yes(0.01),
            "water_safe": ~yes(0.01),
            "dibao_household": yes(0.08),
            "tekun": yes(0.01),
            "assets_within_dibao_rules": yes(0.5),
        }
    )
    sizes = rng.choice([1, 2, 3, 4, 5, 6], n, p=[0.1, 0.2, 0.25, 0.25, 0.15, 0.05])
    m = int(sizes.sum())
    member_hid = np.repeat(np.arange(n), sizes)
    age = rng.integers(0, 90, m)
    male = rng.random(m) < 0.5
    # month, day and 2 digits numbered within a county and birth year: unique like real ID numbers
    seq = (
        pl.DataFrame({"c": np.repeat(county, sizes), "y": year - age})
        .select(pl.int_range(pl.len()).over("c", "y").alias("s"))["s"]
        .to_numpy()
    )
    id_number = (
        pl.Series(np.repeat(county, sizes))
        + pl.Series(year - age).cast(pl.Utf8)
        + pl.Series(seq // 2800 % 12 + 1).cast(pl.Utf8).str.zfill(2)
        + pl.Series(seq // 100 % 28 + 1).cast(pl.Utf8).str.zfill(2)
        + pl.Series(seq % 100).cast(pl.Utf8).str.zfill(2)
        + pl.Series(np.where(male, 1, 2)).cast(pl.Utf8)
        + "X"
    )
    pick = lambda values, p: np.array(values, dtype=object)[rng.choice(len(values), m, p=p)]  # noqa: E731
    health = pick(ix.HEALTH, [0.85, 0.11, 0.04])
    disability = pick([None, *ix.DISABILITY_GRADES], [0.93, 0.015, 0.015, 0.02, 0.02])
    labour = np.where(
        (age < 16) | (age > 75), "无劳动力", pick(ix.LABOUR, [0.1, 0.65, 0.15, 0.05, 0.05])
    ).astype(object)
    work = np.where((age < 16) | (labour == "无劳动力"), None, pick([None, *ix.WORK], [0.3] + [0.7 / 9] * 9))
    mem = pl.DataFrame(
        {
            "household_id": hid.gather(member_hid),
            "name": pl.repeat("某", m, eager=True),
            "id_number": id_number,
            "relation": "其他",
            "health": _text(health),
            "disability_grade": _text(disability),
            "labour": _text(labour),
            "work": _text(work),
            "work_months": rng.integers(0, 13, m),
            "schooling": _text(np.where(age < 16, "小学", None)),
            "graduation_year": _year(np.where(rng.random(m) < 0.01, year, np.nan)),
            "medical_insured": rng.random(m) < 0.99,
            "dibao": rng.random(m) < 0.03,
            "business_since": _year(np.where(rng.random(m) < 0.03, year - rng.integers(0, 5, m), np.nan)),
        },
        strict=False,
    )
    villages = (
        hh.select("village_code")
        .unique()
        .with_columns(
            pl.lit("村").alias("village_name"),
            pl.Series(rng.gamma(2.0, 12.0, hh["village_code"].n_unique())).alias("collective_income_10k"),
        )
    )
    inc = hh.select("household_id").with_columns(
        pl.lit(year).alias("year"), pl.Series(rng.gamma(1.0, 3000.0, n) * yes(0.6)).alias("operating_gross")
    )
    quintiles = hh.select("household_id").with_columns(
        pl.Series(np.array(ix.QUINTILES)[rng.integers(0, 5, n)]).alias("quintile")
    )
    pop = Population(
        households=conform(hh, ix.HOUSEHOLDS),
        members=conform(mem, ix.MEMBERS),
        income=conform(inc, ix.INCOME),
        villages=conform(villages, ix.VILLAGES),
    )
    return pop, quintiles


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument(
        "--synth",
        action="store_true",
        help="use zengshou.synth.generate and the real tiers (income accounting, alerts, C01–C03)",
    )
    ap.add_argument(
        "--plans",
        type=int,
        default=0,
        help="also store plans of this many households in the configured database (ZENGSHOU_HOME / DATABASE_URL)",
    )
    ap.add_argument(
        "--from-database",
        action="store_true",
        help="only time reading the configured database as the toolbox commands do, then stop",
    )
    args = ap.parse_args()
    if args.from_database:
        _bench_database(args.year)
        return
    from zengshou import toolbox
    from zengshou.toolbox import engine

    t: dict[str, Any] = {}
    t0 = time.perf_counter()
    if args.synth:
        from zengshou import pipeline, synth

        pop = synth.generate(args.households, [args.year - 1, args.year], args.seed).population
        t["生成 / generate (zengshou.synth)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        q = pipeline.run_batch(pop, args.year).tiers.select("household_id", "quintile", "tier")
        t["分层 / tiers (pipeline)"] = time.perf_counter() - t0
    else:
        pop, q = synthetic_population(args.households, args.seed, args.year)
        t["生成 / generate (numpy)"] = time.perf_counter() - t0
    print(f"{pop.households.height:,d} 户 / households, {pop.members.height:,d} 人 / members")
    t0 = time.perf_counter()
    hh, mem = toolbox.facts(pop, q, args.year)
    t["事实 / facts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = toolbox.evaluate(pop, q, args.year)
    t["全部措施（含事实） / evaluate all measures incl. facts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    table = toolbox.measures_table(result)
    t["帮扶措施表 / measures table"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    w = toolbox.whatif(pop, q, args.year, {"L02.amount": 3000, "L11.max_age": 70})
    t["测算 L02.amount=3000, L11.max_age=70 / what-if"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    w2 = toolbox.whatif(pop, q, args.year, {"def.healthy_labourer.max_age": 60})
    t["测算（重算事实）def.healthy_labourer.max_age=60 / what-if re-deriving facts"] = (
        time.perf_counter() - t0
    )
    t0 = time.perf_counter()
    env = engine.make_env(None, args.year)
    ex = engine.explain_frames(hh["household_id"][0], hh, mem, env, list(engine.d.MEASURES))
    t["说明一户（已有事实） / explain one household from facts"] = time.perf_counter() - t0
    for k, v in t.items():
        print(f"{k:<70} {v:8.2f} s")
    print(f"措施 / measure rows: {result.height:,d}; 表 rows {table.height:,d}; 说明 {len(ex)} 条")
    per_code = result.group_by("code").agg(pl.col("household_id").n_unique().alias("n")).sort("code")
    print("各措施户数 / households per measure: " + ", ".join(f"{c} {n:,d}" for c, n in per_code.iter_rows()))
    l02 = w.by_measure.filter(pl.col("code") == "L02").row(0, named=True)
    l11 = w.by_measure.filter(pl.col("code") == "L11").row(0, named=True)
    print(f"what-if: L02 cost change {l02['cost_change']:,.0f}; L11 gained {l11['gained']:,d} households")
    l01a = w2.by_measure.filter(pl.col("code") == "L01a").row(0, named=True)
    print(f"what-if 2: L01a lost {l01a['lost']:,d} households")
    if args.plans:
        _bench_plans(pop, q, args.year, args.plans)
    print(f"峰值内存 / peak RSS: {_peak_mb():,.0f} MB")


def _bench_database(year: int) -> None:
    """Reading the registry with its feeds: every year of income, the two years a run needs, one village."""
    from zengshou import setup_django
    from zengshou.cli.core import migrate

    setup_django()
    migrate()
    from zengshou.registry.read import population_from_database

    for label, area, years in (
        ("全部年度 / every year", None, None),
        (f"{year - 1}–{year}（whatif, plan generate）", None, (year - 1, year)),
    ):
        t0 = time.perf_counter()
        pop = population_from_database(area, years)
        print(
            f"读库 {label}: {pop.households.height:,d} 户 {pop.income.height:,d} 收入行 {time.perf_counter() - t0:.2f} s"
        )
    if pop.households.height:
        village = pop.households["village_code"][0]
        t0 = time.perf_counter()
        one = population_from_database(village, (year,))
        print(
            f"读库 一个村 {village}（explain）: {one.households.height:,d} 户 {time.perf_counter() - t0:.2f} s"
        )
    print(f"峰值内存 / peak RSS: {_peak_mb():,.0f} MB")


def _bench_plans(pop: Population, q: pl.DataFrame, year: int, n: int) -> None:
    """Plan generation twice (first write, then an idempotent re-run) into the configured database."""
    from zengshou import setup_django
    from zengshou.cli.core import migrate

    setup_django()
    migrate()
    from zengshou.toolbox import engine
    from zengshou.toolbox.models import Plan, PlanItem
    from zengshou.toolbox.plans import store_plans

    ids = pop.households["household_id"].head(n)
    results = engine.evaluate_full(pop, q, year).filter(pl.col("household_id").is_in(ids.to_list()))
    villages = dict(pop.households.select("household_id", "village_code").iter_rows())
    PlanItem.objects.filter(plan__year=year).delete()
    Plan.objects.filter(year=year).delete()
    for label in ("首次写入 / first write", "再次运行 / re-run"):
        t0 = time.perf_counter()
        counts = store_plans(results, year, villages, "bench")
        dt_ = time.perf_counter() - t0
        print(
            f"计划 {label}: {n:,d} 户 {results.height:,d} 项 {dt_:.2f} s ({results.height / dt_:,.0f} 项/秒) {counts}"
        )


if __name__ == "__main__":
    main()
