"""The reconstruction task with a real adapter that sees the masked matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from pytest_scbench.tasks.reconstruction import Reconstruction

from .helpers import FixedModel, make_dataset, make_inputs


def _dataset():
    rng = np.random.default_rng(0)
    X = rng.poisson(rng.gamma(2, 1, 30), size=(50, 30)).astype(np.float32)
    return make_dataset(AnnData(X, obs=pd.DataFrame(index=[f"c{i}" for i in range(50)])), name="toy")


def test_oracle_scores_perfectly(tmp_path) -> None:
    dataset = _dataset()
    truth = np.asarray(dataset.adata.X)
    model = FixedModel(reconstruction=lambda masked: truth)
    inputs = make_inputs(dataset, model, seed=1, data_dir=tmp_path)
    result = Reconstruction().run(inputs)
    assert result.metrics["mse_masked"].value == 0 and result.metrics["mae_masked"].value == 0
    assert result.metrics["pearson_masked"].value == pytest.approx(1.0)
    assert result.metrics["mse_masked"].direction == "lower"
    assert result.controls["mse_masked"] > 0
    assert (np.asarray(model.seen_masked.X) == -1).sum() == result.details["n_masked"] == 225
    assert (tmp_path / "toy" / "masked" / "mask_15_seed_1.h5ad").exists()


def test_the_model_cannot_read_the_unmasked_counts_off_its_dataset(tmp_path) -> None:
    dataset = _dataset()
    dataset.adata.layers["counts"] = dataset.adata.X.copy()
    dataset.adata.obsm["X_full"] = np.asarray(dataset.adata.X).copy()
    # an adapter that reads the data set's X, as it would to embed, gets the masked matrix
    model = FixedModel(reconstruction=lambda masked: np.asarray(model.seen_dataset.adata.X))
    result = Reconstruction().run(make_inputs(dataset, model, data_dir=tmp_path))
    seen = model.seen_dataset
    assert seen.name == dataset.name and seen.fingerprint == dataset.fingerprint
    assert np.array_equal(np.asarray(seen.adata.X), np.asarray(model.seen_masked.X))
    assert (np.asarray(seen.adata.X) == -1).sum() == result.details["n_masked"]
    assert not seen.adata.layers and "X_full" not in seen.adata.obsm and seen.adata.raw is None
    assert result.metrics["mse_masked"].value > result.controls["mse_masked"]


def test_masked_input_as_prediction_is_worse_than_control() -> None:
    dataset = _dataset()
    model = FixedModel(reconstruction=lambda masked: np.asarray(masked.X))
    result = Reconstruction().run(make_inputs(dataset, model))
    # -1 clipped to 0 at every masked entry: worse than each gene's mean
    assert result.metrics["mse_masked"].value > result.controls["mse_masked"]
