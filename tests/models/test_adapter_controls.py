"""The ``random``, ``pca`` and ``hvg`` adapters: shapes, seeds, agreement with scanpy."""

from __future__ import annotations

import numpy as np
import pytest
import scanpy as sc
from anndata import AnnData
from scipy import sparse
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from pytest_scbench import registry
from pytest_scbench.errors import ModelError
from pytest_scbench.models.base import RunContext


def knn_accuracy(X: np.ndarray, labels: np.ndarray) -> float:
    """5-fold accuracy of a 15-NN classifier: how well the embedding keeps cell types."""
    return float(cross_val_score(KNeighborsClassifier(15), X, labels, cv=5).mean())


@pytest.mark.parametrize("name", ["random", "pca", "hvg"])
def test_builtins_are_registered_and_provide_embeddings(name: str) -> None:
    model = registry.models.get(name)()
    assert model.provides == frozenset({"embedding"})
    assert model.device == "cpu"
    assert model.name == name


def test_random_is_gaussian_seeded_and_ignores_expression(pbmc, make_dataset, ctx) -> None:
    model = registry.models.get("random")()
    a = model.embed(pbmc, ctx)
    assert a.shape == (700, 50) and a.dtype == np.float32
    assert abs(a.mean()) < 0.02 and abs(a.std() - 1) < 0.02
    np.testing.assert_array_equal(a, model.embed(pbmc, RunContext(seed=0)))
    assert not np.allclose(a, model.embed(pbmc, RunContext(seed=1)))
    shuffled = make_dataset(pbmc.adata[::-1].copy())
    np.testing.assert_array_equal(a, model.embed(shuffled, ctx))
    # another data set of the same size (the other species of a group) gets other noise
    other = make_dataset(pbmc.adata.copy(), name="pbmc_mouse")
    assert np.abs(np.corrcoef(a.ravel(), model.embed(other, ctx).ravel())[0, 1]) < 0.01
    assert registry.models.get("random")(n_dims=8).embed(pbmc, ctx).shape == (700, 8)


def test_parameters_are_checked_and_enter_the_fingerprint() -> None:
    pca = registry.models.get("pca")
    with pytest.raises(ModelError, match=r"model 'pca' has no parameter 'n_comp'.*n_comps"):
        pca(n_comp=10)
    with pytest.raises(ModelError, match=r"'n_comps' must be int, got str"):
        pca(n_comps="10")
    with pytest.raises(ModelError, match=r"'n_dims' must be positive, got 0"):
        registry.models.get("random")(n_dims=0)
    assert pca().params == {"n_top_genes": 3000, "n_comps": 50}
    assert pca().fingerprint() == pca(n_comps=50).fingerprint()
    assert pca().fingerprint() != pca(n_comps=20).fingerprint()
    assert pca().fingerprint() != registry.models.get("hvg")().fingerprint()


def test_pca_matches_the_scanpy_pipeline(pbmc, ctx, monkeypatch) -> None:
    def no_neighbors(*args, **kwargs):
        raise AssertionError("the pca baseline must not build a neighbour graph")

    monkeypatch.setattr(sc.pp, "neighbors", no_neighbors)
    before = pbmc.adata.X.copy()
    emb = registry.models.get("pca")(n_top_genes=500).embed(pbmc, ctx)
    assert emb.shape == (700, 50) and emb.dtype == np.float32
    assert (pbmc.adata.X != before).nnz == 0, "the data set's counts were modified"

    ref = AnnData(X=pbmc.adata.X.astype(np.float32))
    sc.pp.normalize_total(ref, target_sum=1e4)
    sc.pp.log1p(ref)
    sc.pp.highly_variable_genes(ref, n_top_genes=500, flavor="seurat", subset=True)
    sc.pp.pca(ref, n_comps=50, svd_solver="arpack", random_state=0)
    np.testing.assert_allclose(np.abs(emb), np.abs(ref.obsm["X_pca"]), rtol=1e-3, atol=1e-3)


def test_pca_is_deterministic_and_beats_random(pbmc, ctx) -> None:
    pca = registry.models.get("pca")()
    emb = pca.embed(pbmc, ctx)
    np.testing.assert_array_equal(emb, pca.embed(pbmc, ctx))
    labels = pbmc.adata.obs["cell_type"].to_numpy()
    noise = registry.models.get("random")().embed(pbmc, ctx)
    assert knn_accuracy(emb, labels) > knn_accuracy(noise, labels) + 0.3


