"""scib-metrics' Benchmarker metrics against scib-metrics' own functions on realistic embeddings.

The embeddings (tests/realistic.py) are float32, as every task sees them: cell types of
unequal sizes, two close ones, an isolated one, a batch effect that differs per type.
Deterministic metrics agree to 1e-5; KMeans NMI/ARI, seeded by the same JAX draws, are
equal seed by seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_scbench.graph import compute_knn
from pytest_scbench.metrics import (
    bras,
    isolated_labels,
    kbet_per_label,
    nmi_ari_cluster_labels_kmeans,
    pcr_comparison,
    principal_component_regression,
    silhouette_batch,
    silhouette_label,
)
from pytest_scbench.tasks.scib import aggregate
from tests.realistic import realistic

scib_metrics = pytest.importorskip("scib_metrics")
jax = pytest.importorskip("jax")
NeighborsResults = scib_metrics.nearest_neighbors.NeighborsResults


@pytest.fixture(scope="module", params=[0, 1])
def cells(request):
    return realistic(request.param)


@pytest.fixture(scope="module")
def graph50(cells):
    return compute_knn(cells.X, 90).with_k(50)


def test_kbet_per_label_equals_scib_metrics(cells, graph50) -> None:
    ours, rates = kbet_per_label(graph50, cells.labels, cells.batch)[:2]
    nr = NeighborsResults(indices=graph50.indices, distances=graph50.distances)
    ref, table = scib_metrics.kbet_per_label(nr, cells.batch, cells.labels, return_df=True)
    assert ours == pytest.approx(float(ref), abs=1e-5)
    expected = {str(c): float(v) for c, v in zip(table["cluster"], table["kBET"], strict=True) if np.isfinite(v)}
    assert rates == pytest.approx(expected, abs=1e-5)
    assert "type_6" not in rates  # a single batch: skipped, as there


def test_bras_equals_scib_metrics(cells) -> None:
    ours = bras(cells.X, cells.labels, cells.batch)
    assert ours == pytest.approx(float(scib_metrics.bras(cells.X, cells.labels, cells.batch)), abs=1e-5)
    # BRAS is not the old batch silhouette
    assert abs(ours - silhouette_batch(cells.X, cells.labels, cells.batch)) > 1e-3


def test_isolated_labels_equals_scib_metrics(cells) -> None:
    ours, names = isolated_labels(cells.X, cells.labels, cells.batch)
    assert names == ["type_6"]
    ref = float(scib_metrics.isolated_labels(cells.X, cells.labels, cells.batch))
    assert ours == pytest.approx(ref, abs=1e-5)
    # with a threshold of 3 batches every label is "isolated"
    ours3, names3 = isolated_labels(cells.X, cells.labels, cells.batch, iso_threshold=3)
    assert len(names3) == 7
    ref3 = float(scib_metrics.isolated_labels(cells.X, cells.labels, cells.batch, iso_threshold=3))
    assert ours3 == pytest.approx(ref3, abs=1e-5)


def test_pcr_comparison_equals_scib_metrics(cells) -> None:
    ours = pcr_comparison(cells.X_pre, cells.X, cells.batch)
    ref = float(scib_metrics.pcr_comparison(cells.X_pre, cells.X, cells.batch, categorical=True))
    assert ours == pytest.approx(ref, abs=1e-5)
    pcr = scib_metrics.utils.principal_component_regression
    for X in (cells.X, cells.X_pre):
        assert principal_component_regression(X, cells.batch) == pytest.approx(
            float(pcr(X, cells.batch, categorical=True)), abs=1e-5
        )


def test_pcr_comparison_is_zero_when_integration_adds_batch_variance(cells) -> None:
    with pytest.warns(UserWarning, match="negative"):
        assert pcr_comparison(cells.X, cells.X_pre, cells.batch) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_kmeans_nmi_ari_equal_scib_metrics_for_each_seed(cells, seed: int) -> None:
    # The seeding draws JAX's random numbers as scib-metrics' KMeans does, so each seed
    # gives its clusters, NMI and ARI (before: numpy's generator, 5-seed means only).
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    ours = nmi_ari_cluster_labels_kmeans(cells.X, cells.labels, seed=seed)
    clusters = scib_metrics.utils.KMeans(7, seed=seed).fit(cells.X.copy()).labels_
    assert ours["nmi"] == pytest.approx(normalized_mutual_info_score(cells.labels, clusters), abs=1e-12)
    assert ours["ari"] == pytest.approx(adjusted_rand_score(cells.labels, clusters), abs=1e-12)
    if seed == 0:  # what scib-metrics' own function (and its Benchmarker) reports
        ref = scib_metrics.nmi_ari_cluster_labels_kmeans(cells.X.copy(), cells.labels)
        assert (ours["nmi"], ours["ari"]) == pytest.approx((ref["nmi"], ref["ari"]), abs=1e-12)


def test_kmeans_seeding_draws_scib_metrics_centres(cells) -> None:
    from scib_metrics.utils._kmeans import _initialize_plus_plus

    from pytest_scbench.metrics.kmeans import initial_centres

    X = cells.X.astype(np.float32)
    X = X - X.mean(axis=0)
    for seed in range(3):
        key = jax.random.split(jax.random.PRNGKey(seed), 1)[0]
        theirs = np.asarray(_initialize_plus_plus(X, 7, key))
        np.testing.assert_allclose(initial_centres(cells.X, 7, seed), theirs, rtol=0, atol=1e-6)


def test_kmeans_from_the_same_centres_gives_scib_metrics_clusters(cells) -> None:
    # Only the seeding's generator differs: from the same k-means++ centres, scib-metrics'
    # own Lloyd iterations (its KMeans, its initialiser replaced by those centres) end in
    # exactly our clusters.
    import jax.numpy as jnp

    from pytest_scbench.metrics.kmeans import initial_centres, kmeans_labels

    for seed in range(3):
        init = initial_centres(cells.X, 7, seed)
        km = scib_metrics.utils.KMeans(7)
        km._initialize = lambda X, k, key, init=init: jnp.asarray(init)
        theirs = km.fit(cells.X.copy()).labels_
        np.testing.assert_array_equal(kmeans_labels(cells.X, 7, init=init), theirs)


def test_benchmarker_table_and_aggregates(cells, graph50) -> None:
    """scib-metrics' own Benchmarker, given our exact graph, against our metrics and aggregates."""
    import anndata as ad
    import pandas as pd
    from scib_metrics.benchmark import Benchmarker

    full = compute_knn(cells.X, 90)
    adata = ad.AnnData(
        X=np.zeros((cells.X.shape[0], 1), dtype=np.float32),
        obs=pd.DataFrame({"cell_type": cells.labels, "batch": cells.batch}, index=[f"c{i}" for i in range(cells.X.shape[0])]),
    )
    adata.obsm["X_emb"], adata.obsm["X_pre"] = cells.X.copy(), cells.X_pre.copy()
    bm = Benchmarker(adata, "batch", "cell_type", ["X_emb"], pre_integrated_embedding_obsm_key="X_pre", progress_bar=False)
    bm.prepare(neighbor_computer=lambda X, k: NeighborsResults(indices=full.indices[:, :k], distances=full.distances[:, :k]))
    bm.benchmark()
    row = bm.get_results(min_max_scale=False, clean_names=False).loc["X_emb"]
    from pytest_scbench.metrics import clisi, graph_connectivity, ilisi

    ours = {
        "isolated_labels": isolated_labels(cells.X, cells.labels, cells.batch)[0],
        "silhouette_label": silhouette_label(cells.X, cells.labels),
        "clisi": clisi(full, cells.labels),
        "bras": bras(cells.X, cells.labels, cells.batch),
        "ilisi": ilisi(full, cells.batch),
        "kbet": kbet_per_label(graph50, cells.labels, cells.batch)[0],
        "graph_connectivity": graph_connectivity(full.with_k(15), cells.labels),
        "pcr_comparison": pcr_comparison(cells.X_pre, cells.X, cells.batch),
        **{f"kmeans_{k}": v for k, v in nmi_ari_cluster_labels_kmeans(cells.X, cells.labels, seed=0).items()},
    }
    theirs = {
        "isolated_labels": row["isolated_labels"],
        "silhouette_label": row["silhouette_label"],
        "clisi": row["clisi_knn"],
        "bras": row["bras"],
        "ilisi": row["ilisi_knn"],
        "kbet": row["kbet_per_label"],
        "graph_connectivity": row["graph_connectivity"],
        "pcr_comparison": row["pcr_comparison"],
        "kmeans_nmi": row["nmi_ari_cluster_labels_kmeans_nmi"],
        "kmeans_ari": row["nmi_ari_cluster_labels_kmeans_ari"],
    }
    for name, value in ours.items():
        assert value == pytest.approx(float(theirs[name]), abs=1e-5), name
    # our aggregates of the Benchmarker's own values are its aggregates
    agg = aggregate({k: float(v) for k, v in theirs.items()})
    # the Benchmarker holds some values in float32: agreement to 1e-6
    assert agg["bio_conservation"] == pytest.approx(float(row["Bio conservation"]), abs=1e-6)
    assert agg["batch_correction"] == pytest.approx(float(row["Batch correction"]), abs=1e-6)
    assert agg["total"] == pytest.approx(float(row["Total"]), abs=1e-6)


