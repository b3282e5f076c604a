"""Progress of long steps (download, .h5t conversion, model inference) on the terminal.

Three modes:

- ``"bar"``: a tqdm bar on stderr (a terminal that is not CI);
- ``"lines"``: one line when a step starts and one when it ends, e.g.
  ``scbench: embedding pbmc68k with pca: 700 cells in 1.2 s`` (CI logs, pipes);
- ``"quiet"``: nothing (``pytest -q``).

The library never imports pytest: the plugin calls :func:`configure` with the mode it
chose and a context manager that lifts pytest's output capture for the moment of a write
(``capturemanager.global_and_fixture_disabled``), so progress reaches the terminal while
pytest captures the test's output. Unconfigured (the ``scbench`` command), the mode
follows stderr: a bar on a TTY, lines otherwise or when ``CI`` is set.

Code that works in batches reports through the step that is running, without being
handed it: ``with step("embedding ...", total=n):`` around the model call, and
:func:`advance` in the model's batch loop (a no-op outside any step).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

MODES = ("bar", "lines", "quiet")


@dataclass
class Sink:
    """Where progress goes: a mode (None: decided from stderr) and how to reach the terminal."""

    mode: str | None = None
    unblock: Callable[[], AbstractContextManager[Any]] = field(default=nullcontext)


_sink = Sink()
_current: ContextVar[Progress | None] = ContextVar("scbench_progress", default=None)


def configure(mode: str | None = None, unblock: Callable[[], AbstractContextManager[Any]] | None = None) -> Sink:
    """Set the mode and the capture-lifting context; returns the previous sink to restore."""
    global _sink
    if mode is not None and mode not in MODES:
        raise ValueError(f"progress mode must be one of {', '.join(MODES)}, not {mode!r}")
    previous = _sink
    _sink = Sink(mode, unblock or nullcontext)
    return previous


def restore(sink: Sink) -> None:
    """Put back a sink returned by :func:`configure`."""
    global _sink
    _sink = sink


def unblocked() -> AbstractContextManager[Any]:
    """A context in which a write reaches the terminal past pytest's capture (if configured)."""
    return _sink.unblock()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def auto_mode(stream: Any = None) -> str:
    """``"lines"`` under CI or when ``stream`` (default stderr) is not a terminal, else ``"bar"``."""
    stream = sys.stderr if stream is None else stream
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    return "lines" if in_ci() or not tty else "bar"


def current_mode() -> str:
    return _sink.mode or auto_mode()


class Progress:
    """One step's reporting: notes as lines, a bar (or start and end lines) for its count.

    ``mode`` None follows the configured sink. ``unit`` ``"B"`` shows sizes in KB/MB.
    """

    def __init__(self, label: str, mode: str | None = None, unit: str = "cells") -> None:
        self.label = label
        self.mode = mode or current_mode()
        self.unit = unit
        self.total: int | None = None
        self.done = 0
        self._bar: Any = None
        self._started = 0.0

    @property
    def bar_mode(self) -> bool:
        return self.mode == "bar"

    def line(self, message: str) -> None:
        """One note, as one line (above the bar, if one is shown); nothing when quiet."""
        if self.mode == "quiet":
            return
        text = f"scbench: {self.label}: {message}"
        with _sink.unblock():
            if self._bar is not None:
                self._bar.write(text, file=sys.stderr)
            else:
                print(text, file=sys.stderr, flush=True)

    def start(self, total: int | None, initial: int = 0) -> None:
        """Begin counting towards ``total`` (None: unknown) from ``initial``."""
        self.total, self.done, self._started = total, initial, time.perf_counter()
        if self.mode == "bar":
            from tqdm import tqdm

            with _sink.unblock():
                self._bar = tqdm(
                    total=total,
                    initial=initial,
                    desc=f"scbench: {self.label}",
                    unit=self.unit,
                    unit_scale=self.unit == "B",
                    unit_divisor=1024 if self.unit == "B" else 1000,
                    file=sys.stderr,
                    leave=False,
                    dynamic_ncols=True,
                )

    def update(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            with _sink.unblock():
                self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            with _sink.unblock():
                self._bar.close()
            self._bar = None

    def amount(self, n: int | None) -> str:
        if n is None:
            return f"? {self.unit}"
        return size_text(n) if self.unit == "B" else f"{n} {self.unit}"


@contextmanager
def step(label: str, total: int | None = None, unit: str = "cells", mode: str | None = None) -> Iterator[Progress]:
    """Report a step: a line at its start and end (``lines``), or a bar (``bar``).

    :func:`advance` called inside (in the model's batch loop) moves the bar.
    """
    report = Progress(label, mode, unit)
    if report.mode == "lines":
        report.line(report.amount(total))
    report.start(total)
    token = _current.set(report)
    try:
        yield report
        if report.total is not None and report.done < report.total:
            report.update(report.total - report.done)
    finally:
        _current.reset(token)
        report.close()
    if report.mode == "lines":
        report.line(f"{report.amount(report.done)} in {time.perf_counter() - report._started:.1f} s")


def advance(n: int) -> None:
    """Count ``n`` more units done in the running step; nothing outside a step."""
    report = _current.get()
    if report is not None:
        report.update(n)


def size_text(n: int | None) -> str:
    """``1.5 MB``: a byte count for people."""
    if n is None:
        return "size unknown"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
