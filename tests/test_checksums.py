"""Content checksums: a file rewritten with the same size and mtime gets a new digest; an unchanged one is hashed once."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pytest_scbench import checksums
from pytest_scbench.datasets.files import file_fingerprint


def test_digest_is_the_sha256_of_the_content(tmp_path: Path) -> None:
    path = tmp_path / "data.h5ad"
    path.write_bytes(b"counts" * 1000)
    assert checksums.file_sha256(path, tmp_path / "cache") == hashlib.sha256(b"counts" * 1000).hexdigest()


def test_same_size_and_mtime_rewrite_changes_the_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "data.h5ad"
    path.write_bytes(b"A" * 4096)
    before = file_fingerprint(path)
    st = path.stat()
    path.write_bytes(b"B" * 4096)  # in place: same inode, same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old mtime
    assert (path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
    assert file_fingerprint(path) != before


def test_a_copy_of_the_same_bytes_shares_the_fingerprint(tmp_path: Path) -> None:
    a, b = tmp_path / "a.h5ad", tmp_path / "b.h5ad"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    assert file_fingerprint(a) == file_fingerprint(b)
    assert file_fingerprint(tmp_path / "missing.h5ad").endswith(":missing")


def test_an_unchanged_file_is_hashed_once_across_sessions(tmp_path: Path) -> None:
    path, cache = tmp_path / "big.h5ad", tmp_path / "cache"
    path.write_bytes(b"x" * 10_000)
    first = checksums.file_sha256(path, cache)
    (record,) = (cache / "checksums").iterdir()
    # A record for this very version of the file, with another digest: a new session that
    # returns it has not read the file again.
    planted = record.read_text().replace(first, "f" * 64)
    record.write_text(planted)
    checksums._MEMORY.clear()  # a new session: only the record on disk remains
    assert checksums.file_sha256(path, cache) == "f" * 64
    path.write_bytes(b"y" * 10_000)  # a new version: the record no longer applies
    checksums._MEMORY.clear()
    assert checksums.file_sha256(path, cache) == hashlib.sha256(b"y" * 10_000).hexdigest()
