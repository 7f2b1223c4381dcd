"""M02 构建智能模型，提高监测效能: who will fall next, and why.

Gradient-boosted trees predict, from what is known at the end of year t, the probability that a
household's per-capita income falls (M04) or ends under the monitoring line (M05) in t+1; each
warning carries its top 3 reasons in plain Chinese. See ``docs/risk-model.md``.
"""

from __future__ import annotations

import os

# LightGBM's OpenMP threads spin while waiting by default; on a shared 2-core machine that turns a
# 2-second fit into 20. Passive waiting costs nothing when the machine is idle. Set before the
# first lightgbm import (training, storage and scoring import it lazily).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from zengshou.model.backtest import backtest
from zengshou.model.features import FEATURES, as_of, build, outcomes
from zengshou.model.scoring import ScoreResult, alerts, pipeline_alerts, score, score_frame
from zengshou.model.storage import load, save, versions
from zengshou.model.training import ModelError, RiskModel, model_params, train, trainable_years

__all__ = [
    "FEATURES",
    "ModelError",
    "RiskModel",
    "ScoreResult",
    "alerts",
    "as_of",
    "backtest",
    "build",
    "load",
    "model_params",
    "outcomes",
    "pipeline_alerts",
    "save",
    "score",
    "score_frame",
    "train",
    "trainable_years",
    "versions",
]
