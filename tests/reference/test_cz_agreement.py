"""Our cz-benchmarks-named metrics against cz-benchmarks' own values on the same embeddings.

The values were computed by cz-benchmarks itself (``make_cz_values.py``, in an
environment of its own: its pins clash with ours) on the seeded embeddings of
:mod:`.synthetic`, and stored with the versions used in ``cz_values.json``. Here the
tasks compute ours on the same arrays, as a suite runs them, and the tolerances are
those of issue 16: deterministic metrics 1e-5, entropy per cell 5e-3 (cz-benchmarks
searches an HNSW index, we search exactly), Leiden ARI/NMI as the mean of 5 seeds
within 0.03, label-prediction scores within 0.01.
"""

from __future__ import annotations

import json
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from pytest_scbench.graph import GRAPHS
from pytest_scbench.tasks.base import Task, TaskResult
from pytest_scbench.tasks.batch_integration import BatchIntegration
from pytest_scbench.tasks.clustering import Clustering
from pytest_scbench.tasks.embedding import Embedding
from pytest_scbench.tasks.label_prediction import LabelPrediction
from tests.tasks.helpers import FixedModel, make_dataset, make_inputs

from .synthetic import CASES, LEIDEN_SEEDS, realistic_embedding

STORED = json.loads((Path(__file__).with_name("cz_values.json")).read_text())


@pytest.fixture(autouse=True)
def _fresh_graphs():
    GRAPHS.clear()
    yield
    GRAPHS.clear()


def run(task: Task, case: str, seed: int = 0) -> TaskResult:
    X, labels, batches = realistic_embedding(**CASES[case])
    obs = pd.DataFrame({"cell_type": labels, "batch": batches}, index=[f"c{i}" for i in range(X.shape[0])])
    adata = ad.AnnData(X=np.zeros((X.shape[0], 1), dtype=np.float32), obs=obs)
    dataset = make_dataset(adata, name=case, fingerprint=f"reference-{case}", label_key="cell_type", batch_key="batch")
    return task.run(make_inputs(dataset, FixedModel(X), seed=seed))


def cz(case: str) -> dict:
    return STORED["cases"][case]["values"]


def test_stored_values_name_their_versions() -> None:
    assert STORED["versions"]["cz-benchmarks"] == "0.15.1"
    assert set(STORED["cases"]) == set(CASES)
    for case, kwargs in CASES.items():
        assert STORED["cases"][case]["params"] == kwargs, "synthetic.CASES changed: rerun make_cz_values.py"


@pytest.mark.parametrize("case", sorted(CASES))
def test_integration_metrics_match_cz(case: str) -> None:
    result = run(BatchIntegration(controls=False), case)
    assert result.metrics["entropy_per_cell"].value == pytest.approx(cz(case)["entropy_per_cell"], abs=5e-3)
    assert result.metrics["silhouette_batch"].value == pytest.approx(cz(case)["batch_silhouette"], abs=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_embedding_silhouette_matches_cz(case: str) -> None:
    result = run(Embedding(controls=False), case)
    assert result.metrics["asw_label"].value == pytest.approx(cz(case)["silhouette_score"], abs=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_leiden_five_seed_means_match_cz(case: str) -> None:
    ours = [run(Clustering(controls=False), case, seed=seed) for seed in LEIDEN_SEEDS]
    theirs = cz(case)["leiden"]
    for ours_name, cz_name in (("ari", "adjusted_rand_index"), ("nmi", "normalized_mutual_info")):
        mean_ours = np.mean([r.metrics[ours_name].value for r in ours])
        mean_cz = np.mean([theirs[str(seed)][cz_name] for seed in LEIDEN_SEEDS])
        assert mean_ours == pytest.approx(mean_cz, abs=0.03), ours_name
        # stronger than the issue asks, and true here: the same graph (exact search, self
        # distance 0, UMAP connectivities) and the same RNG give each seed cz's clusters
        for seed, result in zip(LEIDEN_SEEDS, ours, strict=True):
            assert result.metrics[ours_name].value == pytest.approx(theirs[str(seed)][cz_name], abs=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_label_prediction_matches_cz(case: str) -> None:
    stored = cz(case)["label_prediction"]
    result = run(LabelPrediction(controls=False), case, seed=stored["seed"])
    names = {"accuracy": "accuracy", "macro_f1": "f1", "macro_precision": "precision",
             "macro_recall": "recall", "macro_auroc": "auroc"}
    for clf, scores in stored["scores"].items():
        for ours_name, cz_name in names.items():
            value = result.metrics[f"{clf}_{ours_name}"].value
            assert value == pytest.approx(scores[cz_name], abs=0.01), f"{clf}_{ours_name}"
