"""Properties: degenerate labels and embeddings end in a result or a pytest-scbench error.

One cell, one class, constant or duplicated embeddings, NaN and Inf, a single dimension:
every task that reads an embedding either scores it (finite metrics) or raises a
:class:`~pytest_scbench.errors.ScbenchError` subclass, never a numpy, scikit-learn or
igraph exception.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_scbench.errors import ScbenchError
from pytest_scbench.graph import GRAPHS
from pytest_scbench.tasks.batch_integration import BatchIntegration
from pytest_scbench.tasks.clustering import Clustering
from pytest_scbench.tasks.embedding import Embedding
from pytest_scbench.tasks.label_prediction import LabelPrediction
from pytest_scbench.tasks.scib import Scib

from .helpers import FixedModel, make_dataset, make_inputs

TASKS = {
    "clustering": lambda: Clustering(),
    "embedding": lambda: Embedding(),
    "label_prediction": lambda: LabelPrediction(classifiers=["lr", "knn"]),
    "batch_integration": lambda: BatchIntegration(),
    "scib": lambda: Scib(),
}


@st.composite
def degenerate_inputs(draw: st.DrawFn) -> tuple[np.ndarray, list[str], list[str]]:
    n = draw(st.integers(1, 40))
    d = draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["normal", "constant", "duplicated", "nan", "inf", "huge"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    X = rng.normal(size=(n, d))
    if kind == "constant":
        X[:] = draw(st.floats(-1e3, 1e3))
    elif kind == "duplicated":
        X = np.repeat(X[:1], n, axis=0)
    elif kind in ("nan", "inf"):
        X[draw(st.integers(0, n - 1)), draw(st.integers(0, d - 1))] = np.nan if kind == "nan" else np.inf
    elif kind == "huge":
        X *= 1e30
    labels = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    batches = draw(st.lists(st.sampled_from(["x", "y"]), min_size=n, max_size=n))
    return X, labels, batches


def run_task(task: str, X: np.ndarray, labels: list[str], batches: list[str]) -> None:
    n = X.shape[0]
    adata = AnnData(
        np.ones((n, 3), dtype=np.float32),
        obs=pd.DataFrame({"cell_type": labels, "batch": batches}, index=[f"c{i}" for i in range(n)]),
    )
    dataset = make_dataset(adata, label_key="cell_type", batch_key="batch")
    GRAPHS.clear()
    try:
        result = TASKS[task]().run(make_inputs(dataset, FixedModel(X)))
    except ScbenchError:
        return
    for name, metric in result.metrics.items():
        assert math.isfinite(metric.value), f"{task}: {name} = {metric.value}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=degenerate_inputs(), task=st.sampled_from(sorted(TASKS)))
def test_degenerate_inputs_give_a_result_or_our_own_error(case, task: str) -> None:
    run_task(task, *case)


def test_scores_do_not_depend_on_the_scale_of_the_embedding() -> None:
    rng = np.random.default_rng(0)
    n = 60
    X = rng.normal(size=(n, 3)) + np.repeat(np.eye(3) * 4, n // 3, axis=0)
    adata = AnnData(
        np.ones((n, 3), dtype=np.float32),
        obs=pd.DataFrame(
            {"cell_type": list("abc" * (n // 3)), "batch": list("xy" * (n // 2))}, index=[f"c{i}" for i in range(n)]
        ),
    )
    dataset = make_dataset(adata, label_key="cell_type", batch_key="batch")
    scores = []
    for scale in (1.0, 1e30, 1e-30):
        GRAPHS.clear()
        inputs = make_inputs(dataset, FixedModel(X * scale))
        scores.append(
            {
                "asw_label": Embedding().run(inputs).metrics["asw_label"].value,
                "ilisi": BatchIntegration().run(inputs).metrics["ilisi"].value,
            }
        )
    for scaled in scores[1:]:
        assert 0.0 <= scaled["ilisi"] <= 1.0
        assert scaled == pytest.approx(scores[0], abs=1e-3)
