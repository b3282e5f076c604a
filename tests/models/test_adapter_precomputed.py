"""The ``precomputed`` adapter: embeddings, reconstructions and perturbations read from files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from anndata import AnnData

from pytest_scbench import registry
from pytest_scbench.errors import ModelError


def precomputed(**params):
    return registry.models.get("precomputed")(**params)


@pytest.fixture
def small(pbmc_counts, make_dataset):
    return make_dataset(pbmc_counts[:50, :40].copy(), name="small")


@pytest.fixture
def embedding() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((50, 6)).astype(np.float32)


def test_h5ad_obsm_in_the_same_order(small, embedding, tmp_path: Path, ctx) -> None:
    path = tmp_path / "emb.h5ad"
    adata = AnnData(obs=small.adata.obs[[]].copy())
    adata.obsm["X_emb"] = embedding
    adata.obsm["X_other"] = embedding * 2
    adata.write_h5ad(path)
    model = precomputed(path=str(path), obsm_key="X_emb")
    assert model.provides == frozenset({"embedding"})
    np.testing.assert_array_equal(model.embed(small, ctx), embedding)
    with pytest.raises(ModelError, match=r"obsm keys \['X_emb', 'X_other'\].*'obsm_key'"):
        precomputed(path=str(path)).embed(small, ctx)
    with pytest.raises(ModelError, match="has no obsm key 'X_umap'"):
        precomputed(path=str(path), obsm_key="X_umap").embed(small, ctx)


def test_same_cells_in_another_order_are_reordered(small, embedding, tmp_path, ctx) -> None:
    order = np.random.default_rng(1).permutation(50)
    path = tmp_path / "shuffled.h5ad"
    adata = AnnData(obs=small.adata.obs[[]].iloc[order].copy())
    adata.obsm["X_emb"] = embedding[order]
    adata.write_h5ad(path)
    np.testing.assert_array_equal(precomputed(path=str(path)).embed(small, ctx), embedding)


def test_other_cells_are_an_error_naming_the_file_and_the_counts(
    small, embedding, tmp_path, ctx
) -> None:
    path = tmp_path / "other.h5ad"
    obs = small.adata.obs[[]].iloc[:48].copy()
    obs.index = list(obs.index[:46]) + ["stranger-1", "stranger-2"]
    adata = AnnData(obs=obs)
    adata.obsm["X_emb"] = embedding[:48]
    adata.write_h5ad(path)
    with pytest.raises(ModelError) as info:
        precomputed(path=str(path)).embed(small, ctx)
    message = str(info.value)
    assert str(path) in message and "dataset 'small'" in message
    assert "4 of the data set's 50 cells are missing" in message
    assert "2 cells in it are not in the data set" in message and "stranger-1" in message


def test_npy_must_match_the_row_count(small, embedding, tmp_path, ctx) -> None:
    path = tmp_path / "emb.npy"
    np.save(path, embedding)
    np.testing.assert_array_equal(precomputed(path=str(path)).embed(small, ctx), embedding)
    np.save(path, embedding[:49])
    with pytest.raises(
        ModelError, match=r"emb.npy: has 49 rows and no cell names, the data set has 50"
    ):
        precomputed(path=str(path)).embed(small, ctx)


def test_npz_by_key_and_with_obs_names(small, embedding, tmp_path, ctx) -> None:
    path = tmp_path / "emb.npz"
    order = np.arange(50)[::-1]
    names = np.asarray(small.adata.obs_names, dtype=str)[order]
    np.savez(path, a=embedding[order], b=embedding, obs_names=names)
    np.testing.assert_array_equal(precomputed(path=str(path), key="a").embed(small, ctx), embedding)
    with pytest.raises(
        ModelError, match=r"holds arrays \['a', 'b'\]; name the embedding with parameter 'key'"
    ):
        precomputed(path=str(path)).embed(small, ctx)
    with pytest.raises(ModelError, match=r"has no array 'c'"):
        precomputed(path=str(path), key="c").embed(small, ctx)
    np.savez(path, a=embedding, obs_names=names.astype(object))
    with pytest.raises(ModelError, match="'obs_names' must be a string array"):
        precomputed(path=str(path)).embed(small, ctx)


def test_fingerprint_follows_the_file_content(small, embedding, tmp_path) -> None:
    path = tmp_path / "emb.npy"
    np.save(path, embedding)
    first = precomputed(path=str(path)).fingerprint()
    assert precomputed(path=str(path)).fingerprint() == first
    np.save(path, embedding + 1)
    os.utime(path, ns=(1, 1))  # a different mtime, as any rewrite gives
    assert precomputed(path=str(path)).fingerprint() != first
    with pytest.raises(ModelError, match=r"file .*missing.npy does not exist"):
        precomputed(path=str(tmp_path / "missing.npy")).fingerprint()


def test_bad_parameters(tmp_path) -> None:
    with pytest.raises(ModelError, match="parameter 'path' is required"):
        precomputed()
    with pytest.raises(ModelError, match=r"not an .h5ad, .npy or .npz file"):
        precomputed(path=str(tmp_path / "emb.csv"))
    with pytest.raises(ModelError, match="read from an .h5ad file"):
        precomputed(path=str(tmp_path / "emb.npy"), output="reconstruction")
    with pytest.raises(ModelError, match="output must be one of"):
        precomputed(path=str(tmp_path / "emb.h5ad"), output="graph")


def test_reconstruction_from_h5ad_reorders_cells_and_genes(small, tmp_path, ctx) -> None:
    truth = np.random.default_rng(2).random((50, 40))
    cells, genes = (
        np.random.default_rng(3).permutation(50),
        np.random.default_rng(4).permutation(40),
    )
    adata = AnnData(X=truth[cells][:, genes])
    adata.obs_names = small.adata.obs_names[cells]
    adata.var_names = small.adata.var_names[genes]
    adata.layers["pred"] = adata.X * 2
    path = tmp_path / "recon.h5ad"
    adata.write_h5ad(path)
    masked = small.adata.copy()
    model = precomputed(path=str(path), output="reconstruction")
    assert model.provides == frozenset({"reconstruction"})
    np.testing.assert_allclose(model.reconstruct(small, masked, ctx), truth)
    layer = precomputed(path=str(path), output="reconstruction", key="pred")
    np.testing.assert_allclose(layer.reconstruct(small, masked, ctx), truth * 2)
    other_genes = masked[:, :39].copy()
    with pytest.raises(ModelError, match="0 of the data set's 39 genes are missing.*1 genes in it"):
        model.reconstruct(small, other_genes, ctx)


def test_perturbation_rows_are_conditions(small, tmp_path, ctx) -> None:
    table = np.random.default_rng(5).random((3, 40))
    adata = AnnData(X=table)
    adata.obs_names = ["KO_A", "KO_B", "KO_C"]
    adata.var_names = small.adata.var_names
    path = tmp_path / "pert.h5ad"
    adata.write_h5ad(path)
    model = precomputed(path=str(path), output="perturbation")
    out = model.predict_perturbation(small, ["KO_C", "KO_A"], ctx)
    np.testing.assert_allclose(out, table[[2, 0]])
    with pytest.raises(ModelError, match=r"1 of 2 conditions have no row .*\['KO_Z'\]"):
        model.predict_perturbation(small, ["KO_A", "KO_Z"], ctx)
