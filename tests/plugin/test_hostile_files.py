"""Broken or hostile data files fail their own items with a message, never a traceback.

Each case is a real file a user could hand the plugin: an ``.h5t`` with undecodable
names, a data set whose counts are all zero, a pickled ``.npy`` given as a precomputed
embedding, an ``obsm`` of strings. The other suite of the same session still runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pytest

from .conftest import write_suite

FIXTURES = Path(__file__).parents[2] / "fixtures"

HOSTILE = """
name: hostile
models:
  - random
  - pca
  - hvg
  - {name: pickled, adapter: precomputed, path: ../data/pickled.npy}
  - {name: strings, adapter: precomputed, path: ../data/tiny.h5ad, obsm_key: X_strings}
datasets:
  - {name: corrupt, path: ../data/corrupt.h5t, label_key: cell_type}
  - {name: zeros, path: ../data/zeros.h5ad, label_key: cell_type}
  - {name: tiny, path: ../data/tiny.h5ad, label_key: cell_type}
tasks: [embedding]
exclude:
  - {model: pickled, dataset: corrupt}
  - {model: pickled, dataset: zeros}
  - {model: strings, dataset: corrupt}
  - {model: strings, dataset: zeros}
  - {model: pca, dataset: tiny}
  - {model: hvg, dataset: tiny}
  - {model: hvg, dataset: corrupt}
"""

HEALTHY = """
name: healthy
models: [random]
datasets:
  - {name: tiny, path: ../data/tiny.h5ad, label_key: cell_type}
tasks: [embedding]
"""


@pytest.fixture
def hostile(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    data = pytester.path / "data"
    data.mkdir()
    monkeypatch.setenv("SCBENCH_DATA_DIR", str(pytester.path / "cache"))
    corrupt = data / "corrupt.h5t"
    shutil.copy(FIXTURES / "pbmc68k_tiny.h5t", corrupt)
    with h5py.File(corrupt, "r+") as fh:  # bytes that are not UTF-8 where gene and label names are
        names = fh["1/var_names"][:]
        names[0] = b"\xff\xfe\xfdgene"
        fh["1/var_names"][...] = names
    adata = ad.read_h5ad(FIXTURES / "pbmc68k_tiny.h5ad")
    zeros = adata.copy()
    zeros.X = np.zeros(adata.shape, dtype=np.float32)
    zeros.write_h5ad(data / "zeros.h5ad")
    np.save(data / "pickled.npy", np.array([{"cell": i} for i in range(adata.n_obs)], dtype=object), allow_pickle=True)
    adata.obsm["X_strings"] = np.array([[f"x{i}", "y"] for i in range(adata.n_obs)])
    adata.write_h5ad(data / "tiny.h5ad")
    write_suite(pytester, HOSTILE, "hostile")
    write_suite(pytester, HEALTHY, "healthy")
    return pytester


def test_hostile_files_fail_their_items_with_messages(hostile: pytest.Pytester) -> None:
    result = hostile.runpytest_subprocess("suites", "-p", "no:cacheprovider")
    # random reads no expression, so it passes on tiny (both suites) and on zeros, whose
    # empty X matters only to the models that read it; every other item fails
    result.assert_outcomes(passed=3, failed=6)
    out = result.stdout.str()
    assert "Traceback" not in out and "ArpackError" not in out and "UnpicklingError" not in out
    assert "UnicodeDecodeError:" not in out.replace("(UnicodeDecodeError:", "")  # named as the cause only
    failures = {line.split(" - ")[0].split("::")[-1] for line in result.stdout.lines if line.startswith("FAILED")}
    assert failures == {
        "hostile[random-corrupt-embedding]",
        "hostile[pca-corrupt-embedding]",
        "hostile[pca-zeros-embedding]",
        "hostile[hvg-zeros-embedding]",
        "hostile[pickled-tiny-embedding]",
        "hostile[strings-tiny-embedding]",
    }
    result.stdout.fnmatch_lines(
        [
            "*dataset 'corrupt': cannot read '*corrupt.h5t': it is corrupt or not in the expected layout*",
            "*dataset 'zeros' (*zeros.h5ad*): X holds no counts at all*",
            "*model 'pickled' on dataset 'tiny': file *pickled.npy: holds Python objects*never unpickles*",
            "*model 'strings' on dataset 'tiny': file *tiny.h5ad: the embedding holds strings*not numbers*",
        ],
        consecutive=False,
    )


def test_pca_on_cells_that_do_not_vary_is_a_model_error_not_arpack() -> None:
    from pytest_scbench import Dataset, DatasetKeys, DatasetSpec, ModelError, RunContext, registry

    adata = ad.AnnData(np.tile(np.arange(1, 31, dtype=np.float32), (20, 1)))  # 20 identical cells
    adata.obs_names = [f"c{i}" for i in range(20)]
    adata.var_names = [f"g{i}" for i in range(30)]
    dataset = Dataset(DatasetSpec("same", DatasetKeys(), loader=lambda _: adata, fingerprint="same-v1"), adata)
    with pytest.raises(ModelError, match="no gene varies across the 20 cells"):
        registry.models.get("pca")().embed(dataset, RunContext())
