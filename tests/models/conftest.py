"""Fixtures for the model adapter tests: small count data sets built offline.

``pbmc_counts`` rebuilds integer counts from scanpy's bundled ``pbmc68k_reduced``
(700 cells x 765 genes): ``round(expm1(raw.X) * n_counts / 1e4)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
from anndata import AnnData
from scipy import sparse

from pytest_scbench.datasets.base import Dataset, DatasetKeys, DatasetSpec
from pytest_scbench.models.base import RunContext


@pytest.fixture(scope="session")
def pbmc_counts() -> AnnData:
    import scanpy as sc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sc.datasets.pbmc68k_reduced()
    logn = ref.raw.X.toarray() if sparse.issparse(ref.raw.X) else np.asarray(ref.raw.X)
    counts = np.rint(np.expm1(logn) * ref.obs["n_counts"].to_numpy()[:, None] / 1e4)
    adata = AnnData(X=sparse.csr_matrix(counts.astype(np.int32)))
    adata.obs_names = ref.obs_names.copy()
    adata.var_names = ref.raw.var_names.copy()
    adata.obs["cell_type"] = ref.obs["bulk_labels"].astype(str).to_numpy()
    adata.obs["batch"] = np.where(np.arange(adata.n_obs) % 2 == 0, "a", "b")
    return adata


def _dataset(adata: AnnData, name: str = "pbmc", **keys: str | None) -> Dataset:
    spec = DatasetSpec(
        name=name,
        keys=DatasetKeys(**keys),
        loader=lambda _dir: adata,
        fingerprint=f"test-{name}",
    )
    return Dataset(spec, adata)


@pytest.fixture
def make_dataset() -> Callable[..., Dataset]:
    """``make_dataset(adata, name="pbmc", **keys)``: a Dataset around ``adata``."""
    return _dataset


@pytest.fixture
def pbmc(pbmc_counts: AnnData) -> Dataset:
    """The pbmc counts as a data set (a fresh copy per test, so mutation is visible)."""
    return _dataset(pbmc_counts.copy(), label_key="cell_type", batch_key="batch")


@pytest.fixture
def ctx() -> RunContext:
    return RunContext(device="cpu", seed=0)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny networks run faster on one thread, and xdist workers share the cores."""
    try:
        import torch
    except ImportError:  # the tests that need torch skip (tests/needs.py); the others run without
        yield
        return

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
