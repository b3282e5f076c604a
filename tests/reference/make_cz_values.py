"""Compute cz-benchmarks' own values on the embeddings of :mod:`synthetic`; write cz_values.json.

Run in an environment with cz-benchmarks 0.15.1 installed (its pins clash with this
project's, so not in the test environment), from the repository root::

    python3 -m venv /work/venv-cz
    /work/venv-cz/bin/pip install cz-benchmarks==0.15.1 'scipy<1.17' 'pynndescent<0.7'
    /work/venv-cz/bin/python tests/reference/make_cz_values.py

(scanpy 1.11.5's neighbour graph, which cz-benchmarks' clustering uses, calls
``getnnz``, which scipy 1.17 removed; above 8,191 cells it also fails on the sparse array
that pynndescent 0.7's transformer returns, hence both caps.) The tests in ``test_cz_agreement.py`` compare our values
with the stored ones; the JSON records the versions that computed them.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import logging
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import CASES, LEIDEN_SEEDS, realistic_embedding  # noqa: E402

#: The label-prediction seed compared (the suite's default seed).
LABEL_SEED = 0
PACKAGES = ("cz-benchmarks", "scanpy", "scikit-learn", "scib-metrics", "hnswlib", "igraph", "numpy", "scipy")


def values_for(X: np.ndarray, labels: np.ndarray, batches: np.ndarray) -> dict:
    from czbenchmarks.metrics.types import MetricType
    from czbenchmarks.tasks.clustering import ClusteringTask, ClusteringTaskInput
    from czbenchmarks.tasks.embedding import EmbeddingTask, EmbeddingTaskInput
    from czbenchmarks.tasks.integration import BatchIntegrationTask, BatchIntegrationTaskInput
    from czbenchmarks.tasks.label_prediction import MetadataLabelPredictionTask, MetadataLabelPredictionTaskInput

    labels_s = pd.Series(labels, name="cell_type")
    batches_s = pd.Series(batches, name="batch")
    out: dict = {}
    # the defaults, seed included (42): entropy's HNSW index is seeded, the silhouettes are not
    integration = BatchIntegrationTask().run(X, BatchIntegrationTaskInput(labels=labels_s, batch_labels=batches_s))
    for r in integration:
        out[r.metric_type.value] = float(r.value)
    (silhouette,) = EmbeddingTask().run(X, EmbeddingTaskInput(input_labels=labels_s))
    out[silhouette.metric_type.value] = float(silhouette.value)
    obs = pd.DataFrame({"cell_type": labels, "batch": batches}, index=[f"c{i}" for i in range(X.shape[0])])
    leiden = {}
    for seed in LEIDEN_SEEDS:
        result = ClusteringTask(random_seed=seed).run(X, ClusteringTaskInput(obs=obs, input_labels=labels_s))
        leiden[str(seed)] = {r.metric_type.value: float(r.value) for r in result}
    out["leiden"] = leiden
    prediction = MetadataLabelPredictionTask(random_seed=LABEL_SEED).run(
        X, MetadataLabelPredictionTaskInput(labels=labels_s)
    )
    names = {
        MetricType.MEAN_FOLD_ACCURACY: "accuracy",
        MetricType.MEAN_FOLD_F1_SCORE: "f1",
        MetricType.MEAN_FOLD_PRECISION: "precision",
        MetricType.MEAN_FOLD_RECALL: "recall",
        MetricType.MEAN_FOLD_AUROC: "auroc",
    }
    table: dict = {}
    for r in prediction:
        clf = r.params["classifier"]
        clf = "mean" if clf.startswith("MEAN(") else clf
        table.setdefault(clf, {})[names[r.metric_type]] = float(r.value)
    out["label_prediction"] = {"seed": LABEL_SEED, "scores": table}
    return out


def main() -> None:
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    cases = {}
    for name, kwargs in CASES.items():
        X, labels, batches = realistic_embedding(**kwargs)
        cases[name] = {"params": kwargs, "values": values_for(X, labels, batches)}
        print(name, json.dumps(cases[name]["values"], indent=1), flush=True)
    payload = {
        "made_by": "tests/reference/make_cz_values.py",
        "versions": {p: metadata.version(p) for p in PACKAGES},
        "defaults": "cz-benchmarks task defaults (random_seed 42) except ClusteringTask's seeds "
        f"{list(LEIDEN_SEEDS)} and MetadataLabelPredictionTask's seed {LABEL_SEED}",
        "cases": cases,
    }
    (HERE / "cz_values.json").write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
