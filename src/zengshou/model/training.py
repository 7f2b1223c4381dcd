"""M02: train the gradient-boosted risk model on the years a database (or panel) holds, and calibrate it.

A training row is a household in year t with its features at the end of t (:mod:`.features`) and the
outcome of t+1 (:func:`.features.outcomes`). The latest training year is held out (out of time; with a
single training year, a fifth of the villages): LightGBM learns from the earlier years and stops early
on it, and an isotonic regression fitted on it turns the trees' scores into probabilities a cadre can
read ("6 in 10 such households fell last time"). Holding out households of the same years would hide
overfitting to that year's county price falls and village disasters, which do not repeat.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from zengshou.frames import Population
from zengshou.model import drift, features
from zengshou.params import ParameterSet, tree


class ModelError(ValueError):
    """Training or scoring that cannot go ahead; the message says why and what is needed (中文 / English)."""


@dataclass
class RiskModel:
    """A trained booster with its calibration and its card (version, data summary, metrics, drift reference)."""

    booster: Any  # lightgbm.Booster
    calibration_x: list[float]
    calibration_y: list[float]
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.card.get("version", ""))

    @property
    def feature_names(self) -> list[str]:
        return list(self.card.get("features", features.FEATURE_NAMES))

    def matrix(self, frame: pl.DataFrame) -> np.ndarray:
        missing = [n for n in self.feature_names if n not in frame.columns]
        if missing:
            raise ModelError(f"特征缺失 / features missing: {', '.join(missing)}")
        return frame.select(self.feature_names).to_numpy().astype(np.float64)

    def raw(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(x, num_threads=_threads(self.card)))

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        return np.interp(raw, self.calibration_x, self.calibration_y)

    def probability(self, x: np.ndarray) -> np.ndarray:
        return self.calibrate(self.raw(x))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Per-feature contributions to the log-odds (TreeSHAP); the last column is the bias."""
        return np.asarray(self.booster.predict(x, pred_contrib=True, num_threads=_threads(self.card)))


def _threads(card: dict[str, Any]) -> int:
    return int(card.get("boosting", {}).get("num_threads", 2))


def model_params(*overrides: str) -> ParameterSet:
    """The parameter tree (features and rule alerts read monitoring and tier keys), then overrides."""
    return tree(overrides)


