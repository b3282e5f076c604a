"""Bad inputs give TaskErrors that name the item, the data set, the key and the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pytest_scbench.errors import DatasetError, TaskError
from pytest_scbench.tasks.clustering import Clustering
from pytest_scbench.tasks.common import check_embedding
from pytest_scbench.tasks.embedding import Embedding
from pytest_scbench.tasks.label_prediction import LabelPrediction

from .conftest import inputs_for
from .helpers import blobs, make_dataset

ITEM = "core[fixed-synthetic-task]"


@pytest.mark.parametrize("task", [Clustering, Embedding, LabelPrediction])
def test_nan_embedding(separated, task) -> None:
    dataset, X = separated
    X = X.copy()
    X[3, 1] = np.nan
    with pytest.raises(TaskError, match=r"core\[fixed-synthetic-task\].*'synthetic'.*NaN/Inf"):
        task().run(inputs_for(dataset, X))


@pytest.mark.parametrize(
    "bad,message",
    [
        (np.zeros((299, 5)), "299 rows but the dataset has 300 cells"),
        (np.zeros(300), "must be 2-dimensional"),
        (np.full((300, 2), np.inf), "NaN/Inf"),
    ],
)
def test_check_embedding_messages(separated, bad, message) -> None:
    dataset, _ = separated
    with pytest.raises(TaskError, match=message) as info:
        check_embedding(inputs_for(dataset, np.zeros((300, 2))), "embedding", bad)
    assert ITEM in str(info.value) and "'synthetic'" in str(info.value)


@pytest.mark.parametrize("task", [Clustering, Embedding, LabelPrediction])
def test_wrong_row_count_from_model(separated, task) -> None:
    dataset, X = separated
    with pytest.raises(TaskError, match=ITEM.replace("[", r"\[").replace("]", r"\]") + ".*299"):
        task().run(inputs_for(dataset, X[:299]))


@pytest.mark.parametrize("task", [Clustering, Embedding, LabelPrediction])
def test_single_class(task) -> None:
    adata, X = blobs(n_cells=60)
    adata.obs["cell_type"] = "T cell"
    dataset = make_dataset(adata, label_key="cell_type")
    with pytest.raises(TaskError, match=r"label column 'cell_type' has 1 distinct value\(s\) \('T cell'\)|1 class"):
        task().run(inputs_for(dataset, X))


@pytest.mark.parametrize("task", [Clustering, Embedding, LabelPrediction])
def test_missing_label_column_is_dataset_error(task) -> None:
    adata, X = blobs(n_cells=60)
    dataset = make_dataset(adata, label_key="celltype_typo")
    with pytest.raises(DatasetError, match="'celltype_typo' is not an obs column"):
        task().run(inputs_for(dataset, X))
    with pytest.raises(DatasetError, match="no label_key set"):
        task().run(inputs_for(make_dataset(adata), X))


def test_missing_label_values() -> None:
    adata, X = blobs(n_cells=60)
    adata.obs["cell_type"] = pd.Series(adata.obs["cell_type"].astype(object)).where(
        np.arange(60) % 7 != 0, None
    ).to_numpy()
    dataset = make_dataset(adata, label_key="cell_type")
    with pytest.raises(TaskError, match="'cell_type' has 9 missing values"):
        Embedding().run(inputs_for(dataset, X))


def test_classes_too_small_for_folds() -> None:
    adata, X = blobs(n_cells=60, n_labels=3)
    adata.obs["cell_type"] = np.where(np.arange(60) < 3, "rare", adata.obs["cell_type"].astype(str))
    dataset = make_dataset(adata, label_key="cell_type")
    with pytest.raises(TaskError, match=r"classes rare: 3 have fewer cells than n_folds=5"):
        LabelPrediction(min_class_size=2).run(inputs_for(dataset, X))
    # with the default min_class_size the rare class is dropped, not an error
    result = LabelPrediction(classifiers=["knn"], controls=False).run(inputs_for(dataset, X))
    assert result.details["dropped_classes"] == {"rare": 3}


@pytest.mark.parametrize(
    "task,params,message",
    [
        (Clustering, {"n_neighbors": 1}, "'n_neighbors' must be >= 2"),
        (Clustering, {"resolutions": [1.0, -2]}, "must list positive numbers"),
        (Clustering, {"k": 3}, "has no parameter 'k'"),
        (LabelPrediction, {"classifiers": ["svm"]}, "unknown value 'svm'"),
        (LabelPrediction, {"n_folds": "5"}, "must be int"),
        (Embedding, {"max_cells": 0}, "must be >= 1"),
    ],
)
def test_bad_parameters(task, params, message) -> None:
    with pytest.raises(TaskError, match=message):
        task(**params)
