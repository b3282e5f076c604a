"""Markers and devices: CUDA items are marked gpu and skipped, with a reason, without CUDA."""

from __future__ import annotations

import pytest

from pytest_scbench.device import cuda_device_count

from .conftest import write_suite

NEEDS_NO_CUDA = pytest.mark.skipif(
    cuda_device_count() > 0, reason="this machine has CUDA; the test checks the skip without it"
)

CUDA_SUITE = """
name: demo
models:
  - random
  - name: random_gpu
    adapter: random
    device: cuda
datasets: [pbmc68k]
tasks: [embedding]
"""


def test_cuda_model_is_marked_gpu(project: pytest.Pytester) -> None:
    write_suite(project, CUDA_SUITE)
    result = project.runpytest("--collect-only", "-q", "suites", "-m", "gpu")
    result.stdout.fnmatch_lines(
        ["suites/demo.yaml::demo[[]random_gpu-pbmc68k-embedding[]]", "*1/2 tests collected (1 deselected)*"]
    )
    result = project.runpytest("--collect-only", "-q", "suites", "-m", "not gpu")
    result.stdout.fnmatch_lines(
        ["suites/demo.yaml::demo[[]random-pbmc68k-embedding[]]", "*1/2 tests collected (1 deselected)*"]
    )


@NEEDS_NO_CUDA
def test_cuda_item_skipped_without_cuda_with_reason(project: pytest.Pytester) -> None:
    write_suite(project, CUDA_SUITE)
    result = project.runpytest("suites", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] suites/demo.yaml: the model needs CUDA but no CUDA device is available "
            "on this machine (use --scbench-device cpu*"
        ]
    )


def test_device_cpu_runs_cuda_models_on_cpu(project: pytest.Pytester) -> None:
    write_suite(project, CUDA_SUITE)
    result = project.runpytest("suites", "--scbench-device", "cpu", "-m", "not gpu")
    result.assert_outcomes(passed=2)


@NEEDS_NO_CUDA
def test_device_cuda_without_cuda_skips_everything(project: pytest.Pytester) -> None:
    result = project.runpytest("suites", "--scbench-device", "cuda:0", "-rs", "-k", "embedding")
    result.assert_outcomes(skipped=2, deselected=2)
    result.stdout.fnmatch_lines(["*--scbench-device cuda:0 was given but no CUDA device is available*"])


def test_bad_device_option_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("suites", "--scbench-device", "tpu")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--scbench-device 'tpu': expected one of auto, cpu, cuda, cuda:N*"])


def test_markers_are_registered(project: pytest.Pytester) -> None:
    result = project.runpytest("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.scbench:*", "@pytest.mark.gpu:*", "@pytest.mark.slow:*", "@pytest.mark.network:*"]
    )
