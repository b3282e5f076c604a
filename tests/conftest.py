"""Settings for every test of the project."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_scbench import progress


@pytest.fixture(autouse=True)
def progress_to_captured_stderr() -> Iterator[None]:
    """Progress as plain lines on the test's own (captured) stderr, where capsys reads it.

    The plugin, active in this run too, would otherwise lift the capture and write past it.
    """
    previous = progress.configure("lines")
    yield
    progress.restore(previous)
