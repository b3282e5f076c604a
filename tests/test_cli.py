"""The scbench command: list and compare."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_scbench.cli import main
from pytest_scbench.report.json_report import build_report, write_report
from pytest_scbench.results import CaseResult


def report(path: Path, values: dict[str, float | None], failed: frozenset[str] = frozenset()) -> Path:
    """A report of clustering items: ``values`` the ari per model (None: no ari; nmi is 0.5),
    ``failed`` the models whose item failed with no metric."""
    results = [
        CaseResult(
            id=f"core[{model}-pbmc68k-clustering]",
            suite="core",
            model=model,
            dataset="pbmc68k",
            task="clustering",
            metrics={}
            if model in failed
            else {"nmi": {"value": 0.5, "direction": "higher"}}
            | ({} if value is None else {"ari": {"value": value, "direction": "higher"}}),
            tolerances={"ari": 0.02, "nmi": 0.02},
            completed=model not in failed,
            outcome="failed" if model in failed else "passed",
        )
        for model, value in values.items()
    ]
    write_report(path, build_report(results, {}, {}, {}))
    return path


def test_compare_lists_exactly_the_planted_regression_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = report(tmp_path / "old.json", {"pca": 0.70, "hvg": 0.60, "random": 0.01})
    new = report(tmp_path / "new.json", {"pca": 0.60, "hvg": 0.605, "random": 0.20})
    assert main(["compare", str(old), str(new)]) == 1
    out = capsys.readouterr().out.splitlines()
    rows = [line for line in out if line.startswith("core[")]
    assert len(rows) == 2
    assert rows[0].split()[:2] == ["core[pca-pbmc68k-clustering]", "ari"] and rows[0].endswith("REGRESSED")
    assert rows[1].split()[:2] == ["core[random-pbmc68k-clustering]", "ari"] and rows[1].endswith("IMPROVED")
    assert "1 regression(s), 1 improvement(s) in 3 shared item(s)" in out


def test_compare_of_equal_runs_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = report(tmp_path / "old.json", {"pca": 0.70})
    assert main(["compare", str(old), str(old), "--all"]) == 0
    assert "0 regression(s), 0 improvement(s) in 1 shared item(s)" in capsys.readouterr().out


def test_compare_reports_items_present_in_one_run_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = report(tmp_path / "old.json", {"pca": 0.70, "hvg": 0.6})
    new = report(tmp_path / "new.json", {"pca": 0.70, "scgpt": 0.8})
    assert main(["compare", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "only in old (1): core[hvg-pbmc68k-clustering]" in out
    assert "only in new (1): core[scgpt-pbmc68k-clustering]" in out


def test_compare_fails_when_the_new_run_lost_a_metric_or_an_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = report(tmp_path / "old.json", {"pca": 0.70, "hvg": 0.60})
    no_ari = report(tmp_path / "no_ari.json", {"pca": None, "hvg": 0.60})
    assert main(["compare", str(old), str(no_ari)]) == 1
    out = capsys.readouterr().out
    assert [line.split()[:2] + line.split()[-1:] for line in out.splitlines() if line.startswith("core[")] == [
        ["core[pca-pbmc68k-clustering]", "ari", "LOST"]
    ]
    assert "0 regression(s), 0 improvement(s) in 2 shared item(s); 1 metric(s) or item(s)" in out

    # an item that failed (a NaN metric, a crash) has no metrics: nothing to compare is not a pass
    failed = report(tmp_path / "failed.json", {"pca": 0.70, "hvg": 0.60}, failed=frozenset({"hvg"}))
    assert main(["compare", str(old), str(failed)]) == 1
    out = capsys.readouterr().out
    assert [line.split()[:1] + line.split()[-2:] for line in out.splitlines() if line.startswith("core[")] == [
        ["core[hvg-pbmc68k-clustering]", "failed", "NOT_RUN"]
    ]
    # the other way round, a metric or item gained, is no failure
    assert main(["compare", str(no_ari), str(old)]) == 0
    assert main(["compare", str(failed), str(old)]) == 0


def test_compare_rejects_files_that_are_not_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    assert main(["compare", str(other), str(other)]) == 2
    assert "not a pytest-scbench JSON report" in capsys.readouterr().err


@pytest.mark.parametrize("what", ["models", "datasets", "tasks"])
def test_list_registered(what: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", what]) == 0
    out = capsys.readouterr().out
    expected = {"models": ["random", "pca", "hvg"], "datasets": ["pbmc68k"], "tasks": ["clustering", "embedding"]}
    for name in expected[what]:
        assert f"\n{name} " in out


def test_list_suites_shows_items_and_skips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.yaml").write_text("name: s\nmodels: [random, mean]\ndatasets: [pbmc68k]\ntasks: [embedding]\n")
    assert main(["list", "suites", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "  s[random-pbmc68k-embedding]\n" in out
    assert "  s[mean-pbmc68k-embedding]  (skipped: task 'embedding' needs embedding output" in out


def test_list_suites_error_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.yaml").write_text("name: s\nmodels: [nope]\ndatasets: [pbmc68k]\ntasks: [embedding]\n")
    assert main(["list", "suites", str(tmp_path / "s.yaml")]) == 2
    assert "s.yaml: models[0].name: unknown model adapter 'nope'" in capsys.readouterr().err


def test_convert_writes_an_h5t_that_reads_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import anndata
    import numpy as np
    import scipy.sparse as sp

    from pytest_scbench.datasets.h5t import read_h5t

    counts = sp.random(30, 12, density=0.3, format="csr", random_state=0, dtype=np.float32)
    counts.data = np.ceil(counts.data * 10)
    adata = anndata.AnnData(counts)
    adata.obs_names = [f"c{i}" for i in range(30)]
    adata.var_names = [f"GENE{i}" for i in range(12)]
    adata.obs["cell_type"] = ["a", "b", "c"] * 10
    adata.write_h5ad(tmp_path / "in.h5ad")
    assert main(["convert", str(tmp_path / "in.h5ad"), str(tmp_path / "out.h5t")]) == 0
    assert "wrote" in capsys.readouterr().out
    back = read_h5t(tmp_path / "out.h5t", dataset="out")
    np.testing.assert_array_equal(back.X.toarray() if sp.issparse(back.X) else back.X, counts.toarray())
    assert list(back.obs_names) == list(adata.obs_names) and list(back.var_names) == list(adata.var_names)
    assert list(back.obs["cell_type"]) == list(adata.obs["cell_type"])


def test_convert_of_a_broken_file_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.h5ad").write_bytes(b"not hdf5")
    assert main(["convert", str(tmp_path / "bad.h5ad"), str(tmp_path / "out.h5t")]) == 2
    assert "bad.h5ad" in capsys.readouterr().err
