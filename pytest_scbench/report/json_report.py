"""The versioned JSON report: environment and one record per item.

Items are sorted by id, so a run under ``-n 2`` writes the same report as ``-n 0``
(durations aside). ``scbench compare``, ``merge`` and ``report`` read this format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..baselines import write_json_atomic
from ..errors import ScbenchError
from ..results import CaseResult

REPORT_VERSION = 1
FORMAT = "pytest-scbench-report"


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
    """A report written by ``--scbench-json``; a :class:`ScbenchError` naming the file otherwise."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScbenchError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ScbenchError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ScbenchError(f"{path}: not a pytest-scbench JSON report (written by --scbench-json)")
    for k, item in enumerate(raw.get("items", [])):
        missing = [key for key in ("id", "suite", "model", "dataset", "task") if key not in item]
        if missing:
            raise ScbenchError(f"{path}: items[{k}] lacks {', '.join(missing)}")
    return raw
