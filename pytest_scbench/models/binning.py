"""Per-cell value binning as scGPT does it, and the way back from bins to values.

scGPT (``scgpt/preprocess.py: binning``) bins each cell on its own: the quantiles of the
cell's *non-zero* values at ``linspace(0, 1, n_bins - 1)`` are the bin edges, zero stays
bin 0, and non-zero values get bins ``1 .. n_bins - 1``. Values tied with an edge are
spread between the bins on either side of it, uniformly at random (``_digitize(side=
"both")``). Here that randomness comes from a seeded generator, so a run is reproducible.
Because the bins are per-cell ranks, they are the same for counts, normalised counts and
``log1p`` of either: no normalisation is needed before binning.
"""

from __future__ import annotations

import numpy as np


def bin_values(values: np.ndarray, n_bins: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """The bin (``0 .. n_bins - 1``, int64) of each of one cell's values.

    ``values`` are one cell's non-negative expression values (1-D). With ``rng`` None, a
    value tied with an edge takes the left bin (scGPT's ``side="one"``); with a generator
    it is spread between the bins as scGPT's default ``side="both"`` does.
    """
    if n_bins < 3:
        raise ValueError(f"n_bins must be at least 3, got {n_bins}")
    values = np.asarray(values, dtype=np.float64)
    out = np.zeros(values.shape, dtype=np.int64)
    nonzero = values > 0
    if not nonzero.any():
        return out
    row = values[nonzero]
    edges = np.quantile(row, np.linspace(0, 1, n_bins - 1))
    left = np.digitize(row, edges)
    if rng is None:
        digits = left
    else:
        right = np.digitize(row, edges, right=True)
        digits = np.ceil(rng.random(row.size) * (right - left) + left).astype(np.int64)
    out[nonzero] = np.clip(digits, 1, n_bins - 1)
    return out


def bin_representatives(values: np.ndarray, bins: np.ndarray, n_bins: int) -> np.ndarray:
    """For one cell, a value for every bin: the mean of the cell's values in that bin.

    Bin 0 is 0. A bin that holds none of the cell's values gets a value interpolated
    linearly between its nearest non-empty neighbours (by bin index), so that a predicted
    bin can always be turned back into the cell's own expression scale. Returns float64
    (n_bins,).
    """
    values = np.asarray(values, dtype=np.float64)
    sums = np.bincount(bins, weights=values, minlength=n_bins)[:n_bins]
    counts = np.bincount(bins, minlength=n_bins)[:n_bins]
    reps = np.zeros(n_bins, dtype=np.float64)
    filled = counts > 0
    filled[0] = True  # bin 0 is zero expression by definition
    reps[counts > 0] = sums[counts > 0] / counts[counts > 0]
    reps[0] = 0.0
    where = np.flatnonzero(filled)
    return np.interp(np.arange(n_bins), where, reps[where])


def cell_rng(seed: int, cell: int) -> np.random.Generator:
    """The generator for one cell: depends on the run's seed and the cell's index only,
    so results do not depend on the batch size or the order cells are processed in."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int(cell)])
