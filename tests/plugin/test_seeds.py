"""Seeds and spread: a baseline recorded over seeds holds on fresh seeds and catches a real drop."""

from __future__ import annotations

import json

import pytest

from .conftest import baseline_path, esc, read_json, write_suite

ITEM = "spread[pca-pbmc68k-clustering]"
SUITE = """
name: spread
tolerance: 0.0          # the seed spread alone sets the allowed drop
models: [pca]
datasets: [pbmc68k]
tasks: [clustering]
"""


@pytest.fixture
def spread(project: pytest.Pytester) -> pytest.Pytester:
    write_suite(project, SUITE, name="spread")
    (project.path / "suites" / "demo.yaml").unlink()
    return project


def run(project: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    result = project.runpytest("suites", "--scbench-seeds", "5", "--scbench-json", "r.json", *args)
    return result, read_json(project.path / "r.json")["items"][0]


def test_fresh_seeds_pass_and_a_drop_of_five_spreads_fails(spread: pytest.Pytester) -> None:
    result, recorded = run(spread, "--scbench-update-baselines")
    result.assert_outcomes(passed=1)
    stored = read_json(baseline_path(spread, "spread"))
    ari = stored["entries"][ITEM]["ari"]
    assert recorded["seeds"] == [0, 1, 2, 3, 4] and ari["n_seeds"] == 5 and ari["std"] > 0

    # The unchanged model on five seeds it has never seen: within 3 spreads, so it passes.
    result, fresh = run(spread, "--scbench-seed-offset", "5")
    result.assert_outcomes(passed=1)
    assert fresh["seeds"] == [5, 6, 7, 8, 9]
    assert fresh["metrics"]["ari"]["values"] != recorded["metrics"]["ari"]["values"]
    assert fresh["verdicts"]["ari"]["status"] == "ok"
    assert fresh["verdicts"]["ari"]["tolerance"] == pytest.approx(3 * ari["std"])

    # A drop of five spreads (planted by raising the stored mean) fails on the fresh seeds.
    ari["value"] += 5 * ari["std"]
    baseline_path(spread, "spread").write_text(json.dumps(stored))
    result, dropped = run(spread, "--scbench-seed-offset", "5")
    result.assert_outcomes(failed=1)
    assert dropped["verdicts"]["ari"]["status"] == "regressed"
    result.stdout.fnmatch_lines(
        [esc(f"{ITEM}: 1 metric(s) regressed: ari"), f"ari*{ari['value']:.4f}*{3 * ari['std']:.4f}*REGRESSED"]
    )


def test_seed_offset_shifts_the_suite_seeds_and_is_reported(spread: pytest.Pytester) -> None:
    write_suite(spread, SUITE.replace("tolerance: 0.0", "seeds: [0, 2]"), name="spread")
    spread.runpytest("suites", "--scbench-seed-offset", "10", "--scbench-json", "r.json").assert_outcomes(passed=1)
    report = read_json(spread.path / "r.json")
    assert report["items"][0]["seeds"] == [10, 12] and report["options"]["seed_offset"] == 10
    result = spread.runpytest("suites", "--scbench-seed-offset", "-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--scbench-seed-offset must be 0 or more*"])
