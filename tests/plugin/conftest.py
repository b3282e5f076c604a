"""Shared set-up for plugin tests: a pytester project with a suite, and a shared data cache."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

SUITE = """
name: demo
models: [random, pca]
datasets: [pbmc68k]
tasks: [embedding, clustering]
"""


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data cache for the whole test session: pbmc68k is built once."""
    return tmp_path_factory.mktemp("scbench-data")


@pytest.fixture
def project(pytester: pytest.Pytester, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester project whose suites/demo.yaml has 2 models x 1 dataset x 2 tasks."""
    monkeypatch.setenv("SCBENCH_DATA_DIR", str(data_dir))
    write_suite(pytester, SUITE)
    return pytester


def write_suite(pytester: pytest.Pytester, text: str, name: str = "demo") -> Path:
    path = pytester.path / "suites" / f"{name}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def baseline_path(pytester: pytest.Pytester, suite: str = "demo") -> Path:
    return pytester.path / "suites" / "baselines" / f"{suite}.json"


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def esc(text: str) -> str:
    """Escape the brackets of a test id for pytester's fnmatch patterns."""
    return "".join({"[": "[[]", "]": "[]]"}.get(c, c) for c in text)
