"""Validation on load: fatal problems raise naming data set and file, the rest warns."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from anndata import AnnData

from pytest_scbench.datasets import DatasetKeys, DatasetWarning, file_dataset, validate
from pytest_scbench.datasets.specs import make_spec
from pytest_scbench.datasets.validate import classify_gene_ids, detect_gene_id_type
from pytest_scbench.errors import DatasetError

GENES = ["CD3E", "MS4A1", "LYZ", "NKG7", "HLA-DRA", "MT-ND3"]


def _adata(X=None, genes=GENES, **obs) -> AnnData:
    X = np.array([[1, 0, 2, 0, 1, 0], [0, 3, 0, 1, 0, 2], [2, 2, 0, 0, 1, 1]], dtype=np.float32) if X is None else X
    frame = pd.DataFrame({"cell_type": ["T", "B", "M"], **obs}, index=[f"c{i}" for i in range(3)])
    return AnnData(X=X, obs=frame, var=pd.DataFrame(index=list(genes)))


LABELLED = DatasetKeys(label_key="cell_type")


def _spec(keys: DatasetKeys = LABELLED, gene_id_type: str = "symbol"):
    return make_spec("toy", keys, "fp", lambda d: (None, None), gene_id_type=gene_id_type)


def test_clean_data_passes_silently(recwarn: pytest.WarningsRecorder) -> None:
    report = validate(_adata(), _spec(), "toy.h5ad")
    assert not [w for w in recwarn if issubclass(w.category, DatasetWarning)]
    assert report.n_obs == 3 and not report.non_integer and report.n_empty_cells == 0


def test_missing_key_column_names_key_file_and_columns() -> None:
    with pytest.raises(
        DatasetError,
        match=r"dataset 'toy' \(toy.h5ad\): batch_key 'batch' \(batch\) is not an obs column; "
        r"columns are \['cell_type'\]",
    ):
        validate(_adata(), _spec(DatasetKeys(label_key="cell_type", batch_key="batch")), "toy.h5ad")


def test_control_value_must_occur() -> None:
    keys = DatasetKeys(condition_key="cond", control_value="ctrl")
    with pytest.raises(DatasetError, match=r"no cell has cond == 'ctrl'"):
        validate(_adata(cond=["a", "b", "a"]), _spec(keys), None)
    validate(_adata(cond=["a", "ctrl", "a"]), _spec(keys), None)


def test_negative_counts_are_fatal() -> None:
    X = np.array([[1, -1, 0, 0, 0, 0]] * 3, dtype=np.float32)
    with pytest.raises(DatasetError, match=r"negative values \(min -1\)"):
        validate(_adata(X), _spec(), "f.h5ad")


def test_nan_is_fatal() -> None:
    X = np.ones((3, 6), dtype=np.float32)
    X[0, 0] = np.nan
    with pytest.raises(DatasetError, match="NaN"):
        validate(_adata(X), _spec())


def test_non_integer_counts_warn() -> None:
    X = sp.csr_matrix(np.array([[0.5, 1, 0, 0, 0, 0]] * 3, dtype=np.float32))
    adata = _adata(X)  # outside: pytest.warns re-emits anndata's own notices under pandas 3
    with pytest.warns(DatasetWarning, match="non-integer"):
        report = validate(adata, _spec(), "f.h5ad")
    assert report.non_integer


@pytest.mark.filterwarnings("ignore:Variable names are not unique:UserWarning")  # anndata's own, on purpose
def test_empty_cells_and_duplicate_genes_are_reported() -> None:
    X = np.array([[0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], [2, 0, 0, 0, 0, 0]], dtype=np.float32)
    genes = ["CD3E", "CD3E", "LYZ", "NKG7", "LYZ", "GNLY"]
    adata = _adata(X, genes)
    with pytest.warns(DatasetWarning) as record:
        report = validate(adata, _spec())
    text = " ".join(str(w.message) for w in record)
    assert "1 of 3 cells have no counts" in text
    assert "2 gene names occur more than once" in text
    assert report.n_empty_cells == 1 and report.duplicate_genes == ["CD3E", "LYZ"]


def test_integer_var_names_are_not_gene_ids() -> None:
    with pytest.raises(DatasetError, match=r"100% of var_names are neither gene symbols nor Ensembl ids"):
        validate(_adata(genes=[str(i) for i in range(6)]), _spec())


def test_gene_id_type_mismatch_is_fatal() -> None:
    ens = [f"ENSG{i:011d}" for i in range(6)]
    with pytest.raises(DatasetError, match="set gene_id_type: ensembl"):
        validate(_adata(genes=ens), _spec())
    validate(_adata(genes=ens), _spec(gene_id_type="ensembl"))
    with pytest.raises(DatasetError, match="set gene_id_type: symbol"):
        validate(_adata(), _spec(gene_id_type="ensembl"))


def test_gene_id_classification() -> None:
    fr = classify_gene_ids(["ENSMUSG00000000001.4", "Cd3e", "RP11-782C8.1", "0", "ENSG0000"])
    assert fr == {"ensembl": 0.2, "symbol": 0.6, "unrecognised": 0.2}
    assert detect_gene_id_type(["ENSG00000141510", "ENSG00000012048", "TP53"]) == "ensembl"


def test_duplicate_cell_names_are_fatal() -> None:
    adata = _adata()
    adata.obs_names = ["a", "a", "b"]
    with pytest.raises(DatasetError, match="obs_names .* not unique"):
        validate(adata, _spec())


# --- broken files: an error naming the file and the problem, never an h5py message ---


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "toy.h5ad"
    _adata().write_h5ad(path)
    return path


def test_file_dataset_loads_a_good_file(tmp_path: Path) -> None:
    path = _write(tmp_path)
    spec = file_dataset("mine", path, DatasetKeys(label_key="cell_type"))
    assert spec.gene_id_type == "symbol" and spec.fingerprint.startswith("file-sha256-")
    data = spec.load(tmp_path)
    assert data.adata.shape == (3, 6) and sp.issparse(data.adata.X) is False
    assert data.adata.X.dtype == np.float32


def test_fingerprint_changes_when_the_file_changes(tmp_path: Path) -> None:
    path = _write(tmp_path)
    keys = DatasetKeys(label_key="cell_type")
    first = file_dataset("mine", path, keys).fingerprint
    assert file_dataset("mine", path, keys).fingerprint == first
    _adata()[:2].copy().write_h5ad(path)
    assert file_dataset("mine", path, keys).fingerprint != first


def test_ensembl_file_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "ens.h5ad"
    _adata(genes=[f"ENSG{i:011d}" for i in range(6)]).write_h5ad(path)
    spec = file_dataset("ens", path, DatasetKeys())
    assert spec.gene_id_type == "ensembl"
    spec.load(tmp_path)


ENSEMBL = [f"ENSG{i:011d}" for i in range(6)]


@pytest.mark.parametrize(
    "encoding, values",
    [
        ("string-array", lambda: np.array(ENSEMBL, dtype=object)),
        ("nullable-string-array", lambda: pd.array(ENSEMBL, dtype="string")),
        ("categorical", lambda: pd.Categorical(ENSEMBL)),
        ("no encoding metadata", lambda: np.array(ENSEMBL, dtype="S")),
    ],
    ids=["string-array", "nullable-string-array", "categorical", "no-encoding"],
)
def test_gene_ids_are_detected_in_every_encoding_of_the_var_index(tmp_path: Path, encoding: str, values) -> None:
    """The var index rewritten with anndata's own writer in each string encoding it has."""
    import h5py
    from anndata.io import write_elem

    path = tmp_path / "ens.h5ad"
    _adata().write_h5ad(path)
    with h5py.File(path, "r+") as handle:
        var = handle["var"]
        index = var.attrs["_index"]
        del var[index]
        if encoding == "no encoding metadata":  # as h5py writes it, or an old anndata
            var[index] = values()
        else:
            import anndata

            opt_in = {"allow_write_nullable_strings": True}  # anndata 0.11/0.12 write these on request only
            settings = anndata.settings.override(**opt_in) if hasattr(anndata.settings, *opt_in) else nullcontext()
            try:
                with settings:
                    write_elem(var, index, values())
            except Exception as exc:  # an older anndata lacks this encoding: nothing to detect
                pytest.skip(f"this anndata cannot write {encoding}: {type(exc).__name__}: {exc}")
            written = var[index].attrs["encoding-type"]
            if written != encoding:
                pytest.skip(f"this anndata writes {type(values()).__name__} as {written}, not {encoding}")
    assert file_dataset("ens", path, DatasetKeys()).gene_id_type == "ensembl"


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: p.unlink(), r"does not exist"),
        (lambda p: p.write_bytes(b""), r"is empty \(0 bytes\)"),
        (lambda p: p.write_bytes(b"<html>404 Not Found</html>"), r"is not an HDF5 file"),
        (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), r"truncated"),
    ],
    ids=["missing", "empty", "html", "truncated"],
)
def test_broken_file_is_a_clear_error(tmp_path: Path, damage, message: str) -> None:
    path = _write(tmp_path)
    spec = file_dataset("mine", path, DatasetKeys(label_key="cell_type"))
    damage(path)
    with pytest.raises(DatasetError, match=message) as info:
        spec.load(tmp_path)
    text = str(info.value)
    assert text.startswith("dataset 'mine'") and str(path) in text
    assert "Unable to synchronously" not in text and "Traceback" not in text


