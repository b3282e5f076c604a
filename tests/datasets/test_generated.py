"""The generated sets: seeded, cached, scalable, and their stored truth is what the data shows."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from pytest_scbench import registry
from pytest_scbench.datasets import batches, generated, pbmc68k, species
from pytest_scbench.datasets.cache import raw_path
from pytest_scbench.errors import DatasetError

GENERATED = ["pbmc68k_batches", "pbmc68k_species", "pbmc68k_perturb"]


def load(name: str, data_dir: Path, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a generated set must validate without warnings
        return registry.datasets.get(name)(**params).load(data_dir)


@pytest.mark.parametrize("name", GENERATED)
def test_counts_are_integer_csr_and_keys_present(name: str, data_dir: Path) -> None:
    data = load(name, data_dir)
    X = data.adata.X
    assert sp.isspmatrix_csr(X) and X.dtype == np.float32
    assert np.array_equal(X.data, np.round(X.data)) and (X.data > 0).all()
    assert data.n_obs == 700
    assert len(set(data.column("label"))) == 10
    truth = data.adata.uns["scbench"]["truth"]
    assert truth and data.adata.uns["scbench"]["fingerprint"] == data.fingerprint


@pytest.mark.parametrize("name", GENERATED)
def test_seeded_and_fingerprinted(name: str, data_dir: Path, tmp_path: Path) -> None:
    factory = registry.datasets.get(name)
    a = load(name, data_dir).adata
    again = factory().load(tmp_path).adata  # built afresh in another cache
    assert (a.X != again.X).nnz == 0 and a.obs.equals(again.obs)
    other = factory(seed=1)
    assert other.fingerprint != factory().fingerprint
    assert other.name == f"{name}?seed=1"
    b = other.load(data_dir).adata
    assert b.shape[0] == a.shape[0] and ((a.X != b.X).nnz > 0 or not a.obs.equals(b.obs))
    assert raw_path(data_dir, f"{name}__seed-1").exists()
    assert factory().fingerprint.startswith(f"{name}:v1:{pbmc68k.fingerprint()}")


@pytest.mark.parametrize("n_cells", [300, 2000])
def test_n_cells_resamples(n_cells: int, data_dir: Path) -> None:
    spec = registry.datasets.get("pbmc68k_batches")(n_cells=n_cells)
    assert spec.name == f"pbmc68k_batches?n_cells={n_cells}"
    assert "slow" not in spec.markers
    adata = spec.load(data_dir).adata
    assert adata.n_obs == n_cells and adata.obs_names.is_unique
    base = pbmc68k.pbmc68k().load(data_dir).adata
    sources = adata.obs["source_cell"].astype(str)
    assert set(sources) <= set(base.obs_names)
    # Resampled cells keep their source cell's type.
    assert (
        adata.obs["bulk_labels"].astype(str).to_numpy() == base.obs.loc[sources, "bulk_labels"].astype(str).to_numpy()
    ).all()
    if n_cells > 700:
        assert set(sources) == set(base.obs_names)
        assert adata.obs_names[-1].endswith(f"-r{n_cells - 1}")


def test_large_sets_are_marked_slow() -> None:
    assert registry.datasets.get("pbmc68k_perturb")(n_cells=1_000_000).markers == ("slow",)


def test_bad_params_are_errors() -> None:
    with pytest.raises(DatasetError, match="dataset 'pbmc68k_batches' has no parameter 'cells'"):
        registry.datasets.get("pbmc68k_batches")(cells=5)
    with pytest.raises(DatasetError, match="n_cells must be positive"):
        registry.datasets.get("pbmc68k_batches")(n_cells=0)
    with pytest.raises(DatasetError, match="has no parameter"):
        registry.datasets.get("pbmc68k")(n_cells=5)


def test_streamed_chunks_equal_the_whole(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = pbmc68k.pbmc68k().load(data_dir).adata
    params = {**batches.DEFAULTS, "n_cells": 1500}
    whole = generated.generate(base, batches.RECIPE, params)
    _, chunks, total = generated.iter_generated(base, batches.RECIPE, params)
    parts = list(chunks)
    assert total == 1500 and sum(p[0].shape[0] for p in parts) == 1500
    assert (sp.vstack([p[0] for p in parts]) != whole.X).nnz == 0


def test_batch_effects_match_their_truth(data_dir: Path) -> None:
    adata = load("pbmc68k_batches", data_dir).adata
    base = pbmc68k.pbmc68k().load(data_dir).adata
    truth = adata.uns["scbench"]["truth"]
    assert list(truth["batches"]) == ["batch0", "batch1", "batch2"]
    assert truth["gene_factor"].shape == (3, adata.n_vars)
    X0 = base.X.toarray()
    for b, name in enumerate(truth["batches"]):
        cells = (adata.obs["batch"] == name).to_numpy()
        expected = (X0[cells] * truth["library_factor"][b] * truth["gene_factor"][b]).sum() * (1 - truth["dropout"][b])
        observed = adata.X[cells].sum()
        assert observed == pytest.approx(expected, rel=0.05)
    assert adata.obs["batch"].nunique() == 3


def test_species_genes_are_orthologs_with_effect(data_dir: Path) -> None:
    data = load("pbmc68k_species", data_dir)
    adata = data.adata
    assert data.spec.organism == "mouse" and set(data.column("species")) == {"mouse"}
    table = dict(species.ortholog_map("human", "mouse"))
    kept = adata.var["human_symbol"].to_numpy()
    assert all(table[h] == m for h, m in zip(kept, adata.var_names, strict=True))
    mapped = sum(g in table for g in pbmc68k.pbmc68k().load(data_dir).adata.var_names)
    assert adata.n_vars == mapped - round(0.1 * mapped)
    base = pbmc68k.pbmc68k().load(data_dir).adata[:, kept]
    ratio = np.log((np.asarray(adata.X.mean(0)).ravel() + 1e-9) / (np.asarray(base.X.mean(0)).ravel() + 1e-9))
    factor = np.log(adata.uns["scbench"]["truth"]["species_factor"])
    expressed = np.asarray(base.X.mean(0)).ravel() > 0.5
    assert np.corrcoef(ratio[expressed], factor[expressed])[0, 1] > 0.9
    assert all(name.endswith("-mouse") for name in adata.obs_names)


def test_knockdowns_match_their_truth(data_dir: Path) -> None:
    data = load("pbmc68k_perturb", data_dir)
    adata, truth = data.adata, data.adata.uns["scbench"]["truth"]
    assert data.spec.keys.condition_key == "condition" and data.spec.keys.control_value == "control"
    controls = data.controls().adata
    base = pbmc68k.pbmc68k().load(data_dir).adata
    # Control cells are the real cells, untouched.
    assert (controls.X != base[controls.obs_names].X).nnz == 0
    X = adata.X.toarray()
    control_mean = X[(adata.obs["condition"] == "control").to_numpy()].mean(0)
    genes = list(adata.var_names)
    assert len(truth["conditions"]) == 6 and truth["true_lfc"].shape == (6, adata.n_vars)
    for k, condition in enumerate(truth["conditions"]):
        cells = (adata.obs["condition"] == condition).to_numpy()
        assert cells.sum() > 30
        mean = X[cells].mean(0)
        t = genes.index(condition)
        assert np.log(mean[t] / control_mean[t]) == pytest.approx(np.log(0.2), abs=0.6)
        program = np.flatnonzero(truth["true_lfc"][k] != 0)
        program = program[program != t]
        assert len(program) == 15
        observed = np.log((mean[program] + 0.05) / (control_mean[program] + 0.05))
        assert np.corrcoef(observed, truth["true_lfc"][k][program])[0, 1] > 0.7
        assert all(condition == target for target in adata.obs.loc[cells, "target_gene"])


def test_cross_species_group(data_dir: Path) -> None:
    spec = registry.datasets.get("pbmc68k_cross_species")()
    assert [m.name for m in spec.members] == ["pbmc68k", "pbmc68k_species"]
    data = spec.load(data_dir)
    adata = data.adata
    assert adata.n_obs == 1400 and adata.obs_names.is_unique
    assert list(adata.obs["species"].cat.categories) == ["human", "mouse"]
    assert list(adata.obs["member"][:700].unique()) == ["pbmc68k"]
    mouse = load("pbmc68k_species", data_dir).adata
    assert list(adata.var_names) == [
        g for g in pbmc68k.pbmc68k().load(data_dir).adata.var_names if g in set(mouse.var["human_symbol"])
    ]
    # The mouse half's columns are the mouse genes, mapped back to human symbols.
    mouse_part = adata[adata.obs["species"] == "mouse"]
    back = dict(zip(mouse.var["human_symbol"], mouse.var_names, strict=True))
    cols = [list(mouse.var_names).index(back[g]) for g in adata.var_names[:20]]
    assert (mouse_part.X[:, :20] != mouse.X[:, cols]).nnz == 0
    assert set(data.column("label")) == set(mouse.obs["bulk_labels"].astype(str))
    assert registry.datasets.get("pbmc68k_cross_species")(seed=2).members[1].name == "pbmc68k_species?seed=2"
