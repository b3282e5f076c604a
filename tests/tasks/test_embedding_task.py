"""The embedding task (label silhouette)."""

from __future__ import annotations

import numpy as np
import pytest
import scib_metrics

from pytest_scbench.tasks.embedding import Embedding

from .conftest import inputs_for


def test_asw_label_matches_scib(separated) -> None:
    dataset, X = separated
    result = Embedding().run(inputs_for(dataset, X))
    labels = dataset.adata.obs["cell_type"].to_numpy()
    expected = float(scib_metrics.silhouette_label(X, labels))
    assert result.metrics["asw_label"].direction == "higher"
    assert result.metrics["asw_label"].value == pytest.approx(expected, abs=1e-5)
    assert result.controls["asw_label"] < result.metrics["asw_label"].value
    assert result.details["exact"] is True


def test_sampled_above_max_cells_is_seeded(separated) -> None:
    dataset, X = separated
    a = Embedding(max_cells=120, sample_cells=120).run(inputs_for(dataset, X, seed=1))
    b = Embedding(max_cells=120, sample_cells=120).run(inputs_for(dataset, X, seed=1))
    exact = Embedding(controls=False).run(inputs_for(dataset, X))
    assert a.metrics == b.metrics and a.details["exact"] is False
    assert a.details["n_cells_scored"] == 120 and "0.0002" in a.details["approximation"]
    assert a.metrics["asw_label"].value != exact.metrics["asw_label"].value
    assert a.metrics["asw_label"].value == pytest.approx(exact.metrics["asw_label"].value, abs=0.03)


def test_cell_order_does_not_matter(separated) -> None:
    from .helpers import make_dataset

    dataset, X = separated
    order = np.random.default_rng(0).permutation(X.shape[0])
    shuffled = make_dataset(dataset.adata[order].copy(), label_key="cell_type")
    a = Embedding(controls=False).run(inputs_for(dataset, X))
    b = Embedding(controls=False).run(inputs_for(shuffled, X[order]))
    assert a.metrics["asw_label"].value == pytest.approx(b.metrics["asw_label"].value, abs=1e-6)


def test_reference_cells_subset_is_reported_and_close(separated) -> None:
    dataset, X = separated
    n = X.shape[0]
    sub = Embedding(controls=False, reference_cells=n // 2).run(inputs_for(dataset, X, seed=1))
    exact = Embedding(controls=False).run(inputs_for(dataset, X, seed=1))
    assert sub.details["n_reference_cells"] == n // 2 and exact.details["n_reference_cells"] == n
    assert sub.metrics["asw_label"].value == pytest.approx(exact.metrics["asw_label"].value, abs=0.03)
