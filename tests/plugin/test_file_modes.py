"""File modes after a run, as a user of a shared checkout meets them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pytest_scbench.filemode import UMASK

from .conftest import baseline_path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_baseline_and_report_files_stay_readable_by_others(project: pytest.Pytester) -> None:
    args = ("suites", "-k", "embedding", "--scbench-update-baselines")
    reports = ("--scbench-json", "r.json", "--scbench-html", "r.html", "--scbench-markdown", "r.md")
    project.runpytest(*args, *reports).assert_outcomes(passed=2, deselected=2)
    for path in (baseline_path(project), *(project.path / n for n in ("r.json", "r.html", "r.md"))):
        assert mode(path) == 0o666 & ~UMASK, path
    # A file the user made group-writable (or private) keeps that mode through an update.
    baseline_path(project).chmod(0o664)
    (project.path / "r.json").chmod(0o640)
    stored = baseline_path(project).read_text()
    baseline_path(project).write_text(stored.replace('"tolerance": 0.02', '"tolerance": 0.03', 1))
    project.runpytest(*args, *reports).assert_outcomes(passed=2, deselected=2)
    assert mode(baseline_path(project)) == 0o664
    assert mode(project.path / "r.json") == 0o640
