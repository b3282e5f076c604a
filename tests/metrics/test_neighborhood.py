"""kNN-graph metrics against scib-metrics on the same neighbours, and their properties."""

from __future__ import annotations

import numpy as np
import pytest
import scib_metrics
from hypothesis import given, settings
from hypothesis import strategies as st
from scib_metrics.nearest_neighbors import NeighborsResults

from pytest_scbench.graph import KnnGraph, compute_knn
from pytest_scbench.metrics import (
    clisi,
    entropy_per_cell,
    graph_connectivity,
    ilisi,
    kbet_acceptance,
    kbet_within_label_knn,
    lisi,
)


@pytest.fixture(scope="module")
def cells() -> tuple[np.ndarray, np.ndarray, np.ndarray, KnnGraph]:
    rng = np.random.default_rng(0)
    n = 500
    labels = rng.integers(0, 5, n)
    batch = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 8)) + labels[:, None] * 0.8 + batch[:, None] * 0.3
    return X, labels, batch, compute_knn(X, 90)


def _scib(graph: KnnGraph) -> NeighborsResults:
    return NeighborsResults(indices=graph.indices, distances=graph.distances)


def test_lisi_matches_scib(cells) -> None:
    # scib-metrics runs the bisection in float32 (JAX default); we run it in float64, so
    # per-cell values agree to ~1e-5 and the medians to 1e-6.
    X, labels, batch, graph = cells
    np.testing.assert_allclose(lisi(graph, batch), scib_metrics.lisi_knn(_scib(graph), batch), atol=5e-5)
    assert ilisi(graph, batch) == pytest.approx(float(scib_metrics.ilisi_knn(_scib(graph), batch)), abs=1e-6)
    assert clisi(graph, labels) == pytest.approx(float(scib_metrics.clisi_knn(_scib(graph), labels)), abs=1e-6)


def test_kbet_matches_scib(cells) -> None:
    _, _, batch, graph = cells
    g50 = graph.with_k(50)
    ours, stats, pvalues = kbet_acceptance(g50.indices, batch)
    ref, ref_stats, ref_p = scib_metrics.kbet(_scib(g50), batch)
    assert ours == pytest.approx(float(ref), abs=1e-6)
    np.testing.assert_allclose(stats, ref_stats, rtol=1e-5)
    np.testing.assert_allclose(pvalues, ref_p, atol=1e-6)


def test_kbet_within_label_knn_is_scib_kbet_within_each_label(cells) -> None:
    # The variant (not scib-metrics' kbet_per_label, which is metrics.kbet): the k0
    # neighbours within a label are searched in the embedding, not on a diffusion map of
    # the label's subgraph. Checked: k0 from scib's rule and scib-metrics' kbet per label.
    X, labels, batch, _ = cells
    ours, per_label = kbet_within_label_knn(X, labels, batch)
    expected = {}
    for label in np.unique(labels):
        mask = labels == label
        k0 = int(min(70, max(10, np.floor(np.bincount(batch[mask]).mean() / 4))))
        sub = compute_knn(X[mask], k0 + 1)
        expected[str(label)] = float(scib_metrics.kbet(_scib(sub), batch[mask])[0])
    assert per_label == pytest.approx(expected, abs=1e-6)
    assert ours == pytest.approx(np.mean(list(expected.values())), abs=1e-12)


def test_kbet_on_a_sample_of_tested_cells(cells) -> None:
    # Labels of ~100 cells; testing at most 60 of each checks a seeded sample of cells
    # against every cell of its label: each sampled cell's verdict is the full run's.
    X, labels, batch, _ = cells
    full, full_rates = kbet_within_label_knn(X, labels, batch, max_tested=None)
    assert kbet_within_label_knn(X, labels, batch, max_tested=10_000) == (full, full_rates)
    sampled, rates = kbet_within_label_knn(X, labels, batch, max_tested=60, seed=3)
    assert sampled == kbet_within_label_knn(X, labels, batch, max_tested=60, seed=3)[0]
    assert sampled != kbet_within_label_knn(X, labels, batch, max_tested=60, seed=4)[0]
    for label in np.unique(labels):
        mask = labels == label
        k0 = int(min(70, max(10, np.floor(np.bincount(batch[mask]).mean() / 4))))
        _, _, pvalues = kbet_acceptance(compute_knn(X[mask], k0 + 1).indices, batch[mask])
        accepted = pvalues >= 0.05
        # the sampled rate is the acceptance of 60 of these cells: a multiple of 1/60
        assert rates[str(label)] * 60 == pytest.approx(round(rates[str(label)] * 60), abs=1e-9)
        assert abs(rates[str(label)] - accepted.mean()) < 0.25


def test_graph_connectivity_matches_scib(cells) -> None:
    _, labels, _, graph = cells
    g15 = graph.with_k(15)
    assert graph_connectivity(g15, labels) == pytest.approx(
        float(scib_metrics.graph_connectivity(_scib(g15), labels)), abs=1e-12
    )


def test_entropy_per_cell_extremes() -> None:
    n = 300
    batch = np.arange(n) % 3
    # batches as three far-apart blobs: every neighbourhood is pure
    apart = np.eye(3)[batch] * 100 + np.random.default_rng(1).normal(0, 0.1, (n, 3))
    assert entropy_per_cell(compute_knn(apart, 30), batch) == pytest.approx(0.0)
    # a perfectly interleaved line: each 3 consecutive cells hold the 3 batches
    line = np.arange(n, dtype=float)[:, None]
    assert entropy_per_cell(compute_knn(line, 3), batch) == pytest.approx(1.0, abs=0.05)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_ranges_order_and_separation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 120
    labels = np.arange(n) % 4
    batch = rng.integers(0, 2, n)
    separated = np.eye(4)[labels] * 40 + rng.normal(0, 0.1, (n, 4))
    random = rng.normal(size=(n, 4))
    g_sep, g_rand = compute_knn(separated, 30), compute_knn(random, 30)
    for g in (g_sep, g_rand):
        for value in (
            ilisi(g, batch),
            clisi(g, labels),
            entropy_per_cell(g, batch),
            graph_connectivity(g.with_k(15), labels),
        ):
            assert -1e-9 <= value <= 1 + 1e-9
    assert clisi(g_sep, labels) >= clisi(g_rand, labels)
    assert graph_connectivity(g_sep.with_k(15), labels) >= graph_connectivity(g_rand.with_k(15), labels)
    order = rng.permutation(n)
    g_perm = compute_knn(random[order], 30)
    assert ilisi(g_perm, batch[order]) == pytest.approx(ilisi(g_rand, batch), abs=1e-9)
    assert entropy_per_cell(g_perm, batch[order]) == pytest.approx(entropy_per_cell(g_rand, batch), abs=1e-9)


def test_lisi_weights_shared_by_ilisi_and_clisi(cells) -> None:
    from pytest_scbench.metrics import lisi_weights

    _, labels, batch, graph = cells
    weights = lisi_weights(graph)
    np.testing.assert_allclose(weights.P.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(weights.P[graph.indices == np.arange(graph.indices.shape[0])[:, None]] == 0)
    assert ilisi(graph, batch, weights=weights) == ilisi(graph, batch)
    assert clisi(graph, labels, weights=weights) == clisi(graph, labels)
