"""The preprocessing shared by the baselines: counts -> log-normalised -> highly variable genes.

Every step is a scanpy function, so a baseline here matches what a scanpy user gets:
``normalize_total(target_sum=1e4)``, ``log1p``, ``highly_variable_genes(flavor="seurat")``
on the log data. The input is never modified; the data set's ``X`` holds raw counts.
scanpy is imported on first use, so that importing the model registry stays cheap.
"""

from __future__ import annotations

import warnings

import numpy as np
from anndata import AnnData
from scipy import sparse

#: Counts per cell after ``normalize_total``: the "CP10k" scale most published baselines use.
TARGET_SUM: float = 1e4


def counts_float(adata: AnnData) -> AnnData:
    """A bare AnnData (same obs/var names) holding ``adata.X`` as float32, CSR if sparse."""
    X = adata.X
    if sparse.issparse(X):
        X = sparse.csr_matrix(X, dtype=np.float32)
    else:
        X = np.asarray(X, dtype=np.float32)
    out = AnnData(X=X)
    out.obs_names = adata.obs_names.copy()
    out.var_names = adata.var_names.copy()
    return out


def log_normalize(adata: AnnData) -> AnnData:
    """``log1p(normalize_total(counts, 1e4))`` as a new float32 AnnData.

    Cells with zero counts stay all-zero (scanpy leaves them unscaled), so no NaN appears.
    """
    import scanpy as sc

    out = counts_float(adata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "some cells have zero counts"
        sc.pp.normalize_total(out, target_sum=TARGET_SUM)
    sc.pp.log1p(out)
    return out


def select_hvg(log_adata: AnnData, n_top_genes: int) -> AnnData:
    """The ``n_top_genes`` most variable genes of log-normalised data (seurat flavour).

    With ``n_top_genes`` at least the number of genes, every gene is kept and no
    selection runs. Returns a view-free copy with the genes in their original order.
    """
    if n_top_genes <= 0:
        raise ValueError(f"n_top_genes must be positive, got {n_top_genes}")
    if n_top_genes >= log_adata.n_vars:
        return log_adata.copy()
    import scanpy as sc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # genes with zero mean: NaN dispersion
        table = sc.pp.highly_variable_genes(log_adata, n_top_genes=n_top_genes, flavor="seurat", inplace=False)
    keep = np.asarray(table["highly_variable"], dtype=bool)
    return log_adata[:, keep].copy()


def dense(X: object) -> np.ndarray:
    """``X`` as a dense float32 array."""
    if sparse.issparse(X):
        return np.asarray(X.toarray(), dtype=np.float32)  # type: ignore[union-attr]
    return np.asarray(X, dtype=np.float32)
