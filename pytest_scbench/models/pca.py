"""``pca``: the principal-components baseline published benchmarks found hard to beat.

Counts -> ``normalize_total(1e4)`` -> ``log1p`` -> 3000 highly variable genes (seurat
flavour, on the log data; all genes when there are fewer) -> ``sc.pp.pca`` with 50
components (fewer when the data has fewer genes or cells), ``svd_solver="arpack"`` and
``random_state=ctx.seed``. No scaling and no neighbour graph: the embedding is the
principal component scores, and the graph is the tasks' business.

ARPACK runs with one BLAS thread: its dense steps (dot products, orthogonalisation) sum in
an order that depends on OpenBLAS' thread count, which moved the scores by up to 2e-6 between
1 and 2 threads (benchmarks/README.md, thread noise). The sparse products that dominate its
time are single-threaded anyway.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from ..datasets.base import Dataset
from ..errors import ModelError
from ..registry import register_model
from .base import ModelAdapter, RunContext
from .preprocess import log_normalize, select_hvg


@register_model("pca")
class PCA(ModelAdapter):
    """PCA on log-normalised highly variable genes.

    Parameters: ``n_top_genes`` (3000), ``n_comps`` (50). The number of components is
    capped at ``min(n_cells, n_genes) - 1``, which is what ARPACK can compute.
    """

    provides: ClassVar[frozenset[str]] = frozenset({"embedding"})
    defaults: ClassVar[dict[str, Any] | None] = {"n_top_genes": 3000, "n_comps": 50}
    default_name: ClassVar[str] = "pca"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.require_positive("n_top_genes", "n_comps")

    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        data = select_hvg(log_normalize(dataset.adata), self.params["n_top_genes"])
        n_comps = min(self.params["n_comps"], data.n_obs - 1, data.n_vars - 1)
        if n_comps < 1:
            raise ModelError(
                f"model {self.name!r} on dataset {dataset.name!r}: PCA needs at least 2 cells "
                f"and 2 genes, got {data.n_obs} cells x {data.n_vars} genes"
            )
        X = data.X
        spread = X.max(axis=0) - X.min(axis=0) if not sparse.issparse(X) else (X.max(axis=0) - X.min(axis=0)).toarray()
        if not np.any(np.asarray(spread) > 0):
            raise ModelError(
                f"model {self.name!r} on dataset {dataset.name!r}: no gene varies across the "
                f"{data.n_obs} cells (after normalisation and gene selection), so there are no principal components"
            )
        import scanpy as sc
        from scipy.sparse.linalg import ArpackError, ArpackNoConvergence
        from threadpoolctl import threadpool_limits

        try:
            with threadpool_limits(limits=1, user_api="blas"):
                sc.pp.pca(data, n_comps=n_comps, svd_solver="arpack", random_state=ctx.seed)
        except (ArpackError, ArpackNoConvergence) as exc:
            raise ModelError(
                f"model {self.name!r} on dataset {dataset.name!r}: PCA (ARPACK) failed: {str(exc)[:200]}"
            ) from None
        return np.asarray(data.obsm["X_pca"], dtype=np.float32)
