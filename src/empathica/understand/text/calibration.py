"""Honest confidence: temperature scaling of a classifier's scores, and how to measure calibration.

A confidence of 0.8 should be right 8 times in 10. Logistic-regression probabilities are usually over-
or under-confident by a roughly constant factor on the logit scale, so one temperature ``T`` fitted on
held-out (out-of-fold) scores fixes most of it: ``p = softmax(z / T)``. Calibration is measured by the
expected calibration error over equal-width confidence bins,
``ECE = Σ_b (n_b / n) · |accuracy_b − mean confidence_b|``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def log_odds(proba: np.ndarray) -> np.ndarray:
    """Log-probabilities (the logits up to a per-row constant) of class probabilities."""
    return np.log(np.clip(proba, 1e-12, 1.0))


class TemperatureScaler:
    """``softmax(z / T)`` with ``T`` chosen to minimise the log-loss on held-out scores."""

    def __init__(self, *, bounds: tuple[float, float] = (0.05, 20.0)) -> None:
        self.bounds = bounds

    def fit(self, logits: np.ndarray, y: np.ndarray) -> "TemperatureScaler":
        y = np.asarray(y, dtype=int)
        rows = np.arange(len(y))

        def nll(t: float) -> float:
            return float(-np.log(np.clip(softmax(logits / t)[rows, y], 1e-12, 1.0)).mean())

        self.temperature_ = float(minimize_scalar(nll, bounds=self.bounds, method="bounded").x)
        return self

    def transform(self, logits: np.ndarray) -> np.ndarray:
        return softmax(np.asarray(logits, dtype=float) / self.temperature_)


def reliability(confidence: np.ndarray, correct: np.ndarray, *, bins: int = 10) -> pd.DataFrame:
    """Per confidence bin: its range, rows, mean confidence and accuracy (a reliability diagram's data)."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            rows.append({
                "bin": f"{edges[b]:.1f}–{edges[b + 1]:.1f}",
                "rows": int(mask.sum()),
                "mean_confidence": float(confidence[mask].mean()),
                "accuracy": float(correct[mask].mean()),
            })
    return pd.DataFrame(rows)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, *, bins: int = 10) -> float:
    """ECE over ``bins`` equal-width bins of confidence."""
    table = reliability(confidence, correct, bins=bins)
    if table.empty:
        return 0.0
    n = table["rows"].sum()
    return float((table["rows"] / n * (table["accuracy"] - table["mean_confidence"]).abs()).sum())
