"""``clustering``: Leiden clusters of the embedding's kNN graph against the cell labels."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..graph import KnnGraph
from ..metrics import adjusted_rand_index, higher, normalized_mutual_info
from ..registry import register_task
from .base import Task, TaskInputs, TaskResult
from .common import (
    CONTROL_MAX_CELLS,
    control_details,
    control_embedding,
    control_graph,
    control_rows,
    embedding,
    encoded,
    graph,
    positive_controls,
    require_groups,
)
from .leiden import leiden
from .params import check_positive_list


@register_task("clustering")
class Clustering(Task):
    """Cluster the cells and compare the clusters with the labels.

    cz-benchmarks 0.15.1's clustering task (``ClusteringTask``: ``sc.pp.neighbors``
    with its defaults, then ``sc.tl.leiden(flavor="igraph", n_iterations=2)``, scored
    with scikit-learn's ``adjusted_rand_score`` and ``normalized_mutual_info_score``):
    the shared exact kNN graph (``n_neighbors`` = 15, the cell included, as scanpy
    counts; scanpy searches exactly below 8,192 cells and with pynndescent above), its
    UMAP connectivities, seeded Leiden (:func:`.leiden.leiden`, seeded as scanpy seeds
    it) at ``resolution`` 1.0; ARI and NMI (arithmetic) against the labels. On the same
    graph the same seed gives cz-benchmarks' clusters (``tests/reference``). With
    ``resolutions: [...]`` every resolution is run and the one with the best NMI is
    reported, as scib and scib-metrics do; each resolution's scores go to ``details``.

    Metrics: ``ari`` (higher), ``nmi`` (higher). Controls, for a label-stratified subset
    of at most ``control_max_cells`` (5,000) cells (``controls: false`` skips them): the
    negative one, a random embedding drawn from the seed (``controls``), and the
    positive ones, the labels embedded (:func:`.common.positive_control_embeddings`;
    ``details["positive_controls"]``), with each metric scaled between them in
    ``details["scaled_between_controls"]``.
    """

    name = "clustering"
    requires_outputs = frozenset({"embedding"})
    requires_keys = frozenset({"label"})
    headlines = ("ari", "nmi")
    defaults: dict[str, Any] = {
        "n_neighbors": 15,
        "resolution": 1.0,
        "resolutions": [],
        "controls": True,
        "control_max_cells": CONTROL_MAX_CELLS,
    }
    minimums: ClassVar[dict[str, int]] = {
        "n_neighbors": 2,
        "control_max_cells": 2,
    }
    positive: ClassVar[tuple[str, ...]] = ("resolution",)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        check_positive_list(self.name, "resolutions", self.params["resolutions"])

    def metric_names(self) -> frozenset[str]:
        return frozenset({"ari", "nmi"})

    def run(self, inputs: TaskInputs) -> TaskResult:
        X = embedding(inputs, self.name)
        labels = encoded(inputs, self.name, "label")
        require_groups(inputs, self.name, labels)
        k = self.params["n_neighbors"]
        knn = graph(inputs, X, k)
        scores, sweep = self.score(knn, labels.codes, inputs.seed)
        # how the graph was searched and, above the exact limit, its measured recall
        details: dict[str, Any] = {"n_neighbors": k, **sweep, "knn_graph": knn.report}
        controls: dict[str, float] = {}
        if self.params["controls"]:
            rows = control_rows(labels.codes, self.params["control_max_cells"], inputs.seed)
            Xc = control_embedding((rows.size, X.shape[1]), inputs.seed)
            codes = labels.codes[rows]
            controls, _ = self.score(control_graph(Xc, k, inputs.seed), codes, inputs.seed)

            def score_positive(kind: str, Xp: np.ndarray) -> dict[str, float]:
                return self.score(control_graph(Xp, k, inputs.seed, kind), codes, inputs.seed)[0]

            positive = positive_controls(codes, inputs.seed, score_positive)
            details.update(control_details(scores, controls, positive))
        return TaskResult(
            metrics={name: higher(value) for name, value in scores.items()},
            details=details,
            controls=controls,
        )

    def score(self, knn: KnnGraph, labels: np.ndarray, seed: int) -> tuple[dict[str, float], dict[str, Any]]:
        """ARI and NMI of the best resolution, and the per-resolution details."""
        resolutions = [float(r) for r in self.params["resolutions"]] or [float(self.params["resolution"])]
        conn = knn.connectivities
        runs = []
        for resolution in resolutions:
            clusters = leiden(conn, resolution, seed)
            runs.append(
                {
                    "resolution": resolution,
                    "n_clusters": int(clusters.max()) + 1,
                    "ari": adjusted_rand_index(labels, clusters),
                    "nmi": normalized_mutual_info(labels, clusters),
                }
            )
        best = max(runs, key=lambda run: run["nmi"])  # first of equals: stable
        details = {"resolution": best["resolution"], "n_clusters": best["n_clusters"]}
        if len(runs) > 1:
            details["per_resolution"] = runs
        return {"ari": best["ari"], "nmi": best["nmi"]}, details
