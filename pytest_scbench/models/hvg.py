"""``hvg``: the log-normalised expression of the highly variable genes, as the embedding.

The simplest representation a model must beat: ``log1p(normalize_total(counts, 1e4))``
restricted to the ``n_top_genes`` most variable genes (seurat flavour on the log data; all
genes when there are fewer), in the data set's gene order.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..datasets.base import Dataset
from ..registry import register_model
from .base import ModelAdapter, RunContext
from .preprocess import dense, log_normalize, select_hvg


@register_model("hvg")
class HighlyVariableGenes(ModelAdapter):
    """Log-normalised highly variable genes; parameter ``n_top_genes`` (2000)."""

    provides: ClassVar[frozenset[str]] = frozenset({"embedding"})
    defaults: ClassVar[dict[str, Any] | None] = {"n_top_genes": 2000}
    default_name: ClassVar[str] = "hvg"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.require_positive("n_top_genes")

    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        data = select_hvg(log_normalize(dataset.adata), self.params["n_top_genes"])
        return dense(data.X)
