"""M02: does the scored year look like the training years? Population stability index per feature.

The training distribution of each feature is kept in the model card as decile edges and the share of
known rows per bin. Scoring a year bins its features the same way; a PSI at or
above ``M02.drift_psi_threshold`` (0.25) means the feature moved so much that the model's probabilities
for that year deserve less trust — a new kind of shock, a changed data source, a price collapse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

_EPS = 1e-4


def _shares(values: np.ndarray, edges: Sequence[float]) -> list[float]:
    """Share of the known (non-null) values in each bin between the edges.

    Nulls are left out: the first training year often lacks the year before it (no change ratio),
    which says nothing about the households having changed.
    """
    known = values[~np.isnan(values)]
    # a value equal to an edge goes below it, so a feature constant in training (all 0) is told
    # apart from the same feature at 1 when scoring
    bins = np.searchsorted(np.asarray(edges, dtype=np.float64), known, side="left")
    counts = np.bincount(bins, minlength=len(edges) + 1)
    return [float(c) / max(1, len(known)) for c in counts]


def reference(frame: pl.DataFrame, names: Sequence[str]) -> dict[str, dict[str, list[float]]]:
    """Decile edges and bin shares of each feature in the training rows."""
    out: dict[str, dict[str, list[float]]] = {}
    for name in names:
        values = frame[name].cast(pl.Float64).to_numpy()
        present = values[~np.isnan(values)]
        edges = (
            sorted({float(q) for q in np.quantile(present, np.linspace(0.1, 0.9, 9))}) if len(present) else []
        )
        out[name] = {"edges": edges, "shares": _shares(values, edges)}
    return out


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    e = np.clip(np.asarray(expected, dtype=np.float64), _EPS, None)
    a = np.clip(np.asarray(actual, dtype=np.float64), _EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


def report(
    ref: dict[str, dict[str, list[float]]], frame: pl.DataFrame, threshold: float, labels: dict[str, str]
) -> list[dict[str, Any]]:
    """Features whose PSI against the training reference reaches ``threshold``, largest first."""
    rows = []
    for name, spec in ref.items():
        if name not in frame.columns:
            continue
        values = frame[name].cast(pl.Float64).to_numpy()
        if np.isnan(values).all():
            continue
        value = psi(spec["shares"], _shares(values, spec["edges"]))
        if value >= threshold:
            rows.append({"feature": name, "label": labels.get(name, name), "psi": round(value, 3)})
    return sorted(rows, key=lambda r: -r["psi"])


def calibration_table(prob: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float | int]]:
    """Mean predicted probability against the observed rate, by probability decile (for the model card)."""
    if len(prob) == 0:
        return []
    order = np.argsort(prob, kind="stable")
    out = []
    for chunk in np.array_split(order, bins):
        if len(chunk) == 0:
            continue
        out.append(
            {
                "rows": len(chunk),
                "predicted": round(float(prob[chunk].mean()), 4),
                "observed": round(float(y[chunk].mean()), 4),
            }
        )
    return out
