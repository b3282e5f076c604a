"""--scbench-speed: model throughput through pytest-benchmark, gated by --benchmark-compare-fail."""

from __future__ import annotations

import json

import pytest

from .conftest import esc, write_suite

ADAPTER = """
import os, time
import numpy as np
from pytest_scbench import ModelAdapter

class Sleepy(ModelAdapter):
    '''A fixed projection that sleeps SLEEPY_SECONDS per call: a model whose speed we control.'''
    provides = frozenset({"embedding"})

    def embed(self, dataset, ctx):
        time.sleep(float(os.environ.get("SLEEPY_SECONDS", "0")))
        return np.ones((dataset.n_obs, 2), dtype=np.float32) * np.arange(dataset.n_obs)[:, None]
"""

SUITE = """
name: demo
models:
  - {name: sleepy, adapter: "sleepy_adapter:Sleepy"}
  - mean
datasets: [pbmc68k]
tasks: [embedding]
"""


@pytest.fixture
def speed_project(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    project.makepyfile(sleepy_adapter=ADAPTER)
    # pytest-benchmark turns itself off inside an xdist worker; the inner run is not one.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(project.path))
    write_suite(project, SUITE)
    return project


def test_one_throughput_item_per_model_and_dataset(speed_project: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.setenv("SLEEPY_SECONDS", "0.01")
    result = speed_project.runpytest_subprocess(
        "suites", "-p", "no:cacheprovider", "--scbench-speed", "--benchmark-json", "bench.json", "-rs"
    )
    result.assert_outcomes(passed=2, skipped=2)  # mean: no embedding task, no throughput
    result.stdout.fnmatch_lines(
        [esc("SKIPPED [1] suites/demo.yaml: throughput is measured on embeddings; model 'mean' does not provide them")]
    )
    bench = json.loads((speed_project.path / "bench.json").read_text())["benchmarks"]
    assert [b["name"] for b in bench] == ["demo[sleepy-pbmc68k-throughput]"]
    info = bench[0]["extra_info"]
    assert info["cells"] == 700 and info["model"] == "sleepy"
    assert info["cells_per_second"] == pytest.approx(700 / bench[0]["stats"]["median"])
    assert info["cells_per_second"] < 700 / 0.01


def test_a_slower_model_fails_benchmark_compare(speed_project: pytest.Pytester, monkeypatch) -> None:
    args = ("suites", "-p", "no:cacheprovider", "--scbench-speed", "-k", "throughput")
    monkeypatch.setenv("SLEEPY_SECONDS", "0.01")
    speed_project.runpytest_subprocess(*args, "--benchmark-autosave").assert_outcomes(passed=1, skipped=1, deselected=2)
    monkeypatch.setenv("SLEEPY_SECONDS", "0.2")
    result = speed_project.runpytest_subprocess(*args, "--benchmark-compare", "--benchmark-compare-fail=median:100%")
    assert result.ret != 0
    output = "\n".join(result.outlines + result.errlines)
    assert "Performance has regressed" in output
    assert "demo[sleepy-pbmc68k-throughput]" in output.split("Performance has regressed", 1)[1]
