"""The clustering task on real (synthetic) data sets with a real adapter."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_scbench.graph import GRAPHS
from pytest_scbench.metrics import adjusted_rand_index, normalized_mutual_info
from pytest_scbench.registry import tasks
from pytest_scbench.tasks.clustering import Clustering
from pytest_scbench.tasks.leiden import leiden

from .conftest import inputs_for


def test_registered() -> None:
    assert tasks.get("clustering") is Clustering
    assert Clustering.requires_outputs == {"embedding"} and Clustering.requires_keys == {"label"}


def test_separated_labels_are_recovered(separated) -> None:
    dataset, X = separated
    result = Clustering().run(inputs_for(dataset, X))
    assert set(result.metrics) == {"ari", "nmi"}
    assert all(m.direction == "higher" for m in result.metrics.values())
    assert result.metrics["ari"].value > 0.95 and result.metrics["nmi"].value > 0.95
    assert set(result.controls) == {"ari", "nmi"}
    assert result.controls["ari"] < 0.2
    assert result.details["n_clusters"] >= 4


def test_same_seed_same_numbers_other_seed_other_control(separated) -> None:
    dataset, X = separated
    noisy = X + np.random.default_rng(1).normal(0, 6, X.shape).astype(np.float32)
    a = Clustering().run(inputs_for(dataset, noisy, seed=3))
    GRAPHS.clear()
    b = Clustering().run(inputs_for(dataset, noisy, seed=3))
    assert a.metrics == b.metrics and a.controls == b.controls
    c = Clustering().run(inputs_for(dataset, noisy, seed=4))
    assert c.controls != a.controls


def test_resolution_sweep_reports_best_nmi(separated) -> None:
    dataset, X = separated
    result = Clustering(resolutions=[0.2, 1.0, 3.0], controls=False).run(inputs_for(dataset, X))
    runs = result.details["per_resolution"]
    assert [r["resolution"] for r in runs] == [0.2, 1.0, 3.0]
    best = max(runs, key=lambda r: r["nmi"])
    assert result.metrics["nmi"].value == best["nmi"]
    assert result.metrics["ari"].value == best["ari"]
    assert result.controls == {}


def test_graph_is_shared_between_tasks(separated) -> None:
    dataset, X = separated
    inputs = inputs_for(dataset, X)
    Clustering(controls=False).run(inputs)
    Clustering(n_neighbors=30, controls=False).run(inputs)
    key = (inputs.outputs.key("embedding"), 0)
    assert GRAPHS.searches[key] == 1


def test_leiden_matches_scib_metrics_construction(separated) -> None:
    # scib-metrics' Leiden on the same connectivities gives the same clusters.
    from scib_metrics.metrics._nmi_ari import _compute_clustering_leiden

    dataset, X = separated
    noisy = X + np.random.default_rng(2).normal(0, 5, X.shape).astype(np.float32)
    conn = GRAPHS.get("test", noisy, 15).connectivities
    ours = leiden(conn, 1.0, seed=7)
    ref = _compute_clustering_leiden(conn, 1.0, seed=7)
    assert adjusted_rand_index(ours, ref) == pytest.approx(1.0)
    assert normalized_mutual_info(ours, ref) == pytest.approx(1.0)
