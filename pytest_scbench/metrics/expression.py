"""Errors and correlations between predicted and observed expression values."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error (:func:`sklearn.metrics.mean_squared_error`). Lower is better, >= 0."""
    diff = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.mean(diff * diff))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error (:func:`sklearn.metrics.mean_absolute_error`). Lower is better."""
    diff = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.mean(np.abs(diff)))


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation coefficient (:func:`scipy.stats.pearsonr`'s statistic).

    Returns a value in [-1, 1] (higher is better), or 0.0 when either input is constant
    (the correlation is undefined; scoring it 0 keeps a constant prediction from passing
    as good, and keeps the metric finite for baselines).
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    xc = x - x.mean()
    yc = y - y.mean()
    denom = np.sqrt((xc * xc).sum() * (yc * yc).sum())
    if denom == 0 or not np.isfinite(denom):
        return 0.0
    return float(np.clip((xc * yc).sum() / denom, -1.0, 1.0))


def jaccard(a: Collection[object], b: Collection[object]) -> float:
    """Jaccard index ``|A & B| / |A | B|`` of two sets (1.0 for two empty sets). Higher is better."""
    sa, sb = set(a), set(b)
    union = sa | sb
    return len(sa & sb) / len(union) if union else 1.0


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, largest first; ties broken by lower index."""
    scores = np.asarray(scores, dtype=np.float64)
    order = np.lexsort((np.arange(scores.size), -scores))
    return order[: min(k, scores.size)]
