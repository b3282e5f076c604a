"""Label encoding shared by every metric: values -> integer codes 0..n_groups-1."""

from __future__ import annotations

import numpy as np


def encode(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and the sorted distinct values they index.

    Parameters
    ----------
    values
        Array of shape (n_cells,) of any sortable dtype (strings, ints, categories).

    Returns
    -------
    codes
        ``int64`` array of shape (n_cells,), ``categories[codes] == values``.
    categories
        The distinct values, sorted (``np.unique`` order), so codes do not depend on the
        order of the cells.
    """
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = arr.astype(str)
    categories, codes = np.unique(arr, return_inverse=True)
    return codes.astype(np.int64, copy=False).ravel(), categories


def n_groups(codes: np.ndarray) -> int:
    """Number of groups of encoded ``codes`` (max code + 1; 0 for no cells)."""
    return int(codes.max()) + 1 if codes.size else 0
