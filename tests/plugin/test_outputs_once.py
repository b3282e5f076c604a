"""Each model's output is computed once per (model, dataset): M x D calls, never M x D x T."""

from __future__ import annotations

import pytest

from .conftest import write_suite

ADAPTER = """
import os
import numpy as np
from pytest_scbench import ModelAdapter

class Counting(ModelAdapter):
    '''A fixed random projection of log counts; logs every call to embed.'''

    provides = frozenset({"embedding"})

    def __init__(self, dims: int = 8) -> None:
        super().__init__(dims=dims)

    def embed(self, dataset, ctx):
        with open(os.environ["CALL_LOG"], "a") as fh:
            fh.write(f"{self.name} {dataset.name}\\n")
        x = np.log1p(np.asarray(dataset.adata.X.todense() if hasattr(dataset.adata.X, "todense") else dataset.adata.X))
        rng = np.random.default_rng(ctx.seed)
        return x @ rng.normal(size=(x.shape[1], self.params["dims"]))
"""

SUITE = """
name: demo
models:
  - {name: small, adapter: "counting_adapter:Counting", dims: 4}
  - {name: large, adapter: "counting_adapter:Counting", dims: 16}
datasets: [pbmc68k, pbmc68k_batches]
tasks: [embedding, clustering, {name: clustering_k5, task: clustering, params: {n_neighbors: 5}}]
"""


@pytest.fixture
def counting(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    project.makepyfile(counting_adapter=ADAPTER)
    project.syspathinsert()
    monkeypatch.setenv("PYTHONPATH", str(project.path))
    monkeypatch.setenv("CALL_LOG", str(project.path / "calls.log"))
    write_suite(project, SUITE)
    return project


def calls(project: pytest.Pytester) -> list[str]:
    return sorted((project.path / "calls.log").read_text().splitlines())


EXPECTED = sorted(f"{m} {d}" for m in ("small", "large") for d in ("pbmc68k", "pbmc68k_batches"))


def test_one_computation_per_model_and_dataset_in_one_process(counting: pytest.Pytester) -> None:
    counting.runpytest("suites", "--scbench-no-cache").assert_outcomes(passed=12)
    assert calls(counting) == EXPECTED  # 2 models x 2 datasets, not x 3 tasks


def test_one_computation_per_model_and_dataset_across_xdist_workers(
    counting: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh output cache, shared by the workers through its file locks.
    monkeypatch.setenv("SCBENCH_DATA_DIR", str(tmp_path_factory.mktemp("fresh-cache")))
    result = counting.runpytest_subprocess("suites", "-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=12)
    assert calls(counting) == EXPECTED
    # A second run reads every output from the cache.
    counting.runpytest_subprocess("suites", "-p", "no:cacheprovider", "-n", "2").assert_outcomes(passed=12)
    assert calls(counting) == EXPECTED


def test_loadgroup_keeps_a_model_and_dataset_on_one_worker(counting: pytest.Pytester) -> None:
    result = counting.runpytest_subprocess(
        "suites", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "--scbench-no-cache", "-v"
    )
    result.assert_outcomes(passed=12)
    assert calls(counting) == EXPECTED
