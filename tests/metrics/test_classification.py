"""Classification scores: reference values from scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from pytest_scbench.metrics import classification_scores, macro_auroc_ovr


def _predictions(seed: int, n: int = 400, k: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba.argmax(axis=1), proba


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_sklearn(seed: int) -> None:
    y, pred, proba = _predictions(seed)
    scores = classification_scores(y, pred, proba, proba.shape[1])
    assert scores.accuracy == pytest.approx(accuracy_score(y, pred), abs=1e-12)
    for ours, fn in [
        (scores.macro_f1, f1_score),
        (scores.macro_precision, precision_score),
        (scores.macro_recall, recall_score),
    ]:
        assert ours == pytest.approx(fn(y, pred, average="macro", zero_division=0), abs=1e-12)
    assert scores.macro_auroc == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=1e-12
    )
    np.testing.assert_allclose(scores.per_class_f1, f1_score(y, pred, average=None), atol=1e-12)


def test_class_never_predicted_counts_as_zero() -> None:
    y = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 0, 1, 1, 1, 1])
    proba = np.eye(3)[pred]
    scores = classification_scores(y, pred, proba, 3)
    assert scores.macro_precision == pytest.approx(precision_score(y, pred, average="macro", zero_division=0))
    assert scores.macro_f1 == pytest.approx(f1_score(y, pred, average="macro", zero_division=0))


def test_binary_auroc_equals_sklearn_binary() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    p1 = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.2, 200), 0, 1)
    proba = np.column_stack([1 - p1, p1])
    assert macro_auroc_ovr(y, proba) == pytest.approx(roc_auc_score(y, p1), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_scores_in_range(seed: int) -> None:
    y, pred, proba = _predictions(seed, n=60, k=3)
    s = classification_scores(y, pred, proba, 3)
    for value in (s.accuracy, s.macro_f1, s.macro_precision, s.macro_recall, s.macro_auroc):
        assert 0.0 <= value <= 1.0
