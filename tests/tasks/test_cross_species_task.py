"""The cross-species integration task on a concatenation of two species' data sets."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pytest

from pytest_scbench.errors import TaskError
from pytest_scbench.tasks.cross_species_integration import CrossSpeciesIntegration, sanitize

from .conftest import inputs_for
from .helpers import blobs, make_dataset


def _two_species(aligned: bool):
    """Human and mouse cells of 3 shared types; mouse shifted away unless ``aligned``."""
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(3, 10)) * 8
    parts, embeddings = [], []
    for species, n, shift in (("Homo sapiens", 160, 0.0), ("Mus musculus", 140, 40.0)):
        adata, _ = blobs(n_cells=n, n_labels=3, seed=n)
        codes = adata.obs["cell_type"].cat.codes.to_numpy()
        X = centres[codes] + rng.normal(size=(n, 10)) + (0.0 if aligned else shift)
        adata.obs["species"] = species
        parts.append(adata)
        embeddings.append(X.astype(np.float32))
    both = ad.concat(parts, index_unique="-")
    dataset = make_dataset(both, name="human+mouse", label_key="cell_type", species_key="species")
    return dataset, np.vstack(embeddings)


def test_names_and_transfer() -> None:
    dataset, X = _two_species(aligned=True)
    result = CrossSpeciesIntegration().run(inputs_for(dataset, X))
    expected = {
        "entropy_per_cell",
        "silhouette_species",
        "transfer_homo_sapiens_to_mus_musculus_accuracy",
        "transfer_homo_sapiens_to_mus_musculus_macro_f1",
        "transfer_mus_musculus_to_homo_sapiens_accuracy",
        "transfer_mus_musculus_to_homo_sapiens_macro_f1",
        "mean_transfer_accuracy",
        "mean_transfer_macro_f1",
    }
    assert set(result.metrics) == expected
    assert result.metrics["mean_transfer_accuracy"].value > 0.95
    assert result.controls["mean_transfer_accuracy"] < 0.7
    assert result.details["species"]["homo_sapiens"] == "Homo sapiens"


def test_aligned_mixes_better_than_separated() -> None:
    aligned = CrossSpeciesIntegration(controls=False).run(inputs_for(*_two_species(True)))
    apart = CrossSpeciesIntegration(controls=False).run(inputs_for(*_two_species(False)))
    assert aligned.metrics["entropy_per_cell"].value > apart.metrics["entropy_per_cell"].value
    assert aligned.metrics["silhouette_species"].value > apart.metrics["silhouette_species"].value


def test_one_species_is_an_error() -> None:
    adata, X = blobs(n_cells=60)
    adata.obs["species"] = "human"
    dataset = make_dataset(adata, label_key="cell_type", species_key="species")
    with pytest.raises(TaskError, match="species column 'species' has 1 distinct value"):
        CrossSpeciesIntegration().run(inputs_for(dataset, X))


def test_sanitize() -> None:
    assert sanitize("Homo sapiens") == "homo_sapiens"
    assert sanitize("M. musculus (C57BL/6)") == "m_musculus_c57bl_6"


def test_transfer_classifier_fits_and_predicts_on_one_blas_thread(monkeypatch) -> None:
    """As in label prediction: lbfgs stopped at 100 iterations depends on BLAS' summation
    order, so the transfer fit runs on one BLAS thread whatever the process allows."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from pytest_scbench.tasks import cross_species_integration as module

    def blas_threads() -> int:
        return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")

    seen: list[tuple[str, int]] = []
    real = module.make_classifier

    def spying(name: str, seed: int):
        model = real(name, seed)
        fit, predict_proba = model.fit, model.predict_proba
        model.fit = lambda X, y: (seen.append(("fit", blas_threads())), fit(X, y))[1]
        model.predict_proba = lambda X: (seen.append(("predict", blas_threads())), predict_proba(X))[1]
        return model

    monkeypatch.setattr(module, "make_classifier", spying)
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == 2
        CrossSpeciesIntegration(controls=False).run(inputs_for(*_two_species(True)))
    assert {step for step, _ in seen} == {"fit", "predict"}
    assert {threads for _, threads in seen} == {1}
