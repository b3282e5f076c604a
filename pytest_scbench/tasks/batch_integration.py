"""``batch_integration``: are batches mixed while cell types stay apart?"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import KnnGraph
from ..metrics import (
    batch_entropy,
    clisi,
    graph_connectivity,
    higher,
    ilisi,
    kbet_per_label,
    silhouette_batch,
)
from ..registry import register_task
from .base import Task, TaskInputs, TaskResult
from .common import (
    Encoded,
    control_embedding,
    control_graph,
    embedding,
    encoded,
    fail,
    graph,
    require_groups,
)
from .params import check_positive


@register_task("batch_integration")
class BatchIntegration(Task):
    """scib's batch-correction metrics on one embedding, from one shared kNN graph.

    Metrics (all higher is better, in [0, 1]):

    * ``batch_entropy``: normalised entropy of batches among each cell's
      ``lisi_neighbors`` (90) neighbours, averaged (cz-benchmarks' entropy per cell,
      which uses 200 HNSW neighbours);
    * ``silhouette_batch``: 1 - |batch silhouette| within each label (scib-metrics);
      above ``max_cells`` cells, estimated on a seeded sample (see ``embedding``);
    * ``ilisi``: scaled median iLISI on 90 neighbours, perplexity 30 (scib-metrics);
    * ``kbet``: kBET acceptance within each label, scib's ``k0`` rule, alpha 0.05
      (:func:`~pytest_scbench.metrics.kbet_per_label`; omitted when no label has 10
      cells in two batches, with the reason in ``details``);
    * ``graph_connectivity``: per-label largest connected fraction of the 15-NN graph;
    * ``clisi``: scaled median cLISI on 90 neighbours (bio conservation).

    Controls: the same on a random embedding of the same shape drawn from the seed.
    """

    name = "batch_integration"
    requires_outputs = frozenset({"embedding"})
    requires_keys = frozenset({"label", "batch"})
    defaults: dict[str, Any] = {
        "lisi_neighbors": 90,
        "connectivity_neighbors": 15,
        "kbet_alpha": 0.05,
        "max_cells": 20_000,
        "controls": True,
    }

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        check_positive(self.name, "lisi_neighbors", self.params["lisi_neighbors"], minimum=4)
        check_positive(self.name, "connectivity_neighbors", self.params["connectivity_neighbors"], minimum=2)
        check_positive(self.name, "kbet_alpha", self.params["kbet_alpha"])
        check_positive(self.name, "max_cells", self.params["max_cells"], minimum=1)

    def run(self, inputs: TaskInputs) -> TaskResult:
        X = embedding(inputs, self.name)
        labels = encoded(inputs, self.name, "label")
        batch = encoded(inputs, self.name, "batch")
        require_groups(inputs, self.name, labels)
        require_groups(inputs, self.name, batch)
        k = max(self.params["lisi_neighbors"], self.params["connectivity_neighbors"])
        scores, details = self.score(X, graph(inputs, X, k), labels, batch, inputs.seed)
        if np.isnan(scores["silhouette_batch"]):
            raise fail(
                inputs,
                self.name,
                f"no label of {labels.key!r} has cells in two batches of {batch.key!r}; "
                "batch mixing within cell types cannot be measured",
            )
        controls: dict[str, float] = {}
        if self.params["controls"]:
            Xc = control_embedding(X.shape, inputs.seed)
            controls, _ = self.score(Xc, control_graph(Xc, k, inputs.seed), labels, batch, inputs.seed)
            controls = {name: value for name, value in controls.items() if name in scores}
        return TaskResult(
            metrics={name: higher(value) for name, value in scores.items()},
            details=details,
            controls=controls,
        )

    def score(
        self, X: np.ndarray, knn: KnnGraph, labels: Encoded, batch: Encoded, seed: int
    ) -> tuple[dict[str, float], dict[str, Any]]:
        """All metrics of one embedding and its graph; NaN-valued ones are left out."""
        lisi_graph = knn.with_k(self.params["lisi_neighbors"])
        kbet, kbet_labels = kbet_per_label(X, labels.codes, batch.codes, alpha=self.params["kbet_alpha"], seed=seed)
        scores = {
            "batch_entropy": batch_entropy(lisi_graph, batch.codes),
            "silhouette_batch": silhouette_batch(
                X, labels.codes, batch.codes, sample_size=self.params["max_cells"], seed=seed
            ),
            "ilisi": ilisi(lisi_graph, batch.codes),
            "graph_connectivity": graph_connectivity(knn.with_k(self.params["connectivity_neighbors"]), labels.codes),
            "clisi": clisi(lisi_graph, labels.codes),
        }
        details: dict[str, Any] = {
            "kbet_per_label": {str(labels.categories[int(code)]): rate for code, rate in kbet_labels.items()},
        }
        if np.isnan(kbet):
            details["kbet_undefined"] = "no label has at least 10 cells in two or more batches"
        else:
            scores["kbet"] = kbet
        return scores, details