def test_aggregate_skips_missing_metrics_as_pandas_does() -> None:
    scores = {"isolated_labels": 0.5, "kmeans_nmi": 0.7, "bras": 0.9, "ilisi": 0.1}
    agg = aggregate(scores)
    assert agg == pytest.approx({"bio_conservation": 0.6, "batch_correction": 0.5, "total": 0.4 * 0.5 + 0.6 * 0.6})
    assert aggregate({"bras": 0.9}) == {"batch_correction": 0.9}


def _small(draw_seed: int, n_labels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(draw_seed)
    labels = np.repeat(np.arange(n_labels), 30)
    batch = rng.integers(0, 2, labels.size)
    X = (rng.normal(size=(labels.size, 4)) + 2.0 * labels[:, None] + 0.5 * batch[:, None]).astype(np.float32)
    return X, labels, batch


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_labels=st.integers(2, 4))
def test_label_renaming_invariance_and_range(seed: int, n_labels: int) -> None:
    X, labels, batch = _small(seed, n_labels)
    names = np.array([f"t{(7 * code + 3) % 11}" for code in range(n_labels)], dtype=object)[labels]
    bnames = np.where(batch == 0, "zz", "aa")
    graph = compute_knn(X, 50)
    values = {
        "bras": (bras(X, labels, batch), bras(X, names, bnames)),
        "isolated_labels": (isolated_labels(X, labels, batch)[0], isolated_labels(X, names, bnames)[0]),
        "pcr": (principal_component_regression(X, batch), principal_component_regression(X, bnames)),
        "kbet": (kbet_per_label(graph, labels, batch)[0], kbet_per_label(graph, names, bnames)[0]),
        "kmeans_nmi": (
            nmi_ari_cluster_labels_kmeans(X, labels)["nmi"],
            nmi_ari_cluster_labels_kmeans(X, names)["nmi"],
        ),
    }
    for name, (a, b) in values.items():
        if np.isnan(a):
            assert np.isnan(b), name
            continue
        assert a == pytest.approx(b, abs=1e-9), name
        assert 0.0 <= a <= 1.0, name
