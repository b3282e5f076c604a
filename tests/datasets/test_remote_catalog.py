"""Registered remote data sets: complete specs, and the whole load path against a loopback server."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from anndata import AnnData

from pytest_scbench import registry
from pytest_scbench.datasets import DatasetKeys, RemoteSource
from pytest_scbench.datasets.catalog import CATALOG_NAMES, SPERMATOGENESIS, TSV2_TISSUES
from pytest_scbench.datasets.download import LOCK_FILE
from pytest_scbench.datasets.remote import remote_dataset
from pytest_scbench.errors import DatasetError


def test_catalog_lists_the_reference_data_sets() -> None:
    names = set(registry.datasets.names())
    assert {f"tsv2_{t.lower()}" for t in TSV2_TISSUES} <= names
    assert {f"spermatogenesis_{s}" for s in SPERMATOGENESIS} <= names
    assert {"adamson2016", "norman2019", "replogle2022_k562_essential"} <= names
    assert len(TSV2_TISSUES) == 26 and "spermatogenesis_mouse" in names


@pytest.mark.parametrize("name", CATALOG_NAMES)
def test_every_entry_is_a_complete_spec(name: str) -> None:
    spec = registry.datasets.get(name)()
    source = spec.source
    assert source is not None and source.url.startswith("https://")
    assert source.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", source.sha256)
    assert source.citation and source.license and source.homepage.startswith("https://")
    assert set(spec.markers) == {"network", "slow"}
    assert spec.gene_id_type in ("symbol", "ensembl") and spec.organism
    assert spec.keys.label_key or spec.keys.condition_key
    if spec.keys.condition_key:
        assert spec.keys.control_value
    if name.startswith("spermatogenesis_"):
        assert spec.keys.species_key == "species"
    with pytest.raises(DatasetError, match="has no parameter"):
        registry.datasets.get(name)(n_cells=5)


def test_urls_are_distinct() -> None:
    urls = [registry.datasets.get(n)().source.url for n in CATALOG_NAMES]
    assert len(set(urls)) == len(urls)


def _atlas_file(path: Path) -> bytes:
    """A tiny atlas in the shape of a real download: counts in raw.X, Ensembl ids in a column."""
    rng = np.random.default_rng(0)
    counts = sp.random(40, 12, density=0.4, random_state=1, format="csr", dtype=np.float32)
    counts.data = np.ceil(counts.data * 5)
    var = pd.DataFrame(
        {"ensembl_id": [f"ENSG{i:011d}.{i % 3 + 1}" for i in range(12)]},
        index=[f"GENE{i}" for i in range(12)],
    )
    obs = pd.DataFrame(
        {"cell_type": rng.choice(["T", "B"], 40), "tissue": ["lung"] * 25 + ["liver"] * 15},
        index=[f"cell{i}" for i in range(40)],
    )
    logged = counts.copy()
    logged.data = np.log1p(logged.data)
    adata = AnnData(X=logged, obs=obs, var=var)
    adata.raw = AnnData(X=counts, obs=obs, var=var)
    adata.write_h5ad(path)
    return path.read_bytes()


def _spec(url: str, **source: object):
    return remote_dataset(
        "mini_atlas",
        RemoteSource(url=url, filename="mini.h5ad", counts="raw.X", gene_column="ensembl_id", **source),
        DatasetKeys(label_key="cell_type", species_key="species"),
        organism="human",
        gene_id_type="ensembl",
    )


def test_remote_dataset_downloads_prepares_and_caches(http_server, tmp_path: Path) -> None:
    http_server.serve("/mini.h5ad", _atlas_file(tmp_path / "src.h5ad"))
    spec = _spec(http_server.url("/mini.h5ad"), subset=("tissue", "lung"))
    assert spec.markers == ("network", "slow")
    data = spec.load(tmp_path / "cache")
    adata = data.adata
    assert adata.shape == (25, 12)
    assert adata.var_names[0] == "ENSG00000000000"  # version suffix dropped
    assert sp.isspmatrix_csr(adata.X) and np.array_equal(adata.X.data, np.round(adata.X.data))
    assert set(data.column("species")) == {"human"}
    assert (tmp_path / "cache" / "mini_atlas" / "raw" / "data.h5ad").exists()
    assert "mini_atlas/raw/data.h5ad" in (tmp_path / "cache" / LOCK_FILE).read_text()
    spec.load(tmp_path / "cache")
    assert len(http_server.requests) == 1


def test_unreadable_download_is_deleted_and_forgotten(http_server, tmp_path: Path) -> None:
    http_server.serve("/mini.h5ad", b"<html>Service unavailable</html>")
    spec = _spec(http_server.url("/mini.h5ad"))
    with pytest.raises(DatasetError, match=r"is not an HDF5 file.*deleted so the next run fetches it again"):
        spec.load(tmp_path)
    assert not (tmp_path / "mini_atlas" / "raw" / "data.h5ad").exists()
    assert "mini_atlas" not in (tmp_path / LOCK_FILE).read_text()
    # The server is fixed: the next load downloads again and works.
    http_server.serve("/mini.h5ad", _atlas_file(tmp_path / "src.h5ad"))
    assert spec.load(tmp_path).n_obs == 40


def test_wrong_counts_location_is_named(http_server, tmp_path: Path) -> None:
    http_server.serve("/mini.h5ad", _atlas_file(tmp_path / "src.h5ad"))
    spec = remote_dataset(
        "mini_atlas",
        RemoteSource(url=http_server.url("/mini.h5ad"), filename="mini.h5ad", counts="layers/counts"),
        DatasetKeys(label_key="cell_type"),
        organism="human",
        gene_id_type="symbol",
    )
    with pytest.raises(DatasetError, match=r"dataset 'mini_atlas': no layer 'counts'"):
        spec.load(tmp_path)
