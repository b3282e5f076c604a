"""h5torch files (``.h5t``): counts as a CSR central object, obs and var aligned to its axes.

The layout is bento-sc's (its ``process_*.py`` scripts): an h5torch file whose
``central`` object is the cells x genes count matrix in h5torch's ``csr`` mode
(``central/data`` float32, ``central/indices``, ``central/indptr``; attributes
``mode="csr"``, ``shape``, ``dtypes``, ``filled_to``, ``load_sparse=True``), objects
aligned to axis 0 (cells) under ``0/`` and to axis 1 (genes) under ``1/``, and category
tables under ``unstructured/``:

- ``0/obs_names``, ``1/var_names``: cell and gene names (bytes);
- ``0/<column>``, ``1/<column>``: one object per obs / var column; numbers as they are,
  categorical and string columns as integer codes (string columns are read back as
  strings) with their categories in
  ``unstructured/0_<column>_categories`` (bento-sc's ``<n>_<name>_categories``);
- root attributes ``scbench_format`` (``"scbench-h5t"``), ``scbench_version`` and
  ``scbench_columns`` (JSON: the original column names, as h5torch names cannot hold "/").

Files written here are read by ``h5torch.Dataset`` unchanged (see the tests). Writing is
streamed (:class:`H5tWriter`, :func:`convert_h5ad_to_h5t` reads the ``.h5ad`` matrix in
row blocks), and so is reading for models (:mod:`.h5t_stream`, which alone needs torch): a
batch of cells is read as its slice of ``indptr``, ``indices`` and ``data``, so memory is
one dense batch, whatever the number of cells.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from ..errors import DatasetError
from ..progress import advance, step
from .cache import atomic_output

FORMAT = "scbench-h5t"
VERSION = 1
#: Cells read per block when converting an ``.h5ad``.
CONVERT_BLOCK = 20_000
_DATA_CHUNK = 1 << 15  # entries per HDF5 chunk of data/indices (128 KiB)


def _set_attrs(obj: h5py.HLObject, mode: str, shape: list[int], dtype_save: str, dtype_load: str) -> None:
    obj.attrs["shape"] = shape
    obj.attrs["mode"] = mode
    obj.attrs["dtypes"] = [dtype_save, dtype_load]
    obj.attrs["filled_to"] = shape[0]


def _encode(values: Any) -> np.ndarray:
    """Strings as UTF-8 bytes (h5py's fixed-length bytes), whatever their characters."""
    array = np.asarray(values).astype(str)
    return np.char.encode(array, "utf-8") if array.size else np.array([], dtype="S1")


def _decode(values: np.ndarray) -> np.ndarray:
    return np.char.decode(values, "utf-8") if values.size else np.array([], dtype=str)


def _h5_name(column: str) -> str:
    return str(column).replace("/", "_")


def _write_frame(handle: h5py.File, axis: int, frame: pd.DataFrame) -> list[list[str]]:
    """One aligned object per column of ``frame``; returns ``[h5 name, column, kind]``."""
    names = _encode(frame.index.to_numpy())
    key = "obs_names" if axis == 0 else "var_names"
    handle.create_dataset(f"{axis}/{key}", data=names)
    _set_attrs(handle[f"{axis}/{key}"], "N-D", [len(names)], str(names.dtype), "str")
    written = []
    taken = {key}
    for column in frame.columns:
        name = _h5_name(column)
        while name in taken:
            name += "_"
        taken.add(name)
        values = frame[column]
        is_category = isinstance(values.dtype, pd.CategoricalDtype)
        if is_category or values.dtype == object or pd.api.types.is_string_dtype(values):
            cat = values if is_category else values.astype(str).astype("category")
            codes = cat.cat.codes.to_numpy().astype(np.int32)
            categories = _encode(cat.cat.categories.to_numpy())
            handle.create_dataset(f"{axis}/{name}", data=codes)
            _set_attrs(handle[f"{axis}/{name}"], "N-D", [len(codes)], "int32", "int32")
            table = f"unstructured/{axis}_{name}_categories"
            handle.create_dataset(table, data=categories)
            _set_attrs(handle[table], "N-D", [len(categories)], str(categories.dtype), "str")
            written.append([name, str(column), "categorical" if is_category else "string"])
        else:
            array = values.to_numpy()
            if array.dtype == bool:
                array = array.astype(np.uint8)
                kind = "bool"
            else:
                kind = "numeric"
            handle.create_dataset(f"{axis}/{name}", data=array)
            _set_attrs(handle[f"{axis}/{name}"], "N-D", [len(array)], str(array.dtype), str(array.dtype))
            written.append([name, str(column), kind])
    return written


class H5tWriter:
    """Write an ``.h5t`` in row blocks: ``append`` count chunks, then ``close(obs)``.

    The file appears at ``path`` only when :meth:`close` succeeds (atomic); the number of
    cells and the genes are fixed up front so ``indptr`` is written once, in place.
    """

    def __init__(self, path: Path | str, n_obs: int, var: pd.DataFrame) -> None:
        self.path = Path(path)
        self.n_obs = int(n_obs)
        self.var = var
        self._atomic = atomic_output(self.path)
        self._tmp = self._atomic.__enter__()
        self._file = h5py.File(self._tmp, "w")
        central = self._file.create_group("central")
        central.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(_DATA_CHUNK,))
        central.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(_DATA_CHUNK,))
        self._indptr = central.create_dataset("indptr", shape=(self.n_obs + 1,), dtype=np.int64)
        self._indptr[0] = 0
        _set_attrs(central, "csr", [self.n_obs, len(var)], "float32", "float32")
        central.attrs["load_sparse"] = True
        self._rows = 0
        self._nnz = 0

    def append(self, counts: sp.spmatrix | np.ndarray) -> None:
        """Add the next block of cells (cells x genes, any sparse format or dense)."""
        block = sp.csr_matrix(counts, dtype=np.float32)
        if block.shape[1] != len(self.var):
            raise ValueError(f"block has {block.shape[1]} genes, the file {len(self.var)}")
        rows = block.shape[0]
        if self._rows + rows > self.n_obs:
            raise ValueError(f"more than the declared {self.n_obs} cells appended")
        block.sort_indices()
        central = self._file["central"]
        start, stop = self._nnz, self._nnz + block.nnz
        for name, values in (("data", block.data), ("indices", block.indices.astype(np.int32))):
            central[name].resize((stop,))
            central[name][start:stop] = values
        self._indptr[self._rows + 1 : self._rows + rows + 1] = block.indptr[1:].astype(np.int64) + start
        self._rows += rows
        self._nnz = stop
        advance(rows)

    def close(self, obs: pd.DataFrame, attrs: dict[str, Any] | None = None) -> Path:
        """Write obs and var, finish the file and move it into place."""
        try:
            if self._rows != self.n_obs:
                raise ValueError(f"{self._rows} cells appended, {self.n_obs} declared")
            if len(obs) != self.n_obs:
                raise ValueError(f"obs has {len(obs)} rows for {self.n_obs} cells")
            columns = {"obs": _write_frame(self._file, 0, obs), "var": _write_frame(self._file, 1, self.var)}
            self._file.attrs["scbench_format"] = FORMAT
            self._file.attrs["scbench_version"] = VERSION
            self._file.attrs["scbench_columns"] = json.dumps(columns)
            for key, value in (attrs or {}).items():
                self._file.attrs[key] = value
            self._file.close()
        except BaseException as exc:
            self.abort(exc)
            raise
        self._atomic.__exit__(None, None, None)
        return self.path

    def abort(self, exc: BaseException | None = None) -> None:
        """Give up: close and delete the temporary file."""
        try:
            self._file.close()
        finally:
            error = exc or RuntimeError("aborted")
            self._atomic.__exit__(type(error), error, error.__traceback__)

    def __enter__(self) -> H5tWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc is not None and self._file.id.valid:
            self.abort(exc)


