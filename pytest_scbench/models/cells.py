"""Where a torch model reads cells from: an in-memory AnnData or a CSR matrix in an HDF5 file.

A :class:`CellSource` hands out rows of a cells x genes count matrix as CSR blocks, so a
DataLoader can stream a file larger than memory batch by batch. Two sources:

- :class:`MatrixSource` over a matrix in memory (``adata.X``, dense or sparse);
- :class:`H5CSRSource` over a CSR group of an HDF5 file: the ``central`` group of an
  ``.h5t`` file written by h5torch (``central/data``, ``central/indices``,
  ``central/indptr``, ``attrs["shape"]``) or the ``X`` group of an ``.h5ad`` file
  (anndata's ``csr_matrix`` encoding). Gene names come from ``var`` in an ``.h5ad``
  and, in an ``.h5t``, from the dataset named by ``genes_key`` (default: the only string
  dataset under the axis-1 group ``"1"``, h5torch's place for per-gene data).

The data set helpers own the ``.h5t`` conversion; this module only reads the CSR layout
h5torch writes, so it works whichever names that conversion gives the obs columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from scipy import sparse

from ..errors import ModelError


class CellSource(Protocol):
    """Rows of a count matrix, by index."""

    n_cells: int
    gene_names: np.ndarray

    def rows(self, index: Sequence[int]) -> sparse.csr_matrix:
        """The rows ``index`` (any order, repeats allowed) as a float32 CSR matrix."""
        ...


class MatrixSource:
    """A count matrix held in memory (dense or sparse), with its gene names."""

    def __init__(self, X: Any, gene_names: Sequence[str]) -> None:
        self._X = sparse.csr_matrix(X, dtype=np.float32) if sparse.issparse(X) else None
        self._dense = None if self._X is not None else np.asarray(X, dtype=np.float32)
        shape = (self._X if self._X is not None else self._dense).shape  # type: ignore[union-attr]
        self.n_cells = int(shape[0])
        self.gene_names = np.asarray(gene_names).astype(str)
        if len(self.gene_names) != shape[1]:
            raise ModelError(f"{len(self.gene_names)} gene names for a matrix with {shape[1]} genes")

    def rows(self, index: Sequence[int]) -> sparse.csr_matrix:
        idx = np.asarray(index, dtype=np.int64)
        if self._X is not None:
            return self._X[idx]
        return sparse.csr_matrix(self._dense[idx])  # type: ignore[index]


class H5CSRSource:
    """A CSR matrix in an HDF5 file (``.h5t`` central group or ``.h5ad`` X), read lazily.

    The file is opened on first use in each process (so DataLoader workers each get their
    own handle) and rows are read one ``indptr`` slice at a time.
    """

    def __init__(self, path: str | Path, group: str | None = None, genes_key: str | None = None) -> None:
        import h5py

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"cell file {self.path} does not exist")
        self._handle: Any = None
        with h5py.File(self.path, "r") as fh:
            self.group = group or ("X" if self.path.suffix == ".h5ad" else "central")
            if self.group not in fh or not isinstance(fh[self.group], h5py.Group):
                raise ModelError(f"{self.path}: no CSR group {self.group!r} (groups: {sorted(fh.keys())})")
            node = fh[self.group]
            missing = [k for k in ("data", "indices", "indptr") if k not in node]
            encoding = node.attrs.get("encoding-type", node.attrs.get("mode", "csr"))
            if isinstance(encoding, bytes):
                encoding = encoding.decode()
            if missing or encoding not in ("csr", "csr_matrix"):
                raise ModelError(
                    f"{self.path}: group {self.group!r} is not a CSR matrix (encoding {encoding!r}, missing {missing})"
                )
            shape = tuple(int(s) for s in node.attrs["shape"])
            self.n_cells, self.n_genes = shape[0], shape[1]
            self.gene_names = self._genes(fh, genes_key)
        if len(self.gene_names) != self.n_genes:
            raise ModelError(f"{self.path}: {len(self.gene_names)} gene names for {self.n_genes} genes")

    def _genes(self, fh: Any, genes_key: str | None) -> np.ndarray:
        import h5py
        from anndata.io import read_elem

        if genes_key is None and self.path.suffix == ".h5ad":
            return np.asarray(read_elem(fh["var"]).index.astype(str))
        if genes_key is None:
            candidates = []
            if "1" in fh:
                fh["1"].visititems(
                    lambda name, obj: (
                        candidates.append(f"1/{name}")
                        if isinstance(obj, h5py.Dataset) and obj.ndim == 1 and obj.dtype.kind in "SOU"
                        else None
                    )
                )
            if len(candidates) != 1:
                raise ModelError(
                    f"{self.path}: cannot tell which dataset holds the gene names "
                    f"(string datasets under '1': {candidates}); pass genes_key"
                )
            genes_key = candidates[0]
        if genes_key not in fh:
            raise ModelError(f"{self.path}: no dataset {genes_key!r} for the gene names")
        raw = fh[genes_key][()]
        return np.asarray([v.decode() if isinstance(v, bytes) else str(v) for v in raw])

    def _file(self) -> Any:
        if self._handle is None:
            import h5py

            self._handle = h5py.File(self.path, "r")
        return self._handle[self.group]

    def rows(self, index: Sequence[int]) -> sparse.csr_matrix:
        node = self._file()
        idx = np.asarray(index, dtype=np.int64)
        indptr = node["indptr"]
        datas, indices, lengths = [], [], []
        for i in idx:
            start, stop = int(indptr[i]), int(indptr[i + 1])
            datas.append(node["data"][start:stop])
            indices.append(node["indices"][start:stop])
            lengths.append(stop - start)
        ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        data = np.concatenate(datas).astype(np.float32) if datas else np.zeros(0, np.float32)
        ind = np.concatenate(indices).astype(np.int64) if indices else np.zeros(0, np.int64)
        return sparse.csr_matrix((data, ind, ptr), shape=(len(idx), self.n_genes))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_handle"] = None  # h5py handles do not cross process boundaries
        return state

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
