"""An embedding-only ``.h5ad`` (``obsm`` + ``obs``, no genes, no X) is a data set.

"Benchmark my embedding" usually starts from such a file. No model of a suite of
precomputed embeddings reads expression, so the file must run the four standard tasks;
a model that does read expression is refused on it with a message naming that model.
"""

from __future__ import annotations

import anndata as ad
import pandas as pd
import pytest

from tests.reference.synthetic import realistic_embedding

from .conftest import read_json, write_suite

TASKS = ("clustering", "embedding", "label_prediction", "batch_integration")


def write_embedding_only(path) -> None:
    X, labels, batches = realistic_embedding(n_cells=600, n_types=5, n_batches=2, n_dims=16, intrinsic=4, seed=3)
    obs = pd.DataFrame({"cell_type": labels, "batch": batches}, index=[f"cell{i}" for i in range(X.shape[0])])
    adata = ad.AnnData(obs=obs, obsm={"X_emb": X})
    assert adata.n_vars == 0 and adata.X is None
    adata.write_h5ad(path)


SUITE = """
name: emb
models:
  {models}
datasets:
  - {{name: mine, path: ../emb.h5ad, label_key: cell_type, batch_key: batch}}
tasks: [clustering, embedding, label_prediction, batch_integration]
"""
PRECOMPUTED = "- {name: mymodel, adapter: precomputed, path: ../emb.h5ad, obsm_key: X_emb}"


def test_four_standard_tasks_run_on_an_embedding_only_file(project: pytest.Pytester) -> None:
    write_embedding_only(project.path / "emb.h5ad")
    write_suite(project, SUITE.format(models=PRECOMPUTED), name="emb")
    result = project.runpytest("suites/emb.yaml", "--scbench-json", "r.json")
    result.assert_outcomes(passed=4)
    items = {i["id"]: i for i in read_json(project.path / "r.json")["items"]}
    assert set(items) == {f"emb[mymodel-mine-{task}]" for task in TASKS}
    assert "entropy_per_cell" in items["emb[mymodel-mine-batch_integration]"]["metrics"]
    assert "rf_accuracy" in items["emb[mymodel-mine-label_prediction]"]["metrics"]


def test_a_model_that_reads_expression_is_refused_by_name(project: pytest.Pytester) -> None:
    write_embedding_only(project.path / "emb.h5ad")
    write_suite(project, SUITE.format(models=PRECOMPUTED + "\n  - pca"), name="emb")
    result = project.runpytest("suites/emb.yaml", "-k", "embedding or clustering")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*dataset 'mine'*has no cells or no genes*model 'pca' reads X and var_names*"])
    result.stdout.no_fnmatch_line("*Traceback*")
