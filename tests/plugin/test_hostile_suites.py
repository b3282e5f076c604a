"""Hostile suite files, as a user (or a pull request) meets them: nothing runs, nothing escapes.

Each case is a real suite file in a pytester project, collected or run by pytest, and for
the code-execution case also listed by ``scbench list suites``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import write_suite

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def collect(project: pytest.Pytester) -> pytest.RunResult:
    return project.runpytest("suites", "--collect-only", "-q")


def assert_suite_error(result: pytest.RunResult, *fragments: str) -> None:
    """The run stops at collection with our message, not a traceback."""
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    for fragment in fragments:
        assert fragment in out, out
    assert "Traceback" not in out, out


@pytest.mark.parametrize("adapter", ["os:system", "subprocess:call", "builtins:exec", "os:popen"])
def test_a_suite_cannot_call_a_function_as_an_adapter(project: pytest.Pytester, adapter: str) -> None:
    marker = project.path / "ran"
    suite = write_suite(
        project,
        f"""
        name: demo
        models:
          - {{name: evil, adapter: "{adapter}", command: "touch {marker}"}}
        datasets: [pbmc68k]
        tasks: [embedding]
        """,
    )
    result = collect(project)
    assert_suite_error(result, f"{suite}: models[0].adapter: adapter '{adapter}' is a ", "not a class")
    assert not marker.exists()

    listed = subprocess.run(
        [sys.executable, "-m", "pytest_scbench.cli", "list", "suites", str(suite.parent)],
        capture_output=True,
        text=True,
        cwd=project.path,
    )
    assert listed.returncode == 2, listed.stderr
    assert "models[0].adapter" in listed.stderr and "not a class" in listed.stderr
    assert not marker.exists()


def test_a_class_that_is_not_an_adapter_is_never_instantiated(project: pytest.Pytester) -> None:
    (project.path / "sneaky.py").write_text(
        "import pathlib\n"
        "class Sneaky:\n"
        "    def __init__(self, **kw):\n"
        "        pathlib.Path('instantiated').write_text('yes')\n"
    )
    suite = write_suite(
        project,
        """
        name: demo
        models: [{name: s, adapter: "sneaky:Sneaky"}]
        datasets: [pbmc68k]
        tasks: [embedding]
        """,
    )
    assert_suite_error(collect(project), f"{suite}: models[0].adapter:", "class Sneaky is not a subclass")
    assert not (project.path / "instantiated").exists()


@pytest.mark.parametrize(
    ("tolerance", "key"),
    [
        (".nan", "tolerance"),
        (".inf", "tolerance"),
        ("-0.1", "tolerance"),
        ("{default: .nan}", "tolerance.default"),
        ("{ari: .inf}", "tolerance.ari"),
        ('"0.1"', "tolerance"),
    ],
)
def test_a_tolerance_that_would_switch_the_gate_off_is_a_suite_error(
    project: pytest.Pytester, tolerance: str, key: str
) -> None:
    suite = write_suite(
        project, f"name: demo\ntolerance: {tolerance}\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [clustering]\n"
    )
    assert_suite_error(collect(project), f"{suite}: {key}: expected a finite number >= 0")


@pytest.mark.parametrize(
    ("seeds", "shown"), [("[4294967296]", "4294967296"), ("[0, -3]", "-3"), ("[1.0e+3]", "1000.0"), ("[true]", "True")]
)
def test_seeds_out_of_range_are_suite_errors_not_tracebacks(project: pytest.Pytester, seeds: str, shown: str) -> None:
    suite = write_suite(
        project, f"name: demo\nseeds: {seeds}\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [clustering]\n"
    )
    assert_suite_error(collect(project), f"{suite}: seeds[", "a seed is an integer from 0 to 2**32 - 1", shown)


def test_the_largest_seed_runs_and_an_offset_past_it_is_refused(project: pytest.Pytester) -> None:
    write_suite(project, "name: demo\nseeds: [4294967295]\nmodels: [random]\ndatasets: [pbmc68k]\ntasks: [embedding]\n")
    project.runpytest("suites").assert_outcomes(passed=1)
    result = project.runpytest("suites", "--scbench-seed-offset", "1", "--collect-only")
    assert_suite_error(result, "seeds: seed 4294967296", "beyond 2**32 - 1")


@pytest.mark.parametrize(
    ("task", "key"),
    [
        ("{name: clustering, params: {resolutions: [0.5, .nan]}}", "tasks[0].params.resolutions"),
        ("{name: clustering, params: {resolution: .inf}}", "tasks[0].params.resolution"),
    ],
)
def test_task_parameters_must_be_finite(project: pytest.Pytester, task: str, key: str) -> None:
    suite = write_suite(project, f"name: demo\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [{task}]\n")
    assert_suite_error(collect(project), f"{suite}: {key}: must be a finite number")


def test_a_model_parameter_must_be_finite(project: pytest.Pytester) -> None:
    suite = write_suite(
        project,
        "name: demo\nmodels: [{name: r, adapter: random, n_dims: .nan}]\ndatasets: [pbmc68k]\ntasks: [embedding]\n",
    )
    assert_suite_error(collect(project), f"{suite}: models[0].n_dims: must be a finite number, got nan")


# -- writes stay where they belong -----------------------------------------------------------


def test_baselines_outside_the_suite_folder_are_refused_and_no_folder_is_made(project: pytest.Pytester) -> None:
    suite = write_suite(
        project,
        "name: demo\nbaselines: ../../escaped_dir/new.json\nmodels: [random]\ndatasets: [pbmc68k]\ntasks: [embedding]\n",
    )
    result = project.runpytest("suites", "--scbench-update-baselines")
    assert_suite_error(
        result, f"{suite}: baselines: '../../escaped_dir/new.json' resolves to", "outside the suite's folder"
    )
    assert not (project.path.parent / "escaped_dir").exists()


def test_a_baselines_link_out_of_the_suite_folder_is_refused(project: pytest.Pytester, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (project.path / "suites").mkdir(exist_ok=True)
    (project.path / "suites" / "baselines").symlink_to(outside, target_is_directory=True)
    write_suite(project, "name: demo\nmodels: [random]\ndatasets: [pbmc68k]\ntasks: [embedding]\n")
    assert_suite_error(
        project.runpytest("suites", "--scbench-update-baselines"), "baselines:", "outside the suite's folder"
    )
    assert list(outside.iterdir()) == []


def test_a_save_path_outside_the_suite_folder_and_cache_is_refused(project: pytest.Pytester) -> None:
    victim = project.path.parent / "victim.txt"
    victim.write_text("precious")
    suite = write_suite(
        project,
        f"name: demo\nmodels: [{{name: m, adapter: sclm, save_path: ../../{victim.name}}}]\n"
        "datasets: [pbmc68k]\ntasks: [embedding]\n",
    )
    assert_suite_error(collect(project), f"{suite}: models[0].save_path: '../../victim.txt' resolves to")
    assert victim.read_text() == "precious"


# sclm trains with torch: in a subprocess, as in test_all_models (torch and the
# in-process runs of other tests do not share one process well).
def test_a_save_path_over_a_file_that_is_no_checkpoint_is_refused_and_one_in_the_folder_is_written(
    project: pytest.Pytester,
) -> None:
    suite = write_suite(
        project,
        """
        name: demo
        models:
          - {name: clobber, adapter: sclm, epochs: 1, d_model: 8, n_heads: 1, max_genes: 16, save_path: demo.yaml}
          - {name: ok, adapter: sclm, epochs: 1, d_model: 8, n_heads: 1, max_genes: 16, save_path: ckpt/m.pt}
        datasets: [pbmc68k]
        tasks: [embedding]
        """,
    )
    before = suite.read_text()
    result = project.runpytest_subprocess("suites", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*save_path *demo.yaml exists and is not an sclm checkpoint*"])
    assert suite.read_text() == before
    saved = project.path / "suites" / "ckpt" / "m.pt"
    assert saved.is_file() and saved.stat().st_mode & 0o777 == 0o666 & ~_umask()
    # Its own checkpoint is rewritten on a fresh run.
    saved.chmod(0o640)
    project.runpytest_subprocess("suites", "-p", "no:cacheprovider", "--scbench-no-cache", "-k", "ok").assert_outcomes(
        passed=1, deselected=1
    )
    assert saved.stat().st_mode & 0o777 == 0o640


def test_reading_inputs_from_elsewhere_stays_allowed(project: pytest.Pytester, tmp_path_factory) -> None:
    import numpy as np

    elsewhere = tmp_path_factory.mktemp("elsewhere")
    np.save(elsewhere / "emb.npy", np.random.default_rng(0).normal(size=(700, 4)))
    write_suite(
        project,
        f"name: demo\nmodels: [{{name: mine, adapter: precomputed, path: {elsewhere / 'emb.npy'}}}]\n"
        "datasets: [pbmc68k]\ntasks: [embedding]\n",
    )
    project.runpytest("suites").assert_outcomes(passed=1)


# -- bounded input ---------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_quickly(project: pytest.Pytester) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    text = "\n".join(levels) + "\nname: *i\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [clustering]\n"
    suite = write_suite(project, text)
    start = time.perf_counter()
    result = collect(project)
    assert time.perf_counter() - start < 30
    assert_suite_error(result, f"{suite}: refused: the YAML expands to more than 1,000,000 values")


def test_a_50_mb_suite_fails_fast(project: pytest.Pytester) -> None:
    suite = project.path / "suites" / "demo.yaml"
    suite.parent.mkdir(exist_ok=True)
    with suite.open("w") as fh:
        fh.write("name: demo\nmodels: [pca, random]\ndatasets: [pbmc68k]\ntasks: [clustering]\nexclude:\n")
        line = "  - {model: pca, task: clustering, dataset: pbmc68k}\n"
        fh.write(line * 1_000_000)
    assert suite.stat().st_size > 50_000_000
    start = time.perf_counter()
    result = collect(project)
    assert time.perf_counter() - start < 30
    assert_suite_error(result, f"{suite}: the suite file is larger than 1,000,000 bytes")


def test_messages_about_huge_values_are_short(project: pytest.Pytester) -> None:
    suite = write_suite(
        project,
        f"name: demo\nmodels: [{'x' * 200_000}]\ndatasets: [pbmc68k]\ntasks: [{{name: clustering, "
        f"params: {{resolutions: '{'y' * 200_000}'}}}}]\n",
    )
    result = collect(project)
    assert_suite_error(result, f"{suite}: models[0].name:", "too long for a name (200,000 characters")
    assert len(result.stdout.str()) < 5_000


def test_a_suite_of_many_repeated_exclusions_under_the_limit_collects_quickly(project: pytest.Pytester) -> None:
    suite = project.path / "suites" / "demo.yaml"
    suite.parent.mkdir(exist_ok=True)
    rule = "  - {model: random, task: clustering}\n"
    suite.write_text(
        "name: demo\nmodels: [pca, random]\ndatasets: [pbmc68k]\ntasks: [clustering, embedding]\nexclude:\n"
        + rule * (900_000 // len(rule))
    )
    start = time.perf_counter()
    result = collect(project)
    assert time.perf_counter() - start < 60
    result.stdout.fnmatch_lines(["*3 tests collected*"])


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_symlinked_suite_folder_paths_resolve_like_the_file_system(tmp_path: Path) -> None:
    """A suite reached through a link writes beside its real file (resolve() follows links)."""
    from pytest_scbench.suite import load_suite

    real = tmp_path / "real"
    real.mkdir()
    (real / "s.yaml").write_text("name: s\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [clustering]\n")
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    suite = load_suite(tmp_path / "link" / "s.yaml", data_dir=tmp_path / "cache")
    assert suite.baselines_path == real.resolve() / "baselines" / "s.json"


@pytest.mark.parametrize("mark", ["xfail", "skip", "skipif", "usefixtures", "filterwarnings", "flaky"])
def test_a_suite_marker_cannot_switch_the_gate_off(project: pytest.Pytester, mark: str) -> None:
    # markers label items for -m; pytest's own marks would make a regression xfail or skip
    suite = write_suite(
        project,
        f"""
        name: demo
        models: [random]
        datasets: [pbmc68k]
        tasks: [embedding]
        markers: [slow, {mark}]
        """,
    )
    result = collect(project)
    assert_suite_error(result, f"{suite}: markers[1]: '{mark}' is a mark that changes whether an item can fail")


def test_a_key_given_twice_in_a_suite_is_refused_with_its_line(project: pytest.Pytester) -> None:
    suite = write_suite(
        project,
        """
        name: demo
        tolerance: 0.02
        models: [random]
        datasets: [pbmc68k]
        tasks: [embedding]
        tolerance: 0.9
        """,
    )
    result = collect(project)
    assert_suite_error(result, f"{suite}: line 7, column 1: ", "key 'tolerance' appears twice", "first on line 3")


def test_two_suite_files_cannot_share_a_name(project: pytest.Pytester) -> None:
    # results and baselines are keyed by suite name: the second file's items would overwrite
    # the first's, and an expectation in one would read the other's numbers
    first = write_suite(project, "name: demo\nmodels: [random]\ndatasets: [pbmc68k]\ntasks: [embedding]\n", name="a")
    second = write_suite(project, "name: demo\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [embedding]\n", name="b")
    result = project.runpytest("suites", "--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    assert f"{second}: name: suite 'demo' is also the name of {first}" in out, out
    assert "Traceback" not in out
