"""M02: does the model earn its place? Train on earlier years, test on a later one, against today's rules.

The rule baseline is today's practice (rules of ``zengshou.monitor.rules``): a household is flagged at
the end of year t when its per-capita income is under the monitoring line (M05) or a department
signal names it (M03d–M03j, or an 应急 disaster report for its area, M03k). Cadres who can visit
``k`` households visit the flagged ones first, poorest first (then the poorest unflagged ones).
The model visits its ``k`` highest probabilities. Both are judged on the same outcome: in t+1 the
household's income fell (M04) or ended under the line (M05).

On the synthetic panel the generator's shocks are known, so the backtest also checks that the
model's first reason points to the shock that was really applied in year t — the shocks whose
effects reach into t+1 (a shock of t+1 itself is not knowable at the end of t, so it is not counted).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import polars as pl

from zengshou.frames import Population
from zengshou.model import features, reasons
from zengshou.model.scoring import score_frame
from zengshou.model.training import (
    ModelError,
    at_budget,
    auc,
    budget_count,
    model_params,
    train,
    trainable_years,
)
from zengshou.params import ParameterSet


def rule_score(frame: pl.DataFrame) -> np.ndarray:
    """The rule baseline's visiting order as a score: flagged first, then lower income relative to the line."""
    flag = frame["rule_flag"].cast(pl.Float64).to_numpy()
    ratio = frame["line_ratio"].fill_null(0.0).to_numpy()
    return flag + 0.5 / (1.0 + np.clip(ratio, 0.0, None))


def _shock_match(scored: pl.DataFrame, shocks: pl.DataFrame, test_year: int) -> dict[str, Any]:
    warned = scored.filter(pl.col("in_budget")).select(
        "household_id", pl.col("reason_groups").list.first().alias("top"), "reason_groups"
    )
    applied = (
        shocks.filter(pl.col("year") == test_year)
        .group_by("household_id")
        .agg(pl.col("shock").unique().alias("shocks"))
    )
    mapping = pl.DataFrame(
        {
            "group": list(reasons.GROUP_SHOCKS),
            "points_to": [list(v) for v in reasons.GROUP_SHOCKS.values()],
        }
    )
    both = (
        warned.join(applied, on="household_id", how="inner")
        .join(mapping, left_on="top", right_on="group", how="left")
        .with_columns(
            pl.col("points_to").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
        )
        .with_columns(
            (pl.col("points_to").list.set_intersection("shocks").list.len() > 0).alias("top_matches"),
        )
    )
    # any of the three reasons pointing to the shock
    exploded = (
        both.select("household_id", "shocks", "reason_groups")
        .explode("reason_groups")
        .join(mapping, left_on="reason_groups", right_on="group", how="left")
        .with_columns(pl.col("points_to").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))))
        .with_columns((pl.col("points_to").list.set_intersection("shocks").list.len() > 0).alias("hit"))
        .group_by("household_id")
        .agg(pl.col("hit").any())
    )
    n = both.height
    by_shock = (
        both.explode("shocks")
        .group_by("shocks")
        .agg(pl.len().alias("warned"), pl.col("top_matches").mean().alias("top_reason_match_rate"))
        .sort("shocks")
    )
    return {
        "warned": warned.height,
        "warned_with_shock": n,
        "top_reason_matches_shock": int(both["top_matches"].sum()) if n else 0,
        "top_reason_match_rate": float(both["top_matches"].mean()) if n else None,  # type: ignore[arg-type]
        "any_reason_match_rate": float(exploded["hit"].mean()) if n else None,  # type: ignore[arg-type]
        "by_shock": {
            r["shocks"]: {
                "warned": r["warned"],
                "top_reason_match_rate": round(r["top_reason_match_rate"], 4),
            }
            for r in by_shock.to_dicts()
        },
    }


