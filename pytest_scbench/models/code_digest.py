"""What a model's cached outputs depend on besides its parameters and weights: its code.

A cached embedding is served again only while the code that computed it is the same. An
adapter whose ``embed`` was edited (a bug fixed, or introduced) must not be handed the
output of the old code, or a CI that keeps its cache would pass a change it never ran.
So :meth:`~pytest_scbench.models.base.ModelAdapter.fingerprint` holds:

* :func:`source_digest`: the SHA-256 of the source of the adapter's package, every ``.py``
  file in the folder of the module that defines the class (the folder and its subfolders
  when that module is part of a package; the module's own file when it is a top-level
  module), so a change in any helper module the adapter keeps beside it counts;
* :func:`stack_versions`: the versions of pytest-scbench and of the libraries that
  compute the built-in models' outputs (NumPy, SciPy, scikit-learn, torch, ...), so a
  cache restored after an upgrade is not read as the new stack's output.

A change in a library outside these (a third-party model's own package imported from
site-packages by a small adapter module) is not seen: such an adapter can name a
``version`` parameter, or the run can pass ``--scbench-no-cache``.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from importlib import metadata
from pathlib import Path

#: Distributions whose versions enter every model's fingerprint.
STACK = (
    "pytest-scbench",
    "numpy",
    "scipy",
    "scikit-learn",
    "anndata",
    "scanpy",
    "torch",
    "transformers",
    "safetensors",
)
#: A package folder of more source files than this is keyed by each file's name, size and
#: modification time instead of its bytes (reading them all would slow every collection).
MAX_HASHED_FILES = 2_000


@functools.cache
def stack_versions() -> tuple[tuple[str, str], ...]:
    """``(distribution, version)`` of each of :data:`STACK`; ``""`` for one not installed."""
    out = []
    for name in STACK:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, ""))
    return tuple(out)


def source_digest(module_name: str) -> str:
    """SHA-256 of the source files of ``module_name``'s package folder (see the module doc).

    ``""`` for a module with no source file on disk (built into the interpreter, or made at
    run time): its outputs are then keyed by class, parameters and weights only. Files are
    read again only when their size or modification time changed.
    """
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    if not file:
        return ""
    path = Path(file).resolve()
    if not path.is_file():
        return ""
    folder = path.parent
    if (folder / "__init__.py").is_file():
        files = sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)
    else:
        files = [path]
    stamps = []
    for source in files:
        try:
            stat = source.stat()
            stamps.append((source.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
        except OSError:
            stamps.append((source.relative_to(folder).as_posix(), -1, -1))
    return _digest(folder, tuple(stamps))


@functools.lru_cache(maxsize=256)
def _digest(folder: Path, stamps: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    by_content = len(stamps) <= MAX_HASHED_FILES
    for name, size, mtime in stamps:
        digest.update(name.encode() + b"\0")
        if not by_content:
            digest.update(f"{size}:{mtime}".encode())
            continue
        try:
            digest.update(hashlib.sha256((folder / name).read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()