def test_hdf5_that_is_not_anndata(tmp_path: Path) -> None:
    import h5py

    path = tmp_path / "other.h5ad"
    with h5py.File(path, "w") as f:
        f["matrix"] = np.zeros(3)
    with pytest.raises(DatasetError, match=r"HDF5 but not an AnnData .h5ad file \(no obs, var\)"):
        file_dataset("mine", path, DatasetKeys()).load(tmp_path)


def test_wrong_suffix(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"suffix '.csv'"):
        file_dataset("mine", tmp_path / "x.csv", DatasetKeys())


def test_embedding_only_file_loads_and_expression_is_checked_for_its_reader(tmp_path: Path) -> None:
    path = tmp_path / "emb.h5ad"
    obs = pd.DataFrame({"cell_type": ["a", "b", "a"]}, index=["c0", "c1", "c2"])
    AnnData(obs=obs, obsm={"X_emb": np.zeros((3, 2), dtype=np.float32)}).write_h5ad(path)
    dataset = file_dataset("mine", path, DatasetKeys(label_key="cell_type")).load(tmp_path)
    assert dataset.n_obs == 3 and dataset.adata.n_vars == 0
    with pytest.raises(DatasetError, match=r"dataset 'mine'.*no genes.*model 'pca' reads X and var_names"):
        dataset.require_expression("model 'pca'")


