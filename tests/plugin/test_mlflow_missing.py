"""--scbench-mlflow where MLflow is not installed: a usage error that says how to install it."""

from __future__ import annotations

import pytest

from .conftest import esc


def test_without_mlflow_installed_the_option_says_how_to_install_it(project: pytest.Pytester) -> None:
    # What an environment without MLflow sees on import; a subprocess keeps this run's modules intact.
    project.makeconftest("import sys\n\nsys.modules['mlflow'] = None\n")
    result = project.runpytest_subprocess("suites", "--co", "--scbench-mlflow")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*" + esc("--scbench-mlflow needs MLflow, which is not installed: pip install 'pytest-scbench[mlflow]'")]
    )
