"""The reference scLM: binning, streaming, determinism, save/load, embeddings, reconstruction."""

from __future__ import annotations

import numpy as np
import pytest

from tests.needs import TORCH_MISSING

torch = pytest.importorskip("torch", reason=TORCH_MISSING)

from anndata import AnnData
from scipy import sparse

from pytest_scbench import registry
from pytest_scbench.errors import ModelError
from pytest_scbench.models.base import RunContext
from pytest_scbench.models.binning import bin_representatives, bin_values
from pytest_scbench.models.cells import H5CSRSource, MatrixSource


@pytest.fixture
def cells(pbmc_counts, make_dataset):
    """300 cells x 765 genes: enough for the tiny model to learn something in seconds."""
    return make_dataset(pbmc_counts[:300].copy(), name="pbmc300", label_key="cell_type")


def sclm(**params):
    return registry.models.get("sclm")(**params)


def test_binning_follows_scgpt() -> None:
    values = np.array([0, 3, 1, 0, 7, 2, 2, 9, 5, 4], dtype=float)
    bins = bin_values(values, n_bins=5)
    assert bins[values == 0].tolist() == [0, 0]
    assert bins[values > 0].min() >= 1 and bins.max() == 4
    nonzero = values > 0
    assert np.all(np.diff(bins[nonzero][np.argsort(values[nonzero])]) >= 0), "bins are monotone"
    edges = np.quantile(values[nonzero], np.linspace(0, 1, 4))
    np.testing.assert_array_equal(bins[nonzero], np.digitize(values[nonzero], edges))
    # scGPT's side="both": ties spread between neighbouring bins, reproducibly from a seed
    ties = np.array([1, 1, 1, 1, 1, 1, 2, 3], dtype=float)
    a = bin_values(ties, 5, np.random.default_rng(0))
    np.testing.assert_array_equal(a, bin_values(ties, 5, np.random.default_rng(0)))
    assert len(set(a[:6])) > 1 and a.min() >= 1
    # bins are per-cell ranks: scaling and log1p do not change them
    np.testing.assert_array_equal(bin_values(np.log1p(values * 3.7), 5), bins)
    assert bin_values(np.zeros(4), 5).tolist() == [0, 0, 0, 0]
    reps = bin_representatives(values, bins, 5)
    assert reps[0] == 0 and np.all(np.diff(reps) >= 0)


def test_h5_csr_source_streams_the_same_rows_as_memory(pbmc_counts, tmp_path) -> None:
    import h5torch

    path = tmp_path / "cells.h5t"
    with h5torch.File(str(path), "w") as fh:
        fh.register(sparse.csr_matrix(pbmc_counts.X), "central", mode="csr")
        fh.register(
            np.asarray(pbmc_counts.var_names, dtype=bytes), axis=1, name="gene_names", mode="N-D"
        )
    streamed = H5CSRSource(path)
    memory = MatrixSource(pbmc_counts.X, pbmc_counts.var_names)
    assert streamed.n_cells == 700 and list(streamed.gene_names) == list(pbmc_counts.var_names)
    rows = [5, 0, 699, 5]
    assert (streamed.rows(rows) != memory.rows(rows)).nnz == 0
    h5ad = tmp_path / "cells.h5ad"
    pbmc_counts.write_h5ad(h5ad)
    assert (H5CSRSource(h5ad).rows(rows) != memory.rows(rows)).nnz == 0


def test_sclm_trains_deterministically_and_embeds(cells, ctx) -> None:
    model = sclm()
    assert model.provides == {"embedding", "reconstruction"} and model.device == "cpu"
    emb = model.embed(cells, ctx)
    assert emb.shape == (300, 32) and emb.dtype == np.float32 and np.isfinite(emb).all()
    assert model.losses[-1] < model.losses[0], "masked-expression loss must go down"
    np.testing.assert_array_equal(emb, sclm().embed(cells, ctx))  # same seed, same weights
    assert not np.allclose(emb, sclm(seed=1).embed(cells, ctx))
    mean_pooled = sclm(pooling="mean").embed(cells, ctx)
    assert mean_pooled.shape == (300, 32) and not np.allclose(mean_pooled, emb)


