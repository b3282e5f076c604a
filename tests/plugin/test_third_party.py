"""A model adapter from a separately installed package is found through its entry point."""

from __future__ import annotations

import sys

import pytest

from tests.thirdparty import install_demo_adapter

from .conftest import write_suite


def test_installed_adapter_is_usable_by_name_in_a_suite(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    site = install_demo_adapter(tmp_path_factory.mktemp("thirdparty"))
    monkeypatch.setenv("PYTHONPATH", str(site))
    write_suite(
        project,
        """
        name: demo
        models:
          - random
          - {name: offset, adapter: demo_offset, value: 2.0}
        datasets: [pbmc68k]
        tasks: [embedding]
        """,
    )
    result = project.runpytest_subprocess("suites", "-p", "no:cacheprovider", "--scbench-json", "r.json")
    result.assert_outcomes(passed=2)
    listed = project.run(sys.executable, "-m", "pytest_scbench.cli", "list", "models")
    listed.stdout.fnmatch_lines(["demo_offset *embedding*"])
