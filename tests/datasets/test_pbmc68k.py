"""pbmc68k: real cells, integer counts rebuilt exactly, cached once."""

from __future__ import annotations

import os
from pathlib import Path

import anndata as ad
import numpy as np
import scipy.sparse as sp

from pytest_scbench import registry
from pytest_scbench.datasets import pbmc68k as mod
from pytest_scbench.datasets.cache import raw_path


def test_registered_and_loads_counts(data_dir: Path) -> None:
    spec = registry.datasets.get("pbmc68k")()
    assert spec.name == "pbmc68k"
    assert spec.keys.label_key == "bulk_labels"
    assert spec.organism == "human" and spec.gene_id_type == "symbol"
    data = spec.load(data_dir)
    adata = data.adata
    assert adata.shape == (700, 765)
    assert sp.isspmatrix_csr(adata.X) and adata.X.dtype == np.float32
    values = adata.X.data
    assert (values > 0).all() and np.array_equal(values, np.round(values))
    assert adata.obs_names.is_unique
    labels = data.column("label")
    assert len(set(labels)) == 10
    assert (adata.obs["cell_type"].astype(str) == adata.obs["bulk_labels"].astype(str)).all()
    assert {"LYZ", "MS4A1", "CD3E", "NKG7"} <= set(adata.var_names)


def test_counts_invert_the_scanpy_normalisation(data_dir: Path) -> None:
    """log1p(counts / n_counts * 1e4) of the rebuilt counts gives scanpy's raw.X back."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reduced = ad.read_h5ad(mod.scanpy_file())
    counts = registry.datasets.get("pbmc68k")().load(data_dir).adata
    logged = reduced.raw.X.toarray()
    size = reduced.obs["n_counts"].to_numpy()[:, None]
    unrounded = np.expm1(logged) * size / 1e4
    # The values are integers up to float32 error; rounding changes none of them by > 0.1.
    assert np.abs(unrounded - np.round(unrounded)).max() < 0.1
    assert np.array_equal(counts.X.toarray(), np.round(unrounded))
    again = np.log1p(counts.X.toarray() / size * 1e4)
    assert np.allclose(again, logged, atol=0.05)


def test_cached_file_is_reused(data_dir: Path) -> None:
    spec = registry.datasets.get("pbmc68k")()
    spec.load(data_dir)
    path = raw_path(data_dir, "pbmc68k")
    assert path == data_dir / "pbmc68k" / "raw" / "data.h5ad"
    before = path.stat().st_mtime_ns
    spec.load(data_dir)
    assert path.stat().st_mtime_ns == before
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)


def test_stale_or_broken_cache_is_rebuilt(tmp_path: Path) -> None:
    spec = registry.datasets.get("pbmc68k")()
    path = raw_path(tmp_path, "pbmc68k")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)  # an HDF5 signature, then garbage
    assert spec.load(tmp_path).adata.shape == (700, 765)
    stale = ad.read_h5ad(path)
    stale.uns["scbench"] = {"fingerprint": "pbmc68k:v0:old"}
    stale = stale[:10].copy()
    stale.write_h5ad(path)
    assert spec.load(tmp_path).adata.shape == (700, 765)
    assert not [p for p in os.listdir(path.parent) if p.endswith(".tmp")]


def test_fingerprint_names_version_and_source() -> None:
    fp = registry.datasets.get("pbmc68k")().fingerprint
    assert fp.startswith(f"pbmc68k:v{mod.VERSION}:")
    assert fp == registry.datasets.get("pbmc68k")().fingerprint
