"""What collection found, carried from xdist workers to the controller.

Under pytest-xdist only workers collect; the controller writes the report. Each worker
puts what it saw into ``config.workeroutput`` at the end of its session, and the
controller joins it when the worker goes down: the identity of every collected suite
(for ``scbench merge``), how many items ``--scbench-shard`` left out, and the ids of the
benchmark items selected to run (so a report can list those that never ran).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from ..report.suites import suite_record
from .session import ScbenchSession

_KEY = "scbench_collected"


def record_suites(state: ScbenchSession, items: Iterable[Any]) -> None:
    """Record each collected suite's files (items carrying a ``case``: suite items)."""
    for item in items:
        case = getattr(item, "case", None)
        if case is not None and case.suite.name not in state.suites:
            state.suites[case.suite.name] = suite_record(case.suite.path, case.suite.baselines_path)


def record_selected(state: ScbenchSession, items: Iterable[Any]) -> None:
    """Record the ids of the benchmark items left to run after every deselection."""
    state.selected.update(item.case.id for item in items if getattr(item, "case", None) is not None)


def share_worker_output(state: ScbenchSession, workeroutput: MutableMapping[str, Any]) -> None:
    """In a worker: hand what it collected to the controller."""
    workeroutput[_KEY] = {
        "suites": state.suites,
        "shard_deselected": state.shard_deselected,
        "selected": sorted(state.selected),
    }


def collect_worker_output(state: ScbenchSession, workeroutput: MutableMapping[str, Any]) -> None:
    """In the controller: join one worker's record (every worker collects the same items)."""
    shared = workeroutput.get(_KEY)
    if not shared:
        return
    for name, record in shared["suites"].items():
        state.suites.setdefault(name, record)
    state.shard_deselected = max(state.shard_deselected, shared["shard_deselected"])
    state.selected.update(shared.get("selected", []))
