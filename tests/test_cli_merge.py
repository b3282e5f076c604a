"""scbench merge: join shard reports, refuse reports that are not shards of one run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_scbench.cli import main
from pytest_scbench.report.json_report import build_report, write_report
from pytest_scbench.results import CaseResult

SUITES = {"core": {"file": "suites/core.yaml", "sha256": "aa", "baselines": "b.json", "baselines_sha256": "bb"}}
ENV = {"packages": {"pytest-scbench": "0.1.0"}}


def result(model: str, ari: float = 0.5) -> CaseResult:
    return CaseResult(
        id=f"core[{model}-pbmc68k-clustering]",
        suite="core",
        model=model,
        dataset="pbmc68k",
        task="clustering",
        metrics={"ari": {"value": ari, "direction": "higher"}},
        verdicts={"ari": {"status": "ok", "baseline": ari, "value": ari}},
        tolerances={"ari": 0.02},
        durations={"total": 1.0},
        completed=True,
        outcome="passed",
    )


def shard_report(path: Path, models: dict[str, float], index: int | None, count: int = 2, **changes: Any) -> Path:
    shard = {"index": index, "count": count} if index is not None else None
    report = build_report(
        [result(m, v) for m, v in models.items()], ENV, changes.pop("suites", SUITES), {}, shard=shard
    )
    report.update(changes)
    write_report(path, report)
    return path


def test_merge_joins_shards_and_compare_reads_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = shard_report(tmp_path / "a.json", {"pca": 0.7, "hvg": 0.6}, 1)
    b = shard_report(tmp_path / "b.json", {"random": 0.01}, 2)
    out = tmp_path / "all.json"
    assert main(["merge", str(a), str(b), "-o", str(out)]) == 0
    assert f"wrote {out}: 3 item(s) from 2 report(s)" in capsys.readouterr().out
    merged = json.loads(out.read_text())
    assert [i["id"] for i in merged["items"]] == sorted(
        ["core[pca-pbmc68k-clustering]", "core[hvg-pbmc68k-clustering]", "core[random-pbmc68k-clustering]"]
    )
    assert merged["shard"] == {"count": 2, "merged": [1, 2]}
    assert merged["summary"]["items"] == 3 and merged["summary"]["outcomes"] == {"passed": 3}
    assert merged["suites"] == SUITES and [m["path"] for m in merged["merged_from"]] == [str(a), str(b)]
    whole = shard_report(tmp_path / "whole.json", {"pca": 0.7, "hvg": 0.6, "random": 0.01}, None)
    assert main(["compare", str(whole), str(out)]) == 0
    assert "0 regression(s), 0 improvement(s) in 3 shared item(s)" in capsys.readouterr().out


def test_an_item_in_two_reports_with_the_same_result_is_kept_once(tmp_path: Path) -> None:
    a = shard_report(tmp_path / "a.json", {"pca": 0.7}, 1)
    b = shard_report(tmp_path / "b.json", {"pca": 0.7, "hvg": 0.6}, 2)
    assert main(["merge", str(a), str(b), "-o", str(tmp_path / "m.json")]) == 0
    assert json.loads((tmp_path / "m.json").read_text())["summary"]["items"] == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"environment": {"packages": {"pytest-scbench": "0.2.0"}}},
            "have different pytest-scbench versions ('0.1.0' and '0.2.0')",
        ),
        (
            {"suites": {"core": {**SUITES["core"], "baselines_sha256": "cc"}}},
            "ran suite 'core' with different baseline files (sha256 bb and cc)",
        ),
        ({"suites": {"core": {**SUITES["core"], "sha256": "ff"}}}, "ran suite 'core' with different suite files"),
        ({"suites": {"other": SUITES["core"]}}, "ran different suites (core and other)"),
    ],
)
def test_merge_refuses_reports_of_different_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict, message: str
) -> None:
    a = shard_report(tmp_path / "a.json", {"pca": 0.7}, 1)
    b = shard_report(tmp_path / "b.json", {"hvg": 0.6}, 2, **changes)
    assert main(["merge", str(a), str(b), "-o", str(tmp_path / "m.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"scbench: {a} and {b} ") and message in err
    assert not (tmp_path / "m.json").exists()


def test_merge_refuses_an_item_with_two_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = shard_report(tmp_path / "a.json", {"pca": 0.7}, 1)
    b = shard_report(tmp_path / "b.json", {"pca": 0.4}, 2)
    assert main(["merge", str(a), str(b), "-o", str(tmp_path / "m.json")]) == 2
    assert (
        f"item core[pca-pbmc68k-clustering] has different results in {a} and {b}; they are not shards of one run"
        in capsys.readouterr().err
    )


def test_missing_shards_are_refused_unless_partial(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = shard_report(tmp_path / "a.json", {"pca": 0.7}, 1, count=3)
    c = shard_report(tmp_path / "c.json", {"hvg": 0.6}, 3, count=3)
    assert main(["merge", str(a), str(c), "-o", str(tmp_path / "m.json")]) == 2
    assert "shard(s) 2/3 missing: the merged report is partial (pass --partial to merge anyway)" in (
        capsys.readouterr().err
    )
    assert main(["merge", str(a), str(c), "-o", str(tmp_path / "m.json"), "--partial"]) == 0
    assert "scbench: warning: shard(s) 2/3 missing" in capsys.readouterr().err
    assert json.loads((tmp_path / "m.json").read_text())["shard"] == {"count": 3, "merged": [1, 3]}


def test_merge_refuses_mixed_shard_counts_and_unsharded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = shard_report(tmp_path / "a.json", {"pca": 0.7}, 1, count=2)
    b = shard_report(tmp_path / "b.json", {"hvg": 0.6}, 2, count=3)
    whole = shard_report(tmp_path / "w.json", {"hvg": 0.6}, None)
    assert main(["merge", str(a), str(b), "-o", str(tmp_path / "m.json")]) == 2
    assert "different numbers of shards" in capsys.readouterr().err
    assert main(["merge", str(a), str(whole), "-o", str(tmp_path / "m.json")]) == 2
    assert f"{whole} is not a shard, {a} is" in capsys.readouterr().err


def test_unsharded_reports_merge_without_shard(tmp_path: Path) -> None:
    cpu = shard_report(tmp_path / "cpu.json", {"pca": 0.7}, None)
    gpu = shard_report(tmp_path / "gpu.json", {"scgpt": 0.8}, None)
    assert main(["merge", str(cpu), str(gpu), "-o", str(tmp_path / "m.json")]) == 0
    merged = json.loads((tmp_path / "m.json").read_text())
    assert merged["shard"] is None and merged["summary"]["items"] == 2


def test_merge_names_a_file_that_is_not_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["merge", str(bad), "-o", str(tmp_path / "m.json")]) == 2
    assert f"scbench: {bad}: not a pytest-scbench JSON report" in capsys.readouterr().err


def test_merge_keeps_each_expectation_check_once_a_run_check_over_a_skipped_one(tmp_path: Path) -> None:
    check = "core[expect-pca-beats-random-pbmc68k-clustering-ari]"
    skipped = {"id": check, "outcome": "skipped", "message": "core[random-pbmc68k-clustering] is not selected"}
    ran = {"id": check, "outcome": "failed", "value": 0.4, "other_value": 0.5, "difference": -0.1}
    a = shard_report(tmp_path / "a.json", {"pca": 0.4}, 1, expectations=[ran])
    b = shard_report(tmp_path / "b.json", {"random": 0.5}, 2, expectations=[skipped])
    for order in ((a, b), (b, a)):
        out = tmp_path / "all.json"
        assert main(["merge", *map(str, order), "-o", str(out)]) == 1  # the merged run holds a failed check
        assert json.loads(out.read_text())["expectations"] == [ran]
