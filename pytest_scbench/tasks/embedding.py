"""``embedding``: how well the labels separate in the embedding (label silhouette)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..metrics import higher, silhouette_label
from ..registry import register_task
from .base import Task, TaskInputs, TaskResult
from .common import (
    CONTROL_MAX_CELLS,
    control_details,
    control_embedding,
    control_rows,
    embedding,
    encoded,
    positive_controls,
    require_groups,
)

#: What a sampled silhouette is and its measured error (benchmarks/README.md).
SILHOUETTE_SAMPLE_ERROR = (
    "silhouette of a seeded label-stratified sample of cells, each against all cells (at most "
    "reference_cells): at 1,000,000 cells it differed from the exact value by 0.0002, as much as "
    "a new seed of the sample moves it"
)


@register_task("embedding")
class Embedding(Task):
    """Label silhouette of the embedding.

    Metric: ``asw_label`` (higher): :func:`~pytest_scbench.metrics.silhouette_label`,
    ``(asw + 1) / 2`` with Euclidean distances, scib-metrics' ``silhouette_label``.
    Exact up to ``max_cells`` (100,000) cells; above, the silhouette is computed for a
    seeded, label-stratified sample of ``sample_cells`` (20,000) cells (an unbiased
    estimate; ``details["approximation"]`` then says so with its measured error),
    against all cells up to ``reference_cells`` (200,000) cells and above that against a
    seeded label-stratified subset of that many: at 1,000,000 cells the silhouette took
    13 s instead of 127 to 150 s and moved by 0.0002, as much as a new seed of the
    scored sample moves it (benchmarks/README.md).
    Control: the same on a random embedding, for a label-stratified subset of at most
    ``control_max_cells`` (5,000) cells.
    """

    name = "embedding"
    headlines = ("asw_label",)
    requires_outputs = frozenset({"embedding"})
    requires_keys = frozenset({"label"})
    defaults: dict[str, Any] = {
        "max_cells": 100_000,
        "sample_cells": 20_000,
        "reference_cells": 200_000,
        "controls": True,
        "control_max_cells": CONTROL_MAX_CELLS,
    }
    minimums: ClassVar[dict[str, int]] = {
        "max_cells": 1,
        "sample_cells": 1,
        "reference_cells": 2,
        "control_max_cells": 2,
    }

    def metric_names(self) -> frozenset[str]:
        return frozenset({"asw_label"})

    def run(self, inputs: TaskInputs) -> TaskResult:
        X = embedding(inputs, self.name)
        labels = encoded(inputs, self.name, "label")
        require_groups(inputs, self.name, labels)
        exact = X.shape[0] <= self.params["max_cells"]
        sample = None if exact else self.params["sample_cells"]
        reference = self.params["reference_cells"]
        value = silhouette_label(X, labels.codes, sample_size=sample, seed=inputs.seed, reference_size=reference)
        details: dict[str, Any] = {
            "exact": exact,
            "n_cells_scored": X.shape[0] if exact else min(X.shape[0], sample),
            "n_reference_cells": min(X.shape[0], reference),
        }
        controls = {}
        if self.params["controls"]:
            rows = control_rows(labels.codes, self.params["control_max_cells"], inputs.seed)
            codes = labels.codes[rows]

            def score_control(Xc: np.ndarray) -> dict[str, float]:
                return {"asw_label": silhouette_label(Xc, codes, sample_size=sample, seed=inputs.seed)}

            controls = score_control(control_embedding((rows.size, X.shape[1]), inputs.seed))
            positive = positive_controls(codes, inputs.seed, lambda kind, Xp: score_control(Xp))
            details.update(control_details({"asw_label": value}, controls, positive))
        if not exact:
            details["approximation"] = SILHOUETTE_SAMPLE_ERROR
        return TaskResult(metrics={"asw_label": higher(value)}, details=details, controls=controls)
