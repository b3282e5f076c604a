"""The batch integration task against scib-metrics on the same graph."""

from __future__ import annotations

import numpy as np
import pytest
import scib_metrics
from scib_metrics.nearest_neighbors import NeighborsResults

from pytest_scbench.errors import TaskError
from pytest_scbench.graph import GRAPHS
from pytest_scbench.tasks.batch_integration import BatchIntegration

from .conftest import inputs_for
from .helpers import blobs, make_dataset

NAMES = {"entropy_per_cell", "silhouette_batch", "ilisi", "kbet", "graph_connectivity", "clisi"}


def test_metrics_match_scib_metrics(separated) -> None:
    dataset, X = separated
    inputs = inputs_for(dataset, X)
    result = BatchIntegration().run(inputs)
    assert set(result.metrics) == NAMES
    assert all(m.direction == "higher" and 0 <= m.value <= 1 for m in result.metrics.values())
    labels = dataset.adata.obs["cell_type"].to_numpy()
    batch = dataset.adata.obs["batch"].to_numpy()
    g = GRAPHS.get(inputs.outputs.key("embedding"), X, 90)
    nr = NeighborsResults(indices=g.indices, distances=g.distances)
    nr15 = NeighborsResults(indices=g.indices[:, :15], distances=g.distances[:, :15])
    value = {n: m.value for n, m in result.metrics.items()}
    assert value["ilisi"] == pytest.approx(float(scib_metrics.ilisi_knn(nr, batch)), abs=1e-6)
    assert value["clisi"] == pytest.approx(float(scib_metrics.clisi_knn(nr, labels)), abs=1e-6)
    assert value["graph_connectivity"] == pytest.approx(float(scib_metrics.graph_connectivity(nr15, labels)))
    assert value["silhouette_batch"] == pytest.approx(
        float(scib_metrics.silhouette_batch(X, labels, batch)), abs=1e-5
    )
    nr50 = NeighborsResults(indices=g.indices[:, :50], distances=g.distances[:, :50])
    assert value["kbet"] == pytest.approx(float(scib_metrics.kbet_per_label(nr50, batch, labels)), abs=1e-5)
    assert set(result.details["kbet_per_label"]) == set(np.unique(labels))
    assert set(result.controls) == NAMES


def test_mixed_batches_beat_separated_batches() -> None:
    adata, X = blobs(n_cells=300, n_batches=2, separation=8.0, seed=3)
    dataset = make_dataset(adata, label_key="cell_type", batch_key="batch")
    batch = dataset.adata.obs["batch"].cat.codes.to_numpy()
    shifted = X + 30.0 * batch[:, None].astype(np.float32)
    mixed = BatchIntegration(controls=False).run(inputs_for(dataset, X))
    split = BatchIntegration(controls=False).run(inputs_for(dataset, shifted))
    for name in ("entropy_per_cell", "ilisi", "kbet", "silhouette_batch"):
        assert mixed.metrics[name].value > split.metrics[name].value, name


def test_single_batch_is_an_error() -> None:
    adata, X = blobs(n_cells=100, n_batches=1)
    dataset = make_dataset(adata, label_key="cell_type", batch_key="batch")
    with pytest.raises(TaskError, match=r"batch column 'batch' has 1 distinct value"):
        BatchIntegration().run(inputs_for(dataset, X))


def test_no_label_spans_two_batches_is_an_error() -> None:
    adata, X = blobs(n_cells=100, n_labels=2, n_batches=2)
    adata.obs["batch"] = adata.obs["cell_type"].astype(str).to_numpy()
    dataset = make_dataset(adata, label_key="cell_type", batch_key="batch")
    with pytest.raises(TaskError, match="no label of 'cell_type' has cells in two batches"):
        BatchIntegration().run(inputs_for(dataset, X))


def test_deterministic(separated) -> None:
    dataset, X = separated
    a = BatchIntegration().run(inputs_for(dataset, X, seed=2))
    GRAPHS.clear()
    b = BatchIntegration().run(inputs_for(dataset, X, seed=2))
    assert a.metrics == b.metrics and a.controls == b.controls


def test_above_the_exact_limit_neighbourhood_metrics_are_estimated_on_a_sample(monkeypatch) -> None:
    # Shrink the limits so 2,000 cells count as "large": the shared graph becomes IVF and
    # entropy and LISI average over 1,000 sampled cells with exact neighbourhoods.
    import pytest_scbench.graph as graph

    adata, X = blobs(n_cells=2000, n_batches=3, seed=4)
    dataset = make_dataset(adata, label_key="cell_type", batch_key="batch")
    full = BatchIntegration(controls=False).run(inputs_for(dataset, X))
    GRAPHS.clear()
    monkeypatch.setattr(graph, "EXACT_MAX_CELLS", 1500)
    sampled = BatchIntegration(controls=False, max_cells=1000, sample_cells=1000).run(inputs_for(dataset, X))
    again = BatchIntegration(controls=False, max_cells=1000, sample_cells=1000).run(inputs_for(dataset, X))
    assert {n: m.value for n, m in sampled.metrics.items()} == {n: m.value for n, m in again.metrics.items()}
    for name in ("entropy_per_cell", "ilisi", "clisi", "graph_connectivity"):
        assert sampled.metrics[name].value == pytest.approx(full.metrics[name].value, abs=0.03), name
    assert sampled.metrics["entropy_per_cell"].value != full.metrics["entropy_per_cell"].value
    key = inputs_for(dataset, X).outputs.key("embedding")
    assert GRAPHS.get(key, X, 15).method == "ivf"
    assert full.details["knn_graph"] == {"k": 50, "method": "exact", "recall": 1.0}  # kBET's 50
    report = sampled.details["knn_graph"]
    assert report["method"] == "ivf" and report["recall"] >= 0.96 and report["recall_sample"] == 2000