def test_pca_caps_components_on_tiny_data(pbmc_counts, make_dataset, ctx) -> None:
    tiny = make_dataset(pbmc_counts[:20, :30].copy())
    assert registry.models.get("pca")().embed(tiny, ctx).shape == (20, 19)
    two = make_dataset(pbmc_counts[:1, :30].copy())
    with pytest.raises(ModelError, match="PCA needs at least 2 cells"):
        registry.models.get("pca")().embed(two, ctx)


def test_dense_and_sparse_counts_give_the_same_embeddings(pbmc, make_dataset, ctx) -> None:
    dense = make_dataset(AnnData(X=pbmc.adata.X.toarray(), obs=pbmc.adata.obs, var=pbmc.adata.var))
    hvg = registry.models.get("hvg")(n_top_genes=300)
    np.testing.assert_allclose(hvg.embed(pbmc, ctx), hvg.embed(dense, ctx), atol=1e-5)
    # scanpy runs PCA on sparse input with implicit centring (a different solver path), so
    # the leading components agree tightly and the near-degenerate trailing ones loosely.
    pca = registry.models.get("pca")(n_top_genes=300)
    a, b = pca.embed(pbmc, ctx), pca.embed(dense, ctx)
    np.testing.assert_allclose(a[:, :10], b[:, :10], atol=1e-3)
    np.testing.assert_allclose(a, b, atol=0.05)


def test_hvg_is_log_normalised_expression_of_variable_genes(pbmc, ctx) -> None:
    all_genes = registry.models.get("hvg")().embed(pbmc, ctx)
    assert all_genes.shape == (700, 765), "fewer genes than n_top_genes: every gene is kept"
    counts = pbmc.adata.X.toarray().astype(np.float64)
    expected = np.log1p(counts / counts.sum(1, keepdims=True) * 1e4)
    np.testing.assert_allclose(all_genes, expected, rtol=1e-5, atol=1e-5)

    top = registry.models.get("hvg")(n_top_genes=100).embed(pbmc, ctx)
    assert top.shape == (700, 100)
    table = sc.pp.highly_variable_genes(
        AnnData(X=sparse.csr_matrix(expected)), n_top_genes=100, flavor="seurat", inplace=False
    )
    np.testing.assert_allclose(top, expected[:, table["highly_variable"].to_numpy()], atol=1e-5)


def _mask(counts: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    masked = counts.astype(np.float64).copy()
    masked[np.random.default_rng(seed).random(counts.shape) < fraction] = -1
    return masked


def test_mean_reconstruction_is_the_observed_gene_mean(pbmc, ctx) -> None:
    from pytest_scbench.models.mean import RECONSTRUCTION_SPACE

    assert RECONSTRUCTION_SPACE == "counts"
    counts = pbmc.adata.X.toarray()
    masked = _mask(counts, 0.3, seed=1)
    masked[:, 5] = -1  # a gene masked everywhere falls back to the overall observed mean
    model = registry.models.get("mean")()
    dense_out = model.reconstruct(pbmc, AnnData(X=masked), ctx)
    seen = masked != -1
    expected = np.where(seen, masked, 0).sum(0) / np.maximum(seen.sum(0), 1)
    expected[5] = masked[seen].mean()
    assert dense_out.shape == counts.shape
    np.testing.assert_allclose(dense_out, np.broadcast_to(expected, counts.shape))
    sparse_out = model.reconstruct(pbmc, AnnData(X=sparse.csr_matrix(masked)), ctx)
    np.testing.assert_allclose(sparse_out, dense_out)


def test_mean_perturbation_is_the_control_mean_for_every_condition(
    pbmc_counts, make_dataset, ctx
) -> None:
    adata = pbmc_counts.copy()
    adata.obs["condition"] = np.where(np.arange(adata.n_obs) < 300, "ctrl", "KO_A")
    data = make_dataset(adata, condition_key="condition", control_value="ctrl")
    controls = data.controls()
    out = registry.models.get("mean")().predict_perturbation(
        controls, ["KO_A", "KO_B", "KO_C"], ctx
    )
    counts = adata.X[:300].toarray().astype(np.float64)
    expected = np.log1p(counts / counts.sum(1, keepdims=True) * 1e4).mean(0)
    assert out.shape == (3, adata.n_vars)
    for row in out:
        np.testing.assert_allclose(row, expected, rtol=1e-5)
