"""Download a registered data set's file into the cache: resumable, verified, atomic.

:func:`fetch` guarantees that the file it returns is complete and has the expected
sha256. The expected checksum is the registry's, or, where the registry has none, the one
recorded in the cache's lock file (``<data_dir>/scbench.lock.json``) by the first
download: every later load compares against it (trust on first use). In one process a
file is hashed once per (path, size, mtime).

The steps: a complete file already in place is verified and used, or, if it fails, deleted
and fetched again; a download goes to ``<file>.part`` and resumes from its length with an
HTTP ``Range`` request when a previous attempt was interrupted; a transfer that ends early
is retried (resuming) a few times; the finished ``.part`` is checked (length, sha256) and
only then renamed onto the final path. A concurrent worker waits on a file lock instead of
downloading the same file twice.

Progress goes through :mod:`pytest_scbench.progress`: a tqdm bar of bytes on a terminal,
one line per step otherwise (stderr not a TTY, or ``CI`` set), nothing under ``pytest -q``.
Without network, the error names the data set, the URL and the path where a manually
downloaded file can be placed.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

from filelock import FileLock

from ..errors import DatasetError
from ..progress import Progress, size_text
from .cache import atomic_output

#: The cache's record of checksums first seen for files the registry has none for.
LOCK_FILE = "scbench.lock.json"
CHUNK = 1 << 20
USER_AGENT = "pytest-scbench (https://pypi.org/project/pytest-scbench)"

_VERIFIED: dict[tuple[str, int, int], str] = {}


def sha256_of(path: Path) -> str:
    """The file's sha256 (hex), memoised per (path, size, mtime) in this process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _VERIFIED:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(CHUNK), b""):
                digest.update(block)
        _VERIFIED[key] = digest.hexdigest()
    return _VERIFIED[key]


def recorded_sha256(lock_file: Path, key: str) -> str | None:
    """The checksum the lock file holds for ``key`` (a cache-relative path), if any."""
    try:
        entries = json.loads(lock_file.read_text())
    except (OSError, ValueError):
        return None
    value = entries.get(key, {}).get("sha256") if isinstance(entries, dict) else None
    return str(value) if value else None


def record_sha256(lock_file: Path, key: str, url: str, sha256: str, size: int) -> None:
    """Store the first-seen checksum of ``key`` in the lock file (atomically, locked)."""
    with FileLock(str(lock_file) + ".lock"):
        try:
            entries = json.loads(lock_file.read_text())
            if not isinstance(entries, dict):
                entries = {}
        except (OSError, ValueError):
            entries = {}
        entries[key] = {
            "url": url,
            "sha256": sha256,
            "size": size,
            "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        with atomic_output(lock_file) as tmp:
            tmp.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")


def forget(path: Path, data_dir: Path) -> None:
    """Delete a cached download and its recorded checksum (it proved unreadable)."""
    path = Path(path)
    lock_file = Path(data_dir) / LOCK_FILE
    key = _lock_key(path, Path(data_dir))
    path.unlink(missing_ok=True)
    with FileLock(str(lock_file) + ".lock"):
        try:
            entries = json.loads(lock_file.read_text())
        except (OSError, ValueError):
            return
        if isinstance(entries, dict) and entries.pop(key, None) is not None:
            with atomic_output(lock_file) as tmp:
                tmp.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")


def _lock_key(dest: Path, data_dir: Path) -> str:
    try:
        return str(dest.resolve().relative_to(data_dir.resolve()))
    except ValueError:
        return str(dest.resolve())


def fetch(
    url: str,
    dest: Path,
    *,
    dataset: str,
    data_dir: Path,
    sha256: str | None = None,
    size: int | None = None,
    retries: int = 3,
    timeout: float = 60.0,
    progress: bool | None = None,
) -> Path:
    """Make ``dest`` a verified copy of ``url`` and return it (see the module docstring).

    ``data_dir`` holds the lock file of first-seen checksums; ``sha256``/``size`` are the
    registry's, when known. Raises :class:`DatasetError` naming the data set, the URL and
    ``dest`` when the file cannot be obtained or does not verify.
    """
    dest = Path(dest)
    data_dir = Path(data_dir)
    lock_file = data_dir / LOCK_FILE
    key = _lock_key(dest, data_dir)
    mode = None if progress is None else ("bar" if progress else "lines")
    report = Progress(f"dataset {dataset!r}", mode, unit="B")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest) + ".lock"):
        expected = sha256.lower() if sha256 else recorded_sha256(lock_file, key)
        if dest.exists():
            actual = sha256_of(dest)
            if expected is None:
                report.line(f"recording sha256 {actual} of {dest} (no published checksum)")
                record_sha256(lock_file, key, url, actual, dest.stat().st_size)
                return dest
            if actual == expected:
                return dest
            report.line(f"{dest} has sha256 {actual}, expected {expected}: corrupt, fetching again")
            dest.unlink()
        part = dest.with_name(dest.name + ".part")
        for attempt in (1, 2):
            _download(url, part, dataset=dataset, dest=dest, size=size, retries=retries, timeout=timeout, report=report)
            actual = sha256_of(part)
            if expected is None or actual == expected:
                break
            part.unlink()
            report.line(
                f"downloaded file has sha256 {actual}, expected {expected}"
                + (": fetching again" if attempt == 1 else "")
            )
        else:
            raise DatasetError(
                f"dataset {dataset!r}: the file downloaded from {url} has sha256 {actual}, "
                f"expected {expected}, twice; it was deleted. If the source changed, update "
                f"the registry (or remove its entry from {lock_file}); a verified copy can be "
                f"placed at {dest}"
            )
        os.replace(part, dest)
        if expected is None:
            record_sha256(lock_file, key, url, actual, dest.stat().st_size)
            report.line(f"done: {dest} (sha256 {actual} recorded in {lock_file})")
        else:
            report.line(f"done: {dest} (sha256 verified)")
        return dest


