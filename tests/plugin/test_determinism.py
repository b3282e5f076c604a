"""Determinism: the same run gives bit-identical metrics in one process and in fresh processes."""

from __future__ import annotations

import pytest

from .conftest import read_json, write_suite

#: Every stochastic part at once: a random control, Leiden, CV folds, kNN graphs, a mask.
SUITE = """
name: det
models: [random, pca, mean]
datasets: [pbmc68k_batches]
tasks:
  - embedding
  - clustering
  - {name: label_prediction, params: {classifiers: [knn]}}
  - batch_integration
  - reconstruction
"""
ARGS = ("suites", "-p", "no:cacheprovider", "--scbench-no-cache", "--scbench-seeds", "2")


def items(project: pytest.Pytester, name: str) -> list[dict]:
    """The report's items without their durations: everything else must match exactly."""
    report = read_json(project.path / name)
    return [{k: v for k, v in item.items() if k != "durations"} for item in report["items"]]


def test_metrics_are_bit_identical_in_one_process_and_in_a_fresh_one(project: pytest.Pytester) -> None:
    write_suite(project, SUITE, name="det")
    (project.path / "suites" / "demo.yaml").unlink()
    for name in ("first.json", "second.json"):
        project.runpytest(*ARGS, "--scbench-json", name).assert_outcomes(passed=9, skipped=6)
    project.runpytest_subprocess(*ARGS, "--scbench-json", "fresh.json").assert_outcomes(passed=9, skipped=6)
    first = items(project, "first.json")
    assert first == items(project, "second.json")
    assert first == items(project, "fresh.json")
    ran = [i for i in first if i["completed"]]
    assert len(ran) == 9 and all(len(m["values"]) == 2 for i in ran for m in i["metrics"].values())
