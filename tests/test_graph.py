"""The shared kNN graph: exactness, the self-first convention, derived views, the cache."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from umap.umap_ import fuzzy_simplicial_set

from pytest_scbench.graph import (
    APPROXIMATE_PREFETCH_K,
    PREFETCH_K,
    GraphCache,
    compute_knn,
    sampled_knn,
    umap_connectivities,
)


def _points(n: int = 300, d: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def test_exact_matches_brute_force() -> None:
    X = _points()
    g = compute_knn(X, 10)
    d = np.sqrt(((X[:, None, :].astype(np.float64) - X[None, :, :]) ** 2).sum(-1))
    expected = np.argsort(d, axis=1, kind="stable")[:, :10]
    assert g.method == "exact"
    np.testing.assert_array_equal(g.indices[:, 0], np.arange(X.shape[0]))
    np.testing.assert_array_equal(np.sort(g.indices, axis=1), np.sort(expected, axis=1))
    np.testing.assert_allclose(g.distances, np.take_along_axis(d, g.indices, 1), atol=1e-4)


def test_duplicates_keep_self_first() -> None:
    X = np.repeat(_points(50), 2, axis=0)
    g = compute_knn(X, 5)
    np.testing.assert_array_equal(g.indices[:, 0], np.arange(100))
    assert (g.distances[:, 0] == 0).all()
    assert all(len(set(row)) == 5 for row in g.indices)


def test_k_is_clipped_and_views_are_prefixes() -> None:
    X = _points(20)
    assert compute_knn(X, 50).k == 20
    g = compute_knn(X, 10)
    v = g.with_k(4)
    assert v is g.with_k(4)
    np.testing.assert_array_equal(v.indices, g.indices[:, :4])
    assert g.with_k(99) is g


def test_connectivities_match_umap() -> None:
    X = _points(400, 8, seed=1)
    g = compute_knn(X, 15)
    ours = umap_connectivities(g.indices, g.distances)
    ref = fuzzy_simplicial_set(
        coo_matrix(([], ([], [])), shape=(400, 1)),
        15,
        None,
        None,
        knn_indices=g.indices,
        knn_dists=g.distances,
    )[0].tocsr()
    assert ours.nnz == ref.nnz
    assert abs(ours - ref).max() < 1e-5
    assert abs(ours - ours.T).max() == 0


def _bits(m) -> tuple:  # noqa: ANN001 - a scipy CSR matrix
    return m.shape, m.indptr.tolist(), m.indices.tolist(), m.data.dtype, m.data.view(np.uint32).tolist()


@pytest.mark.parametrize("k", [15, 50])
def test_connectivities_are_the_same_for_any_row_block(k: int) -> None:
    X = _points(600, 6, seed=2)
    X[10:14] = X[3]  # duplicate cells: zero distances beyond the cell itself
    g = compute_knn(X, k)
    whole = umap_connectivities(g.indices, g.distances, block_rows=10**9)
    for rows in (1, 7, 128):
        assert _bits(umap_connectivities(g.indices, g.distances, block_rows=rows)) == _bits(whole)


def test_connectivities_blocks_keep_scipys_sum_of_a_repeated_neighbour() -> None:
    # not a kNN search's output, but the weights must not depend on the blocks either
    rng = np.random.default_rng(0)
    n, k = 300, 20
    indices = (np.arange(n)[:, None] + rng.integers(-6, 7, size=(n, k))) % n
    indices[:, 0] = np.arange(n)
    distances = np.sort(rng.uniform(0.1, 2.0, size=(n, k)).astype(np.float32), axis=1)
    distances[:, 0] = 0
    distances[5] = 0  # a row with no positive distance: sigma's floor uses every distance
    whole = umap_connectivities(indices, distances, block_rows=n)
    for rows in (1, 13):
        assert _bits(umap_connectivities(indices, distances, block_rows=rows)) == _bits(whole)
    assert abs(whole - whole.T).max() == 0


def test_approximate_search_is_close_to_exact() -> None:
    X = _points(600, 6, seed=2)
    approx = compute_knn(X, 10, method="pynndescent", seed=0)
    exact = compute_knn(X, 10)
    np.testing.assert_array_equal(approx.indices[:, 0], np.arange(600))
    recall = np.mean([len(np.intersect1d(a, b)) / 10 for a, b in zip(approx.indices, exact.indices, strict=True)])
    assert recall > 0.95


def test_hnsw_search_is_close_to_exact_and_the_same_every_time() -> None:
    X = _points(3000, 8, seed=3)
    X[7] = X[8]  # duplicates must still list themselves first
    approx = compute_knn(X, 15, method="hnsw")
    exact = compute_knn(X, 15, method="exact")
    assert approx.method == "hnsw"
    np.testing.assert_array_equal(approx.indices[:, 0], np.arange(3000))
    recall = np.mean([len(np.intersect1d(a, b)) / 15 for a, b in zip(approx.indices, exact.indices, strict=True)])
    assert recall > 0.97
    found = approx.indices == exact.indices
    np.testing.assert_allclose(approx.distances[found], exact.distances[found], rtol=1e-4, atol=1e-5)
    again = compute_knn(X, 15, method="hnsw")
    np.testing.assert_array_equal(again.indices, approx.indices)
    np.testing.assert_array_equal(again.distances, approx.distances)


def test_auto_is_exact_up_to_the_limit_then_ivf(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytest_scbench.graph as graph

    monkeypatch.setattr(graph, "EXACT_MAX_CELLS", 500)
    assert compute_knn(_points(500), 5).method == "exact"
    assert compute_knn(_points(501), 5).method == "ivf"
    cache = GraphCache()
    big = cache.get("big", _points(600), 15)  # above the limit: kBET's 50 neighbours, once
    assert big.k == 15 and cache.get("big", _points(600), APPROXIMATE_PREFETCH_K).k == APPROXIMATE_PREFETCH_K
    assert cache.searches[("big", 0)] == 1
    assert cache.get("small", _points(400), 15).k == 15
    assert cache.get("small", _points(400), 90).k == 90 and cache.searches[("small", 0)] == 1


def test_cache_searches_once_per_key() -> None:
    cache = GraphCache(size=2)
    X = _points(PREFETCH_K + 100)
    g15 = cache.get("emb:a", X, 15)
    g90 = cache.get("emb:a", X, 90)
    assert g15.k == 15 and g90.k == 90
    np.testing.assert_array_equal(g90.indices[:, :15], g15.indices)
    assert cache.searches == {("emb:a", 0): 1}
    cache.get("emb:a", X, PREFETCH_K + 50)  # more neighbours than prefetched: one new search
    assert cache.searches[("emb:a", 0)] == 2
    cache.get("emb:b", X, 15)
    cache.get("emb:c", X, 15)  # evicts emb:a (size 2)
    cache.get("emb:a", X, 15)
    assert cache.searches[("emb:a", 0)] == 3


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown kNN method"):
        compute_knn(_points(10), 3, method="faiss")


def test_sampled_knn_is_the_full_graph_restricted_to_the_sampled_cells() -> None:
    X = np.random.default_rng(5).normal(size=(300, 6)).astype(np.float32)
    X[10] = X[11]  # a duplicate: each must still come first in its own row
    rows = np.array([11, 0, 10, 299, 150])
    sampled = sampled_knn(X, rows, 12)
    full = compute_knn(X, 12, method="exact")
    np.testing.assert_array_equal(sampled.rows, rows)
    np.testing.assert_array_equal(sampled.indices[:, 0], rows)
    np.testing.assert_array_equal(np.sort(sampled.indices, axis=1), np.sort(full.indices[rows], axis=1))
    np.testing.assert_allclose(sampled.distances, full.distances[rows], atol=1e-5)
    np.testing.assert_array_equal(sampled.with_k(4).rows, rows)
    with pytest.raises(ValueError, match="needs every cell's neighbours; this graph has 5 cells' only"):
        sampled.connectivities  # noqa: B018
