"""A suite's ``gate:`` (which metrics fail an item) and ``expect:`` (relative expectations), as a user runs them."""

from __future__ import annotations

import json

import pytest

from .conftest import baseline_path, esc, read_json, write_suite

CLUSTERING = "demo[pca-pbmc68k-clustering]"


def plant(project: pytest.Pytester, item: str, metric: str, shift: float) -> float:
    """Move one stored baseline value by ``shift``; the run's own value (the original baseline)."""
    stored = read_json(baseline_path(project))
    original = stored["entries"][item][metric]["value"]
    stored["entries"][item][metric]["value"] = original + shift
    baseline_path(project).write_text(json.dumps(stored))
    return original


def test_only_gated_metrics_fail_an_item_the_rest_is_changed_not_gated(project: pytest.Pytester) -> None:
    write_suite(
        project,
        """
        name: demo
        models: [pca]
        datasets: [pbmc68k]
        tasks:
          - name: clustering
            gate: [ari]
        """,
    )
    project.runpytest("suites", "--scbench-update-baselines").assert_outcomes(passed=1)
    nmi = plant(project, CLUSTERING, "nmi", 0.2)

    result = project.runpytest("suites", "--scbench-json", "r.json")
    result.assert_outcomes(passed=1)  # nmi dropped by 0.2, but only ari gates
    result.stdout.fnmatch_lines(
        [
            "changed beyond tolerance, not gated (1):",
            esc(f"  {CLUSTERING} nmi: {nmi + 0.2:.4f} -> {nmi:.4f} (-0.2000, tolerance 0.0200, higher is better)"),
        ]
    )
    # The grid shows the headline (ari) and names the metric its mark is about.
    result.stdout.fnmatch_lines(["model*clustering (ari)", "pca*▽nmi"])
    item = read_json(project.path / "r.json")["items"][0]
    assert item["gated"] == ["ari"] and item["headline"] == "ari"
    assert item["verdicts"]["nmi"]["status"] == "changed" and item["verdicts"]["ari"]["status"] == "ok"

    # gate: all makes the same drop fail, with the table; the grid's regressed mark names nmi.
    write_suite(project, "name: demo\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [{name: clustering, gate: all}]\n")
    result = project.runpytest("suites")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc(f"{CLUSTERING}: 1 metric(s) regressed: nmi"),
            "metric*baseline*value*difference*tolerance*status",
            "ari*ok",
            f"nmi*{nmi + 0.2:.4f}*{nmi:.4f}*-0.2000*0.0200*REGRESSED",
        ]
    )
    result.stdout.fnmatch_lines(["model*clustering (ari)", "pca*▼nmi"])