def parse_years(text: str) -> list[int]:
    """ "2022-2024" → [2022, 2023, 2024]; "2022,2024" and "2023" work too."""
    out: list[int] = []
    try:
        for part in text.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                a, b = (int(p) for p in part.split("-", 1))
                out.extend(range(a, b + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise ModelError(
            f"年度写法无法识别：{text!r}（应如 2022-2024） / cannot read years {text!r}"
        ) from None
    if not out:
        raise ModelError(f"没有年度：{text!r} / no years given")
    return sorted(set(out))


def trainable_years(pop: Population) -> list[int]:
    """Feature years t whose outcome year t+1 also has whole-year income rows."""
    years = features.income_years(pop)
    present = set(years)
    return [y for y in years if y + 1 in present]


def training_frame(pop: Population, years: list[int], params: ParameterSet) -> pl.DataFrame:
    """Features of each year t joined to the outcome of t+1 (households with both)."""
    present = set(features.income_years(pop))
    frames = []
    for t in years:
        if t not in present or t + 1 not in present:
            need = t + 1 if t in present else t
            raise ModelError(
                f"训练年度{t}需要{t}年和{t + 1}年的全年收入数据，数据库中缺少{need}年 / "
                f"training year {t} needs whole-year income of {t} and {t + 1}; {need} is missing "
                f"(years with income: {sorted(present) or 'none'})"
            )
        frames.append(
            features.build(pop, t, params).join(
                features.outcomes(pop, t + 1, params), on="household_id", how="inner"
            )
        )
    # joins do not keep row order; bagging and the held-out split must see the same rows every time
    return pl.concat(frames, how="vertical_relaxed").sort("year", "household_id")


def _holdout(frame: pl.DataFrame, share: float) -> pl.Series:
    """Held-out rows: whole villages, so that trees memorising a village hit by a shock in a training
    year (it will not be hit again the same way) are caught by early stopping and calibration."""
    buckets = max(2, round(1 / share))
    return frame["village_code"].hash(seed=20240101) % buckets == 0


def auc(y: np.ndarray, score: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < 2:
        return None
    return float(roc_auc_score(y, score))


def at_budget(y: np.ndarray, score: np.ndarray, k: int) -> dict[str, float | int]:
    """Precision and recall when the ``k`` highest scores are visited (ties broken by position)."""
    k = max(0, min(k, len(y)))
    order = np.argsort(-score, kind="stable")[:k]
    hits = int(y[order].sum())
    positives = int(y.sum())
    return {
        "visits": k,
        "hits": hits,
        "precision": hits / k if k else 0.0,
        "recall": hits / positives if positives else 0.0,
    }


def budget_count(n: int, share: float) -> int:
    return max(1, math.ceil(n * share))


def train(
    pop: Population,
    years: list[int] | None = None,
    params: ParameterSet | None = None,
    source: str = "",
) -> RiskModel:
    """Train and calibrate on ``years`` (feature years; default every year with a following year).

    Raises :class:`ModelError` when the data are too few (see the parameters ``M02.min_training_*``).
    """
    import lightgbm as lgb
    from sklearn.isotonic import IsotonicRegression

    params = params or model_params()
    years = years or trainable_years(pop)
    if not years:
        raise ModelError(
            "数据库中没有连续两年的全年收入数据，无法训练（至少需要相邻两年） / "
            "no two consecutive years of whole-year income: training needs at least years t and t+1"
        )
    last = max(years)
    min_households = int(params.for_year("M02.min_training_households", last))
    min_positives = int(params.for_year("M02.min_training_positives", last))
    settings = dict(params.for_year("M02.boosting", last))
    t0 = time.perf_counter()
    frame = training_frame(pop, years, params)
    t_features = time.perf_counter() - t0
    households = frame["household_id"].n_unique()
    positives = int(frame["at_risk"].sum())
    if households < min_households or positives < min_positives or positives == frame.height:
        raise ModelError(
            f"训练数据太少：{households:,d}户、{frame.height:,d}条户·年、其中次年收入下降或低于监测范围{positives:,d}条；"
            f"至少需要{min_households:,d}户和{min_positives:,d}条此类样本（以及未下降的样本）。"
            f"请导入更多年度或地区的收入数据 / too little training data: {households} households, "
            f"{positives} at-risk household-years; need at least {min_households} households and "
            f"{min_positives} at-risk household-years (and some that were not)"
        )
    if len(years) >= 2:
        # out of time: the trees learn from the earlier years and are stopped and calibrated on the
        # latest one, as they will be used (a year's price falls and disasters do not repeat)
        hold = frame["year"] == max(years)
        validation = f"{max(years)}年（最近训练年度）"
    else:
        hold = _holdout(frame, float(settings.get("validation_share", 0.2)))
        validation = "五分之一的村"
    x = frame.select(features.FEATURE_NAMES).to_numpy().astype(np.float64)
    y = frame["at_risk"].cast(pl.Int8).to_numpy()
    mask = hold.to_numpy()
    if len(np.unique(y[mask])) < 2 or len(np.unique(y[~mask])) < 2:
        raise ModelError(
            "留出的验证户中只有一类结果，无法校准；请提供更多农户 / the held-out households have only one "
            "outcome, calibration impossible: more households are needed"
        )
    booster_params = {
        "objective": "binary",
        "metric": "binary_logloss",
        "num_leaves": int(settings.get("num_leaves", 31)),
        "max_bin": int(settings.get("max_bin", 63)),
        "max_depth": int(settings.get("max_depth", 8)),
        "learning_rate": float(settings.get("learning_rate", 0.08)),
        # a leaf must hold more households than a village has, or trees learn which villages a
        # training year's disasters and price falls hit (village figures are unique per village)
        "min_data_in_leaf": max(
            int(settings.get("min_data_in_leaf", 100)),
            round(float(settings.get("min_leaf_share", 0.002)) * int((~mask).sum())),
        ),
        "feature_fraction": float(settings.get("feature_fraction", 0.9)),
        "bagging_fraction": float(settings.get("bagging_fraction", 0.8)),
        "bagging_freq": int(settings.get("bagging_freq", 1)),
        "lambda_l2": float(settings.get("lambda_l2", 1.0)),
        "num_threads": int(settings.get("num_threads", 2)),
        "seed": 7,
        "deterministic": True,
        "force_col_wise": True,
        "verbose": -1,
    }
    train_set = lgb.Dataset(x[~mask], y[~mask], feature_name=list(features.FEATURE_NAMES), free_raw_data=True)
    valid_set = lgb.Dataset(x[mask], y[mask], reference=train_set)
    t1 = time.perf_counter()
    booster = lgb.train(
        booster_params,
        train_set,
        num_boost_round=int(settings.get("max_rounds", 400)),
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(int(settings.get("early_stopping_rounds", 30)), verbose=False)],
    )
    t_fit = time.perf_counter() - t1
    raw_valid = np.asarray(booster.predict(x[mask], num_threads=booster_params["num_threads"]))
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw_valid, y[mask])
    cal_x = [float(v) for v in iso.X_thresholds_]
    cal_y = [float(v) for v in iso.y_thresholds_]
    prob_valid = np.interp(raw_valid, cal_x, cal_y)
    budget = float(params.for_year("M02.visit_budget_share", last))
    k = budget_count(int(mask.sum()), budget)
    gains = booster.feature_importance(importance_type="gain")
    importance = sorted(zip(features.FEATURE_NAMES, gains, strict=True), key=lambda p: -p[1])
    per_year = (
        frame.group_by("year")
        .agg(
            pl.len().alias("rows"),
            pl.col("at_risk").mean().alias("at_risk_rate"),
            pl.col("fell").mean().alias("fell_rate"),
            pl.col("under_line").mean().alias("under_line_rate"),
        )
        .sort("year")
    )
    card: dict[str, Any] = {
        "model": "risk",
        "code": str(params.for_year("M02.alert_code", last)),
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": source,
        "years": years,
        "outcome": "次年（t+1）人均纯收入不增反降（M04）或低于监测范围（M05）",
        "features": list(features.FEATURE_NAMES),
        "boosting": {**settings, "rounds": booster.best_iteration or booster.num_trees()},
        "training": {
            "households": households,
            "rows": frame.height,
            "at_risk": positives,
            "at_risk_rate": positives / frame.height,
            "held_out_rows": int(mask.sum()),
            "held_out": validation,
            "by_year": per_year.to_dicts(),
        },
        "metrics": {
            "held_out_auc": auc(y[mask], prob_valid),
            "held_out_brier": float(np.mean((prob_valid - y[mask]) ** 2)),
            "held_out_base_rate": float(y[mask].mean()),
            "budget_share": budget,
            "held_out_at_budget": at_budget(y[mask], prob_valid, k),
            "calibration": drift.calibration_table(prob_valid, y[mask]),
        },
        "importance": [{"feature": n, "gain": float(g)} for n, g in importance[:15]],
        "drift_reference": drift.reference(frame, features.FEATURE_NAMES),
        "seconds": {"features": round(t_features, 2), "fit": round(t_fit, 2)},
    }
    return RiskModel(booster=booster, calibration_x=cal_x, calibration_y=cal_y, card=card)
