"""``embedding``: how well the labels separate in the embedding (label silhouette)."""

from __future__ import annotations

from typing import Any

from ..metrics import higher, silhouette_label
from ..registry import register_task
from .base import Task, TaskInputs, TaskResult
from .common import control_embedding, embedding, encoded, require_groups
from .params import check_positive


@register_task("embedding")
class Embedding(Task):
    """Label silhouette of the embedding.

    Metric: ``asw_label`` (higher): :func:`~pytest_scbench.metrics.silhouette_label`,
    ``(asw + 1) / 2`` with Euclidean distances, scib-metrics' ``silhouette_label``.
    Above ``max_cells`` cells (default 20,000) the silhouette is computed for a seeded,
    label-stratified sample of that many cells against all cells (an unbiased estimate;
    exact below). Control: the same on a random embedding of the same shape.
    """

    name = "embedding"
    requires_outputs = frozenset({"embedding"})
    requires_keys = frozenset({"label"})
    defaults: dict[str, Any] = {"max_cells": 20_000, "controls": True}

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        check_positive(self.name, "max_cells", self.params["max_cells"], minimum=1)

    def run(self, inputs: TaskInputs) -> TaskResult:
        X = embedding(inputs, self.name)
        labels = encoded(inputs, self.name, "label")
        require_groups(inputs, self.name, labels)
        sample = self.params["max_cells"]
        value = silhouette_label(X, labels.codes, sample_size=sample, seed=inputs.seed)
        controls = {}
        if self.params["controls"]:
            Xc = control_embedding(X.shape, inputs.seed)
            controls["asw_label"] = silhouette_label(Xc, labels.codes, sample_size=sample, seed=inputs.seed)
        details = {"exact": X.shape[0] <= sample, "n_cells_scored": min(X.shape[0], sample)}
        return TaskResult(metrics={"asw_label": higher(value)}, details=details, controls=controls)
