"""Positive controls (the labels embedded) and scores scaled between both controls."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_scbench.tasks.batch_integration import BatchIntegration
from pytest_scbench.tasks.clustering import Clustering
from pytest_scbench.tasks.common import POSITIVE_JITTER, between_controls, positive_control_embeddings
from pytest_scbench.tasks.embedding import Embedding
from pytest_scbench.tasks.label_prediction import LabelPrediction
from pytest_scbench.tasks.scib import Scib

from .conftest import inputs_for
from .helpers import blobs, make_dataset


def test_positive_controls_are_the_labels_one_hot_with_and_without_jitter() -> None:
    codes = np.array([2, 0, 1, 2, 0])
    embeddings = positive_control_embeddings(codes, seed=0)
    np.testing.assert_array_equal(embeddings["positive"], np.eye(3, dtype=np.float32)[codes])
    jitter = embeddings["positive_jitter"] - embeddings["positive"]
    assert 0 < np.abs(jitter).max() < 6 * POSITIVE_JITTER
    np.testing.assert_array_equal(embeddings["positive_jitter"], positive_control_embeddings(codes, 0)["positive_jitter"])
    assert not np.array_equal(embeddings["positive_jitter"], positive_control_embeddings(codes, 1)["positive_jitter"])


@settings(max_examples=50, deadline=None)
@given(
    neg=st.floats(0, 0.4),
    pos=st.floats(0.6, 1.0),
    t=st.floats(0, 1),
)
def test_scaling_is_zero_at_the_negative_and_one_at_the_positive(neg: float, pos: float, t: float) -> None:
    value = neg + t * (pos - neg)
    scaled = between_controls({"m": value, "at_neg": neg}, {"m": neg, "at_neg": neg}, {"positive": {"m": pos, "at_neg": pos}})
    assert scaled["m"] == pytest.approx(t, abs=1e-9)
    assert scaled["at_neg"] == pytest.approx(0.0, abs=1e-12)


def test_scaling_takes_the_better_positive_and_is_none_without_a_span() -> None:
    negative = {"a": 0.2, "flat": 0.5, "mse": 4.0}
    positive = {"positive": {"a": 0.8, "flat": 0.5, "mse": 1.0}, "positive_jitter": {"a": 0.6, "flat": 0.5, "mse": 2.0}}
    scaled = between_controls({"a": 0.5, "flat": 0.7, "mse": 2.5}, negative, positive, frozenset({"mse"}))
    assert scaled == {"a": pytest.approx(0.5), "flat": None, "mse": pytest.approx(0.5)}


@pytest.mark.parametrize(
    ("task_cls", "key"),
    [
        (Clustering, "ari"),
        (Embedding, "asw_label"),
        (LabelPrediction, "mean_accuracy"),
        (BatchIntegration, "graph_connectivity"),
        (Scib, "graph_connectivity"),
    ],
)
def test_tasks_report_both_controls_and_scaled_scores(task_cls, key: str) -> None:
    adata, X = blobs(n_cells=400, n_labels=4, n_batches=2, separation=3.0, seed=2)
    dataset = make_dataset(adata, label_key="cell_type", batch_key="batch")
    result = task_cls().run(inputs_for(dataset, X))
    positive = result.details["positive_controls"]
    assert set(positive) == {"positive", "positive_jitter"}
    scaled = result.details["scaled_between_controls"]
    assert set(scaled) == set(result.metrics)
    # the labels themselves score perfectly, a random embedding at chance, the model between
    assert max(p[key] for p in positive.values()) == pytest.approx(1.0, abs=0.02)
    assert result.controls[key] < result.metrics[key].value
    assert 0.0 < scaled[key] <= 1.0 + 1e-9
    best = max(p[key] for p in positive.values())
    expected = (result.metrics[key].value - result.controls[key]) / (best - result.controls[key])
    assert scaled[key] == pytest.approx(expected)
