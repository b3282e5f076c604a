"""Masking: seeded, -1 at masked entries, cached atomically under the data directory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from pytest_scbench.masking import choose_entries, mask_id, masked_dataset


def _counts() -> AnnData:
    rng = np.random.default_rng(0)
    X = rng.poisson(2.0, size=(40, 25)).astype(np.float32)
    return AnnData(X, obs=pd.DataFrame(index=[f"c{i}" for i in range(40)]))


def test_mask_id() -> None:
    assert mask_id(0.15, 0) == "mask_15_seed_0"
    assert mask_id(0.025, 3) == "mask_2.5_seed_3"


def test_fraction_and_seed() -> None:
    rows, cols = choose_entries((40, 25), 0.15, 1)
    assert rows.size == 150 and len(set(zip(rows, cols, strict=True))) == 150
    again = choose_entries((40, 25), 0.15, 1)
    np.testing.assert_array_equal(rows, again[0])
    other = choose_entries((40, 25), 0.15, 2)
    assert not np.array_equal(rows * 25 + cols, other[0] * 25 + other[1])
    with pytest.raises(ValueError):
        choose_entries((4, 4), 1.5, 0)


def test_masked_values_and_cache(tmp_path) -> None:
    adata = _counts()
    first = masked_dataset(adata, "toy", 0.15, 0, tmp_path)
    X = np.asarray(first.masked.X)
    assert (X[first.rows, first.cols] == -1).all()
    assert (X == -1).sum() == first.rows.size
    keep = X != -1
    np.testing.assert_array_equal(X[keep], np.asarray(adata.X)[keep])
    assert first.path == tmp_path / "toy" / "masked" / "mask_15_seed_0.h5ad"
    assert first.path.exists()
    assert not list(first.path.parent.glob("*.tmp"))
    second = masked_dataset(adata, "toy", 0.15, 0, tmp_path)
    np.testing.assert_array_equal(second.rows * 25 + second.cols, first.rows * 25 + first.cols)
    assert masked_dataset(adata, "toy", 0.15, 0, None).path is None
