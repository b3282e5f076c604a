"""The gate: pass, regress, improve, missing, strict, update, broken baseline files."""

from __future__ import annotations

import json

import pytest

from .conftest import baseline_path, esc, read_json, write_suite

EMBEDDING_ONLY = ("suites", "-k", "embedding")


def record(project: pytest.Pytester) -> dict:
    result = project.runpytest(*EMBEDDING_ONLY, "--scbench-update-baselines")
    result.assert_outcomes(passed=2, deselected=2)
    return read_json(baseline_path(project))


def test_update_writes_value_direction_tolerance_per_item_and_metric(project: pytest.Pytester) -> None:
    stored = record(project)
    assert stored["version"] == 1 and stored["suite"] == "demo"
    assert sorted(stored["entries"]) == ["demo[pca-pbmc68k-embedding]", "demo[random-pbmc68k-embedding]"]
    entry = stored["entries"]["demo[pca-pbmc68k-embedding]"]["asw_label"]
    assert entry["direction"] == "higher" and entry["tolerance"] == 0.02
    assert 0.0 <= entry["value"] <= 1.0


def test_unchanged_run_passes_against_its_baseline(project: pytest.Pytester) -> None:
    record(project)
    result = project.runpytest(*EMBEDDING_ONLY)
    result.assert_outcomes(passed=2, deselected=2)
    assert "no stored baseline" not in result.stdout.str()


def test_raised_baseline_fails_exactly_that_item_with_table_and_update_restores(project: pytest.Pytester) -> None:
    stored = record(project)
    item = "demo[pca-pbmc68k-embedding]"
    original = stored["entries"][item]["asw_label"]["value"]
    stored["entries"][item]["asw_label"]["value"] = original + 0.1
    baseline_path(project).write_text(json.dumps(stored))

    result = project.runpytest(*EMBEDDING_ONLY)
    result.assert_outcomes(passed=1, failed=1, deselected=2)
    result.stdout.fnmatch_lines([esc(f"FAILED suites/demo.yaml::{item}*")])
    result.stdout.fnmatch_lines(
        [
            esc(f"{item}: 1 metric(s) regressed: asw_label"),
            "metric*baseline*value*difference*tolerance*status",
            f"asw_label*{original + 0.1:.4f}*{original:.4f}*-0.1000*0.0200*REGRESSED",
        ]
    )
    result.stdout.fnmatch_lines(["regressions (1):", esc(f"  {item} asw_label: *")])

    result = project.runpytest(*EMBEDDING_ONLY, "--scbench-update-baselines")
    result.assert_outcomes(passed=2, deselected=2)
    result.stdout.fnmatch_lines(
        ["baselines updated: *demo.json: 0 added, 1 changed, 0 removed", esc(f"  changed: {item} asw_label: *")]
    )
    assert read_json(baseline_path(project))["entries"][item]["asw_label"]["value"] == original
    project.runpytest(*EMBEDDING_ONLY).assert_outcomes(passed=2, deselected=2)


def test_improvement_beyond_tolerance_passes_and_is_listed(project: pytest.Pytester) -> None:
    stored = record(project)
    item = "demo[random-pbmc68k-embedding]"
    stored["entries"][item]["asw_label"]["value"] -= 0.2
    baseline_path(project).write_text(json.dumps(stored))
    result = project.runpytest(*EMBEDDING_ONLY)
    result.assert_outcomes(passed=2, deselected=2)
    result.stdout.fnmatch_lines(["improvements beyond tolerance (1):", esc(f"  {item} asw_label: *")])


def test_tolerance_from_suite_applies_to_entries_without_one(project: pytest.Pytester) -> None:
    stored = record(project)
    item = "demo[pca-pbmc68k-embedding]"
    entry = stored["entries"][item]["asw_label"]
    entry["value"] += 0.05
    del entry["tolerance"]
    baseline_path(project).write_text(json.dumps(stored))
    write_suite(
        project,
        """
        name: demo
        tolerance: {default: 0.02, asw_label: 0.1}
        models: [random, pca]
        datasets: [pbmc68k]
        tasks: [embedding, clustering]
        """,
    )
    project.runpytest(*EMBEDDING_ONLY).assert_outcomes(passed=2, deselected=2)


def test_seed_spread_widens_tolerance(project: pytest.Pytester) -> None:
    stored = record(project)
    item = "demo[pca-pbmc68k-embedding]"
    entry = stored["entries"][item]["asw_label"]
    entry.update(value=entry["value"] + 0.05, std=0.02, n_seeds=3)  # 0.05 < 3 * 0.02
    baseline_path(project).write_text(json.dumps(stored))
    project.runpytest(*EMBEDDING_ONLY).assert_outcomes(passed=2, deselected=2)
    project.runpytest(*EMBEDDING_ONLY, "--scbench-z", "1").assert_outcomes(passed=1, failed=1, deselected=2)


def test_missing_baseline_fails_under_strict(project: pytest.Pytester) -> None:
    result = project.runpytest(*EMBEDDING_ONLY, "--scbench-strict")
    result.assert_outcomes(failed=2, deselected=2)
    result.stdout.fnmatch_lines(["*1 metric(s) have no baseline (--scbench-strict): asw_label*"])


def test_strict_as_ini_key(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nscbench_strict = true\n")
    project.runpytest(*EMBEDDING_ONLY).assert_outcomes(failed=2, deselected=2)


def test_update_touches_only_completed_items_and_reports_removed_metrics(project: pytest.Pytester) -> None:
    stored = record(project)
    stored["entries"]["demo[other-item]"] = {"x": {"value": 1.0, "direction": "higher", "tolerance": 0.1}}
    stored["entries"]["demo[pca-pbmc68k-embedding]"]["gone"] = {"value": 1.0, "direction": "lower", "tolerance": 0.1}
    baseline_path(project).write_text(json.dumps(stored))
    result = project.runpytest("suites", "-k", "pca and embedding", "--scbench-update-baselines")
    result.assert_outcomes(passed=1, deselected=3)
    result.stdout.fnmatch_lines(
        ["baselines updated: *0 added, 0 changed, 1 removed", esc("  removed: demo[pca-pbmc68k-embedding] gone")]
    )
    after = read_json(baseline_path(project))["entries"]
    assert after["demo[other-item]"] == stored["entries"]["demo[other-item]"]
    assert after["demo[random-pbmc68k-embedding]"] == stored["entries"]["demo[random-pbmc68k-embedding]"]
    assert "gone" not in after["demo[pca-pbmc68k-embedding]"]


def test_broken_baseline_file_fails_the_run_and_is_never_overwritten(project: pytest.Pytester) -> None:
    path = baseline_path(project)
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "entries": {')
    before = path.read_bytes()
    result = project.runpytest(*EMBEDDING_ONLY, "--scbench-update-baselines")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*demo.json: not valid JSON (line 1, column *"])
    assert path.read_bytes() == before
