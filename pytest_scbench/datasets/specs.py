"""Build a :class:`DatasetSpec` whose loader always validates what it loads.

Every loader in this package goes through :func:`make_spec`, so no data set reaches a
model without :func:`~.validate.validate_cells` having checked it against its own spec
(and :func:`~.validate.validate_expression` before a model or task reads ``X``), and
every matrix handed on is in the form the contract promises (CSR float32 or dense).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from anndata import AnnData

from .base import DatasetKeys, DatasetSpec
from .validate import validate_cells

#: Loads a data set's AnnData from the cache directory and says which file it came from.
PathLoader = Callable[[Path], tuple[AnnData, Path | None]]


def make_spec(
    name: str,
    keys: DatasetKeys,
    fingerprint: str,
    load: PathLoader,
    **fields: Any,
) -> DatasetSpec:
    """A spec whose loader runs ``load``, normalises ``X`` and validates the cells.

    The expression half (counts, gene ids) is checked when a model or task that reads
    ``X`` asks for it (:meth:`~.base.Dataset.require_expression`).

    ``fields`` are the other :class:`DatasetSpec` fields (markers, organism, ...).
    """
    spec: DatasetSpec

    def loader(data_dir: Path) -> AnnData:
        adata, path = load(Path(data_dir))
        as_counts_matrix(adata)
        validate_cells(adata, spec, path)
        return adata

    spec = DatasetSpec(name=name, keys=keys, loader=loader, fingerprint=fingerprint, **fields)
    return spec


def as_counts_matrix(adata: AnnData) -> AnnData:
    """Make ``X`` CSR float32 when sparse, float32 when a dense integer array (in place)."""
    X = adata.X
    if sp.issparse(X):
        if not (sp.isspmatrix_csr(X) or isinstance(X, sp.csr_array)) or X.dtype != np.float32:
            adata.X = sp.csr_matrix(X, dtype=np.float32)
    elif isinstance(X, np.ndarray) and np.issubdtype(X.dtype, np.integer):
        adata.X = X.astype(np.float32)
    return adata
