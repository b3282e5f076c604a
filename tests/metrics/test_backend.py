"""The torch metric backend, run on CPU tensors, against the numpy/faiss/scikit-learn path."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from pytest_scbench import graph, knn_search
from pytest_scbench.device import cuda_device_count
from pytest_scbench.metrics import backend
from pytest_scbench.metrics.silhouette import group_distance_sums, silhouette_batch, silhouette_label


def _embedding(n: int = 1500, d: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(6, size=n)
    batch = rng.integers(3, size=n)
    X = rng.normal(size=(6, d))[labels] * 2 + rng.normal(size=(n, d)) + 0.3 * rng.normal(size=(3, d))[batch]
    return X.astype(np.float32), labels, batch


def test_torch_exact_search_equals_the_cpu_search() -> None:
    X, _, _ = _embedding()
    queries = X[::3]
    cpu = knn_search.exact_knn(X, queries, 30)
    torch_cpu = backend.exact_knn(X, queries, 30, "cpu")
    np.testing.assert_array_equal(torch_cpu[0], cpu[0])
    np.testing.assert_allclose(torch_cpu[1], cpu[1], rtol=1e-5, atol=1e-5)


def test_torch_search_breaks_exact_ties_by_index() -> None:
    X = np.repeat(np.arange(10, dtype=np.float32)[:, None], 3, axis=0)  # each point thrice
    indices, distances = backend.exact_knn(X, X[[4, 5]], 4, "cpu")
    # X[4] = X[5] = 1.0 (rows 3..5 hold 1.0): the three copies first, by index, then 0.0 before 2.0
    np.testing.assert_array_equal(indices, [[3, 4, 5, 0], [3, 4, 5, 0]])
    np.testing.assert_array_equal(distances, [[0, 0, 0, 1], [0, 0, 0, 1]])


def test_torch_search_serves_the_graph_when_a_device_is_selected() -> None:
    X, _, _ = _embedding(seed=1)
    with backend.on_device("cpu"):
        on_torch = graph.compute_knn(X, 15)
        sampled = graph.sampled_knn(X, np.array([3, 9, 400]), 15)
    assert on_torch.method == "torch" and on_torch.report["recall"] == 1.0
    exact = graph.compute_knn(X, 15)
    assert exact.method == "exact"
    np.testing.assert_array_equal(on_torch.indices, exact.indices)
    np.testing.assert_allclose(on_torch.distances, exact.distances, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(sampled.indices, exact.indices[[3, 9, 400]])
    assert backend.metric_device() is None  # the context restores the CPU path


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_torch_group_distance_sums_equal_numpy(dtype: type, metric: str) -> None:
    X, labels, _ = _embedding(seed=2)
    X = X.astype(dtype)
    rows = np.arange(0, X.shape[0], 4)
    expected = group_distance_sums(X, labels, 6, rows, metric=metric)
    with backend.on_device("cpu"):
        got = group_distance_sums(X, labels, 6, rows, metric=metric)
    np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-10)


def test_silhouettes_on_torch_match_scikit_learn_and_the_cpu_path() -> None:
    X, labels, batch = _embedding(seed=3)
    X = X.astype(np.float64)
    with backend.on_device("cpu"):
        label_torch = silhouette_label(X, labels)
        batch_torch = silhouette_batch(X, labels, batch)
    assert label_torch == pytest.approx((silhouette_score(X, labels) + 1) / 2, abs=1e-9)
    assert batch_torch == pytest.approx(silhouette_batch(X, labels, batch), abs=1e-9)


def test_device_selection() -> None:
    assert backend.select("cpu") is None
    assert backend.select("torch-cpu") == "cpu"
    assert backend.select("cuda:1") == "cuda:1"
    assert backend.select("auto") == ("cuda" if cuda_device_count() > 0 else None)
    assert backend.metric_device() is None  # the CPU path is the default


def test_the_device_option_is_resolved_on_first_use() -> None:
    try:
        backend.use_option("torch-cpu")
        assert backend.metric_device() == "cpu"
        backend.use_option("cuda:7")  # no such device here: the CPU path
        if cuda_device_count() <= 7:
            assert backend.metric_device() is None
        backend.use_option("cpu")
        assert backend.metric_device() is None
    finally:
        backend.use_device(None)


def test_the_plugin_does_not_import_torch_to_collect(pytester: pytest.Pytester) -> None:
    """Asking torch about CUDA costs its import; collection (and a project that runs no
    suite) must not pay it: the metric device is resolved when a metric first needs it."""
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    script = (
        "import sys, pytest\n"
        "assert pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider']) == 0\n"
        "print('torch imported:', 'torch' in sys.modules)\n"
    )
    result = pytester.run(sys.executable, "-c", script)
    result.stdout.fnmatch_lines(["torch imported: False"])
