"""Bad input met during a run: the item fails with our message, never a dependency traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import write_suite

FIXTURES = Path(__file__).parents[2] / "fixtures"


def damaged_files(folder: Path) -> dict[str, str]:
    """Data set name -> file, each damaged in another way."""
    h5ad, h5t = (FIXTURES / "pbmc68k_tiny.h5ad").read_bytes(), (FIXTURES / "pbmc68k_tiny.h5t").read_bytes()
    files = {
        "cut.h5ad": h5ad[: len(h5ad) // 2],
        "cut.h5t": h5t[: len(h5t) // 3],
        "zeroed.h5ad": h5ad[:2000] + bytes(len(h5ad) - 4000) + h5ad[-2000:],
        "zeroed.h5t": h5t[:2000] + bytes(len(h5t) - 4000) + h5t[-2000:],
        "html.h5ad": b"<html><body>404 Not Found</body></html>",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name.replace(".", "_"): str(folder / name) for name in files}


def assert_no_traceback(result: pytest.RunResult) -> None:
    out = result.stdout.str()
    assert "Traceback" not in out and "site-packages" not in out and "pytest_scbench/" not in out, out


def test_damaged_data_files_fail_their_items_with_the_file_and_what_to_do(project: pytest.Pytester) -> None:
    files = damaged_files(project.path)
    datasets = "\n".join(f"  - {{name: {n}, path: {p}, label_key: bulk_labels}}" for n, p in files.items())
    write_suite(project, f"name: demo\nmodels: [pca]\ndatasets:\n{datasets}\ntasks: [embedding]\n")
    result = project.runpytest("suites")
    result.assert_outcomes(failed=5)
    result.stdout.fnmatch_lines(
        [
            "dataset 'cut_h5ad': cannot open '*cut.h5ad': the file is truncated: it has * bytes but its header "
            "says *; copy, download or convert it again",
            "dataset 'cut_h5t': cannot open '*cut.h5t': the file is truncated*; copy, download or convert it again",
            "dataset 'zeroed_h5ad': cannot * it is corrupt or not in the expected layout (*); copy, download *",
            "dataset 'zeroed_h5t': cannot * it is corrupt or not in the expected layout (*); copy, download *",
            "dataset 'html_h5ad': file '*html.h5ad' is not an HDF5 file (39 bytes; a truncated download, an HTML*",
        ],
        consecutive=False,
    )
    assert_no_traceback(result)


BAD_ADAPTER = """
import numpy as np
from pytest_scbench import ModelAdapter


class Bad(ModelAdapter):
    provides = frozenset({"embedding"})

    def __init__(self, kind: str = "nan") -> None:
        super().__init__(kind=kind)

    def embed(self, dataset, ctx):
        X = np.random.default_rng(ctx.seed).normal(size=(dataset.n_obs, 4))
        if self.params["kind"] == "nan":
            X[[3, 7], 1] = np.nan
        elif self.params["kind"] == "inf":
            X[0, 0] = np.inf
        elif self.params["kind"] == "rows":
            X = X[:-1]
        elif self.params["kind"] == "flat":
            X = X[:, 0]
        elif self.params["kind"] == "text":
            X = [["a"] * 4] * dataset.n_obs
        return X
"""


def test_invalid_model_outputs_fail_their_items_naming_model_dataset_and_problem(project: pytest.Pytester) -> None:
    project.makepyfile(bad_adapter=BAD_ADAPTER)
    project.syspathinsert()
    kinds = ("nan", "inf", "rows", "flat", "text")
    models = "\n".join(f'  - {{name: {k}, adapter: "bad_adapter:Bad", kind: {k}}}' for k in kinds)
    write_suite(project, f"name: demo\nmodels:\n{models}\ndatasets: [pbmc68k]\ntasks: [embedding]\n")
    result = project.runpytest("suites", "--scbench-no-cache")
    result.assert_outcomes(failed=5)
    result.stdout.fnmatch_lines(
        [
            "*: model 'nan' on dataset 'pbmc68k': embedding has 2 NaN/Inf values in 2 rows (first rows: [[]3, 7[]])",
            "*: model 'inf' on dataset 'pbmc68k': embedding has 1 NaN/Inf values in 1 rows (first rows: [[]0[]])",
            "*: model 'rows' on dataset 'pbmc68k': embedding has shape (699, 4), expected 700 along axis 0",
            "*: model 'flat' on dataset 'pbmc68k': embedding must be 2-dimensional, got shape (700,)",
            "*: model 'text' on dataset 'pbmc68k': embedding is not a numeric array (*)",
        ],
        consecutive=False,
    )
    assert_no_traceback(result)
