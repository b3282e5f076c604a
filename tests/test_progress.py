"""Progress of long steps: the three modes, the pytest sink, and the scbench command."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from pytest_scbench import progress
from pytest_scbench.cli import main

from .plugin.conftest import write_suite

ONE_ITEM = """
name: demo
models: [pca]
datasets: [pbmc68k]
tasks: [embedding]
"""
EMBED = "scbench: embedding pbmc68k with pca"


def test_lines_mode_prints_one_line_at_start_and_end(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.step("embedding toy with pca", total=10):
        for _ in range(5):
            progress.advance(2)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "scbench: embedding toy with pca: 10 cells"
    assert err[1].startswith("scbench: embedding toy with pca: 10 cells in ") and err[1].endswith(" s")
    assert len(err) == 2


def test_quiet_prints_nothing_and_bar_draws_tqdm(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.step("quiet step", total=3, mode="quiet"):
        progress.advance(3)
    assert capsys.readouterr().err == ""
    with progress.step("bar step", total=4, mode="bar"):
        progress.advance(4)
    err = capsys.readouterr().err
    assert "scbench: bar step:   0%|" in err and "0/4" in err  # tqdm redraws at most every 0.1 s


def test_advance_outside_a_step_does_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    progress.advance(5)
    assert capsys.readouterr().err == ""


def test_a_failed_step_prints_no_end_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), progress.step("failing", total=2):
        raise RuntimeError("model broke")
    assert capsys.readouterr().err.splitlines() == ["scbench: failing: 2 cells"]


def test_auto_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    assert progress.auto_mode(Tty()) == "bar"
    assert progress.auto_mode(open(os.devnull)) == "lines"
    monkeypatch.setenv("CI", "true")
    assert progress.auto_mode(Tty()) == "lines"


def test_convert_shows_progress_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import anndata
    import numpy as np
    import scipy.sparse as sp

    adata = anndata.AnnData(sp.random(30, 12, density=0.3, format="csr", random_state=0, dtype=np.float32))
    adata.write_h5ad(tmp_path / "in.h5ad")
    assert main(["convert", str(tmp_path / "in.h5ad"), str(tmp_path / "out.h5t")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "scbench: converting in.h5ad to .h5t: 30 cells"
    assert err[1].startswith("scbench: converting in.h5ad to .h5t: 30 cells in ")


# -- inside pytest: visible despite capture ------------------------------------------------


@pytest.fixture
def one_item(pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("SCBENCH_DATA_DIR", str(tmp_path / "cache"))
    write_suite(pytester, ONE_ITEM)
    return pytester


def test_quiet_under_dash_q(one_item: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    result = one_item.runpytest("suites", "-q", "-p", "no:cacheprovider", "--scbench-no-cache")
    result.assert_outcomes(passed=1)
    assert "scbench: embedding" not in result.stdout.str() + result.stderr.str()


def test_one_line_per_step_in_ci(one_item: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    result = one_item.runpytest("suites", "-p", "no:cacheprovider", "--scbench-no-cache")
    result.assert_outcomes(passed=1)
    lines = [line for line in result.stderr.lines if line.startswith(EMBED)]
    assert lines[0] == f"{EMBED}: 700 cells" and lines[1].startswith(f"{EMBED}: 700 cells in ")
    assert len(lines) == 2


def test_bad_progress_mode_is_a_usage_error(one_item: pytest.Pytester) -> None:
    result = one_item.runpytest("--co", "--scbench-progress", "loud")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--scbench-progress 'loud': expected auto, bar, lines, quiet*"])


def test_a_bar_on_a_terminal(one_item: pytest.Pytester, tmp_path: Path) -> None:
    """Under a pseudo-terminal and with capture on, pytest's run draws the tqdm bar."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    env["SCBENCH_DATA_DIR"] = str(tmp_path / "cache")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "suites", "-p", "no:cacheprovider", "--scbench-no-cache"],
        cwd=one_item.path,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=300) == 0
    out = b"".join(chunks).decode("utf-8", "replace")
    assert EMBED in out and "700/700" in out and "cells" in out
