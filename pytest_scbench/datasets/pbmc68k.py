"""``pbmc68k``: 700 real PBMCs shipped inside scanpy, with integer counts rebuilt.

scanpy's ``pbmc68k_reduced`` (a subsample of 10x Genomics' "Fresh 68k PBMCs (Donor A)")
keeps in ``raw.X`` the per-cell normalised, log1p-transformed expression of 765 genes,
``log1p(counts / n_counts * 1e4)``, with ``obs["n_counts"]`` the cell's total count.
Inverting it gives the integer counts back: ``round(expm1(raw.X) * n_counts / 1e4)``
(the rounding removes float32 error of at most ~0.08; see the tests).

Cell types are ``bulk_labels`` (10 types, from FACS-sorted bulk references); a
``cell_type`` column copies it. Works offline: the file ships in the scanpy wheel.
Cached at ``<data_dir>/pbmc68k/raw/data.h5ad``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from ..errors import DatasetError
from ..registry import register_dataset
from .base import DatasetKeys, DatasetSpec
from .cache import cached_build, raw_path
from .refs import check_params
from .specs import make_spec

NAME = "pbmc68k"
#: Bump when the counts or columns built here change; it is part of the fingerprint.
VERSION = "1"
#: The obs column holding cell types, and a copy under the scanpy-ecosystem name.
LABEL_KEY = "bulk_labels"
KEYS = DatasetKeys(label_key=LABEL_KEY)
#: The obs columns carried over from scanpy's file.
OBS_COLUMNS = ("bulk_labels", "louvain", "phase", "n_counts", "n_genes", "percent_mito")


def scanpy_file() -> Path:
    """The ``10x_pbmc68k_reduced.h5ad`` inside the installed scanpy (not imported)."""
    spec = importlib.util.find_spec("scanpy")
    if spec is None or spec.origin is None:
        raise DatasetError(f"dataset {NAME!r} needs scanpy installed (it ships the data)")
    path = Path(spec.origin).parent / "datasets" / "10x_pbmc68k_reduced.h5ad"
    if not path.exists():
        raise DatasetError(f"dataset {NAME!r}: the installed scanpy has no {str(path)!r}")
    return path


@functools.lru_cache(maxsize=1)
def _source_digest() -> str:
    return hashlib.sha256(scanpy_file().read_bytes()).hexdigest()[:16]


def counts_from_scanpy(reduced: AnnData) -> AnnData:
    """Rebuild integer counts from a ``pbmc68k_reduced`` AnnData (see module docstring)."""
    if reduced.raw is None or "n_counts" not in reduced.obs:
        raise DatasetError(f"dataset {NAME!r}: scanpy's file lacks raw.X or obs['n_counts']")
    logged = reduced.raw.X
    logged = logged.tocsr() if sp.issparse(logged) else sp.csr_matrix(logged)
    size = reduced.obs["n_counts"].to_numpy(dtype=np.float64) / 1e4
    counts = logged.astype(np.float64)
    counts.data = np.expm1(counts.data)
    counts = sp.csr_matrix(counts.multiply(size[:, None]))
    counts.data = np.round(counts.data)
    counts.eliminate_zeros()
    counts = counts.astype(np.float32)

    obs = reduced.obs[list(OBS_COLUMNS)].copy()
    obs["cell_type"] = obs[LABEL_KEY].astype("category")
    obs = obs.rename(columns={"n_counts": "n_counts_original", "n_genes": "n_genes_original"})
    var = pd.DataFrame(index=pd.Index(reduced.raw.var_names.astype(str), name=None))
    var["gene_symbol"] = var.index.to_numpy()
    obs.index = obs.index.astype(str)
    return AnnData(X=counts, obs=obs, var=var)


def build() -> AnnData:
    """Read scanpy's shipped file and rebuild its counts."""
    import anndata as ad

    with warnings.catch_warnings():  # scanpy's file predates anndata's encoding metadata
        warnings.simplefilter("ignore")
        reduced = ad.read_h5ad(scanpy_file())
    return counts_from_scanpy(reduced)


def fingerprint() -> str:
    """Version and a digest of scanpy's file: a new scanpy data file changes it."""
    return f"{NAME}:v{VERSION}:{_source_digest()}"


def load_counts(data_dir: Path) -> tuple[AnnData, Path]:
    """The cached counts (built on first use) and their path."""
    path = raw_path(data_dir, NAME)
    return cached_build(path, fingerprint(), build, dataset=NAME), path


@register_dataset(NAME)
def pbmc68k(**params: object) -> DatasetSpec:
    """700 real PBMCs, 765 genes, 10 cell types (``bulk_labels``); offline."""
    check_params(NAME, params, {})
    return make_spec(
        NAME,
        KEYS,
        fingerprint(),
        load_counts,
        description="700 PBMCs from scanpy's pbmc68k_reduced, integer counts rebuilt",
        organism="human",
        gene_id_type="symbol",
    )
