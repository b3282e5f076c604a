"""Nothing lost: Ctrl-C and a crashed xdist worker leave baselines intact and report what finished."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import baseline_path, esc, read_json, write_suite

TINY = Path(__file__).parents[2] / "fixtures" / "pbmc68k_tiny.h5ad"

ADAPTER = """
import os
import time
from pathlib import Path

import numpy as np
from pytest_scbench import ModelAdapter


class Flaky(ModelAdapter):
    '''A seeded projection of log counts that sleeps or kills its process on one data set.'''

    provides = frozenset({"embedding"})

    def __init__(self, target: str = "", action: str = "none") -> None:
        super().__init__(target=target, action=action)

    def embed(self, dataset, ctx):
        if dataset.name == self.params["target"] and self.params["action"] == "sleep":
            Path(os.environ["FLAKY_FLAG"]).write_text(dataset.name)
            time.sleep(300)
        if dataset.name == self.params["target"] and self.params["action"] == "crash":
            os._exit(1)
        X = dataset.adata.X
        x = np.log1p(np.asarray(X.todense() if hasattr(X, "todense") else X))
        return x @ np.random.default_rng(ctx.seed).normal(size=(x.shape[1], 8))
"""

SUITE = """
name: demo
models:
  - {{name: flaky, adapter: "flaky_adapter:Flaky", target: tiny, action: {action}}}
  - pca
datasets:
  - pbmc68k
  - {{name: tiny, path: {tiny}, label_key: bulk_labels}}
tasks: [embedding]
"""


@pytest.fixture
def flaky(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    project.makepyfile(flaky_adapter=ADAPTER)
    project.syspathinsert()
    monkeypatch.setenv("PYTHONPATH", str(project.path))
    monkeypatch.setenv("FLAKY_FLAG", str(project.path / "sleeping"))
    return project


def record_then_move_every_baseline(project: pytest.Pytester) -> tuple[dict, dict]:
    """Record baselines, then shift every stored value so that an update would change it."""
    write_suite(project, SUITE.format(action="none", tiny=TINY))
    project.runpytest("suites", "--scbench-update-baselines").assert_outcomes(passed=4)
    recorded = read_json(baseline_path(project))
    moved = json.loads(json.dumps(recorded))
    for metrics in moved["entries"].values():
        for entry in metrics.values():
            entry["value"] += 0.3
    baseline_path(project).write_text(json.dumps(moved, indent=1))
    return recorded, moved


def signal_state(pid: int) -> str:
    """The blocked, ignored and caught signal masks of a process (0: this one), for a failure message (Linux only)."""
    try:
        lines = Path(f"/proc/{pid or 'self'}/status").read_text().splitlines()
    except OSError:
        return "signal masks unknown"
    return ", ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


#: Runs the rest of its command line with SIGINT unblocked and at its default action, as
#: a shell starts a command. A blocked or ignored SIGINT is inherited through fork and exec,
#: so a library that left it so in this test process (loky and multiprocessing block it
#: while they start their resource trackers) would otherwise make the child deaf to Ctrl-C;
#: the run's own handling of SIGINT, after exec, is what this test is about. A launcher
#: process rather than ``preexec_fn``: Python code between fork and exec in a process with
#: threads (JAX's, numba's) may deadlock, and JAX warns of it.
AS_IN_A_SHELL = (
    "import os, signal, sys; signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); "
    "signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def test_ctrl_c_updates_no_baseline_and_reports_what_finished(flaky: pytest.Pytester) -> None:
    record_then_move_every_baseline(flaky)
    before = baseline_path(flaky).read_bytes()
    write_suite(flaky, SUITE.format(action="sleep", tiny=TINY))
    cmd = [sys.executable, "-c", AS_IN_A_SHELL, "-m", "pytest", "suites", "-p", "no:cacheprovider", "-p", "no:xdist"]
    cmd += ["--scbench-json", "r.json", "--scbench-update-baselines"]
    inherited = signal_state(0)
    proc = subprocess.Popen(
        cmd,
        cwd=flaky.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300  # a loaded 2-core machine imports slowly
        while not (flaky.path / "sleeping").exists():  # the first item is done, the second sleeps
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()  # a stalled run would keep communicate() waiting
                pytest.fail(f"the run ended or stalled before the slow item:\n{proc.communicate()[0]}")
            time.sleep(0.2)
        signals = f"child: {signal_state(proc.pid)}; this test process: {inherited}"
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"Ctrl-C did not stop the run within 180 s ({signals}):\n{proc.communicate()[0]}")
    finally:
        proc.kill()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, f"{signals}\n{out}"
    assert "KeyboardInterrupt" in out
    assert "the run was interrupted: no baseline was updated" in out
    assert baseline_path(flaky).read_bytes() == before
    report = read_json(flaky.path / "r.json")
    items = {i["id"]: i for i in report["items"]}
    assert list(items) == ["demo[flaky-pbmc68k-embedding]"]
    assert (
        items["demo[flaky-pbmc68k-embedding]"]["completed"]
        and "asw_label" in items["demo[flaky-pbmc68k-embedding]"]["metrics"]
    )
    unfinished = ["demo[flaky-tiny-embedding]", "demo[pca-pbmc68k-embedding]", "demo[pca-tiny-embedding]"]
    assert report["not_run"] == unfinished and report["summary"]["not_run"] == 3
    assert "3 benchmark item(s) did not run (the run stopped first):" in out
    assert all(f"  {item}" in out for item in unfinished)


def test_crashed_worker_keeps_its_baseline_and_the_others_are_reported(flaky: pytest.Pytester) -> None:
    recorded, moved = record_then_move_every_baseline(flaky)
    write_suite(flaky, SUITE.format(action="crash", tiny=TINY))
    crashed = "demo[flaky-tiny-embedding]"
    result = flaky.runpytest_subprocess(
        "suites", "-p", "no:cacheprovider", "-n", "2", "--scbench-json", "r.json", "--scbench-update-baselines"
    )
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        ["baselines updated: *demo.json: 0 added, 3 changed, 0 removed"]
        + ["baselines not updated for 1 item(s) that did not complete:", esc(f"  {crashed}")]
    )
    after = read_json(baseline_path(flaky))["entries"]
    assert after[crashed] == moved["entries"][crashed]
    assert {k: v for k, v in after.items() if k != crashed} == {
        k: v for k, v in recorded["entries"].items() if k != crashed
    }
    items = {i["id"]: i for i in read_json(flaky.path / "r.json")["items"]}
    assert sorted(items) == sorted(recorded["entries"])
    assert all(items[k]["completed"] and items[k]["outcome"] == "passed" for k in items if k != crashed)
    assert items[crashed]["outcome"] == "failed" and not items[crashed]["completed"]
    assert "crashed" in items[crashed]["message"]
