"""The code part of a model's fingerprint: what changes it, and what does not."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest

from pytest_scbench.models.code_digest import source_digest, stack_versions


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An importable package ``digestpkg`` (``model.py`` and ``helpers/``) and a loose module."""
    root = tmp_path / "digestpkg"
    (root / "helpers").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "model.py").write_text("SEED = 1\n")
    (root / "helpers" / "__init__.py").write_text("SCALE = 1\n")
    (root / "notes.txt").write_text("not code")
    (tmp_path / "loose.py").write_text("X = 1\n")
    (tmp_path / "other.py").write_text("Y = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("digestpkg", "digestpkg.model", "loose"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    __import__("digestpkg.model")
    __import__("loose")
    return root


def rewrite(path: Path, text: str) -> None:
    """Change a file's content, and its modification time for certain (coarse clocks)."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_any_source_file_of_the_package_changes_it(package: Path) -> None:
    first = source_digest("digestpkg.model")
    assert len(first) == 64 and source_digest("digestpkg.model") == first
    rewrite(package / "model.py", "SEED = 2\n")
    second = source_digest("digestpkg.model")
    assert second != first
    rewrite(package / "helpers" / "__init__.py", "SCALE = 2\n")  # a helper in a subfolder
    third = source_digest("digestpkg.model")
    assert third not in (first, second)
    rewrite(package / "notes.txt", "still not code")  # not Python: no effect
    assert source_digest("digestpkg.model") == third
    (package / "extra.py").write_text("")  # a new module counts
    assert source_digest("digestpkg.model") != third


def test_a_top_level_module_is_keyed_by_its_own_file_only(package: Path) -> None:
    first = source_digest("loose")
    rewrite(package.parent / "other.py", "Y = 2\n")  # a neighbour, not part of it
    assert source_digest("loose") == first
    rewrite(package.parent / "loose.py", "X = 2\n")
    assert source_digest("loose") != first


def test_a_module_without_a_source_file_has_an_empty_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "made_at_run_time", types.ModuleType("made_at_run_time"))
    assert source_digest("made_at_run_time") == ""
    assert source_digest("never_imported_module") == ""


def test_the_stack_versions_name_pytest_scbench_and_numpy() -> None:
    versions = dict(stack_versions())
    assert versions["pytest-scbench"] and versions["numpy"]
