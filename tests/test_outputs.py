"""Outputs: computed once per (model, dataset, seed), cached on disk behind a lock, validated."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest
from anndata import AnnData

from pytest_scbench import Dataset, DatasetKeys, DatasetSpec, ModelAdapter, ModelError, RunContext
from pytest_scbench.outputs import Outputs, OutputStore


class CountingModel(ModelAdapter):
    """A real adapter: a fixed projection of the counts; appends to a file on each call."""

    provides = frozenset({"embedding"})

    def __init__(self, log: str = "", shape_error: bool = False, nan: bool = False, collapsed: bool = False) -> None:
        super().__init__(log=log, shape_error=shape_error, nan=nan, collapsed=collapsed)

    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        if self.params["log"]:
            with open(self.params["log"], "a") as fh:
                fh.write("x\n")
        x = np.asarray(dataset.adata.X, dtype=np.float64)
        emb = x @ np.random.default_rng(ctx.seed).normal(size=(x.shape[1], 4))
        if self.params["nan"]:
            emb[3, 1] = np.nan
        if self.params["collapsed"]:
            emb[:] = emb[0]
        return emb[:-1] if self.params["shape_error"] else emb


def small_dataset() -> Dataset:
    adata = AnnData(np.random.default_rng(0).poisson(1.0, size=(20, 6)).astype(np.float32))
    adata.var_names = ["CD3E", "CD4", "CD8A", "MS4A1", "LYZ", "NKG7"]  # CountingModel reads X: gene ids
    spec = DatasetSpec("tiny", DatasetKeys(), loader=lambda _: adata, fingerprint="tiny-v1")
    return Dataset(spec, adata)


def test_same_model_and_dataset_compute_once_per_seed(tmp_path: Path) -> None:
    store = OutputStore(None)
    model, data = CountingModel(), small_dataset()
    first = Outputs(model, data, RunContext(seed=0), store).embedding()
    again = Outputs(model, data, RunContext(seed=0), store).embedding()
    other_seed = Outputs(model, data, RunContext(seed=1), store).embedding()
    assert first is again
    assert not np.allclose(first, other_seed)
    assert sum(store.computations.values()) == 2


def test_disk_cache_is_shared_by_a_new_process_state(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    model, data = CountingModel(log=str(log)), small_dataset()
    a = Outputs(model, data, RunContext(), OutputStore(tmp_path)).embedding()
    b = Outputs(model, data, RunContext(), OutputStore(tmp_path)).embedding()
    np.testing.assert_array_equal(a, b)
    assert log.read_text().count("x") == 1
    assert list((tmp_path / "embeddings" / model.fingerprint()).glob("*.npy"))


def _compute_in_process(cache: str, log: str) -> None:
    Outputs(CountingModel(log=log), small_dataset(), RunContext(), OutputStore(Path(cache))).embedding()


def test_concurrent_processes_compute_once(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_compute_in_process, args=(str(tmp_path), str(log))) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert log.read_text().count("x") == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"shape_error": True}, r"embedding has shape \(19, 4\), expected 20 along axis 0"),
        ({"nan": True}, r"embedding has 1 NaN/Inf values in 1 rows \(first rows: \[3\]\)"),
        # silhouettes of ties score 0.5, above the random control: a collapsed model must fail
        ({"collapsed": True}, r"the embedding is the same vector for every cell \(a collapsed model\)"),
    ],
)
def test_invalid_outputs_raise_model_error_naming_model_and_dataset(params: dict, message: str) -> None:
    model = CountingModel(**params)
    model.name = "mine"
    with pytest.raises(ModelError, match=r"model 'mine' on dataset 'tiny': " + message):
        Outputs(model, small_dataset(), RunContext(), OutputStore(None)).embedding()


def test_output_the_model_does_not_provide() -> None:
    with pytest.raises(ModelError, match="does not provide reconstruction"):
        Outputs(CountingModel(), small_dataset(), RunContext(), OutputStore(None)).reconstruction(
            AnnData(np.zeros((20, 6))), "m"
        )


def test_xdist_group_of_a_suite_item_is_its_model_and_dataset() -> None:
    from pytest_scbench.plugin.scheduling import group_of

    assert group_of("suites/core.yaml::core[pca-pbmc68k-clustering]") == "suites/core.yaml::core[pca-pbmc68k]"
    assert group_of("suites/core.yaml::core[pca-pbmc68k-embedding]") == "suites/core.yaml::core[pca-pbmc68k]"
    assert group_of("tests/test_x.py::test_a[pca-pbmc68k-clustering]") is None
    assert group_of("suites/core.yaml::core[pca-pbmc68k]") is None
