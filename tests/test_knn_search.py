"""The CPU searches: exact (faiss flat, re-ranked) against scikit-learn; seeded IVF recall and determinism."""

from __future__ import annotations

import faiss
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neighbors import NearestNeighbors

from pytest_scbench import graph, knn_search


def _clustered(n: int, d: int = 10, seed: int = 0) -> np.ndarray:
    """Gaussian clusters on a 4-dimensional manifold: neighbours an IVF index can find."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(12, 4))
    z = centres[rng.integers(12, size=n)] + rng.normal(size=(n, 4))
    return (z @ rng.normal(size=(4, d)) + 0.05 * rng.normal(size=(n, d))).astype(np.float32)


def test_exact_search_keeps_every_thread_once_faiss_is_loaded() -> None:
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
    from sklearn.utils.parallel import _get_threadpool_controller

    outside = _openmp_effective_n_threads()
    X = _clustered(500)
    knn_search.exact_knn(X, X[:10], 5)
    # scikit-learn's kernel counts its threads inside this very limit
    with _get_threadpool_controller().limit(limits=1, user_api="blas"):
        assert _openmp_effective_n_threads() == outside


def test_exact_matches_a_float64_brute_force() -> None:
    X = _clustered(800)
    indices, distances = knn_search.exact_knn(X, X[::7], 12)
    d = np.sqrt(((X[::7, None, :].astype(np.float64) - X[None, :, :]) ** 2).sum(-1))
    np.testing.assert_array_equal(np.sort(indices, 1), np.sort(np.argsort(d, axis=1)[:, :12], 1))
    np.testing.assert_allclose(distances, np.sort(d, axis=1)[:, :12], atol=2e-5)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 12))
def test_refine_orders_by_distance_then_index(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.integers(-2, 3, size=(40, 3)).astype(np.float32)  # many exact ties
    q = X[:5]
    candidates = np.stack([rng.permutation(40)[:k + 3] for _ in range(5)])
    indices, distances = knn_search.refine(X, q, candidates, k)
    for row, cand, idx, dist in zip(q, candidates, indices, distances, strict=True):
        d = np.sqrt(((X[cand].astype(np.float64) - row) ** 2).sum(1))
        expected = cand[np.lexsort((cand, d))][:k]
        np.testing.assert_array_equal(idx, expected)
        np.testing.assert_allclose(dist, np.sort(d)[:k], rtol=1e-6)


def test_refine_gives_the_same_in_blocks_on_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    X = rng.integers(-2, 3, size=(300, 4)).astype(np.float32)  # many exact ties
    candidates = np.stack([rng.permutation(300)[:20] for _ in range(250)])
    candidates[::9, -3:] = -1  # faiss' "not found"
    whole = knn_search.refine(X, X[:250], candidates, 12)
    monkeypatch.setattr(knn_search, "_QUERY_BLOCK", 7)  # 36 blocks over the cores
    monkeypatch.setattr(knn_search.os, "cpu_count", lambda: 4)
    blocked = knn_search.refine(X, X[:250], candidates, 12)
    np.testing.assert_array_equal(blocked[0], whole[0])
    np.testing.assert_array_equal(blocked[1], whole[1])


def test_ivf_reaches_the_recall_target_and_reports_it_truthfully() -> None:
    X = _clustered(8_000, seed=1)
    indices, distances, report = knn_search.ivf_knn(X, 15, seed=3)
    assert report.method == "ivf" and report.k == 15 and report.seed == 3
    assert report.recall >= knn_search.IVF_RECALL_TARGET
    rows = knn_search.recall_rows(X.shape[0], 3)
    assert report.sample == rows.size == knn_search.RECALL_SAMPLE
    # recompute the recall from a scikit-learn exact search of the sampled cells
    _, truth = NearestNeighbors(n_neighbors=15, algorithm="brute").fit(X).kneighbors(X[rows])
    assert report.recall == pytest.approx(knn_search.recall(indices[rows], truth, rows), abs=2e-3)
    # and on other cells too, not only those it was tuned on
    others = np.setdiff1d(np.arange(0, X.shape[0], 5), rows)
    _, truth = NearestNeighbors(n_neighbors=15, algorithm="brute").fit(X).kneighbors(X[others])
    assert knn_search.recall(indices[others], truth, others) >= 0.95
    assert (np.diff(distances, axis=1) >= 0).all()


def test_ivf_graph_is_bit_identical_across_runs_and_thread_counts() -> None:
    X = _clustered(5_000, seed=2)
    threads = faiss.omp_get_max_threads()
    try:
        faiss.omp_set_num_threads(1)
        one = knn_search.ivf_knn(X, 15, seed=0)
        faiss.omp_set_num_threads(max(2, threads))
        two = knn_search.ivf_knn(X, 15, seed=0)
        again = knn_search.ivf_knn(X, 15, seed=0)
    finally:
        faiss.omp_set_num_threads(threads)
    for other in (two, again):
        np.testing.assert_array_equal(one[0], other[0])
        np.testing.assert_array_equal(one[1], other[1])
        assert one[2] == other[2]


def test_recall_counts_true_neighbours_without_the_cell_itself() -> None:
    truth = np.array([[0, 1, 2], [1, 0, 2]])
    assert knn_search.recall(truth, truth, np.array([0, 1])) == 1.0
    found = np.array([[0, 1, 5], [1, 7, 8]])
    assert knn_search.recall(found, truth, np.array([0, 1])) == 0.25
    assert knn_search.recall(truth[:, :1], truth[:, :1], np.array([0, 1])) == 1.0


def test_graph_above_the_exact_limit_is_ivf_with_its_recall_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph, "EXACT_MAX_CELLS", 1000)
    X = _clustered(3000, seed=4)
    g = graph.GraphCache().get("emb", X, 15, seed=1)
    assert g.method == "ivf" and g.k == 15
    np.testing.assert_array_equal(g.indices[:, 0], np.arange(3000))
    assert g.report["recall"] >= knn_search.IVF_RECALL_TARGET and g.report["seed"] == 1
    # one search of kBET's 50 neighbours serves the 15 asked for; the 15's recall is reported too
    assert g.report["recall_k"] == g.with_k(10).report["recall_k"] == graph.APPROXIMATE_PREFETCH_K
    rows = knn_search.recall_rows(3000, 1)
    truth, _ = knn_search.exact_knn(X, X[rows], 15)
    assert g.report["recall_at_15"] == round(knn_search.recall(g.indices[rows], truth, rows), 5)
    assert g.report["recall_at_15"] >= 0.9
    assert graph.compute_knn(X[:1000], 15).report == {"k": 15, "method": "exact", "recall": 1.0}
