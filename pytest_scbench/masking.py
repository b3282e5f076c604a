"""Masked count matrices for the reconstruction task, cached on disk.

A mask hides a seeded, uniformly random ``fraction`` of *all* entries of the count
matrix (zeros included), independently of the model. Masked entries read ``-1`` in the
masked matrix (a value no count can take). With a data directory the masked matrix is
kept as ``<data_dir>/<dataset>/masked/mask_<pct>_seed_<seed>.h5ad`` (written to a
temporary file in the same folder and renamed, so concurrent workers never read half a
file); a later run reads it back instead of masking again.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
from anndata import AnnData
from scipy import sparse

from .datasets.cache import cache_dirname
from .datasets.quiet import dependency_warnings_quiet
from .filemode import keep_mode
from .safepaths import inside

MASK_VALUE = -1.0


@dataclass(frozen=True)
class Mask:
    """A masked copy of a data set: the AnnData the model sees and where the holes are."""

    mask_id: str
    masked: AnnData
    rows: np.ndarray
    cols: np.ndarray
    path: Path | None = None


def mask_id(fraction: float, seed: int) -> str:
    """``mask_<pct>_seed_<seed>``, pct the percentage without trailing zeros (15, 2.5)."""
    pct = f"{fraction * 100:.6f}".rstrip("0").rstrip(".")
    return f"mask_{pct}_seed_{seed}"


def choose_entries(shape: tuple[int, int], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of ``round(fraction * n_entries)`` distinct entries, seeded."""
    if not 0 < fraction < 1:
        raise ValueError(f"mask fraction must be in (0, 1), got {fraction}")
    n_rows, n_cols = shape
    total = n_rows * n_cols
    count = max(1, int(round(fraction * total)))
    flat = np.random.default_rng(seed).choice(total, size=count, replace=False)
    flat.sort()
    return (flat // n_cols).astype(np.int64), (flat % n_cols).astype(np.int64)


def apply_mask(adata: AnnData, rows: np.ndarray, cols: np.ndarray) -> AnnData:
    """A copy of ``adata`` (obs, var kept) whose X is float32 dense with -1 at the entries."""
    X = adata.X.toarray() if sparse.issparse(adata.X) else np.array(adata.X)
    X = X.astype(np.float32)
    X[rows, cols] = MASK_VALUE
    return AnnData(X, obs=adata.obs.copy(), var=adata.var.copy())


def masked_dataset(
    adata: AnnData,
    dataset_name: str,
    fraction: float = 0.15,
    seed: int = 0,
    data_dir: Path | None = None,
) -> Mask:
    """The masked matrix of ``adata``, from the cache when there is a valid one."""
    ident = mask_id(fraction, seed)
    path = None if data_dir is None else inside(data_dir, cache_dirname(dataset_name), "masked", f"{ident}.h5ad")
    if path is not None and path.exists():
        with dependency_warnings_quiet():
            cached = ad.read_h5ad(path)
        if cached.shape == adata.shape and list(cached.obs_names) == list(adata.obs_names):
            X = np.asarray(cached.X)
            rows, cols = np.nonzero(X == MASK_VALUE)
            return Mask(ident, cached, rows.astype(np.int64), cols.astype(np.int64), path)
    rows, cols = choose_entries(adata.shape, fraction, seed)
    masked = apply_mask(adata, rows, cols)
    if path is not None:
        _write_atomic(masked, path)
    return Mask(ident, masked, rows, cols, path)


def _write_atomic(adata: AnnData, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".h5ad.tmp")
    os.close(fd)
    try:
        with dependency_warnings_quiet():
            adata.write_h5ad(tmp)
        keep_mode(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
