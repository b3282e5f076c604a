"""One suite benchmarks every kind of model: controls, baselines, the reference scLM, tiny
scGPT and Geneformer checkpoints written in their published formats, and a precomputed
embedding, on an offline data set (pbmc68k's real cells, written as a user's .h5ad)."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_scbench import registry

from .conftest import read_json, write_suite

pytest.importorskip("transformers")


def test_every_kind_of_model_in_one_suite(project: pytest.Pytester, data_dir) -> None:
    from tests.models.test_adapter_geneformer import write_model
    from tests.models.test_adapter_scgpt import write_checkpoint

    adata = registry.datasets.get("pbmc68k")().load(data_dir).adata[:200].copy()
    adata.var["ensembl_id"] = [f"ENSG{i:011d}" for i in range(adata.n_vars)]
    adata.write_h5ad(project.path / "cells.h5ad")
    write_checkpoint(project.path / "scgpt", list(adata.var_names))
    write_model(project.path / "geneformer", list(adata.var["ensembl_id"][:500]), v2=True)
    emb = adata.copy()
    emb.obsm["X_emb"] = np.random.default_rng(0).normal(size=(emb.n_obs, 8)).astype(np.float32)
    emb[::-1].copy().write_h5ad(project.path / "embedding.h5ad")  # cells in another order

    write_suite(
        project,
        """
        name: demo
        models:
          - random
          - pca
          - hvg
          - mean
          - {name: sclm, adapter: sclm, epochs: 1}
          - {name: scgpt, adapter: scgpt, path: ../scgpt}
          - {name: geneformer, adapter: geneformer, path: ../geneformer, gene_col: ensembl_id}
          - {name: mine, adapter: precomputed, path: ../embedding.h5ad, obsm_key: X_emb}
        datasets:
          - {name: cells, path: ../cells.h5ad, label_key: bulk_labels}
        tasks: [embedding, reconstruction]
        """,
    )
    collected = project.runpytest("--collect-only", "-q", "suites", "-m", "gpu")
    collected.stdout.fnmatch_lines(["*4/16 tests collected (12 deselected)*"])  # scgpt, geneformer need CUDA

    result = project.runpytest("suites", "--scbench-device", "cpu", "--scbench-json", "r.json")
    # embedding: all but mean; reconstruction: mean and sclm; the rest skipped with reasons.
    result.assert_outcomes(passed=9, skipped=7)
    items = {i["id"]: i for i in read_json(project.path / "r.json")["items"]}
    for model in ("random", "pca", "hvg", "sclm", "scgpt", "geneformer", "mine"):
        assert items[f"demo[{model}-cells-embedding]"]["outcome"] == "passed"
    for model in ("mean", "sclm"):
        assert items[f"demo[{model}-cells-reconstruction]"]["metrics"]["mse_masked"]["direction"] == "lower"