def backtest(
    pop: Population,
    shocks: pl.DataFrame | None = None,
    test_year: int | None = None,
    train_years: list[int] | None = None,
    budget_share: float | None = None,
    params: ParameterSet | None = None,
) -> dict[str, Any]:
    """Train on feature years before ``test_year`` (default: the last trainable year) and test on it.

    Returns figures for the model and the rule baseline at the same number of visits, and, when
    ``shocks`` (household_id, year, shock) are given, how often the top reason matches the shock.
    """
    params = params or model_params()
    years = trainable_years(pop)
    if not years:
        raise ModelError("没有相邻两年的收入数据，无法回测 / no two consecutive years of income to backtest")
    test_year = test_year or years[-1]
    if test_year not in years:
        raise ModelError(
            f"测试年度{test_year}需要{test_year}和{test_year + 1}年的收入数据（可用：{years}） / "
            f"test year {test_year} needs income of {test_year} and {test_year + 1}"
        )
    train_years = train_years or [y for y in years if y < test_year]
    if not train_years or max(train_years) >= test_year:
        raise ModelError(
            f"训练年度须早于测试年度{test_year}（可用：{years}） / training years must precede the test year"
        )
    share = (
        float(params.for_year("M02.visit_budget_share", test_year)) if budget_share is None else budget_share
    )
    t0 = time.perf_counter()
    model = train(pop, train_years, params, source="backtest")
    t_train = time.perf_counter() - t0
    t1 = time.perf_counter()
    frame = features.build(pop, test_year, params).join(
        features.outcomes(pop, test_year + 1, params), on="household_id", how="inner", maintain_order="left"
    )
    everyone = _compare(model, frame, params, test_year, share, shocks)
    t_score = time.perf_counter() - t1
    # Households above the line at the end of t: M05 does not flag them yet, so finding the ones that
    # will fall is where a model can add to the rules (households under the line stay there and are
    # found by both).
    above = _compare(model, frame.filter(pl.col("under_line_now") == 0), params, test_year, share, shocks)
    return {
        "train_years": train_years,
        "test_year": test_year,
        "outcome_year": test_year + 1,
        "budget_share": share,
        **everyone,
        "above_line": above,
        "model_version_card": {
            "held_out_auc": _round(model.card["metrics"]["held_out_auc"]),
            "rounds": model.card["boosting"]["rounds"],
            "training_rows": model.card["training"]["rows"],
        },
        "seconds": {"train": round(t_train, 2), "score": round(t_score, 2)},
    }


def _compare(
    model: Any,
    frame: pl.DataFrame,
    params: ParameterSet,
    test_year: int,
    share: float,
    shocks: pl.DataFrame | None,
) -> dict[str, Any]:
    """Model and rule baseline on ``frame`` (features joined to outcomes) at ⌈share × rows⌉ visits."""
    scored = score_frame(model, frame, params, test_year, share)
    truth = frame.select("household_id", "at_risk", "fell", "under_line", "line_ratio", "rule_flag")
    joined = scored.select("household_id", "probability", "rank").join(truth, on="household_id", how="inner")
    y = joined["at_risk"].cast(pl.Int8).to_numpy()
    prob = joined["probability"].to_numpy()
    k = budget_count(joined.height, share)
    rules = rule_score(joined)
    flagged = joined.filter(pl.col("rule_flag"))
    # the scoring rank (probability, ties by the raw tree score) is the model's visiting order
    model_at = at_budget(y, -joined["rank"].cast(pl.Float64).to_numpy(), k)
    out: dict[str, Any] = {
        "test_households": joined.height,
        "at_risk_rate": _round(float(y.mean()) if len(y) else None),
        "fell_rate": _round(float(joined["fell"].mean()) if len(y) else None),  # type: ignore[arg-type]
        "under_line_rate": _round(float(joined["under_line"].mean()) if len(y) else None),  # type: ignore[arg-type]
        "visits": k,
        "model": {"auc": _round(auc(y, prob)), **_rounded(model_at)},
        "rule_baseline": {
            "auc": _round(auc(y, rules)),
            **_rounded(at_budget(y, rules, k)),
            "flagged": flagged.height,
            "flagged_precision": _round(float(flagged["at_risk"].mean()) if flagged.height else None),  # type: ignore[arg-type]
        },
    }
    if shocks is not None:
        out["reasons"] = _shock_match(scored, shocks, test_year)
    return out


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 4)


def _rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}
