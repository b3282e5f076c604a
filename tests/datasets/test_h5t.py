"""h5torch files: bento-sc layout, round trips, streaming in batches, broken files.

Writing and reading ``.h5t`` needs h5py only; the tests that read with h5torch or stream
torch tensors need the [torch] extra and skip without it (tests/needs.py).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from anndata import AnnData

from pytest_scbench import registry
from pytest_scbench.datasets import (
    DatasetKeys,
    convert_h5ad_to_h5t,
    file_dataset,
    h5t_for,
    read_h5t,
    write_h5t,
)
from pytest_scbench.datasets.h5t import H5tWriter, h5t_shape
from pytest_scbench.errors import DatasetError
from tests.needs import needs_torch


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory):
    data_dir = tmp_path_factory.mktemp("h5t-data")
    return registry.datasets.get("pbmc68k_batches")().load(data_dir).adata


def _same(a: AnnData, b: AnnData) -> None:
    assert (sp.csr_matrix(a.X) != sp.csr_matrix(b.X)).nnz == 0
    assert list(a.obs_names) == list(b.obs_names) and list(a.var_names) == list(b.var_names)
    pd.testing.assert_frame_equal(a.obs, b.obs, check_categorical=True, check_names=False)
    pd.testing.assert_frame_equal(a.var, b.var, check_names=False)


@pytest.mark.parametrize("layout", ["csr", "csc", "dense"])
def test_convert_round_trips(layout: str, batches: AnnData, tmp_path: Path) -> None:
    adata = batches.copy()
    adata.X = {"csr": sp.csr_matrix, "csc": sp.csc_matrix, "dense": lambda m: m.toarray()}[layout](adata.X)
    src = tmp_path / "in.h5ad"
    adata.write_h5ad(src)
    out = convert_h5ad_to_h5t(src, tmp_path / "out.h5t", block=97)  # blocks that do not divide 700
    _same(read_h5t(out, dataset="x"), batches)
    assert h5t_shape(out) == (700, 765)


def test_convert_takes_counts_from_raw(batches: AnnData, tmp_path: Path) -> None:
    adata = batches.copy()
    adata.raw = adata.copy()
    adata.X = adata.X * 0.5  # a "normalised" X, not the counts
    adata.write_h5ad(tmp_path / "in.h5ad")
    out = convert_h5ad_to_h5t(tmp_path / "in.h5ad", tmp_path / "out.h5t", counts="raw.X")
    assert (read_h5t(out, dataset="x").X != batches.X).nnz == 0


@needs_torch
def test_layout_is_bento_sc_and_readable_by_h5torch(batches: AnnData, tmp_path: Path) -> None:
    import h5torch

    path = write_h5t(batches, tmp_path / "x.h5t")
    with h5py.File(path) as f:
        central = f["central"]
        assert central.attrs["mode"] == "csr" and list(central.attrs["shape"]) == [700, 765]
        assert bool(central.attrs["load_sparse"]) and list(central.attrs["dtypes"]) == ["float32", "float32"]
        assert central["indptr"].dtype == np.int64 and central["data"].dtype == np.float32
        assert {"obs_names", "batch", "bulk_labels"} <= set(f["0"]) and "var_names" in f["1"]
        assert "0_batch_categories" in f["unstructured"]
    dataset = h5torch.Dataset(str(path))
    try:
        assert len(dataset) == 700
        sample = dataset[5]
        indices, values = sample["central"]
        row = batches.X[5]
        assert np.array_equal(indices, row.indices) and np.array_equal(values, row.data)
        assert sample["0/obs_names"] == batches.obs_names[5]
        categories = list(batches.obs["batch"].cat.categories)
        assert categories[sample["0/batch"]] == batches.obs["batch"].iloc[5]
    finally:
        dataset.close()


@pytest.mark.parametrize("batch_size", [1, 64, 700, 1000])
@needs_torch
def test_stream_yields_every_cell_once_in_order(batch_size: int, batches: AnnData, tmp_path: Path) -> None:
    import torch

    from pytest_scbench.datasets import stream_h5t

    path = write_h5t(batches, tmp_path / "x.h5t")
    seen = []
    for counts, index in stream_h5t(path, batch_size):
        assert counts.dtype == torch.float32 and index.dtype == torch.int64
        assert counts.shape == (len(index), 765) and len(index) <= batch_size
        assert np.array_equal(counts.numpy(), batches.X[index.numpy()].toarray())
        seen.append(index)
    assert torch.equal(torch.cat(seen), torch.arange(700))


@needs_torch
def test_stream_a_range(batches: AnnData, tmp_path: Path) -> None:
    import torch

    from pytest_scbench.datasets import stream_h5t

    path = write_h5t(batches, tmp_path / "x.h5t")
    indices = torch.cat([i for _, i in stream_h5t(path, 50, start=100, stop=333)])
    assert torch.equal(indices, torch.arange(100, 333))


@needs_torch
def test_dataloader_workers_cover_all_cells(batches: AnnData, tmp_path: Path) -> None:
    """Workers started by spawn (macOS' default; Linux's from Python 3.14, forkserver, pickles
    the same way; fork from a process with torch's threads is what Python 3.12 warns
    against): the dataset pickles without its open file and each worker reads its share."""
    import torch

    from pytest_scbench.datasets import H5tBatches

    path = write_h5t(batches, tmp_path / "x.h5t")
    loader = torch.utils.data.DataLoader(
        H5tBatches(path, 128), batch_size=None, num_workers=2, multiprocessing_context="spawn"
    )
    got = {}
    for counts, index in loader:
        for i, row in zip(index.tolist(), counts, strict=True):
            assert i not in got
            got[i] = row
    assert sorted(got) == list(range(700))
    assert np.array_equal(got[699].numpy(), batches.X[699].toarray().ravel())
    assert len(H5tBatches(path, 128)) == 6


def test_file_dataset_reads_h5t(batches: AnnData, tmp_path: Path) -> None:
    path = write_h5t(batches, tmp_path / "mine.h5t")
    spec = file_dataset("mine", path, DatasetKeys(label_key="bulk_labels", batch_key="batch"))
    assert spec.gene_id_type == "symbol"
    data = spec.load(tmp_path)
    assert set(data.column("batch")) == {"batch0", "batch1", "batch2"}
    _same(data.adata, batches)


def test_unicode_names_and_bool_columns(tmp_path: Path) -> None:
    adata = AnnData(
        X=sp.csr_matrix(np.eye(3, dtype=np.float32)),
        obs=pd.DataFrame({"ok": [True, False, True], "donor": ["Zoë", "Ana", "Zoë"]}, index=["ç1", "c2", "c3"]),
        var=pd.DataFrame(index=["GENE1", "GENE2", "GENE3"]),
    )
    back = read_h5t(write_h5t(adata, tmp_path / "u.h5t"), dataset="u")
    assert list(back.obs_names) == ["ç1", "c2", "c3"]
    assert back.obs["ok"].tolist() == [True, False, True] and back.obs["donor"].tolist() == ["Zoë", "Ana", "Zoë"]


def test_broken_and_foreign_files(batches: AnnData, tmp_path: Path) -> None:
    path = write_h5t(batches, tmp_path / "x.h5t")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(DatasetError, match=r"dataset 'x': .*x.h5t.*truncated"):
        read_h5t(path, dataset="x")
    other = tmp_path / "other.h5t"
    with h5py.File(other, "w") as f:
        f["something"] = np.zeros(2)
    with pytest.raises(DatasetError, match=r"is not an .h5t with a CSR central object"):
        read_h5t(other, dataset="x")


@needs_torch
def test_streaming_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    from pytest_scbench.datasets import stream_h5t

    with pytest.raises(DatasetError, match="does not exist"):
        list(stream_h5t(tmp_path / "missing.h5t"))


def test_writer_leaves_nothing_when_it_fails(batches: AnnData, tmp_path: Path) -> None:
    target = tmp_path / "partial.h5t"
    writer = H5tWriter(target, 700, batches.var)
    writer.append(batches.X[:100])
    with pytest.raises(ValueError, match="100 cells appended, 700 declared"):
        writer.close(batches.obs)
    assert list(tmp_path.iterdir()) == []


def test_h5t_for_caches_by_fingerprint(tmp_path: Path) -> None:
    data = registry.datasets.get("pbmc68k_perturb")().load(tmp_path)
    path = h5t_for(data, tmp_path)
    assert path == tmp_path / "pbmc68k_perturb" / "data.h5t"
    mtime = path.stat().st_mtime_ns
    assert h5t_for(data, tmp_path).stat().st_mtime_ns == mtime
    scaled = registry.datasets.get("pbmc68k_perturb")(n_cells=900).load(tmp_path)
    assert h5t_for(scaled, tmp_path) == tmp_path / "pbmc68k_perturb__n_cells-900" / "data.h5t"
    assert h5t_shape(h5t_for(scaled, tmp_path)) == (900, 765)
