"""Shared fixtures of task tests: small synthetic data sets with a real adapter."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_scbench.graph import GRAPHS

from .helpers import FixedModel, blobs, make_dataset, make_inputs


@pytest.fixture(autouse=True)
def _fresh_graph_cache():
    GRAPHS.clear()
    yield
    GRAPHS.clear()


@pytest.fixture
def separated():
    """300 cells, 4 well separated labels, 2 batches mixed within labels."""
    adata, X = blobs(n_cells=300, n_labels=4, n_batches=2, separation=8.0, seed=0)
    dataset = make_dataset(adata, label_key="cell_type", batch_key="batch")
    return dataset, X


def inputs_for(dataset, X: np.ndarray, seed: int = 0, item: str = "core[fixed-synthetic-task]"):
    return make_inputs(dataset, FixedModel(X), seed=seed, item=item)
