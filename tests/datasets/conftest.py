"""Shared fixtures for the data set tests: one cache folder per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder shared by the whole session, so each generated set is built once."""
    return tmp_path_factory.mktemp("scbench-data")
