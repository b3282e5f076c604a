"""Negative controls: scored on a label-stratified subset above ``control_max_cells``."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_scbench.errors import TaskError
from pytest_scbench.tasks.batch_integration import BatchIntegration
from pytest_scbench.tasks.clustering import Clustering
from pytest_scbench.tasks.common import control_rows
from pytest_scbench.tasks.embedding import Embedding

from .conftest import inputs_for
from .helpers import blobs, make_dataset


def test_control_rows_all_cells_up_to_the_cap() -> None:
    codes = np.repeat(np.arange(3), 10)
    np.testing.assert_array_equal(control_rows(codes, 30, seed=0), np.arange(30))
    np.testing.assert_array_equal(control_rows(codes, 100, seed=0), np.arange(30))


def test_control_rows_stratified_seeded_subset() -> None:
    codes = np.repeat(np.arange(4), [500, 300, 150, 50])
    rows = control_rows(codes, 100, seed=3)
    assert rows.size == 100 and np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(np.bincount(codes[rows]), [50, 30, 15, 5])
    np.testing.assert_array_equal(rows, control_rows(codes, 100, seed=3))
    assert not np.array_equal(rows, control_rows(codes, 100, seed=4))


@pytest.mark.parametrize("task_cls", [Clustering, Embedding, BatchIntegration])
def test_subset_control_stays_at_chance_level(task_cls) -> None:
    adata, X = blobs(n_cells=1200, n_labels=4, n_batches=2, separation=8.0, seed=1)
    dataset = make_dataset(adata, label_key="cell_type", batch_key="batch")
    full = task_cls().run(inputs_for(dataset, X))
    capped = task_cls(control_max_cells=300).run(inputs_for(dataset, X))
    assert capped.metrics == full.metrics  # the model's own scores do not change
    assert set(capped.controls) == set(full.controls)
    for name, value in capped.controls.items():
        # a random embedding scores near its chance value at 1,200 and at 300 cells
        assert value == pytest.approx(full.controls[name], abs=0.12), name


def test_control_max_cells_is_checked() -> None:
    with pytest.raises(TaskError, match="control_max_cells"):
        Clustering(control_max_cells=1)