def test_label_prediction_gates_its_headlines_by_default(project: pytest.Pytester) -> None:
    write_suite(
        project,
        """
        name: demo
        models: [pca]
        datasets: [pbmc68k]
        tasks:
          - name: label_prediction
            params: {classifiers: [knn], n_folds: 2}
        """,
    )
    item = "demo[pca-pbmc68k-label_prediction]"
    project.runpytest("suites", "--scbench-update-baselines").assert_outcomes(passed=1)
    plant(project, item, "knn_macro_precision", 0.3)
    result = project.runpytest("suites", "--scbench-strict")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["changed beyond tolerance, not gated (1):", esc(f"  {item} knn_macro_precision: *")])
    result.stdout.fnmatch_lines(["model*label_prediction (mean_accuracy)", "pca*▽knn_macro_precision"])

    plant(project, item, "mean_macro_f1", 0.3)
    result = project.runpytest("suites")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [esc(f"{item}: 1 metric(s) regressed: mean_macro_f1"), "knn_macro_precision*changed, not gated"]
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{name: clustering, gate: [ari, nmj]}",
            "*demo.yaml: tasks[0].gate: task 'clustering' has no metric 'nmj' (did you mean 'nmi'?); its metrics: ari, nmi",
        ),
        ("{name: clustering, gate: []}", "*demo.yaml: tasks[0].gate: expected 'all' or a non-empty list of metric*"),
        ("{name: clustering, gate: [ari, ari]}", "*demo.yaml: tasks[0].gate: metric names repeat: ari, ari"),
    ],
)
def test_unknown_gate_metric_is_a_suite_error(project: pytest.Pytester, entry: str, message: str) -> None:
    write_suite(project, f"name: demo\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [{entry}]\n")
    result = project.runpytest("suites", "--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([esc(message)])


EXPECT_SUITE = """
name: demo
models: [random, pca]
datasets: [pbmc68k]
tasks: [clustering, embedding]
expect:
  - {model: random, beats: pca, metric: ari}
  - {model: pca, beats: random, by: 0.05}
  - {model: pca, within: {of: baseline, by: 0.01}, task: embedding}
"""


def test_expectations_are_items_a_loser_fails_with_the_table(project: pytest.Pytester) -> None:
    write_suite(project, EXPECT_SUITE)
    result = project.runpytest("suites", "--collect-only", "-q")
    ids = [line.split("::")[1] for line in result.stdout.lines if "::" in line]
    assert ids[4:] == [
        "demo[expect-random-beats-pca-pbmc68k-clustering-ari]",
        "demo[expect-pca-beats-random-pbmc68k-clustering-ari]",
        "demo[expect-pca-beats-random-pbmc68k-clustering-nmi]",
        "demo[expect-pca-beats-random-pbmc68k-embedding-asw_label]",
        "demo[expect-pca-within-baseline-pbmc68k-embedding-asw_label]",
    ]

    pages = ("--scbench-json", "r.json", "--scbench-html", "r.html", "--scbench-markdown", "r.md")
    result = project.runpytest("suites", "-rs", "--scbench-update-baselines", *pages)
    result.assert_outcomes(passed=7, failed=1, skipped=1)  # no baseline yet for within: skipped
    # The report people read lists every check, the failed one first in the page.
    checks = {e["id"]: e for e in read_json(project.path / "r.json")["expectations"]}
    assert [c["outcome"] for c in checks.values()].count("passed") == 3
    lost = checks["demo[expect-random-beats-pca-pbmc68k-clustering-ari]"]
    assert lost["outcome"] == "failed" and lost["difference"] < -0.4 and "FAILED" in lost["message"]
    within = checks["demo[expect-pca-within-baseline-pbmc68k-embedding-asw_label]"]
    assert within["outcome"] == "skipped" and "has no stored baseline" in within["message"]
    page = (project.path / "r.html").read_text()
    table = page[page.index('id="expectations-table"') :]
    assert table.index("expect-random-beats-pca") < table.index("expect-pca-beats-random")
    assert "1 of 5 check(s) failed." in (project.path / "r.md").read_text()
    result.stdout.fnmatch_lines(
        [
            esc(
                "demo[expect-random-beats-pca-pbmc68k-clustering-ari]: not true: random beats pca by more than 0 on ari"
            )
            + "*",
            esc("expectation: *demo.yaml: expect[0]"),
            "",
            "metric*random*pca*difference*required*better*status",
            "ari*-0.*> +0.0000*higher*FAILED",
        ]
    )
    result.stdout.fnmatch_lines(["SKIPPED*demo[[]pca-pbmc68k-embedding[]] has no stored baseline for asw_label*"])

    # Recorded now: within the baseline passes; a baseline planted above the value by more than 0.01 fails.
    selection = ("suites", "-k", "within or pca and embedding and not expect")
    project.runpytest(*selection).assert_outcomes(passed=2, deselected=7)
    value = plant(project, "demo[pca-pbmc68k-embedding]", "asw_label", 0.05)
    result = project.runpytest(*selection)
    result.assert_outcomes(failed=2, deselected=7)
    result.stdout.fnmatch_lines(
        [
            "metric*pca*pca baseline*difference*required*better*status",
            f"asw_label*{value:.4f}*{value + 0.05:.4f}*-0.0500*>= -0.0100*higher*FAILED",
        ]
    )


def test_expectation_whose_items_are_deselected_is_skipped(project: pytest.Pytester) -> None:
    write_suite(project, EXPECT_SUITE)
    result = project.runpytest("suites", "-rs", "-k", "expect and random and clustering")
    result.assert_outcomes(skipped=3, deselected=6)
    result.stdout.fnmatch_lines(["SKIPPED*is not selected in this run (-k, -m or --scbench-shard)*"])


def test_expectations_under_xdist_wait_for_results_of_other_workers(project: pytest.Pytester) -> None:
    write_suite(project, EXPECT_SUITE.replace("  - {model: pca, within", "  # - {model: pca, within"))
    result = project.runpytest_subprocess(
        "suites", "-p", "no:cacheprovider", "-n", "2", "-v", "--scbench-json", "r.json"
    )
    result.assert_outcomes(passed=7, failed=1)
    outcomes = sorted(e["outcome"] for e in read_json(project.path / "r.json")["expectations"])
    assert outcomes == ["failed", "passed", "passed", "passed"]
    result.stdout.fnmatch_lines(["*FAILED suites/demo.yaml::demo[[]expect-random-beats-pca-pbmc68k-clustering-ari]*"])
    result.stdout.fnmatch_lines(["ari*> +0.0000*higher*FAILED"])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{model: mine, beats: pca}", "*expect[0].model: unknown model 'mine'; this suite has: random, pca"),
        ("{model: pca, beats: randm}", "*expect[0].beats: unknown model 'randm' (did you mean 'random'?)*"),
        ("{model: pca}", "*expect[0]: give exactly one of 'beats: <model>' or 'within: {of: ..., by: ...}'"),
        ("{model: pca, beats: pca}", "*expect[0]: 'pca' is compared with itself*"),
        ("{model: pca, beats: random, by: .nan}", "*expect[0].by: expected a finite number, got nan"),
        ("{model: pca, within: {of: baseline, by: -1}}", "*expect[0].within.by: expected a number >= 0, got -1"),
        ("{model: pca, within: {of: random}}", "*expect[0].within: expected {of: <model> or baseline, by: <number>}*"),
        (
            "{model: pca, beats: random, metric: nmj}",
            "*expect[0].metric: no task of this expectation has a metric 'nmj' (did you mean 'nmi'?)*",
        ),
        ("{model: pca, beats: random, task: clustring}", "*expect[0].task: unknown task 'clustring' (did you mean*"),
        (
            "{model: pca, beats: random, tasks: clustering}",
            "*expect[0].tasks: unknown key 'tasks' (did you mean 'task'?)",
        ),
    ],
)
def test_malformed_expectation_is_a_suite_error(project: pytest.Pytester, entry: str, message: str) -> None:
    write_suite(
        project, f"name: demo\nmodels: [random, pca]\ndatasets: [pbmc68k]\ntasks: [clustering]\nexpect: [{entry}]\n"
    )
    result = project.runpytest("suites", "--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([esc(message)])


def test_two_entries_giving_one_check_are_a_suite_error(project: pytest.Pytester) -> None:
    write_suite(
        project,
        "name: demo\nmodels: [random, pca]\ndatasets: [pbmc68k]\ntasks: [clustering]\n"
        "expect: [{model: pca, beats: random}, {model: pca, beats: random, by: 0.1, metric: ari}]\n",
    )
    result = project.runpytest("suites", "--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*expect[[]1]: gives the check demo[[]expect-pca-beats-random-pbmc68k-clustering-ari]*"]
    )
