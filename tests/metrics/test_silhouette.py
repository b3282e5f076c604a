"""Label and batch silhouettes: references (scikit-learn, scib-metrics) and properties."""

from __future__ import annotations

import numpy as np
import pytest
import scib_metrics
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import silhouette_samples, silhouette_score

from pytest_scbench.metrics import silhouette_batch, silhouette_label


def _cells(seed: int, n: int = 300, d: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    batch = rng.integers(0, 3, n)
    X = rng.normal(size=(n, d)) + labels[:, None] * 1.2 + batch[:, None] * 0.4
    return X, labels, batch


@pytest.mark.parametrize("seed", [0, 1])
def test_label_matches_sklearn_and_scib(seed: int) -> None:
    X, labels, _ = _cells(seed)
    ours = silhouette_label(X, labels)
    assert ours == pytest.approx((silhouette_score(X, labels) + 1) / 2, abs=1e-6)
    assert ours == pytest.approx(float(scib_metrics.silhouette_label(X, labels)), abs=1e-6)
    assert silhouette_label(X, labels, rescale=False) == pytest.approx(silhouette_score(X, labels), abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_batch_matches_scib(seed: int) -> None:
    X, labels, batch = _cells(seed)
    assert silhouette_batch(X, labels, batch) == pytest.approx(
        float(scib_metrics.silhouette_batch(X, labels, batch)), abs=1e-6
    )


def test_batch_skips_single_batch_labels_like_scib() -> None:
    X, labels, batch = _cells(4)
    batch = np.where(labels == 0, 0, batch)  # label 0 in one batch only: skipped
    assert silhouette_batch(X, labels, batch) == pytest.approx(
        float(scib_metrics.silhouette_batch(X, labels, batch)), abs=1e-6
    )
    assert np.isnan(silhouette_batch(X, labels, np.zeros_like(batch)))


def test_singleton_cluster_scores_zero_like_sklearn() -> None:
    X, labels, _ = _cells(2, n=50)
    labels[0] = 9
    expected = silhouette_samples(X, labels).mean()
    assert silhouette_label(X, labels, rescale=False) == pytest.approx(expected, abs=1e-6)


def test_sampled_estimate_is_close_and_seeded() -> None:
    X, labels, batch = _cells(5, n=1200)
    exact = silhouette_label(X, labels)
    a = silhouette_label(X, labels, sample_size=400, seed=1)
    assert a == silhouette_label(X, labels, sample_size=400, seed=1)
    assert a == pytest.approx(exact, abs=0.02)
    assert silhouette_batch(X, labels, batch, sample_size=400, seed=1) == pytest.approx(
        silhouette_batch(X, labels, batch), abs=0.02
    )


def test_reference_subset_is_sklearn_on_that_subset_weighted_by_label_size() -> None:
    from pytest_scbench.metrics.silhouette import stratified_rows

    X, labels, _ = _cells(7, n=1500)
    reference = stratified_rows(labels, 500, seed=3 + 1)
    per_cell = silhouette_samples(X[reference], labels[reference])
    sizes = np.bincount(labels)
    per_label = np.array([per_cell[labels[reference] == g].mean() for g in range(sizes.size)])
    expected = (per_label * sizes).sum() / sizes.sum()
    ours = silhouette_label(X, labels, rescale=False, seed=3, reference_size=500)
    assert ours == pytest.approx(expected, abs=1e-6)


def test_reference_subset_estimates_the_exact_value_and_is_seeded() -> None:
    X, labels, _ = _cells(8, n=3000)
    exact = silhouette_label(X, labels)
    a = silhouette_label(X, labels, sample_size=500, seed=2, reference_size=1000)
    assert a == silhouette_label(X, labels, sample_size=500, seed=2, reference_size=1000)
    assert a == pytest.approx(exact, abs=0.02)
    assert silhouette_label(X, labels, reference_size=3000) == silhouette_label(X, labels)


def test_float32_close_to_float64() -> None:
    X, labels, batch = _cells(6)
    assert silhouette_label(X.astype(np.float32), labels) == pytest.approx(silhouette_label(X, labels), abs=1e-5)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_properties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 80
    labels = np.arange(n) % 3
    separated = np.eye(3)[labels] * 50 + rng.normal(0, 0.1, size=(n, 3))
    random = rng.normal(size=(n, 3))
    batch = rng.integers(0, 2, n)
    s_sep, s_rand = silhouette_label(separated, labels), silhouette_label(random, labels)
    assert 0 <= s_rand <= 1 and 0 <= s_sep <= 1
    assert s_sep >= s_rand
    order = rng.permutation(n)
    assert silhouette_label(random[order], labels[order]) == pytest.approx(s_rand, abs=1e-9)
    b = silhouette_batch(random, labels, batch)
    assert 0 <= b <= 1
    assert silhouette_batch(random[order], labels[order], batch[order]) == pytest.approx(b, abs=1e-9)
