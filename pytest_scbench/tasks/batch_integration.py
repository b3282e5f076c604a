"""``batch_integration``: are batches mixed while cell types stay apart?"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..graph import KnnGraph
from ..metrics import (
    clisi,
    entropy_per_cell,
    graph_connectivity,
    higher,
    ilisi,
    kbet_per_label,
    lisi_weights,
    silhouette_batch,
)
from ..metrics.kbet import KBET_NEIGHBORS, cells_tested_per_label
from ..metrics.neighborhood import ENTROPY_NEIGHBORS
from ..registry import register_task
from .base import Task, TaskInputs, TaskResult
from .common import (
    CONTROL_MAX_CELLS,
    Encoded,
    control_details,
    control_embedding,
    control_graph,
    control_rows,
    embedding,
    encoded,
    fail,
    graph,
    kbet_details,
    neighbourhoods,
    positive_controls,
    require_groups,
)


@register_task("batch_integration")
class BatchIntegration(Task):
    """scib's batch-correction metrics on one embedding, from one shared kNN graph.

    Metrics (all higher is better, in [0, 1]):

    * ``entropy_per_cell``: cz-benchmarks' entropy per cell
      (:func:`~pytest_scbench.metrics.entropy_per_cell`): normalised entropy of batches
      among each cell's ``entropy_neighbors`` (200) exact nearest neighbours, averaged;
      above 100,000 cells (``graph.EXACT_MAX_CELLS``), averaged over a seeded
      label-stratified sample of ``sample_cells`` cells whose neighbours are searched
      exactly among all cells, as for ``ilisi`` and ``clisi``;
    * ``silhouette_batch``: 1 - |batch silhouette| within each label (scib-metrics);
      exact up to ``max_cells`` (100,000) cells, above estimated on a seeded sample
      of ``sample_cells`` (20,000) cells (see ``embedding``);
    * ``ilisi``: scaled median iLISI on 90 neighbours, perplexity 30 (scib-metrics);
    * ``kbet``: scib-metrics' ``kbet_per_label`` on the shared 50-NN graph (UMAP
      connectivities, a diffusion map per label, scib's ``k0`` rule, alpha 0.05;
      :func:`~pytest_scbench.metrics.kbet_per_label`); omitted when no label has 10
      cells in two batches, with the reason in ``details``; above ``max_cells`` cells,
      ``sample_cells`` tested cells shared equally between the labels (an unbiased
      estimate, its standard error in ``details["kbet_standard_error"]``);
    * ``graph_connectivity``: per-label largest connected fraction of the 15-NN graph;
    * ``clisi``: scaled median cLISI on 90 neighbours (bio conservation).

    Controls: the same on a random embedding drawn from the seed (negative) and on the two
    embeddings of the labels themselves (positive, :func:`~.common.positive_control_embeddings`:
    types apart, batches mixed within each), for a label-stratified subset of at most
    ``control_max_cells`` (5,000) cells; ``details`` hold the positive controls' metrics and
    every metric scaled between the controls.
    """

    name = "batch_integration"
    headlines = ("graph_connectivity", "ilisi", "silhouette_batch")
    requires_outputs = frozenset({"embedding"})
    requires_keys = frozenset({"label", "batch"})
    defaults: dict[str, Any] = {
        "lisi_neighbors": 90,
        "entropy_neighbors": ENTROPY_NEIGHBORS,
        "connectivity_neighbors": 15,
        "kbet_alpha": 0.05,
        "max_cells": 100_000,
        "sample_cells": 20_000,
        "controls": True,
        "control_max_cells": CONTROL_MAX_CELLS,
    }
    minimums: ClassVar[dict[str, int]] = {
        "lisi_neighbors": 4,
        "entropy_neighbors": 2,
        "connectivity_neighbors": 2,
        "max_cells": 1,
        "sample_cells": 1,
        "control_max_cells": 2,
    }
    positive: ClassVar[tuple[str, ...]] = ("kbet_alpha",)

    def metric_names(self) -> frozenset[str]:
        return frozenset({"entropy_per_cell", "silhouette_batch", "ilisi", "graph_connectivity", "clisi", "kbet"})

    def run(self, inputs: TaskInputs) -> TaskResult:
        X = embedding(inputs, self.name)
        labels = encoded(inputs, self.name, "label")
        batch = encoded(inputs, self.name, "batch")
        require_groups(inputs, self.name, labels)
        require_groups(inputs, self.name, batch)
        lisi_k, conn_k = self.params["lisi_neighbors"], self.params["connectivity_neighbors"]
        sample_cells = self.params["sample_cells"]
        near_k = max(lisi_k, self.params["entropy_neighbors"])
        near = neighbourhoods(inputs, X, near_k, labels.codes, sample_cells)
        knn = graph(inputs, X, max(conn_k, KBET_NEIGHBORS))
        scores, details = self.score(X, knn, near, labels, batch, inputs.seed)
        details["knn_graph"] = knn.report  # method and, above the exact limit, measured recall
        if np.isnan(scores["silhouette_batch"]):
            raise fail(
                inputs,
                self.name,
                f"no label of {labels.key!r} has cells in two batches of {batch.key!r}; "
                "batch mixing within cell types cannot be measured",
            )
        controls: dict[str, float] = {}
        if self.params["controls"]:
            rows = control_rows(labels.codes, self.params["control_max_cells"], inputs.seed)
            Xc = control_embedding((rows.size, X.shape[1]), inputs.seed)
            codes = labels.take(rows)
            control_batch = batch.take(rows)

            def score_control(kind: str, Xk: np.ndarray) -> dict[str, float]:
                # at most control_max_cells cells: one exact graph serves every neighbourhood
                knn_k = control_graph(Xk, max(conn_k, KBET_NEIGHBORS, near_k), inputs.seed, kind)
                values, _ = self.score(Xk, knn_k, knn_k, codes, control_batch, inputs.seed)
                return {name: value for name, value in values.items() if name in scores}

            controls = score_control("control", Xc)
            positive = positive_controls(codes.codes, inputs.seed, score_control)
            details.update(control_details(scores, controls, positive))
        return TaskResult(
            metrics={name: higher(value) for name, value in scores.items()},
            details=details,
            controls=controls,
        )

    def score(
        self, X: np.ndarray, knn: KnnGraph, near: KnnGraph, labels: Encoded, batch: Encoded, seed: int
    ) -> tuple[dict[str, float], dict[str, Any]]:
        """All metrics of one embedding; NaN-valued ones are left out.

        ``knn``: the graph of every cell (connectivity, kBET); ``near``: the neighbourhoods
        entropy and LISI average over (see :func:`~.common.neighbourhoods`).
        """
        lisi_graph = near.with_k(self.params["lisi_neighbors"])
        weights = lisi_weights(lisi_graph)  # shared by iLISI and cLISI
        sample = None if X.shape[0] <= self.params["max_cells"] else self.params["sample_cells"]
        kbet = kbet_per_label(
            knn.with_k(KBET_NEIGHBORS),
            labels.codes,
            batch.codes,
            alpha=self.params["kbet_alpha"],
            max_tested=cells_tested_per_label(sample, labels.n),
            seed=seed,
        )
        scores = {
            "entropy_per_cell": entropy_per_cell(near.with_k(self.params["entropy_neighbors"]), batch.codes),
            "silhouette_batch": silhouette_batch(X, labels.codes, batch.codes, sample_size=sample, seed=seed),
            "ilisi": ilisi(lisi_graph, batch.codes, weights=weights),
            "graph_connectivity": graph_connectivity(knn.with_k(self.params["connectivity_neighbors"]), labels.codes),
            "clisi": clisi(lisi_graph, labels.codes, weights=weights),
        }
        details: dict[str, Any] = kbet_details(kbet, labels.categories)
        if np.isnan(kbet.score):
            details["kbet_undefined"] = "no label has at least 10 cells in two or more batches"
        else:
            scores["kbet"] = kbet.score
        return scores, details