def write_h5t(
    adata: AnnData, path: Path | str, *, block: int = CONVERT_BLOCK, attrs: dict[str, Any] | None = None
) -> Path:
    """Write an in-memory AnnData (counts in ``X``) as an ``.h5t``."""
    writer = H5tWriter(path, adata.n_obs, adata.var)
    with writer:
        for start in range(0, adata.n_obs, block):
            writer.append(adata.X[start : start + block])
        return writer.close(adata.obs, attrs)


def _h5ad_matrix(handle: h5py.File, counts: str, path: Path) -> tuple[Any, str, tuple[int, int]]:
    key = {"X": "X", "raw.X": "raw/X"}.get(counts, counts)
    if key not in handle:
        raise DatasetError(f"{str(path)!r} has no {key!r} to convert (counts={counts!r})")
    node = handle[key]
    if isinstance(node, h5py.Dataset):
        return node, "dense", tuple(node.shape)
    encoding = node.attrs.get("encoding-type", "")
    encoding = encoding.decode() if isinstance(encoding, bytes) else str(encoding)
    shape = tuple(int(s) for s in node.attrs["shape"])
    if encoding not in ("csr_matrix", "csc_matrix"):
        raise DatasetError(f"{str(path)!r}: {key!r} has encoding {encoding!r}, expected a CSR/CSC or dense matrix")
    return node, encoding, shape


