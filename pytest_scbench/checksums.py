"""Content checksums of files, computed once per version of a file.

A data set or a precomputed embedding named by path is identified by the sha256 of its
bytes, so that a file replaced by another one of the same size and modification time
(``cp --preserve``, ``touch -d``, a restored CI cache) never serves outputs computed
from the old content. Hashing a large file at every session start would cost minutes,
so each digest is remembered under the file's identity: device, inode, size, mtime and
ctime (nanoseconds). ``ctime`` cannot be set from user space and changes on any write
or metadata change, so a rewritten file always gets a new key, while an unchanged file
is hashed once.

Digests are remembered in this process and, best effort, in ``<data_dir>/checksums/``
(one small JSON file per path), so a new session does not hash an unchanged file again.
A cache folder that cannot be written (read-only) only costs the re-hashing.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .safepaths import component

_MEMORY: dict[tuple[str, ...], str] = {}
_CHUNK = 1 << 20


def sha256_bytes(path: Path) -> str:
    """sha256 of ``path``'s bytes, read in 1 MiB blocks (no caching)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _identity(path: Path, st: os.stat_result) -> tuple[str, ...]:
    return (str(path), str(st.st_dev), str(st.st_ino), str(st.st_size), str(st.st_mtime_ns), str(st.st_ctime_ns))


def file_sha256(path: Path | str, cache_dir: Path | None = None) -> str:
    """sha256 of the file's content, remembered per (path, device, inode, size, mtime, ctime).

    ``cache_dir`` (default: the data cache, ``$SCBENCH_DATA_DIR``) keeps digests between
    sessions under ``checksums/``; an ``OSError`` reading or writing there is ignored.
    Raises ``OSError`` when ``path`` itself cannot be read.
    """
    resolved = Path(path).expanduser().resolve()
    st = resolved.stat()
    key = _identity(resolved, st)
    if key in _MEMORY:
        return _MEMORY[key]
    if cache_dir is None:
        from .datasets.cache import default_data_dir

        cache_dir = default_data_dir()
    record = Path(cache_dir) / "checksums" / (component(resolved.name) + "-" + _path_id(resolved) + ".json")
    digest = _read_record(record, key)
    if digest is None:
        digest = sha256_bytes(resolved)
        if _identity(resolved, resolved.stat()) == key:  # not rewritten while we read it
            _write_record(record, key, digest)
    _MEMORY[key] = digest
    return digest


def _path_id(path: Path) -> str:
    return hashlib.sha256(str(path).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _read_record(record: Path, key: tuple[str, ...]) -> str | None:
    try:
        raw = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("identity") != list(key):
        return None
    digest = raw.get("sha256")
    if isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest):
        return digest
    return None


def _write_record(record: Path, key: tuple[str, ...], digest: str) -> None:
    from .datasets.cache import atomic_output

    try:
        with atomic_output(record) as tmp:
            tmp.write_text(json.dumps({"identity": list(key), "sha256": digest}), encoding="utf-8")
    except OSError:
        pass
