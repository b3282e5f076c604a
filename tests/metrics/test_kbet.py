"""kBET per label with a sample of tested cells: what large embeddings use above 100,000 cells."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_scbench.graph import compute_knn
from pytest_scbench.metrics import cells_tested_per_label, kbet_per_label
from tests.realistic import realistic


@pytest.fixture(scope="module")
def cells():
    return realistic(0)


@pytest.fixture(scope="module")
def graph50(cells):
    return compute_knn(cells.X, 50)


@pytest.fixture(scope="module")
def exact(cells, graph50):
    return kbet_per_label(graph50, cells.labels, cells.batch)


def test_every_cell_tested_is_the_definition(cells, graph50, exact) -> None:
    assert not exact.sampled and exact.standard_error == 0
    big = max(exact.tested.values())
    same = kbet_per_label(graph50, cells.labels, cells.batch, max_tested=big, seed=3)
    assert same == exact


def test_sampled_tested_cells_estimate_the_exact_score(cells, graph50, exact) -> None:
    estimates = [
        kbet_per_label(graph50, cells.labels, cells.batch, max_tested=60, seed=seed) for seed in range(8)
    ]
    for est in estimates:
        assert est.sampled and est.standard_error > 0
        assert set(est.rates) == set(exact.rates)
        assert all(n == min(60, exact.tested[name]) for name, n in est.tested.items())
        assert abs(est.score - exact.score) < 4 * est.standard_error
    # unbiased: the mean over seeds is closer than one estimate's error
    mean = np.mean([e.score for e in estimates])
    assert abs(mean - exact.score) < 2 * estimates[0].standard_error
    # seeded: the same seed gives the same estimate, another seed another one
    again = kbet_per_label(graph50, cells.labels, cells.batch, max_tested=60, seed=0)
    assert again == estimates[0]
    assert len({e.score for e in estimates}) > 1


def test_tested_cells_are_shared_equally_between_labels() -> None:
    assert cells_tested_per_label(None, 14) is None
    assert cells_tested_per_label(20_000, 14) == 1429
    assert cells_tested_per_label(5, 0) == 5
