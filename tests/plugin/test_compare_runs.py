"""``scbench compare`` on the JSON reports of two real runs of a suite."""

from __future__ import annotations

import pytest

from pytest_scbench.cli import main

from .conftest import write_suite


def test_compare_of_two_real_runs_lists_exactly_the_planted_regression(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run the suite, degrade one model (pca on 2 components instead of 50), run again, compare."""
    project.runpytest("suites", "-k", "clustering", "--scbench-json", "old.json").assert_outcomes(passed=2)
    write_suite(
        project,
        """
        name: demo
        models: [random, {name: pca, n_comps: 2}]
        datasets: [pbmc68k]
        tasks: [embedding, clustering]
        """,
    )
    project.runpytest("suites", "-k", "clustering", "--scbench-json", "new.json").assert_outcomes(passed=2)
    capsys.readouterr()

    assert main(["compare", str(project.path / "old.json"), str(project.path / "new.json")]) == 1
    out = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in out if line.startswith("demo[")]
    assert [(r[0], r[1], r[-1]) for r in rows] == [
        ("demo[pca-pbmc68k-clustering]", "ari", "REGRESSED"),
        ("demo[pca-pbmc68k-clustering]", "nmi", "REGRESSED"),
    ]
    assert "2 regression(s), 0 improvement(s) in 2 shared item(s)" in out