def convert_h5ad_to_h5t(
    in_path: Path | str, out_path: Path | str, *, counts: str = "X", block: int = CONVERT_BLOCK
) -> Path:
    """Convert an ``.h5ad`` to an ``.h5t`` (layout in the module docstring).

    A CSR or dense matrix is read ``block`` cells at a time, so converting a file larger
    than memory works; a CSC matrix has no row blocks and is read whole. ``counts`` names
    the matrix to write as the central object: ``"X"``, ``"raw.X"`` or ``"layers/<name>"``.
    obs and var are read whole (they are small next to the matrix).
    """
    from anndata.io import read_elem

    from .files import check_readable_hdf5, describe_read_error

    in_path, out_path = Path(in_path), Path(out_path)
    check_readable_hdf5(in_path, in_path.stem)
    try:
        handle = h5py.File(in_path, "r")
    except OSError as exc:
        raise DatasetError(f"cannot open {str(in_path)!r}: {describe_read_error(exc)}") from exc
    with handle:
        node, kind, shape = _h5ad_matrix(handle, counts, in_path)
        obs = read_elem(handle["obs"])
        var = read_elem(handle["raw/var"]) if counts == "raw.X" else read_elem(handle["var"])
        if (len(obs), len(var)) != shape:
            raise DatasetError(f"{str(in_path)!r}: matrix {shape} does not match obs x var {(len(obs), len(var))}")
        writer = H5tWriter(out_path, shape[0], var)
        with writer, step(f"converting {in_path.name} to .h5t", total=shape[0]):
            if kind == "csc_matrix":
                whole = sp.csc_matrix((node["data"][:], node["indices"][:], node["indptr"][:]), shape=shape).tocsr()
                for start in range(0, shape[0], block):
                    writer.append(whole[start : start + block])
            elif kind == "csr_matrix":
                indptr = node["indptr"]
                for start in range(0, shape[0], block):
                    stop = min(start + block, shape[0])
                    ptr = indptr[start : stop + 1].astype(np.int64)
                    data = node["data"][ptr[0] : ptr[-1]]
                    indices = node["indices"][ptr[0] : ptr[-1]]
                    writer.append(sp.csr_matrix((data, indices, ptr - ptr[0]), shape=(stop - start, shape[1])))
            else:
                for start in range(0, shape[0], block):
                    writer.append(node[start : start + block])
            return writer.close(obs, {"scbench_source": str(in_path.name)})


