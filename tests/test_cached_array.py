"""A cached output is served only when its record proves what it is."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from pytest_scbench.cached_array import Provenance, Rejected, delete, read_verified, record_path, write

WANT = Provenance("embedding", "model-a", "data-1", "seed0")


@pytest.fixture
def entry(tmp_path: Path) -> Path:
    path = tmp_path / "embeddings" / "model-a" / "data-1-seed0.npy"
    write(path, np.arange(12, dtype=np.float32).reshape(4, 3), WANT)
    return path


def test_a_written_entry_reads_back_with_the_umask_mode(entry: Path) -> None:
    np.testing.assert_array_equal(read_verified(entry, WANT), np.arange(12, dtype=np.float32).reshape(4, 3))
    record = json.loads(record_path(entry).read_text())
    assert record["shape"] == [4, 3] and record["dtype"] == "float32" and record["model"] == "model-a"
    umask = os.umask(0)
    os.umask(umask)
    for path in (entry, record_path(entry)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize(
    ("field", "value"),
    [("model", "model-b"), ("dataset", "data-2"), ("kind", "reconstruction"), ("extra", "seed1")],
)
def test_another_outputs_provenance_is_rejected(entry: Path, field: str, value: str) -> None:
    with pytest.raises(Rejected, match=f"its record says {field} '{getattr(WANT, field)}', not '{value}'"):
        read_verified(entry, Provenance(**{**WANT.__dict__, field: value}))


def test_damage_of_every_kind_is_rejected(entry: Path) -> None:
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])
    with pytest.raises(Rejected, match="checksum does not match"):
        read_verified(entry, WANT)
    entry.write_bytes(data)
    record_path(entry).write_text(record_path(entry).read_text()[:20])
    with pytest.raises(Rejected, match="is not valid JSON"):
        read_verified(entry, WANT)
    record_path(entry).unlink()
    with pytest.raises(Rejected, match="has no provenance record"):
        read_verified(entry, WANT)
    write(entry, np.zeros((2, 2)), WANT)
    entry.unlink()
    with pytest.raises(Rejected, match="the array file is missing"):
        read_verified(entry, WANT)
    delete(entry)
    assert not entry.exists() and not record_path(entry).exists()


def test_a_record_that_lies_about_shape_is_rejected(entry: Path) -> None:
    record = json.loads(record_path(entry).read_text())
    record["shape"] = [3, 4]
    record_path(entry).write_text(json.dumps(record))
    with pytest.raises(Rejected, match=r"shape \[4, 3\], its record says 'float32' \[3, 4\]"):
        read_verified(entry, WANT)


def test_a_pickled_array_with_a_matching_record_is_never_unpickled(entry: Path) -> None:
    np.save(entry, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    record = json.loads(record_path(entry).read_text())
    from pytest_scbench.checksums import sha256_bytes

    record.update(sha256=sha256_bytes(entry), shape=[1], dtype="object")
    record_path(entry).write_text(json.dumps(record))
    with pytest.raises(Rejected, match="not a readable .npy array"):
        read_verified(entry, WANT)
