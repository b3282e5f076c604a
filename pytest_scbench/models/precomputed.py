"""``precomputed``: outputs computed elsewhere, read from a file, so any framework can be benchmarked.

File layouts (``path`` parameter; the output kind is the ``output`` parameter, default
``"embedding"``):

=============== ================ ==========================================================
output          file             what is read
=============== ================ ==========================================================
embedding       ``.h5ad``        ``obsm[obsm_key]``; rows named by ``obs_names``. Without
                                 ``obsm_key`` the file must hold exactly one ``obsm`` entry.
embedding       ``.npy``         the array; no cell names, so its row count must equal the
                                 data set's and rows are taken in the data set's order.
embedding       ``.npz``         array ``key`` (or the only array); if the archive also
                                 holds ``obs_names`` (a string array), rows are matched by it.
reconstruction  ``.h5ad``        ``X`` (or ``layers[key]``): cells x genes predicted from the
                                 masked matrix the benchmark uses, rows by ``obs_names``,
                                 columns by ``var_names``; in the reconstruction task's space.
perturbation    ``.h5ad``        ``X`` (or ``layers[key]``): one row per condition, the
                                 ``obs`` index holds the condition names, columns by
                                 ``var_names``; rows are picked in the order the task asks.
=============== ================ ==========================================================

Cells are matched by name: the same names in the same order are taken as they are, the same
set in another order is reordered to the data set's order, and anything else is a
:class:`ModelError` naming the file and how many cells are missing or extra. Genes are
matched the same way. The fingerprint holds the file's sha256, so a changed file is never
served from a stale cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy import sparse

from ..checksums import file_sha256
from ..datasets.base import Dataset
from ..datasets.quiet import dependency_warnings_quiet
from ..errors import ModelError
from ..registry import register_model
from .base import OUTPUT_KINDS, ModelAdapter, RunContext

_SUFFIXES = {".h5ad", ".npy", ".npz"}


_PICKLED = (
    "holds Python objects (an object array, saved with pickle); pytest-scbench never unpickles a file, "
    "since loading a pickle runs code: save the numbers, e.g. np.save(path, embedding.astype('float32'))"
)


def _first(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


def _load_npy(path: Path, where: str) -> np.ndarray:
    """``np.load`` without pickle; a pickled or damaged file is a :class:`ModelError`."""
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ModelError(f"{where}: {_PICKLED}") from None
        raise ModelError(f"{where}: is not a readable .npy array ({_first(exc)})") from None
    except (OSError, EOFError) as exc:
        raise ModelError(f"{where}: is not a readable .npy array ({type(exc).__name__}: {_first(exc)})") from None


def _numeric(values: object, where: str) -> np.ndarray:
    """``values`` as an array of real numbers; strings, objects or booleans are a :class:`ModelError`."""
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        kind = {"U": "strings", "S": "bytes", "O": "Python objects", "b": "booleans", "c": "complex numbers"}
        what = kind.get(array.dtype.kind, array.dtype.name)
        if array.dtype.kind == "O" and array.size and isinstance(array.flat[0], (str, bytes)):
            what = "strings"
        raise ModelError(
            f"{where}: the embedding holds {what} "
            f"(dtype {array.dtype}), not numbers"
        )
    return array


def align(found: Sequence[str], wanted: Sequence[str], *, where: str, what: str = "cells") -> np.ndarray | None:
    """Row indices into ``found`` that put it in ``wanted``'s order; None if already so.

    Raises :class:`ModelError` (prefixed by ``where``) when the names are not the same set:
    the message counts the missing and the extra names and shows the first few of each.
    """
    found_idx = pd.Index(np.asarray(found).astype(str))
    wanted_idx = pd.Index(np.asarray(wanted).astype(str))
    if found_idx.has_duplicates:
        dup = found_idx[found_idx.duplicated()].unique()[:5].tolist()
        raise ModelError(f"{where}: {what} names are duplicated (first: {dup})")
    if found_idx.equals(wanted_idx):
        return None
    missing = wanted_idx.difference(found_idx, sort=False)
    extra = found_idx.difference(wanted_idx, sort=False)
    if len(missing) or len(extra):
        raise ModelError(
            f"{where}: {len(missing)} of the data set's {len(wanted_idx)} {what} are missing "
            f"from it (first: {missing[:5].tolist()}) and {len(extra)} {what} in it are not in "
            f"the data set (first: {extra[:5].tolist()})"
        )
    return found_idx.get_indexer(wanted_idx)


@register_model("precomputed")
class Precomputed(ModelAdapter):
    """Outputs read from ``path`` (``.h5ad``, ``.npy`` or ``.npz``); see the module docstring.

    Parameters: ``path`` (required), ``output`` (``"embedding"``, ``"reconstruction"`` or
    ``"perturbation"``; default ``"embedding"``), ``obsm_key`` (h5ad embeddings), ``key``
    (the array in an ``.npz``, or a layer of an ``.h5ad`` instead of ``X``).
    """

    defaults: ClassVar[dict[str, Any] | None] = {
        "path": None,
        "output": "embedding",
        "obsm_key": None,
        "key": None,
    }
    default_name: ClassVar[str] = "precomputed"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if not self.params["path"]:
            raise ModelError(f"model {self.name!r}: parameter 'path' is required")
        self.path = Path(str(self.params["path"])).expanduser()
        self.params["path"] = str(self.path)
        output = self.params["output"]
        if output not in OUTPUT_KINDS:
            raise ModelError(f"model {self.name!r}: output must be one of {list(OUTPUT_KINDS)}, got {output!r}")
        suffix = self.path.suffix.lower()
        if suffix not in _SUFFIXES:
            raise ModelError(f"model {self.name!r}: {self.path} is not an .h5ad, .npy or .npz file")
        if output != "embedding" and suffix != ".h5ad":
            raise ModelError(
                f"model {self.name!r}: a precomputed {output} is read from an .h5ad file, not {self.path.name}"
            )
        #: This instance provides exactly the output kind its file holds.
        self.provides = frozenset({output})  # type: ignore[misc]
        #: An embedding is read from the file alone; the other outputs are matched to the
        #: data set's genes.
        self.reads_expression = output != "embedding"  # type: ignore[misc]

    # -- identity -----------------------------------------------------------------------
    def weights_digest(self) -> str:
        """The file's sha256: the "weights" of a precomputed model are its numbers."""
        return file_sha256(self._existing())

    def _existing(self) -> Path:
        if not self.path.is_file():
            raise ModelError(f"model {self.name!r}: file {self.path} does not exist")
        return self.path

    def _where(self, dataset: Dataset) -> str:
        return f"model {self.name!r} on dataset {dataset.name!r}: file {self.path}"

    # -- outputs ------------------------------------------------------------------------
    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        path, where = self._existing(), self._where(dataset)
        suffix = path.suffix.lower()
        names: np.ndarray | None
        if suffix == ".npy":
            values, names = _load_npy(path, where), None
        elif suffix == ".npz":
            values, names = self._read_npz(path, where)
        else:
            values, names = self._read_h5ad_obsm(path, where)
        values = _numeric(values, where)
        if values.ndim != 2:
            raise ModelError(f"{where}: the embedding must be 2-dimensional, got shape {values.shape}")
        if names is None:
            if values.shape[0] != dataset.n_obs:
                raise ModelError(
                    f"{where}: has {values.shape[0]} rows and no cell names, the data set has "
                    f"{dataset.n_obs} cells; save the cell names (an .h5ad, or an .npz with "
                    f"'obs_names') or the rows in the data set's order"
                )
            return values.astype(np.float32, copy=False)
        if len(names) != values.shape[0]:
            raise ModelError(f"{where}: {len(names)} cell names for {values.shape[0]} rows")
        order = align(names, dataset.adata.obs_names, where=where)
        out = values if order is None else values[order]
        return np.asarray(out, dtype=np.float32)

    def reconstruct(self, dataset: Dataset, masked: AnnData, ctx: RunContext) -> np.ndarray:
        where = self._where(dataset)
        adata = self._read_h5ad(where)
        rows = align(adata.obs_names, masked.obs_names, where=where)
        cols = align(adata.var_names, masked.var_names, where=where, what="genes")
        values = self._matrix(adata, where)
        if rows is not None:
            values = values[rows]
        if cols is not None:
            values = values[:, cols]
        return values

    def predict_perturbation(self, dataset: Dataset, conditions: Sequence[str], ctx: RunContext) -> np.ndarray:
        where = self._where(dataset)
        adata = self._read_h5ad(where)
        found = pd.Index(adata.obs_names.astype(str))
        if found.has_duplicates:
            dup = found[found.duplicated()].unique()[:5].tolist()
            raise ModelError(f"{where}: condition names are duplicated in obs (first: {dup})")
        missing = [c for c in map(str, conditions) if c not in found]
        if missing:
            raise ModelError(
                f"{where}: {len(missing)} of {len(conditions)} conditions have no row (obs index) in it: {missing[:10]}"
            )
        cols = align(adata.var_names, dataset.adata.var_names, where=where, what="genes")
        values = self._matrix(adata, where)[found.get_indexer([str(c) for c in conditions])]
        return values if cols is None else values[:, cols]

    # -- readers ------------------------------------------------------------------------
    def _read_npz(self, path: Path, where: str) -> tuple[np.ndarray, np.ndarray | None]:
        try:
            archive = np.load(path, allow_pickle=False)
        except Exception as exc:  # noqa: BLE001 - a damaged archive: numpy and zipfile raise many kinds
            raise ModelError(f"{where}: is not a readable .npz archive ({type(exc).__name__}: {_first(exc)})") from None
        with archive:
            arrays = [k for k in archive.files if k != "obs_names"]
            key = _choose(self.params["key"], arrays, where, "arrays", "key")
            try:
                names = archive["obs_names"] if "obs_names" in archive.files else None
            except ValueError as exc:  # an object array would need pickle
                raise ModelError(f"{where}: 'obs_names' must be a string array (saved without pickle): {exc}") from exc
            try:
                return archive[key], names
            except ValueError:
                raise ModelError(f"{where}: array {key!r} {_PICKLED}") from None

    def _read_h5ad_obsm(self, path: Path, where: str) -> tuple[np.ndarray, np.ndarray]:
        import h5py
        from anndata.io import read_elem

        try:
            with h5py.File(path, "r") as fh, dependency_warnings_quiet():
                keys = sorted(fh["obsm"].keys()) if "obsm" in fh else []
                key = _choose(self.params["obsm_key"], keys, where, "obsm keys", "obsm_key")
                names = np.asarray(read_elem(fh["obs"]).index.astype(str))
                values = read_elem(fh["obsm"][key])
        except ModelError:
            raise
        except (OSError, KeyError) as exc:
            raise ModelError(f"{where}: cannot be read as .h5ad: {exc}") from exc
        if isinstance(values, pd.DataFrame):
            values = values.to_numpy()
        if sparse.issparse(values):
            values = values.toarray()
        return np.asarray(values), names

    def _read_h5ad(self, where: str) -> AnnData:
        import anndata

        path = self._existing()
        if path.suffix.lower() != ".h5ad":
            raise ModelError(f"{where}: a {self.params['output']} is read from an .h5ad file")
        try:
            with dependency_warnings_quiet():
                return anndata.read_h5ad(path)
        except Exception as exc:
            raise ModelError(f"{where}: cannot be read as .h5ad: {type(exc).__name__}: {exc}") from exc

    def _matrix(self, adata: AnnData, where: str) -> np.ndarray:
        key = self.params["key"]
        if key is not None and key not in adata.layers:
            raise ModelError(f"{where}: has no layer {key!r}; layers are {sorted(adata.layers)}")
        X = adata.X if key is None else adata.layers[key]
        if X is None:
            raise ModelError(f"{where}: has no X; name a layer with parameter 'key'")
        return np.asarray(X.toarray() if sparse.issparse(X) else X, dtype=np.float64)


def _choose(key: str | None, keys: list[str], where: str, what: str, param: str) -> str:
    """The named key, or the only one there is; errors list the keys and the parameter to set."""
    if key is None:
        if len(keys) != 1:
            raise ModelError(f"{where}: holds {what} {keys}; name the embedding with parameter {param!r}")
        return keys[0]
    if key not in keys:
        raise ModelError(f"{where}: has no {what[:-1]} {key!r}; {what} are {keys}")
    return key
