"""Which metrics of a task gate the build: a task's headlines, or a suite's ``gate:``.

Every metric is still compared with its baseline and reported; only gated metrics fail
an item. A metric that got worse beyond its tolerance but is not gated keeps its numbers
and gets the status ``changed`` ("changed, not gated") instead of ``regressed``.

A task entry of a suite says ``gate: [ari, nmi]`` (those metrics) or ``gate: all`` (every
metric the task returns); without ``gate:`` the task's declared headline metrics gate
(:attr:`pytest_scbench.tasks.base.Task.headlines`), or every metric for a task that
declares none. Names are checked when the suite is read where the task knows its metric
names (:meth:`~pytest_scbench.tasks.base.Task.metric_names`); where they depend on the
data (label transfer between the species a data set holds), when the item runs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ScbenchError
from .tasks.base import Task

#: The status of an ungated metric that moved the wrong way beyond its tolerance.
CHANGED = "changed"


@dataclass(frozen=True)
class Gate:
    """The gated metrics of one task entry; ``names`` None means every metric.

    ``where`` names the suite file and key the names came from, for error messages.
    """

    names: tuple[str, ...] | None
    where: str = ""
    #: Whether the suite wrote the names (``gate: [...]``); a task's own headlines are not checked per item.
    explicit: bool = False

    def gated(self, metrics: Iterable[str]) -> list[str]:
        """The gated ones among ``metrics`` (in their order)."""
        metrics = list(metrics)
        if self.names is None:
            return metrics
        return [m for m in metrics if m in self.names]

    def check_ran(self, item: str, metrics: Iterable[str]) -> None:
        """Raise when a name the suite gates on is not among the metrics an item returned."""
        if self.names is None or not self.explicit:
            return
        returned = list(metrics)
        absent = [name for name in self.names if name not in returned]
        if absent:
            raise ScbenchError(
                f"{self.where}: {item} returned no metric {', '.join(map(repr, absent))}"
                f"{_hint(absent[0], returned)}; it returned: {', '.join(returned)}"
            )


def parse_gate(raw: Any, task: Task, where: str) -> Gate:
    """A task entry's ``gate:`` value (None: not given) as a :class:`Gate`.

    ``where`` is ``<suite file>: tasks[i].gate``; a malformed value or an unknown metric
    name raises :class:`ScbenchError` with it.
    """
    if raw is None:
        headlines = task.headline_metrics()
        return Gate(headlines or None, where)
    if raw == "all":
        return Gate(None, where)
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise ScbenchError(f"{where}: expected 'all' or a non-empty list of metric names, got {_short(raw)}")
    if len(set(values)) != len(values):
        raise ScbenchError(f"{where}: metric names repeat: {', '.join(values)}")
    known = task.metric_names()
    if known is not None:
        for value in values:
            if value not in known:
                raise ScbenchError(
                    f"{where}: task {task.name!r} has no metric {value!r}{_hint(value, sorted(known))}; "
                    f"its metrics: {', '.join(sorted(known))}"
                )
    return Gate(tuple(values), where, explicit=True)


def apply_gate(verdicts: Mapping[str, dict[str, Any]], gated: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The verdicts with every ungated ``regressed`` turned into ``changed``."""
    keep = set(gated)
    out = {}
    for name, verdict in verdicts.items():
        if verdict.get("status") == "regressed" and name not in keep:
            verdict = {**verdict, "status": CHANGED}
        out[name] = verdict
    return out


def headline_of(task: Task, metrics: Iterable[str]) -> str | None:
    """The metric an item shows: the first headline it returned, else its first metric."""
    returned = list(metrics)
    return next((h for h in task.headline_metrics() if h in returned), returned[0] if returned else None)


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
