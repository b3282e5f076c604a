"""A user's own data set, named in a suite by path: ``.h5ad`` or ``.h5t``.

:func:`file_dataset` turns ``(name, path, keys)`` into a :class:`DatasetSpec`.

Fingerprint choice: the sha256 of the file's content (:mod:`pytest_scbench.checksums`),
so a file replaced by another of the same size and modification time never serves the
outputs cached for the old one. The digest is remembered per (device, inode, size,
mtime, ctime), so an unchanged multi-gigabyte file is hashed once, not at every session
start; a copy of the same bytes elsewhere shares its cached outputs.

:func:`read_h5ad` and :func:`read_data_file` turn every failure to read into a
:class:`DatasetError` naming the file and the problem in words (missing, empty, not
HDF5, truncated, not an AnnData file), never an h5py traceback as the message.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
from anndata import AnnData

from ..checksums import file_sha256
from ..errors import DatasetError
from .base import DatasetKeys, DatasetSpec
from .quiet import dependency_warnings_quiet
from .specs import make_spec
from .validate import GENE_ID_TYPES, detect_gene_id_type

#: File suffixes :func:`file_dataset` accepts.
SUFFIXES = (".h5ad", ".h5t")

_TRUNCATED = re.compile(r"eof = (\d+).*stored_eof = (\d+)")


def check_readable_hdf5(path: Path, dataset: str) -> None:
    """Raise a :class:`DatasetError` unless ``path`` exists and starts like an HDF5 file."""
    where = f"dataset {dataset!r}: file {str(path)!r}"
    if not path.exists():
        raise DatasetError(f"{where} does not exist")
    if path.is_dir():
        raise DatasetError(f"{where} is a directory, not a file")
    if path.stat().st_size == 0:
        raise DatasetError(f"{where} is empty (0 bytes); an interrupted download or copy?")
    if not h5py.is_hdf5(path):
        raise DatasetError(
            f"{where} is not an HDF5 file ({path.stat().st_size} bytes; "
            "a truncated download, an HTML error page, or another format?)"
        )


def describe_read_error(exc: BaseException) -> str:
    """A one-line account of why h5py/anndata could not read a file."""
    text = str(exc)
    match = _TRUNCATED.search(text)
    again = "; copy, download or convert it again"
    if match:
        sizes = f"it has {int(match.group(1))} bytes but its header says {int(match.group(2))}"
        return f"the file is truncated: {sizes}{again}"
    if "truncated" in text.lower():
        return f"the file is truncated{again}"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"it is corrupt or not in the expected layout ({type(exc).__name__}: {first[:200]}){again}"


def read_h5ad(path: Path | str, *, dataset: str) -> AnnData:
    """Read an ``.h5ad`` fully into memory; any failure is a :class:`DatasetError`."""
    path = Path(path)
    check_readable_hdf5(path, dataset)
    try:
        with h5py.File(path, "r") as handle:
            # no X is an AnnData too: an embedding-only file (obsm and obs)
            missing = [k for k in ("obs", "var") if k not in handle]
    except Exception as exc:
        raise DatasetError(f"dataset {dataset!r}: cannot open {str(path)!r}: {describe_read_error(exc)}") from exc
    if missing:
        raise DatasetError(
            f"dataset {dataset!r}: {str(path)!r} is HDF5 but not an AnnData .h5ad file (no {', '.join(missing)})"
        )
    try:
        with dependency_warnings_quiet():
            return ad.read_h5ad(path)
    except Exception as exc:
        raise DatasetError(f"dataset {dataset!r}: cannot read {str(path)!r}: {describe_read_error(exc)}") from exc


def read_data_file(path: Path | str, *, dataset: str) -> AnnData:
    """Read an ``.h5ad`` or ``.h5t`` file (chosen by suffix) into an AnnData."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".h5ad":
        return read_h5ad(path, dataset=dataset)
    if suffix == ".h5t":
        from .h5t import read_h5t

        return read_h5t(path, dataset=dataset)
    raise DatasetError(
        f"dataset {dataset!r}: {str(path)!r} has suffix {path.suffix!r}; "
        f"a data set file must be one of {list(SUFFIXES)}"
    )


def file_fingerprint(path: Path) -> str:
    """``file-sha256-<first 32 hex digits of the content's sha256>`` (see the module docstring).

    A file that cannot be read yet gets ``file:<path digest>:missing``; loading it then
    reports the problem.
    """
    resolved = Path(path).expanduser().resolve()
    try:
        return f"file-sha256-{file_sha256(resolved)[:32]}"
    except OSError:
        digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:16]
        return f"file:{digest}:missing"


def _peek_var_names(path: Path, n: int = 200) -> list[str] | None:
    """The first ``n`` var names straight from the file, to detect the gene id type cheaply.

    An ``.h5ad`` var index is read with anndata's own element reader, so every encoding
    anndata writes is understood: ``string-array`` (anndata < 0.13, or pandas 2),
    ``nullable-string-array`` (anndata 0.13 under pandas 3, whose strings are a
    ``StringDtype``), ``categorical``, and files without encoding metadata (read as a
    plain HDF5 string dataset). None when the file cannot be read: loading reports why.
    """
    try:
        with h5py.File(path, "r") as handle, dependency_warnings_quiet():
            if path.suffix.lower() == ".h5t":
                names = handle["1/var_names"][:n]
            else:
                index = handle["var"].attrs.get("_index", "_index")
                element = handle["var"][index]
                if "encoding-type" in element.attrs:
                    from anndata.io import read_elem

                    names = np.asarray(read_elem(element), dtype=object)[:n]
                else:
                    names = element[:n]
        # Decoding is part of the peek: undecodable names are reported when the file is loaded.
        return [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    except Exception:
        return None


def file_dataset(
    name: str,
    path: Path | str,
    keys: DatasetKeys,
    *,
    organism: str = "human",
    gene_id_type: str | None = None,
    markers: tuple[str, ...] = (),
    description: str = "",
) -> DatasetSpec:
    """A spec for a user's ``.h5ad``/``.h5t`` file, read as-is (counts in ``X``).

    ``gene_id_type`` None means detected from the file's var names now (``"symbol"`` if
    the file cannot be read yet; loading then reports the problem). Relative paths are
    taken as given; the suite parser should resolve them against the suite file.
    """
    path = Path(path).expanduser()
    if path.suffix.lower() not in SUFFIXES:
        raise DatasetError(
            f"dataset {name!r}: {str(path)!r} has suffix {path.suffix!r}; "
            f"a data set file must be one of {list(SUFFIXES)}"
        )
    if gene_id_type is None:
        names = _peek_var_names(path)
        gene_id_type = detect_gene_id_type(names) if names else "symbol"
    elif gene_id_type not in GENE_ID_TYPES:
        raise DatasetError(f"dataset {name!r}: gene_id_type {gene_id_type!r} is not one of {list(GENE_ID_TYPES)}")

    def load(data_dir: Path) -> tuple[AnnData, Path]:
        return read_data_file(path, dataset=name), path

    return make_spec(
        name,
        keys,
        file_fingerprint(path),
        load,
        markers=markers,
        description=description or f"{path.name} ({path.suffix.lstrip('.')})",
        organism=organism,
        gene_id_type=gene_id_type,
    )
