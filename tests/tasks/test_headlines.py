"""Each task's declared headline metrics and metric names agree with what it returns."""

from __future__ import annotations

import pytest

from pytest_scbench import registry
from pytest_scbench.tasks.base import Task

from .conftest import inputs_for


@pytest.mark.parametrize("name", registry.tasks.names())
def test_headlines_are_a_small_subset_of_the_metric_names(name: str) -> None:
    task: Task = registry.tasks.get(name)()
    headlines = task.headline_metrics()
    assert 1 <= len(headlines) <= 3 and len(set(headlines)) == len(headlines)
    known = task.metric_names()
    assert known is None or set(headlines) <= known


def test_headline_templates_follow_the_parameters() -> None:
    task = registry.tasks.get("perturbation")(n_top_genes=5)
    assert task.headline_metrics() == ("pearson_delta_top5_de", "mse_top5_de")
    assert "jaccard_top5_de" in task.metric_names()
    lp = registry.tasks.get("label_prediction")(classifiers=["lr"])
    assert lp.metric_names() == {
        f"{c}_{s}"
        for c in ("lr", "mean")
        for s in ("accuracy", "macro_f1", "macro_precision", "macro_recall", "macro_auroc")
    }


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("clustering", {}),
        ("embedding", {}),
        ("label_prediction", {"classifiers": ["knn", "lr"], "n_folds": 2}),
        ("batch_integration", {}),
    ],
)
def test_a_run_returns_exactly_the_declared_metric_names(separated, name: str, params: dict) -> None:
    dataset, X = separated
    task = registry.tasks.get(name)(**params)
    result = task.run(inputs_for(dataset, X))
    assert set(result.metrics) == task.metric_names()
