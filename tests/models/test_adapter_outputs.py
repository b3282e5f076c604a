"""Every built-in adapter through the output cache, as the plugin calls it."""

from __future__ import annotations

import numpy as np
import pytest
from anndata import AnnData

from pytest_scbench import registry
from pytest_scbench.outputs import Outputs, OutputStore
from tests.needs import needs_torch


@pytest.mark.parametrize(
    ("name", "params"),
    [("random", {}), ("pca", {}), ("hvg", {"n_top_genes": 50}), pytest.param("sclm", {"epochs": 1}, marks=needs_torch)],
)
def test_embeddings_pass_validation_and_are_cached_once(
    name, params, pbmc_counts, make_dataset, ctx, tmp_path
) -> None:
    data = make_dataset(pbmc_counts[:120].copy())
    store = OutputStore(tmp_path)
    model = registry.models.get(name)(**params)
    first = Outputs(model, data, ctx, store).embedding()
    again = Outputs(
        registry.models.get(name)(**params), data, ctx, OutputStore(tmp_path)
    ).embedding()
    assert first.shape[0] == 120 and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    assert sum(store.computations.values()) == 1


@needs_torch
def test_mean_and_sclm_reconstructions_and_mean_perturbation(
    pbmc_counts, make_dataset, ctx
) -> None:
    adata = pbmc_counts[:120].copy()
    adata.obs["condition"] = np.where(np.arange(120) < 60, "ctrl", "KO")
    data = make_dataset(adata, condition_key="condition", control_value="ctrl")
    masked = adata.X.toarray().astype(float)
    masked[np.random.default_rng(0).random(masked.shape) < 0.1] = -1
    masked_ad = AnnData(X=masked, obs=adata.obs[[]], var=adata.var[[]])
    for name, params in (("mean", {}), ("sclm", {"epochs": 1})):
        outputs = Outputs(registry.models.get(name)(**params), data, ctx, OutputStore(None))
        assert outputs.reconstruction(masked_ad, "m0").shape == (120, 765)
    outputs = Outputs(registry.models.get("mean")(), data, ctx, OutputStore(None))
    assert outputs.perturbation(["KO", "KO2"]).shape == (2, 765)