def _download(
    url: str,
    part: Path,
    *,
    dataset: str,
    dest: Path,
    size: int | None,
    retries: int,
    timeout: float,
    report: Progress,
) -> None:
    """Fill ``part`` with the whole of ``url``, resuming and retrying on short transfers."""
    for attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        try:
            total = _transfer(url, part, have, timeout, report)
        except _Truncated as exc:
            if attempt == retries:
                raise DatasetError(
                    f"dataset {dataset!r}: the download from {url} ended early {retries + 1} times "
                    f"({exc.got} of {exc.total or 'unknown'} bytes); the partial file {part} is "
                    f"kept and the next run resumes it; or place the whole file at {dest}"
                ) from None
            report.line(f"transfer ended at {exc.got} of {exc.total or '?'} bytes; resuming")
            continue
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise DatasetError(_network_message(dataset, url, dest, exc)) from exc
        if size is not None and total != size:
            part.unlink(missing_ok=True)
            raise DatasetError(
                f"dataset {dataset!r}: {url} served {total} bytes, the registry says {size}; "
                f"the file was deleted. A correct copy can be placed at {dest}"
            )
        return


class _Truncated(Exception):
    def __init__(self, got: int, total: int | None) -> None:
        super().__init__(f"{got} of {total}")
        self.got, self.total = got, total


def _transfer(url: str, part: Path, have: int, timeout: float, report: Progress) -> int:
    """One HTTP request appending to ``part`` from byte ``have``; returns the total size."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()  # the error holds the open response
        if exc.code == 416 and have:  # our partial file is not a prefix we can extend
            part.unlink()
            report.line("server refused to resume; starting over")
            return _transfer(url, part, 0, timeout, report)
        raise
    with response:
        length = response.headers.get("Content-Length")
        length = int(length) if length is not None and length.isdigit() else None
        if have and response.status == 206 and _range_start(response.headers.get("Content-Range")) == have:
            mode, start = "ab", have
            report.line(f"resuming {url} at byte {have}")
        else:
            mode, start = "wb", 0
            if have:
                report.line(f"server ignored the resume request; downloading {url} again")
            else:
                report.line(f"downloading {url} -> {part.with_suffix('')} ({size_text(length)})")
        total = (start + length) if length is not None else None
        with open(part, mode) as out:
            got = start + _copy(response, out, report, total, start)
    if total is not None and got < total:
        raise _Truncated(got, total)
    return got


def _copy(response: http.client.HTTPResponse, out: BinaryIO, report: Progress, total: int | None, start: int) -> int:
    written = 0
    report.start(total, start)
    try:
        while True:
            try:
                block = response.read(CHUNK)
            except http.client.IncompleteRead as exc:
                out.write(exc.partial)
                written += len(exc.partial)
                break
            except (TimeoutError, ConnectionError):
                break
            if not block:
                break
            out.write(block)
            written += len(block)
            report.update(len(block))
    finally:
        report.close()
    return written


def _range_start(content_range: str | None) -> int | None:
    # "bytes 100-199/200"
    if not content_range or not content_range.startswith("bytes "):
        return None
    first = content_range[6:].split("-", 1)[0]
    return int(first) if first.isdigit() else None


def _network_message(dataset: str, url: str, dest: Path, exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(exc, urllib.error.HTTPError):
        reason = f"HTTP {exc.code} {exc.reason}"
    return (
        f"dataset {dataset!r}: cannot download {url}: {reason}. Without network access, "
        f"download the file elsewhere and place it at {dest} (it is verified on first use)"
    )
