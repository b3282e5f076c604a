"""The versioned JSON report: environment and one record per item.

Items are sorted by id, so a run under ``-n 2`` writes the same report as ``-n 0``
(durations aside). ``scbench compare``, ``merge`` and ``report`` read this format.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..baselines import write_json_atomic
from ..results import CaseResult
from .schema import FORMAT, REPORT_VERSION, ReportError, load_report

__all__ = ["FORMAT", "REPORT_VERSION", "ReportError", "build_report", "read_report", "write_report"]


def build_report(
    results: Iterable[CaseResult],
    environment: dict[str, Any],
    suites: dict[str, dict[str, Any]],
    options: dict[str, Any],
    shard: dict[str, Any] | None = None,
    not_run: Iterable[str] = (),
) -> dict[str, Any]:
    """The report of one run (or of merged runs).

    ``suites`` maps each suite name to its files and their sha256 (report/suites.py);
    ``shard`` is ``{"index": K, "count": N}`` for a ``--scbench-shard K/N`` run, or, for a
    merged report, ``{"count": N, "merged": [K, ...]}``; None for a whole run.
    ``not_run`` are ids of items selected to run that left no result (the run was
    interrupted): a reader sees the report is partial, and which items it lacks.
    """
    items = sorted(results, key=lambda r: r.id)
    done = {r.id for r in items}
    missing = sorted(set(not_run) - done)
    counts: dict[str, int] = {}
    for r in items:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return {
        "format": FORMAT,
        "version": REPORT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": environment,
        "options": options,
        "suites": suites,
        "shard": shard,
        "summary": {
            "items": len(items),
            "outcomes": counts,
            "regressions": sum(bool(r.regressions()) for r in items),
            "improvements": sum(bool(r.improvements()) for r in items),
            "not_run": len(missing),
        },
        "items": [r.to_json() for r in items],
        "not_run": missing,
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    write_json_atomic(path, report)


def read_report(path: Path) -> dict[str, Any]:
    """A report written by ``--scbench-json``, every field checked (:mod:`.schema`).

    Anything else (unreadable, not JSON, another format or version, a field of the wrong
    type, a non-finite number) is a :class:`ReportError` naming the file and the field.
    """
    return load_report(path)
