"""Masked count matrices for the reconstruction task, cached on disk.

A mask hides a seeded, uniformly random ``fraction`` of *all* entries of the count
matrix (zeros included), independently of the model. Masked entries read ``-1`` in the
masked matrix (a value no count can take). With a data directory the masked matrix is
kept as ``<data_dir>/<dataset>/masked/mask_<pct>_seed_<seed>.h5ad`` (written to a
temporary file in the same folder and renamed, so concurrent workers never read half a
file); a later run reads it back instead of masking again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from anndata import AnnData
from scipy import sparse

from .datasets.cache import cache_dirname, cached_build
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
    fingerprint: str = "",
) -> Mask:
    """The masked matrix of ``adata``, from the cache when there is a valid one.

    ``fingerprint`` (the data set's) is stamped into the cached file with the mask id: a
    file masked from other content, or one that cannot be read, is masked again, never
    used (:func:`~pytest_scbench.datasets.cache.cached_build`). A read-only cache is read;
    a mask it lacks is kept in memory.
    """
    ident = mask_id(fraction, seed)
    rows, cols = choose_entries(adata.shape, fraction, seed)
    if data_dir is None:
        return Mask(ident, apply_mask(adata, rows, cols), rows, cols, None)
    path = inside(data_dir, cache_dirname(dataset_name), "masked", f"{ident}.h5ad")
    stamp_id = f"mask:{fingerprint}:{ident}:{adata.n_obs}x{adata.n_vars}"
    masked = cached_build(path, stamp_id, lambda: apply_mask(adata, rows, cols), dataset=dataset_name)
    if masked.shape != adata.shape or list(masked.obs_names) != list(adata.obs_names):
        masked = apply_mask(adata, rows, cols)  # a stamp collision of an older layout: never trust it
    return Mask(ident, masked, rows, cols, path)
