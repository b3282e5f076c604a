"""The committed fixtures load as user data sets, cleanly, and agree with each other."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from pytest_scbench.datasets import DatasetKeys, file_dataset

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.parametrize("name", ["pbmc68k_tiny.h5ad", "pbmc68k_tiny.h5t"])
def test_fixture_loads_without_warnings(name: str, tmp_path: Path) -> None:
    path = FIXTURES / name
    assert path.stat().st_size < 400_000
    spec = file_dataset("tiny", path, DatasetKeys(label_key="bulk_labels", batch_key="batch"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = spec.load(tmp_path)
    assert data.adata.shape == (80, 765)
    assert data.adata.obs["bulk_labels"].value_counts().tolist() == [8] * 10
    assert set(data.column("batch")) == {"batch0", "batch1", "batch2"}


def test_h5ad_and_h5t_fixtures_hold_the_same_data(tmp_path: Path) -> None:
    keys = DatasetKeys(label_key="bulk_labels")
    a = file_dataset("a", FIXTURES / "pbmc68k_tiny.h5ad", keys).load(tmp_path).adata
    b = file_dataset("b", FIXTURES / "pbmc68k_tiny.h5t", keys).load(tmp_path).adata
    assert (a.X != b.X).nnz == 0 and list(a.obs_names) == list(b.obs_names)
    assert list(a.obs["batch"]) == list(b.obs["batch"])
