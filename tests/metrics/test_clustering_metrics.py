"""ARI and NMI: reference values from scikit-learn and invariance properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from pytest_scbench.metrics import adjusted_rand_index, normalized_mutual_info

label_lists = st.lists(st.integers(0, 5), min_size=2, max_size=60)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_true,n_pred", [(2, 2), (5, 8), (10, 3), (1, 4)])
def test_matches_sklearn(seed: int, n_true: int, n_pred: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_true, 500)
    pred = np.where(rng.random(500) < 0.6, truth % n_pred, rng.integers(0, n_pred, 500))
    assert adjusted_rand_index(truth, pred) == pytest.approx(adjusted_rand_score(truth, pred), abs=1e-12)
    assert normalized_mutual_info(truth, pred) == pytest.approx(
        normalized_mutual_info_score(truth, pred), abs=1e-12
    )


def test_special_cases_match_sklearn() -> None:
    ones = np.zeros(10, dtype=int)
    singletons = np.arange(10)
    for a, b in [(ones, ones), (ones, singletons), (singletons, singletons), (singletons, ones)]:
        assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b))
        assert normalized_mutual_info(a, b) == pytest.approx(normalized_mutual_info_score(a, b))


def test_string_labels() -> None:
    truth = np.array(["T cell", "B cell", "T cell", "NK", "NK", "B cell"])
    pred = np.array([3, 1, 3, 2, 2, 1])
    assert adjusted_rand_index(truth, pred) == 1.0
    assert normalized_mutual_info(truth, pred) == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(labels=label_lists, data=st.data())
def test_invariant_under_renaming(labels: list[int], data: st.DataObject) -> None:
    truth = np.array(labels)
    pred = np.array(data.draw(st.lists(st.integers(0, 4), min_size=truth.size, max_size=truth.size)))
    perm = np.array(data.draw(st.permutations(range(6))))
    renamed = np.array([f"name{perm[v]}" for v in truth])
    assert adjusted_rand_index(renamed, pred) == pytest.approx(adjusted_rand_index(truth, pred), abs=1e-12)
    assert normalized_mutual_info(renamed, pred) == pytest.approx(
        normalized_mutual_info(truth, pred), abs=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(labels=label_lists, data=st.data())
def test_ranges_and_cell_order(labels: list[int], data: st.DataObject) -> None:
    truth = np.array(labels)
    pred = np.array(data.draw(st.lists(st.integers(0, 4), min_size=truth.size, max_size=truth.size)))
    ari, nmi = adjusted_rand_index(truth, pred), normalized_mutual_info(truth, pred)
    assert -0.5 <= ari <= 1.0
    assert 0.0 <= nmi <= 1.0
    order = np.array(data.draw(st.permutations(range(truth.size))))
    assert adjusted_rand_index(truth[order], pred[order]) == pytest.approx(ari, abs=1e-12)
    assert normalized_mutual_info(truth[order], pred[order]) == pytest.approx(nmi, abs=1e-12)
