"""Settings for every test of the project."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from _pytest import pytester as _pytester

from pytest_scbench import progress

#: Packages whose modules must survive a pytester run: numba (and llvmlite under it) keeps
#: global type and target registries, so a submodule that an inner run imported lazily (while
#: compiling a metric, say) and pytester then dropped from ``sys.modules`` refuses to be
#: imported again ("duplicate registration"), and the next inner run's metric errors.
KEEP_ACROSS_PYTESTER_RUNS = ("numba", "llvmlite")


class _KeepingSnapshot(_pytester.SysModulesSnapshot):
    """pytester's snapshot of ``sys.modules``, also keeping the packages above when it restores."""

    def __init__(self, preserve: Callable[[str], bool] | None = None) -> None:
        def keep(name: str) -> bool:
            return name.partition(".")[0] in KEEP_ACROSS_PYTESTER_RUNS or bool(preserve and preserve(name))

        super().__init__(preserve=keep)


@pytest.fixture(autouse=True, scope="session")
def keep_numba_across_pytester_runs() -> Iterator[None]:
    """In-process pytester runs leave numba's modules loaded (see ``KEEP_ACROSS_PYTESTER_RUNS``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_pytester, "SysModulesSnapshot", _KeepingSnapshot)
        yield


@pytest.fixture(autouse=True)
def progress_to_captured_stderr() -> Iterator[None]:
    """Progress as plain lines on the test's own (captured) stderr, where capsys reads it.

    The plugin, active in this run too, would otherwise lift the capture and write past it.
    """
    previous = progress.configure("lines")
    yield
    progress.restore(previous)
