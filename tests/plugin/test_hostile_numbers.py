"""Numbers that decide a verdict, from a baseline file, an option or a task: checked where they enter.

A planted NaN, Infinity or null must never let a regression pass, never reach a baseline
file and never crash the terminal summary.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from .conftest import baseline_path, esc, read_json, write_suite

ITEM = "demo[pca-pbmc68k-embedding]"
EMBEDDING_ONLY = ("suites", "-k", "embedding")


def record(project: pytest.Pytester) -> dict:
    project.runpytest(*EMBEDDING_ONLY, "--scbench-update-baselines").assert_outcomes(passed=2, deselected=2)
    return read_json(baseline_path(project))


def plant(project: pytest.Pytester, field: str, literal: str) -> str:
    """Write the recorded baseline back with ``field`` of ITEM's asw_label set to a JSON literal."""
    path = baseline_path(project)
    stored = read_json(path)
    stored["entries"][ITEM]["asw_label"][field] = "__PLANTED__"
    text = json.dumps(stored, indent=2).replace('"__PLANTED__"', literal)
    path.write_text(text)
    return text


@pytest.mark.parametrize(
    ("field", "literal", "says"),
    [
        ("value", "NaN", "value: must be a finite number, not NaN"),
        ("value", "Infinity", "value: must be a finite number, not Infinity"),
        ("value", "-Infinity", "value: must be a finite number, not -Infinity"),
        ("value", "null", "value: must be a number, not null"),
        ("value", '"0.5"', "value: must be a number, not '0.5'"),
        ("value", "true", "value: must be a number, not true"),
        ("value", "1e400", "value: must be a finite number, not Infinity"),
        ("tolerance", "NaN", "tolerance: must be a finite number, not NaN"),
        ("tolerance", "null", "tolerance: must be a number, not null"),
        ("tolerance", "-0.5", "tolerance: must be >= 0, not -0.5"),
        ("std", "Infinity", "std: must be a finite number, not Infinity"),
        ("n_seeds", "0", "n_seeds: must be a positive integer, not 0"),
        ("n_seeds", "2.5", "n_seeds: must be a positive integer, not 2.5"),
    ],
)
def test_a_planted_baseline_number_fails_the_run_naming_file_entry_and_field(
    project: pytest.Pytester, field: str, literal: str, says: str
) -> None:
    record(project)
    planted = plant(project, field, literal)
    result = project.runpytest(*EMBEDDING_ONLY)
    result.assert_outcomes(failed=2, deselected=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert f"{baseline_path(project)}: entries['{ITEM}']['asw_label'].{says}; the file is left as it is" in out
    assert "Traceback" not in out and "TypeError" not in out
    result.stdout.fnmatch_lines(["*scbench summary*", "*ERR*"])
    # An update refuses to rewrite the broken file, and says so.
    result = project.runpytest(*EMBEDDING_ONLY, "--scbench-update-baselines")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert baseline_path(project).read_text() == planted


def test_a_nan_tolerance_no_longer_lets_a_collapse_pass(project: pytest.Pytester) -> None:
    """The issue's case: a drop from the recorded value to far below it, with tolerance NaN."""
    stored = record(project)
    stored["entries"][ITEM]["asw_label"]["value"] = 0.99
    baseline_path(project).write_text(json.dumps(stored).replace('"tolerance": 0.02', '"tolerance": NaN', 1))
    result = project.runpytest(*EMBEDDING_ONLY)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--scbench-z", "nan"), "--scbench-z must be a finite number, got nan"),
        (("--scbench-z", "inf"), "--scbench-z must be a finite number, got inf"),
        (("--scbench-z", "-5"), "--scbench-z must be 0.0 or more, got -5.0"),
        (("--scbench-z", "1e9"), "--scbench-z must be at most 100.0, got 1000000000.0"),
        (("--scbench-seeds", "0"), "--scbench-seeds must be 1 or more, got 0"),
        (("--scbench-seeds", "10000000"), "--scbench-seeds must be at most 1000"),
        (("--scbench-seed-offset", "4294967296"), "--scbench-seed-offset must be at most 4294967295"),
    ],
)
def test_numeric_options_out_of_range_are_usage_errors(project: pytest.Pytester, args: tuple, says: str) -> None:
    result = project.runpytest(*EMBEDDING_ONLY, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{esc(says)}*"])


@pytest.mark.parametrize(
    ("ini", "says"),
    [
        ("scbench_z = nan", "--scbench-z must be a finite number, got 'nan' (command line or ini key scbench_z)"),
        ("scbench_z = three", "--scbench-z must be a number, got 'three'"),
        ("scbench_seeds = 1.5", "--scbench-seeds must be an integer, got '1.5'"),
        ("scbench_seed_offset = -1", "--scbench-seed-offset must be 0 or more"),
        # a committed setting would rewrite every regressed baseline and pass: the gate off for good
        ("scbench_update_baselines = true", "ini key scbench_update_baselines is set: rewriting baselines is an action"),
    ],
)
def test_numeric_ini_keys_are_checked_the_same(project: pytest.Pytester, ini: str, says: str) -> None:
    project.makeini(f"[pytest]\n{ini}\n")
    result = project.runpytest(*EMBEDDING_ONLY)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{esc(says)}*"])


NAN_TASK = """
    import math

    from pytest_scbench import Task, TaskResult, higher, register_task


    class NanTask(Task):
        '''A task whose metric comes out NaN (a degenerate input, a library's 0/0).'''

        name = "nan_task"
        requires_outputs = frozenset({"embedding"})

        def run(self, inputs):
            inputs.outputs.embedding
            return TaskResult(metrics={"score": higher(math.nan)})


    register_task("nan_task", NanTask, replace=True)
"""


def test_a_nan_metric_fails_its_item_and_never_reaches_the_baseline_file(project: pytest.Pytester) -> None:
    project.makeconftest(textwrap.dedent(NAN_TASK))
    write_suite(project, "name: demo\nmodels: [random]\ndatasets: [pbmc68k]\ntasks: [nan_task, embedding]\n")
    result = project.runpytest("suites", "--scbench-update-baselines", "--scbench-json", "r.json")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            esc("*demo[random-pbmc68k-nan_task]: metric 'score' is nan (seed 0), not a number the gate can judge*"),
            "*scbench summary*",
            "baselines not updated for 1 item(s) that did not complete:",
            esc("  demo[random-pbmc68k-nan_task]"),
        ]
    )
    assert "Traceback" not in result.stdout.str()
    stored = baseline_path(project).read_text()
    assert "null" not in stored and "NaN" not in stored
    assert list(json.loads(stored)["entries"]) == ["demo[random-pbmc68k-embedding]"]
    # The next run of the suite is not broken by what the failed run left behind.
    project.runpytest("suites", "-k", "embedding").assert_outcomes(passed=1, deselected=1)
