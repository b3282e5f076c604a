"""The on-disk data cache: where it is, its layout, atomic writes and build-once locking.

Layout (DESIGN.md): ``<data_dir>/<dataset>/raw/data.h5ad`` for a data set's counts,
``<data_dir>/<dataset>/data.h5t`` for its h5torch copy. A generated data set with
non-default parameters gets its own folder, ``<name>__<key>-<value>...`` (for example
``pbmc68k_batches__n_cells-100000``), so scaled copies never overwrite each other.

Generated files carry their fingerprint in ``uns["scbench"]["fingerprint"]``; a cached
file whose fingerprint differs (an older generator version) or that cannot be read is
rebuilt, never used. Building happens under a file lock, so pytest-xdist workers build
each file once.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from anndata import AnnData
from filelock import FileLock

from ..errors import DatasetError
from ..filemode import keep_mode
from ..notices import Notices
from ..safepaths import component
from .quiet import dependency_warnings_quiet

#: Environment variable naming the cache directory.
DATA_DIR_ENV = "SCBENCH_DATA_DIR"


def default_data_dir() -> Path:
    """``$SCBENCH_DATA_DIR`` if set and non-empty, else ``~/.cache/scbench``."""
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "scbench"


def dataset_dirname(name: str, params: Mapping[str, Any] | None = None) -> str:
    """The cache folder name of a data set with the given non-default parameters.

    Always one safe path component (:func:`~pytest_scbench.safepaths.component`): a
    name such as ``../x`` or a parameter holding a path cannot leave the cache.
    """
    if not params:
        return component(name)
    parts = [f"{k}-{v}" for k, v in sorted(params.items())]
    return component(name + "__" + "_".join(parts))


def cache_dirname(spec_name: str) -> str:
    """The cache folder of a data set given its spec name (``name`` or ``name?k=v``)."""
    from .refs import parse_dataset_ref

    try:
        name, params = parse_dataset_ref(spec_name)
    except Exception:
        return component(spec_name)
    return dataset_dirname(name, params)


def raw_path(data_dir: Path, dirname: str) -> Path:
    """``<data_dir>/<dirname>/raw/data.h5ad``."""
    return Path(data_dir) / dirname / "raw" / "data.h5ad"


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` at once.

    A reader never sees a half-written file: the file appears, complete, with one
    ``os.replace``; an exception leaves neither the temporary file nor a partial ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        keep_mode(tmp, path)  # mkstemp makes 0600; cached data is for all
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_h5ad_atomic(adata: AnnData, path: Path) -> None:
    """Write ``adata`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path) as tmp, dependency_warnings_quiet():
        adata.write_h5ad(tmp)


def stamp(adata: AnnData, fingerprint: str, **info: Any) -> AnnData:
    """Record the fingerprint (and any generator info) in ``uns["scbench"]``."""
    meta = dict(adata.uns.get("scbench", {}))
    meta.update(info)
    meta["fingerprint"] = fingerprint
    adata.uns["scbench"] = meta
    return adata


def stamped_fingerprint(adata: AnnData) -> str | None:
    """The fingerprint a cached file was written with, or None."""
    meta = adata.uns.get("scbench")
    if not isinstance(meta, Mapping):
        return None
    value = meta.get("fingerprint")
    return str(value) if value is not None else None


def cached_build(
    path: Path,
    fingerprint: str,
    build: Callable[[], AnnData],
    *,
    dataset: str,
    read: Callable[[Path], AnnData] | None = None,
) -> AnnData:
    """The AnnData cached at ``path`` if it carries ``fingerprint``; else build and cache it.

    ``build`` runs at most once across processes sharing the cache (a file lock beside
    ``path``). A cached file that cannot be read or has another fingerprint is rebuilt.
    """
    from .files import read_h5ad  # local: files imports validation, which imports us

    reader = read or (lambda p: read_h5ad(p, dataset=dataset))
    path = Path(path)
    with cache_lock(path) as writable:
        if path.exists():
            try:
                adata = reader(path)
            except DatasetError:
                adata = None  # a broken cache file is rebuilt, never used
            if adata is not None and stamped_fingerprint(adata) == fingerprint:
                return adata
        adata = stamp(build(), fingerprint)
        if writable:
            write_h5ad_atomic(adata, path)
        return adata


_READ_ONLY_TOLD: set[str] = set()


def is_read_only_error(exc: OSError) -> bool:
    """Whether ``exc`` says the cache cannot be written (permissions, a read-only mount)."""
    return isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)


def acquire_lock(path: Path) -> FileLock:
    """Create ``path``'s folder and take its build lock (``<path>.lock``), held until released.

    ``OSError`` when either cannot be done: :func:`is_read_only_error` tells a cache that
    cannot be written from other failures.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path) + ".lock")
    lock.acquire()
    return lock


@contextmanager
def cache_lock(path: Path) -> Iterator[bool]:
    """Hold the build lock of ``path``; yield whether the cache can be written.

    In a cache that cannot be written (a shared cluster cache, a CI cache restored
    read-only) no lock can be taken: the caller reads what is there and builds the rest
    in memory, without saving; one line per process says so. Other failures to
    create the folder are a :class:`DatasetError` naming it.
    """
    path = Path(path)
    try:
        lock = acquire_lock(path)
    except OSError as exc:
        if not is_read_only_error(exc):
            raise DatasetError(
                f"cannot use cache folder {path.parent}: {exc.strerror or exc}; set {DATA_DIR_ENV} to a writable folder"
            ) from None
        if not _READ_ONLY_TOLD:  # once per process: every folder of a read-only cache would say the same
            _READ_ONLY_TOLD.add(str(path.parent))
            Notices()(
                f"the data cache is not writable ({path.parent}: {exc.strerror or type(exc).__name__}): "
                "files found there are used, the others are built in memory and not saved"
            )
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
