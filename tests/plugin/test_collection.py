"""Collection: one item per combination, readable ids, -k and -m selection, skips."""

from __future__ import annotations

import pytest

from .conftest import esc, write_suite

IDS = [
    "demo[random-pbmc68k-embedding]",
    "demo[random-pbmc68k-clustering]",
    "demo[pca-pbmc68k-embedding]",
    "demo[pca-pbmc68k-clustering]",
]


def test_one_item_per_combination_with_readable_ids(project: pytest.Pytester) -> None:
    result = project.runpytest("--collect-only", "-q", "suites")
    result.stdout.fnmatch_lines([esc(f"suites/demo.yaml::{i}") for i in IDS])
    assert result.ret == 0


def test_k_selects_exactly_the_matching_items(project: pytest.Pytester) -> None:
    result = project.runpytest("--collect-only", "-q", "suites", "-k", "pca and clustering")
    result.stdout.fnmatch_lines(
        ["suites/demo.yaml::demo[pca-pbmc68k-clustering]", "*1/4 tests collected (3 deselected)*"]
    )


def test_items_run_and_pass_without_baselines(project: pytest.Pytester) -> None:
    result = project.runpytest("suites", "-k", "embedding")
    result.assert_outcomes(passed=2, deselected=2)
    result.stdout.fnmatch_lines(
        ["*scbench summary*", "*demo / pbmc68k*", "note: 2 item(s) have metrics without a stored baseline*"]
    )


def test_task_needing_an_output_the_model_lacks_is_skipped_with_reason(project: pytest.Pytester) -> None:
    write_suite(
        project,
        """
        name: demo
        models: [random, mean]
        datasets: [pbmc68k]
        tasks: [embedding]
        """,
    )
    result = project.runpytest("suites", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] suites/demo.yaml: task 'embedding' needs embedding output, "
            "which model 'mean' does not provide*"
        ]
    )


def test_exclude_and_suite_markers(project: pytest.Pytester) -> None:
    write_suite(
        project,
        """
        name: demo
        models: [random, pca]
        datasets: [pbmc68k]
        tasks: [embedding, clustering]
        exclude:
          - {model: random, task: clustering}
        markers: [slow]
        """,
    )
    result = project.runpytest("--collect-only", "-q", "suites", "-m", "slow and scbench")
    result.stdout.fnmatch_lines(["*3 tests collected*"])
    result = project.runpytest("--collect-only", "-q", "suites", "-m", "not slow")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_yaml_outside_suite_patterns_is_ignored_unless_named(project: pytest.Pytester) -> None:
    (project.path / "config.yaml").write_text("not: a suite\n")
    (project.path / "other.yaml").write_text((project.path / "suites" / "demo.yaml").read_text())
    result = project.runpytest("--collect-only", "-q", ".")
    result.stdout.fnmatch_lines(["*4 tests collected*"])
    result = project.runpytest("--collect-only", "-q", "other.yaml")
    result.stdout.fnmatch_lines(["*4 tests collected*"])


def test_no_item_collected_exits_5_and_says_so(project: pytest.Pytester) -> None:
    result = project.runpytest("suites", "-k", "no_such_model")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["pytest-scbench: no benchmark item was collected (exit code 5)"])


@pytest.mark.parametrize(
    ("suite", "expected"),
    [
        (
            "name: demo\nmodels: [pcaa]\ndatasets: [pbmc68k]\ntasks: [embedding]\n",
            "*suites/demo.yaml: models[[]0[]].name: unknown model adapter 'pcaa'; did you mean 'pca'?*hvg*pca*random*",
        ),
        (
            "name: demo\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [embeding]\n",
            "*demo.yaml: tasks[[]0[]].name: unknown task 'embeding' (did you mean 'embedding'?); known: *clustering*",
        ),
        (
            "name: demo\nmodels: [pca]\ndatasets: [pbmc86k]\ntasks: [embedding]\n",
            "*suites/demo.yaml: datasets[[]0[]].dataset: unknown dataset 'pbmc86k' (did you mean 'pbmc68k'?)*",
        ),
        (
            "name: demo\nmodel: [pca]\ndatasets: [pbmc68k]\ntasks: [embedding]\n",
            "*suites/demo.yaml: model: unknown key 'model' (did you mean 'models'?); known: name, *",
        ),
        (
            "name: demo\nmodels: pca\ndatasets: [pbmc68k]\ntasks: [embedding]\n",
            "*suites/demo.yaml: models: expected a list, got str 'pca'*",
        ),
        (
            "name: demo\ntolerance: lots\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [embedding]\n",
            "*suites/demo.yaml: tolerance: expected a finite number >= 0, got str 'lots'*",
        ),
        (
            "name: demo\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks:\n  - name: clustering\n    params: {n_neighbors: fifteen}\n",
            "*suites/demo.yaml: tasks[[]0[]].params: task 'clustering': parameter 'n_neighbors' must be int, got str 'fifteen'*",
        ),
        ("name: demo\nmodels: [pca\n", "*suites/demo.yaml: line 3, column 1: not valid YAML*"),
        ("", "*suites/demo.yaml: the suite file is empty*"),
    ],
    ids=[
        "unknown-model",
        "unknown-task",
        "unknown-dataset",
        "misspelt-key",
        "wrong-type",
        "bad-tolerance",
        "bad-param",
        "bad-yaml",
        "empty",
    ],
)
def test_bad_suite_fails_collection_with_file_key_and_allowed_names(
    project: pytest.Pytester, suite: str, expected: str
) -> None:
    (project.path / "suites" / "demo.yaml").write_text(suite)
    result = project.runpytest("suites")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting suites/demo.yaml*", expected])
    # The message is ours: no Python traceback from inside the parser.
    assert "Traceback" not in result.stdout.str()
    assert "suite.py:" not in result.stdout.str()