def test_sclm_is_the_same_network_whatever_torch_threads_the_process_has(cells, ctx) -> None:
    before = torch.get_num_threads()
    try:
        embeddings = []
        for threads in (1, 2, 4):
            torch.set_num_threads(threads)
            model = sclm()
            embeddings.append(model.embed(cells, ctx))
            assert torch.get_num_threads() == threads  # restored after training and inference
            assert model.losses
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(embeddings[0], embeddings[1])
    np.testing.assert_array_equal(embeddings[0], embeddings[2])


def test_sclm_learns_cell_identity(pbmc, ctx) -> None:
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    labels = pbmc.adata.obs["cell_type"].to_numpy()
    accuracy = {
        name: cross_val_score(KNeighborsClassifier(15), model.embed(pbmc, ctx), labels, cv=5).mean()
        for name, model in {
            "sclm": sclm(epochs=6, batch_size=16, lr=1e-2),
            "random": registry.models.get("random")(),
        }.items()
    }
    assert accuracy["sclm"] > accuracy["random"] + 0.1, accuracy


def test_sclm_saves_and_loads_its_weights(cells, ctx, tmp_path) -> None:
    path = tmp_path / "sclm.pt"
    trained = sclm(save_path=str(path))
    emb = trained.embed(cells, ctx)
    assert path.is_file()
    loaded = sclm(weights_path=str(path))
    np.testing.assert_array_equal(loaded.embed(cells, ctx), emb)
    assert loaded.losses == [], "a loaded model does not train"
    assert loaded.fingerprint() != trained.fingerprint()
    with pytest.raises(
        ModelError, match=r"does not match the parameters \(d_model: file 32 vs params 16\)"
    ):
        sclm(weights_path=str(path), d_model=16).embed(cells, ctx)
    state = torch.load(path, weights_only=True)
    state["state_dict"].pop("head.bias")
    state["state_dict"]["head.weight"] = torch.zeros(3, 32)
    torch.save(state, path)
    with pytest.raises(
        ModelError,
        match=r"sclm.pt does not match its config: missing keys \['head.bias'\].*head.weight: file \(3, 32\) vs model \(11, 32\)",
    ):
        sclm(weights_path=str(path)).embed(cells, ctx)


def test_sclm_trains_from_a_streamed_h5t_like_from_memory(cells, ctx, tmp_path) -> None:
    import h5torch

    path = tmp_path / "train.h5t"
    with h5torch.File(str(path), "w") as fh:
        fh.register(sparse.csr_matrix(cells.adata.X), "central", mode="csr")
        fh.register(
            np.asarray(cells.adata.var_names, dtype=bytes), axis=1, name="gene_names", mode="N-D"
        )
    streamed = sclm(train_path=str(path))
    np.testing.assert_allclose(streamed.embed(cells, ctx), sclm().embed(cells, ctx), atol=1e-5)


def test_sclm_reconstructs_only_the_masked_entries(pbmc, ctx) -> None:
    cells = pbmc
    counts = cells.adata.X.toarray().astype(float)
    hidden = np.random.default_rng(0).random(counts.shape) < 0.15
    masked = counts.copy()
    masked[hidden] = -1
    model = sclm(epochs=6, batch_size=16, lr=1e-2)
    out = model.reconstruct(cells, AnnData(X=sparse.csr_matrix(masked), var=cells.adata.var), ctx)
    assert out.shape == counts.shape and np.isfinite(out).all()
    np.testing.assert_array_equal(out[~hidden], counts[~hidden])
    assert (out[hidden] >= 0).all()
    # predictions follow each gene's level: correlated with the truth across hidden entries
    corr = np.corrcoef(np.log1p(out[hidden]), np.log1p(counts[hidden]))[0, 1]
    assert corr > 0.4, corr


def test_bad_sclm_parameters(cells) -> None:
    with pytest.raises(ModelError, match="d_model 30 is not divisible by n_heads 4"):
        sclm(d_model=30, n_heads=4)
    with pytest.raises(ModelError, match=r"mask_ratio must be in \(0, 1\)"):
        sclm(mask_ratio=1.0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without CUDA")
def test_cuda_without_cuda_is_a_model_error(cells) -> None:
    with pytest.raises(ModelError, match="device 'cuda' requested but CUDA is not available"):
        sclm().embed(cells, RunContext(device="cuda"))
