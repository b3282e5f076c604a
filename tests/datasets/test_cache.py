"""Cache location and atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_scbench.datasets import default_data_dir
from pytest_scbench.datasets.cache import atomic_output, dataset_dirname


def test_default_data_dir_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCBENCH_DATA_DIR", str(tmp_path / "cache"))
    assert default_data_dir() == tmp_path / "cache"
    monkeypatch.delenv("SCBENCH_DATA_DIR")
    assert default_data_dir() == Path.home() / ".cache" / "scbench"
    monkeypatch.setenv("SCBENCH_DATA_DIR", "")
    assert default_data_dir() == Path.home() / ".cache" / "scbench"


def test_dataset_dirname_keeps_params_apart() -> None:
    assert dataset_dirname("pbmc68k_batches") == "pbmc68k_batches"
    a = dataset_dirname("pbmc68k_batches", {"n_cells": 100000})
    b = dataset_dirname("pbmc68k_batches", {"n_cells": 1000})
    assert a == "pbmc68k_batches__n_cells-100000" and a != b
    assert "/" not in dataset_dirname("x", {"path": "a/b"})


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file.bin"
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []
    with atomic_output(target) as tmp:
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole"
    assert list(target.parent.iterdir()) == [target]
