"""The plugin's progress sink: which mode a pytest run shows, and writes past its capture.

:mod:`pytest_scbench.progress` knows nothing of pytest; this module gives it the mode
(``--scbench-progress``, by default quiet under ``-q``, lines in CI or without a terminal,
else a bar) and a context that lifts pytest's capture for each write, so progress reaches
the terminal while tests run captured.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import pytest

from .. import progress


def configure_progress(config: pytest.Config) -> progress.Sink:
    """Configure :mod:`progress` for this run; returns the previous sink, to restore at the end."""
    capman = config.pluginmanager.getplugin("capturemanager")

    @contextmanager
    def unblock() -> Iterator[None]:
        with capman.global_and_fixture_disabled() if capman is not None else nullcontext():
            reporter = config.pluginmanager.getplugin("terminalreporter")
            if reporter is not None:
                reporter.ensure_newline()  # not after a line of pytest's dots
            yield

    mode = config.getoption("scbench_progress", None) or config.getini("scbench_progress") or "auto"
    if mode not in (*progress.MODES, "auto"):
        raise pytest.UsageError(f"--scbench-progress {mode!r}: expected auto, {', '.join(progress.MODES)}")
    if mode == "auto":
        with unblock():
            mode = "quiet" if config.get_verbosity() < 0 else progress.auto_mode(sys.stdout)
    if mode == "bar" and hasattr(config, "workerinput"):
        mode = "lines"  # xdist workers share one terminal: bars would overwrite each other
    return progress.configure(mode, unblock)
