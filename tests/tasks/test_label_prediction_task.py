"""The label prediction task."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from pytest_scbench.tasks.label_prediction import LabelPrediction, fit_classifier, make_classifier

from .conftest import inputs_for
from .helpers import blobs, make_dataset


@pytest.fixture
def noisy():
    adata, X = blobs(n_cells=240, n_labels=3, separation=1.2, seed=5)
    return make_dataset(adata, label_key="cell_type"), X


def test_metric_names_and_ranges(noisy) -> None:
    dataset, X = noisy
    result = LabelPrediction(classifiers=["lr", "knn"]).run(inputs_for(dataset, X))
    scores = ["accuracy", "macro_f1", "macro_precision", "macro_recall", "macro_auroc"]
    expected = {f"{p}_{s}" for p in ("lr", "knn", "mean") for s in scores}
    assert set(result.metrics) == expected
    for name, value in result.metrics.items():
        assert value.direction == "higher" and 0 <= value.value <= 1, name
    assert result.metrics["mean_accuracy"].value == pytest.approx(
        (result.metrics["lr_accuracy"].value + result.metrics["knn_accuracy"].value) / 2
    )
    assert set(result.controls) == expected
    assert result.controls["mean_accuracy"] < result.metrics["mean_accuracy"].value
    assert set(result.details["per_class_f1"]["lr"]) == {"type_0", "type_1", "type_2"}


def test_matches_sklearn_cross_validation(noisy) -> None:
    dataset, X = noisy
    result = LabelPrediction(classifiers=["knn"], controls=False).run(inputs_for(dataset, X, seed=2))
    y = dataset.adata.obs["cell_type"].cat.codes.to_numpy()
    folds = StratifiedKFold(5, shuffle=True, random_state=2)
    f1s = []
    for train, test in folds.split(X, y):
        model = make_classifier("knn", 2).fit(X[train], y[train])
        f1s.append(f1_score(y[test], model.predict(X[test]), average="macro"))
    assert result.metrics["knn_macro_f1"].value == pytest.approx(np.mean(f1s), abs=1e-12)
    pred = cross_val_predict(make_classifier("knn", 2), X, y, cv=folds)
    assert result.metrics["knn_accuracy"].value == pytest.approx(np.mean(pred == y), abs=1e-12)


def test_seeded_and_deterministic(noisy) -> None:
    dataset, X = noisy
    task = LabelPrediction(classifiers=["rf"], rf_trees=20, n_folds=3)
    a = task.run(inputs_for(dataset, X, seed=1))
    b = task.run(inputs_for(dataset, X, seed=1))
    assert a.metrics == b.metrics and a.controls == b.controls and a.details == b.details


def test_perfect_beats_random() -> None:
    adata, X = blobs(n_cells=200, n_labels=4, separation=10.0, seed=1)
    dataset = make_dataset(adata, label_key="cell_type")
    result = LabelPrediction(classifiers=["lr", "knn"]).run(inputs_for(dataset, X))
    assert result.metrics["mean_accuracy"].value == 1.0
    assert result.metrics["mean_accuracy"].value > result.controls["mean_accuracy"]


def test_control_on_a_stratified_subset(noisy) -> None:
    dataset, X = noisy
    task = LabelPrediction(classifiers=["knn"], control_max_cells=60)
    a = task.run(inputs_for(dataset, X, seed=4))
    b = task.run(inputs_for(dataset, X, seed=4))
    assert a.controls == b.controls
    assert 0 <= a.controls["knn_accuracy"] <= 1
    assert a.controls["knn_accuracy"] < a.metrics["knn_accuracy"].value


def test_above_max_cells_a_stratified_subset_is_scored(noisy) -> None:
    dataset, X = noisy
    every = LabelPrediction(classifiers=["knn"], controls=False).run(inputs_for(dataset, X))
    assert every.details["exact"] and every.details["n_cells"] == 240 and "approximation" not in every.details
    task = LabelPrediction(classifiers=["knn"], max_cells=200, sample_cells=100, controls=False)
    result = task.run(inputs_for(dataset, X))
    assert result.details["n_cells"] == 99  # 33 of each of the 3 classes of 80
    assert not result.details["exact"] and "subset" in result.details["approximation"]
    assert 0 <= result.metrics["knn_accuracy"].value <= 1
    assert task.run(inputs_for(dataset, X)).metrics == result.metrics  # seeded


def test_forest_bootstrap_cap(noisy) -> None:
    from sklearn.ensemble import RandomForestClassifier

    dataset, X = noisy
    y = dataset.adata.obs["cell_type"].cat.codes.to_numpy()
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))

    def accuracy(**task_params) -> float:
        task = LabelPrediction(classifiers=["rf"], rf_trees=20, controls=False, **task_params)
        return task.run(inputs_for(dataset, X, seed=0)).metrics["rf_accuracy"].value

    # cap >= training cells: scikit-learn's default forest (cz-benchmarks' classifier)
    reference = np.mean(
        [
            RandomForestClassifier(20, random_state=0).fit(X[tr], y[tr]).score(X[te], y[te])
            for tr, te in folds
        ]
    )
    assert accuracy(rf_max_samples=10_000) == pytest.approx(reference, abs=1e-12)
    assert accuracy() == pytest.approx(reference, abs=1e-12)  # the default: no cap
    assert accuracy(rf_max_samples=50) != accuracy()


def test_logistic_regression_is_the_one_thread_fit_whatever_blas_threads_the_process_has() -> None:
    """lbfgs stopped at 100 iterations depends on BLAS' summation order: the folds run with
    BLAS on one thread, so the score is that fit's everywhere."""
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    adata, X = blobs(n_cells=1200, n_labels=8, n_dims=40, separation=0.6, seed=11)
    dataset = make_dataset(adata, label_key="cell_type")
    y = dataset.adata.obs["cell_type"].cat.codes.to_numpy()
    folds = StratifiedKFold(5, shuffle=True, random_state=3)
    with threadpool_limits(limits=1, user_api="blas"):
        aurocs = []
        for train, test in folds.split(X, y):
            model = fit_classifier(make_classifier("lr", 3), X[train], y[train])
            aurocs.append(roc_auc_score(y[test], model.predict_proba(X[test]), multi_class="ovr"))
    task = LabelPrediction(classifiers=["lr"], controls=False)
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            result = task.run(inputs_for(dataset, X, seed=3))
        assert result.metrics["lr_macro_auroc"].value == pytest.approx(np.mean(aurocs), abs=1e-12), threads