def test_bad_gene_ids_are_refused_only_for_a_reader_of_expression(tmp_path: Path) -> None:
    path = tmp_path / "lost_index.h5ad"
    _adata(genes=[str(i) for i in range(6)]).write_h5ad(path)
    dataset = file_dataset("mine", path, DatasetKeys(label_key="cell_type")).load(tmp_path)
    with pytest.raises(DatasetError, match=r"var_names are neither gene symbols.*model 'scgpt' reads"):
        dataset.require_expression("model 'scgpt'")


def test_a_task_that_reads_counts_only_needs_no_gene_ids(tmp_path: Path) -> None:
    path = tmp_path / "lost_index.h5ad"
    _adata(genes=[str(i) for i in range(6)]).write_h5ad(path)
    dataset = file_dataset("mine", path, DatasetKeys(label_key="cell_type")).load(tmp_path)
    assert dataset.require_expression("task 'reconstruction'", genes=False).n_vars == 6
    negative = _adata(X=-np.ones((3, 6), dtype=np.float32))
    negative.write_h5ad(path)
    dataset = file_dataset("mine", path, DatasetKeys(label_key="cell_type")).load(tmp_path)
    with pytest.raises(DatasetError, match=r"negative values.*task 'reconstruction' reads X"):
        dataset.require_expression("task 'reconstruction'", genes=False)
