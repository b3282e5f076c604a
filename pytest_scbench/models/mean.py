"""``mean``: the mean baselines for reconstruction and perturbation prediction.

- Reconstruction: every cell gets, for each gene, the mean of that gene's *observed*
  entries of the masked matrix (entries equal to ``MASK_VALUE`` are left out), in
  :data:`RECONSTRUCTION_SPACE`. A gene masked in every cell gets the mean of all observed
  entries.
- Perturbation: every condition gets the mean expression of the control cells, in
  :data:`PERTURBATION_SPACE`: the "no effect" prediction that perturbation models are
  judged against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from anndata import AnnData
from scipy import sparse

from ..datasets.base import Dataset
from ..errors import ModelError
from ..registry import register_model
from .base import MASK_VALUE, ModelAdapter, RunContext
from .preprocess import TARGET_SUM

#: Reconstructions are in the masked matrix's own space: raw counts.
RECONSTRUCTION_SPACE: str = "counts"
#: Perturbation predictions are mean ``log1p(normalize_total(counts, 1e4))`` per gene.
PERTURBATION_SPACE: str = "log1p_cp10k"


def observed_gene_means(X: Any) -> np.ndarray:
    """Per-gene mean over the entries of ``X`` that are not ``MASK_VALUE``.

    ``X`` is dense or sparse (cells x genes); in a sparse matrix masked entries are stored
    explicitly and the implicit zeros are observed zeros. Returns float64 (n_genes,).
    """
    n_obs, n_vars = X.shape
    if sparse.issparse(X):
        csr = sparse.csr_matrix(X)
        data, cols = csr.data, csr.indices
        masked = data == MASK_VALUE
        n_masked = np.bincount(cols[masked], minlength=n_vars)
        sums = np.bincount(cols[~masked], weights=data[~masked].astype(np.float64), minlength=n_vars)
        n_seen = n_obs - n_masked
    else:
        dense = np.asarray(X, dtype=np.float64)
        seen = dense != MASK_VALUE
        sums = np.where(seen, dense, 0.0).sum(axis=0)
        n_seen = seen.sum(axis=0)
    total_seen = int(n_seen.sum())
    fallback = float(sums.sum()) / total_seen if total_seen else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(n_seen > 0, sums / np.maximum(n_seen, 1), fallback)
    return means


@register_model("mean")
class MeanBaseline(ModelAdapter):
    """Gene means: observed-entry means for reconstruction, the control mean for perturbation."""

    provides: ClassVar[frozenset[str]] = frozenset({"reconstruction", "perturbation"})
    defaults: ClassVar[dict[str, Any] | None] = {}
    default_name: ClassVar[str] = "mean"

    def reconstruct(self, dataset: Dataset, masked: AnnData, ctx: RunContext) -> np.ndarray:
        means = observed_gene_means(masked.X)
        return np.broadcast_to(means, (masked.n_obs, masked.n_vars)).copy()

    def predict_perturbation(self, dataset: Dataset, conditions: Sequence[str], ctx: RunContext) -> np.ndarray:
        if dataset.n_obs == 0:
            raise ModelError(f"model {self.name!r}: dataset {dataset.name!r} has no control cells")
        control_mean = log1p_cp10k_mean(dataset.adata.X)
        return np.tile(control_mean.reshape(1, -1), (len(conditions), 1))


def log1p_cp10k_mean(X: Any) -> np.ndarray:
    """Per-gene mean of ``log1p(counts / total * 1e4)`` (:data:`PERTURBATION_SPACE`), in float64.

    Computed in the same operations and order as the perturbation task computes the control
    mean it scores against (``tasks/perturbation.py``: ``log_normalize`` then ``group_stats``),
    so "no change" is exactly zero change: the task's Pearson of a constant delta is 0 by
    definition. scanpy's float32, numba-parallel ``normalize_total`` left a delta of rounding
    noise instead, whose Pearson with the observed delta (-0.02 or -0.04) depended on the
    thread count (benchmarks/README.md, thread noise).
    """
    if sparse.issparse(X):
        counts = sparse.csr_matrix(X, dtype=np.float64, copy=True)
        totals = np.asarray(counts.sum(axis=1)).ravel()
        scale = np.divide(TARGET_SUM, totals, out=np.zeros_like(totals), where=totals > 0)
        logged = (sparse.diags(scale) @ counts).tocsr()
        logged.data = np.log1p(logged.data)
        return np.asarray(logged.mean(axis=0)).ravel()
    dense = np.asarray(X, dtype=np.float64)
    totals = dense.sum(axis=1, keepdims=True)
    scale = np.divide(TARGET_SUM, totals, out=np.zeros_like(totals), where=totals > 0)
    return np.log1p(dense * scale).mean(axis=0)