def _open(path: Path | str, dataset: str) -> h5py.File:
    from .files import check_readable_hdf5, describe_read_error

    path = Path(path)
    check_readable_hdf5(path, dataset)
    try:
        handle = h5py.File(path, "r")
        missing = [
            k
            for k in ("central/data", "central/indices", "central/indptr", "0/obs_names", "1/var_names")
            if k not in handle
        ]
        mode = None if missing else handle["central"].attrs.get("mode")
    except Exception as exc:  # a damaged file can fail at open or at its first lookup
        raise DatasetError(f"dataset {dataset!r}: cannot open {str(path)!r}: {describe_read_error(exc)}") from exc
    if missing or mode != "csr":
        handle.close()
        raise DatasetError(
            f"dataset {dataset!r}: {str(path)!r} is not an .h5t with a CSR central object "
            f"(missing {missing or ['central mode csr']}); write it with convert_h5ad_to_h5t"
        )
    return handle


def _read_frame(handle: h5py.File, axis: int, columns: list[list[str]]) -> pd.DataFrame:
    key = "obs_names" if axis == 0 else "var_names"
    index = pd.Index(_decode(handle[f"{axis}/{key}"][:]))
    frame = pd.DataFrame(index=index)
    for name, column, kind in columns:
        values = handle[f"{axis}/{name}"][:]
        if kind in ("categorical", "string"):
            categories = _decode(handle[f"unstructured/{axis}_{name}_categories"][:])
            decoded = pd.Categorical.from_codes(values, categories=categories)
            frame[column] = decoded if kind == "categorical" else np.asarray(decoded, dtype=object)
        elif kind == "bool":
            frame[column] = values.astype(bool)
        else:
            frame[column] = values
    return frame


def read_h5t(path: Path | str, *, dataset: str) -> AnnData:
    """Read a whole ``.h5t`` back into an AnnData (counts CSR float32 in ``X``)."""
    from .files import describe_read_error

    handle = _open(path, dataset)
    try:
        with handle:
            central = handle["central"]
            n_obs, n_vars = (int(s) for s in central.attrs["shape"])
            indptr = central["indptr"][:].astype(np.int64)
            X = sp.csr_matrix(
                (central["data"][:].astype(np.float32), central["indices"][:], indptr), shape=(n_obs, n_vars)
            )
            columns = json.loads(handle.attrs.get("scbench_columns", '{"obs": [], "var": []}'))
            obs = _read_frame(handle, 0, columns["obs"])
            var = _read_frame(handle, 1, columns["var"])
    except DatasetError:
        raise
    except Exception as exc:
        raise DatasetError(f"dataset {dataset!r}: cannot read {str(path)!r}: {describe_read_error(exc)}") from exc
    return AnnData(X=X, obs=obs, var=var)


def h5t_shape(path: Path | str) -> tuple[int, int]:
    """``(n_cells, n_genes)`` of an ``.h5t`` without reading it."""
    with _open(path, Path(path).stem) as handle:
        n_obs, n_vars = handle["central"].attrs["shape"]
        return int(n_obs), int(n_vars)


def h5t_for(dataset: Any, data_dir: Path | str) -> Path:
    """The cached ``.h5t`` copy of a loaded data set, ``<data_dir>/<dataset>/data.h5t``.

    Written on first use (atomically, under a lock) and rewritten when the data set's
    fingerprint changes; models that stream use it instead of the in-memory AnnData.
    """
    import tempfile

    from .cache import cache_dirname, cache_lock

    path = Path(data_dir) / cache_dirname(dataset.spec.name) / "data.h5t"
    with cache_lock(path) as writable:
        if path.exists():
            try:
                with h5py.File(path, "r") as handle:
                    if handle.attrs.get("scbench_fingerprint") == dataset.fingerprint:
                        return path
            except OSError:
                pass  # unreadable: rewritten below
        if not writable:  # a read-only cache: a private copy for this process
            path = Path(tempfile.mkdtemp(prefix="scbench-h5t-")) / "data.h5t"
        return write_h5t(dataset.adata, path, attrs={"scbench_fingerprint": dataset.fingerprint})
