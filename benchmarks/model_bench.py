"""Risk model (M02) on a synthetic panel: train time, score time, peak memory, backtest figures.

    .venv/bin/python benchmarks/model_bench.py [--households 200000] [--seed 1] [--years 2021-2025]

Prints one JSON object. The backtest trains on the feature years before the last trainable one and
tests on it (the generator's shocks are known, so reason matching is checked); "train_all" then
trains on every trainable year as ``zengshou model train`` would, and "score" scores the last year.
Peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--years", default="2021-2025")
    ap.add_argument("--budget", type=float, default=None)
    args = ap.parse_args()
    os.environ.setdefault("ZENGSHOU_HOME", "/tmp/zh-model-bench")

    from zengshou import synth
    from zengshou.model import backtest, model_params, score, train, trainable_years
    from zengshou.model.training import parse_years

    years = parse_years(args.years)
    t0 = time.perf_counter()
    region = synth.generate(args.households, years, args.seed, show_progress=False)
    pop = region.population
    if not pop.feeds:
        pop.feeds = dict(region.feeds)
    t_gen = time.perf_counter() - t0
    params = model_params()
    figures: dict[str, object] = {
        "households": pop.households.height,
        "members": pop.members.height,
        "income_rows": pop.income.height,
        "years": years,
        "cpu_count": os.cpu_count(),
        "generate_seconds": round(t_gen, 1),
    }
    figures["backtest"] = backtest(pop, region.shocks, budget_share=args.budget, params=params)
    figures["peak_mb_after_backtest"] = _peak_mb()

    all_years = trainable_years(pop)
    t1 = time.perf_counter()
    model = train(pop, all_years, params, source="benchmark")
    figures["train_all"] = {
        "years": all_years,
        "rows": model.card["training"]["rows"],
        "seconds": round(time.perf_counter() - t1, 1),
        "features_seconds": model.card["seconds"]["features"],
        "fit_seconds": model.card["seconds"]["fit"],
        "trees": model.card["boosting"]["rounds"],
        "held_out_auc": round(model.card["metrics"]["held_out_auc"], 4),
    }
    t2 = time.perf_counter()
    scored = score(model, pop, years[-1], params)
    figures["score"] = {
        "year": years[-1],
        "households": scored.scores.height,
        "seconds": round(time.perf_counter() - t2, 1),
        "warned": int(scored.scores["level"].is_not_null().sum()),
        "drift": scored.drift[:5],
    }
    figures["peak_mb"] = _peak_mb()
    print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
