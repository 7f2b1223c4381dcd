"""M02: score a year with a trained model — probability, level, rank, top reasons — and turn it into alerts.

Scores feed the alert system as their own code (``M02.alert_code``, R01) beside the rule alerts
M03–M05: a household whose calibrated probability reaches a cut-off of ``M02.level_cutoffs`` gets an
alert of that level, its explanation carrying the probability and the three reasons. At most
``M02.alert_share`` of the households (highest probabilities first) are warned, so the model adds a
short list to the queue rather than a quarter of the region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from zengshou.frames import Population
from zengshou.model import drift, features, reasons
from zengshou.model.training import ModelError, RiskModel, budget_count, model_params
from zengshou.params import ParameterSet

SCORE_SCHEMA: dict[str, Any] = {
    "household_id": pl.Utf8,
    "village_code": pl.Utf8,
    "year": pl.Int64,
    "probability": pl.Float64,
    "rank": pl.Int64,
    "in_budget": pl.Boolean,
    "level": pl.Utf8,
    "code": pl.Utf8,
    "model_version": pl.Utf8,
    "reason_groups": pl.List(pl.Utf8),
    "reasons": pl.List(pl.Utf8),
    "rule_flag": pl.Boolean,
}


@dataclass
class ScoreResult:
    year: int
    scores: pl.DataFrame  # SCORE_SCHEMA, highest probability first
    drift: list[dict[str, Any]] = field(default_factory=list)
    features: pl.DataFrame | None = None


def levels(probability: pl.Expr, cutoffs: list[float]) -> pl.Expr:
    """M02: 一级/二级/三级 from the calibrated probability and ``M02.level_cutoffs``; null under the last."""
    l1, l2, l3 = (float(c) for c in cutoffs)
    return (
        pl.when(probability >= l1)
        .then(pl.lit("一级"))
        .when(probability >= l2)
        .then(pl.lit("二级"))
        .when(probability >= l3)
        .then(pl.lit("三级"))
        .otherwise(pl.lit(None, dtype=pl.Utf8))
    )


def score_frame(
    model: RiskModel, frame: pl.DataFrame, params: ParameterSet, year: int, budget_share: float | None = None
) -> pl.DataFrame:
    """Scores for a feature frame of :func:`zengshou.model.features.build` (see :data:`SCORE_SCHEMA`)."""
    if frame.height == 0:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    x = model.matrix(frame)
    raw = model.raw(x)
    prob = model.calibrate(raw)
    share = float(params.for_year("M02.visit_budget_share", year)) if budget_share is None else budget_share
    k = budget_count(frame.height, share)
    cutoffs = list(params.for_year("M02.level_cutoffs", year))
    warned_at_most = budget_count(frame.height, float(params.for_year("M02.alert_share", year)))
    # raw score breaks ties of the step-shaped calibrated probability
    order = np.lexsort((-raw, -prob))
    rank = np.empty(len(prob), dtype=np.int64)
    rank[order] = np.arange(1, len(prob) + 1)
    out = pl.concat(
        [
            frame.select("household_id", "village_code", "year", "rule_flag"),
            pl.DataFrame({"probability": prob, "rank": rank}),
        ],
        how="horizontal",
    ).with_columns(
        (pl.col("rank") <= k).alias("in_budget"),
        pl.when(pl.col("rank") <= warned_at_most)
        .then(levels(pl.col("probability"), cutoffs))
        .otherwise(pl.lit(None, dtype=pl.Utf8))
        .alias("level"),
        pl.lit(str(params.for_year("M02.alert_code", year))).alias("code"),
        pl.lit(model.version).alias("model_version"),
    )
    # Reasons only where someone will read them (a warning or a planned visit): TreeSHAP is the
    # costly step of scoring, and the other households carry empty reason lists.
    explain = (out["level"].is_not_null() | out["in_budget"]).to_numpy()
    rows = np.flatnonzero(explain)
    why = reasons.top_reasons(frame[rows], model.contributions(x[rows])).with_columns(
        pl.Series("_row", rows, dtype=pl.Int64)
    )
    out = (
        out.with_row_index("_row")
        .with_columns(pl.col("_row").cast(pl.Int64))
        .join(why, on="_row", how="left", maintain_order="left")
        .with_columns(
            pl.col("reason_groups").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
            pl.col("reasons").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
        )
    )
    return out.select([pl.col(k).cast(t) for k, t in SCORE_SCHEMA.items()]).sort("rank")


def score(
    model: RiskModel,
    pop: Population,
    year: int,
    params: ParameterSet | None = None,
    budget_share: float | None = None,
) -> ScoreResult:
    """Probability that each household's income falls or ends under the line in ``year`` + 1, with reasons.

    Uses only what is known at the end of ``year``; reports features that drifted from training.
    """
    params = params or model_params()
    if year not in features.income_years(pop):
        raise ModelError(
            f"{year}年没有全年收入数据，无法评分（已有年度：{features.income_years(pop) or '无'}） / "
            f"no whole-year income for {year}"
        )
    frame = features.build(pop, year, params)
    scores = score_frame(model, frame, params, year, budget_share)
    labels = {f.name: f.label for f in features.FEATURES}
    report = drift.report(
        model.card.get("drift_reference", {}),
        frame,
        float(params.for_year("M02.drift_psi_threshold", year)),
        labels,
    )
    return ScoreResult(year=year, scores=scores, drift=report, features=frame)


def alerts(scores: pl.DataFrame, params: ParameterSet | None = None) -> pl.DataFrame:
    """M02: the scored households with a level, as alert rows (``zengshou.monitor.rules.ALERT_SCHEMA``).

    The explanation reads e.g. "模型预测2026年收入下降或低于监测范围的概率约70%（模型v3）。主要原因：
    工资性收入较上年下降48%；家庭成员新增大病（医保个人自付21,300元）；所在村（乡、县）2025年发生灾害1次…";
    the probability is written as ``M02.shown_probability`` says (rounded, never 100%).
    """
    from zengshou.monitor.rules import ALERT_SCHEMA

    warned = scores.filter(pl.col("level").is_not_null())
    if warned.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    year = int(warned["year"].max())  # type: ignore[arg-type]
    shown = (params or model_params()).for_year("M02.shown_probability", year)
    numbered = pl.col("reasons").list.eval(
        pl.concat_str([(pl.int_range(pl.len()) + 1).cast(pl.Utf8), pl.lit(". "), pl.element()])
    )
    return warned.select(
        "household_id",
        pl.col("village_code").alias("area_code"),
        "code",
        "level",
        pl.concat_str(
            [
                pl.lit("模型预测"),
                (pl.col("year") + 1).cast(pl.Utf8),
                pl.lit("年收入下降或低于监测范围的概率"),
                reasons.probability_text(
                    pl.col("probability"), float(shown["step"]), float(shown["ceiling"])
                ),
                pl.lit("（模型"),
                pl.col("model_version"),
                pl.lit("，风险排名第"),
                pl.col("rank").cast(pl.Utf8),
                pl.lit("）。主要原因："),
                numbered.list.join("；"),
            ]
        ).alias("explanation"),
        pl.concat_str(
            [pl.col("code"), pl.lit("|"), pl.col("household_id"), pl.lit("|"), pl.col("year").cast(pl.Utf8)]
        ).alias("fingerprint"),
    ).select([pl.col(k).cast(t) for k, t in ALERT_SCHEMA.items()])


def pipeline_alerts(pop: Population, year: int, params: ParameterSet | None = None) -> pl.DataFrame:
    """R01 alerts of the latest stored model for a pipeline run; empty when no model was trained yet.

    For a step of :func:`zengshou.pipeline.run_batch` (``pipeline_alerts(pop, year)``): a system
    without a model runs its rules as before instead of failing.
    """
    from zengshou.model.storage import load
    from zengshou.monitor.rules import ALERT_SCHEMA

    try:
        model = load()
    except ModelError:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    return alerts(score(model, pop, year, params).scores, params)
