"""Atomic writes keep the target's mode; a new file gets 0666 under the umask (not mkstemp's 0600)."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest

from pytest_scbench import cached_array
from pytest_scbench.baselines import write_json_atomic
from pytest_scbench.datasets.cache import atomic_output
from pytest_scbench.filemode import UMASK, mode_for
from pytest_scbench.report.pages import write_text_atomic


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _h5ad(path: Path) -> None:
    with atomic_output(path) as tmp:
        tmp.write_bytes(b"x")


WRITERS = {
    "json": lambda p: write_json_atomic(p, {"a": 1}),
    "text": lambda p: write_text_atomic(p, "<html></html>"),
    "cached output": lambda p: cached_array.write(p, np.zeros(3), cached_array.Provenance("embedding", "m", "d", "")),
    "cache file": _h5ad,
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_new_file_gets_0666_under_the_umask(tmp_path: Path, writer: str) -> None:
    target = tmp_path / "new"
    WRITERS[writer](target)
    assert mode(target) == 0o666 & ~UMASK


@pytest.mark.parametrize("writer", list(WRITERS))
@pytest.mark.parametrize("existing", [0o644, 0o640, 0o664, 0o600])
def test_a_rewrite_keeps_the_files_mode(tmp_path: Path, writer: str, existing: int) -> None:
    target = tmp_path / "file"
    target.write_text("old")
    target.chmod(existing)
    WRITERS[writer](target)
    assert mode(target) == existing
    assert target.read_bytes() != b"old"


def test_mode_for_a_missing_file_is_the_umask_default(tmp_path: Path) -> None:
    assert mode_for(tmp_path / "missing") == 0o666 & ~UMASK
