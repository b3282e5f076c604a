"""Two real pytest processes updating different items of one baseline file: both land."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from pytest_scbench.baselines import lock_path

from .conftest import baseline_path, read_json, write_suite

SUITE = """
name: demo
models: [random, pca]
datasets: [pbmc68k]
tasks: [embedding]
"""


def start(project: pytest.Pytester, model: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "pytest", "suites", "-p", "no:cacheprovider", "-k", model,
         "--scbench-update-baselines"],
        cwd=project.path,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_two_runs_that_finish_together_both_keep_their_entries(project: pytest.Pytester) -> None:
    write_suite(project, SUITE)
    path = baseline_path(project)
    path.parent.mkdir(parents=True)
    logs = {m: project.path / f"{m}.log" for m in ("random", "pca")}
    # Hold the file's lock: both runs finish their items, then wait at the update, and are
    # released together, so their read-merge-write steps meet head on.
    with FileLock(str(lock_path(path))):
        procs = {m: start(project, m, log) for m, log in logs.items()}
        for m, log in logs.items():
            wait_for(lambda log=log: b"[100%]" in log.read_bytes(), 600, f"the {m} run to finish its item")
        time.sleep(1.0)
        assert all(p.poll() is None for p in procs.values()), "a run wrote its baselines without the lock"
        assert not path.exists()
    for m, p in procs.items():
        assert p.wait(timeout=300) == 0, logs[m].read_text()[-3000:]
    entries = read_json(path)["entries"]
    assert sorted(entries) == ["demo[pca-pbmc68k-embedding]", "demo[random-pbmc68k-embedding]"]
    for log in logs.values():
        assert "baselines updated:" in log.read_text()


def test_an_update_merges_with_what_another_run_wrote_since_this_one_started(project: pytest.Pytester) -> None:
    """Run A reads the file at its start; run B records another item meanwhile; A's update keeps B's."""
    write_suite(project, SUITE)
    path = baseline_path(project)
    path.parent.mkdir(parents=True)
    project.runpytest("suites", "-k", "random", "--scbench-update-baselines").assert_outcomes(passed=1, deselected=1)
    log = project.path / "pca.log"
    with FileLock(str(lock_path(path))):
        proc = start(project, "pca", log)
        wait_for(lambda: b"[100%]" in log.read_bytes(), 600, "the pca run to finish its item")
        # While run A waits, "another run" changes the random entry on disk.
        stored = read_json(path)
        stored["entries"]["demo[random-pbmc68k-embedding]"]["asw_label"]["value"] = 0.123
        path.write_text(__import__("json").dumps(stored))
    assert proc.wait(timeout=300) == 0, log.read_text()[-3000:]
    entries = read_json(path)["entries"]
    assert entries["demo[random-pbmc68k-embedding]"]["asw_label"]["value"] == 0.123
    assert "demo[pca-pbmc68k-embedding]" in entries
