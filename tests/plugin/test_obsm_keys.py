"""Several obsm embeddings of one file scored as several models, as scib-metrics' Benchmarker does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from tests.realistic import realistic

from .conftest import read_json, write_suite

SUITE = """
name: demo
models:
  - {name: emb, adapter: precomputed, path: ../cells.h5ad, obsm_keys: [X_integrated, X_pre]}
datasets:
  - {name: cells, path: ../cells.h5ad, label_key: cell_type, batch_key: donor}
tasks: [scib]
"""


def _write_cells(path) -> None:
    cells = realistic(0, sizes=(200, 150, 100, 60, 40))
    rng = np.random.default_rng(0)
    n = cells.X.shape[0]
    adata = AnnData(
        X=rng.poisson(1.0, size=(n, 20)).astype(np.float32),
        obs=pd.DataFrame({"cell_type": cells.labels, "donor": cells.batch}, index=[f"c{i}" for i in range(n)]),
    )
    adata.var_names = [f"CD{i}" for i in range(1, 21)]
    adata.obsm["X_integrated"], adata.obsm["X_pre"], adata.obsm["X_pca"] = cells.X, cells.X_pre, cells.X_pre
    adata.write_h5ad(path)


def test_obsm_keys_expand_into_one_model_per_key(project: pytest.Pytester) -> None:
    _write_cells(project.path / "cells.h5ad")
    write_suite(project, SUITE)
    result = project.runpytest("suites", "--scbench-json", "r.json")
    result.assert_outcomes(passed=2)
    items = {i["id"]: i for i in read_json(project.path / "r.json")["items"]}
    integrated = items["demo[emb_X_integrated-cells-scib]"]["metrics"]
    unintegrated = items["demo[emb_X_pre-cells-scib]"]["metrics"]
    # the unintegrated embedding is the PCR reference itself: no batch variance removed
    assert unintegrated["pcr_comparison"]["value"] == pytest.approx(0.0, abs=1e-9)
    assert integrated["pcr_comparison"]["value"] > 0.3
    assert integrated["batch_correction"]["value"] > unintegrated["batch_correction"]["value"]


def test_obsm_keys_errors_name_the_key(project: pytest.Pytester) -> None:
    _write_cells(project.path / "cells.h5ad")
    write_suite(project, SUITE.replace("obsm_keys: [X_integrated, X_pre]", "obsm_keys: [X_pre, X_pre]"))
    result = project.runpytest("suites")
    result.stdout.fnmatch_lines(["*models[[]0[]].obsm_keys*lists a key twice*"])
    write_suite(project, SUITE.replace("obsm_keys: [X_integrated, X_pre]", "obsm_keys: [X-bad]"))
    result = project.runpytest("suites")
    result.stdout.fnmatch_lines(["*models[[]0[]].obsm_keys[[]0[]]*'emb_X-bad'*not valid*"])
