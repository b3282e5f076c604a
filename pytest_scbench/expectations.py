"""Relative expectations: a suite's ``expect:`` entries, each checked as an item of its own.

A model developer's strongest claim is relative: "mine beats pca", "mine stays within
0.01 of its stored baseline". A suite says so under ``expect:``::

    expect:
      - {model: mine, beats: pca, metric: ari, by: 0.0}
      - {model: mine, within: {of: baseline, by: 0.01}}
      - {model: mine, within: {of: scgpt, by: 0.05}, task: label_prediction}

* ``beats: <model>``: on the metric, ``model`` is better than the other model by more
  than ``by`` (default 0: strictly better), in the metric's own direction.
* ``within: {of: <model> | baseline, by: <d>}``: ``model`` is not worse than the other
  model (or than its own stored baseline) by more than ``d``; better always passes.
* ``metric:`` one metric; without it, every gated metric of each task (see gating.py).
  ``task:`` and ``dataset:`` (a name or a list of the suite's names) narrow where it
  is checked; by default on every data set and task where both items run.

Each (data set, task, metric) is one check and one test item,
``<suite>[expect-<model>-<beats|within>-<other>-<dataset>-<task>-<metric>]``, so ``-k``
selects them like any item. The check reads the results of the items it compares; it
never computes anything itself (plugin/expect_items.py explains the ordering, xdist included).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ScbenchError
from .limits import is_finite_number, number_hint
from .report.text import table

if TYPE_CHECKING:
    from .suite import Case, DatasetEntry, ModelEntry, Suite, TaskEntry

#: ``within: {of: baseline}``: the model's own stored baseline, not another model.
BASELINE = "baseline"

EXPECT_KEYS = ("model", "beats", "within", "by", "metric", "task", "dataset")
WITHIN_KEYS = ("of", "by")

#: Differences this small are float noise.
EPSILON = 1e-9


@dataclass(frozen=True)
class Expectation:
    """One ``expect:`` entry; ``where`` is ``<suite file>: expect[i]``."""

    model: str
    kind: str  # "beats" or "within"
    other: str  # a model name, or BASELINE
    by: float
    where: str
    metric: str | None = None
    tasks: frozenset[str] | None = None
    datasets: frozenset[str] | None = None

    def describe(self) -> str:
        if self.kind == "beats":
            return f"{self.model} beats {self.other} by more than {self.by:g}"
        of = "its stored baseline" if self.other == BASELINE else self.other
        return f"{self.model} stays within {self.by:g} of {of}"


@dataclass(frozen=True)
class Check:
    """One expectation on one (data set, task, metric): one test item."""

    expectation: Expectation
    case: Case
    other: Case | None  # None for ``of: baseline``
    metric: str

    @property
    def param_id(self) -> str:
        e = self.expectation
        return f"expect-{e.model}-{e.kind}-{e.other}-{self.case.dataset.name}-{self.case.task.name}-{self.metric}"

    @property
    def id(self) -> str:
        return f"{self.case.suite.name}[{self.param_id}]"

    @property
    def keywords(self) -> set[str]:
        e = self.expectation
        return {"expect", e.kind, e.model, e.other, self.case.dataset.name, self.case.task.name, self.metric}


@dataclass(frozen=True)
class Outcome:
    """What a check found: pass or not, the numbers, and the message for a failure."""

    passed: bool
    value: float
    other_value: float
    difference: float
    message: str


def parse_expectation(
    raw: Any, where: str, models: Sequence[ModelEntry], datasets: Sequence[DatasetEntry], tasks: Sequence[TaskEntry]
) -> Expectation:
    """Validate one ``expect:`` entry against the suite's models, data sets and tasks."""
    if not isinstance(raw, dict):
        raise ScbenchError(f"{where}: expected a mapping such as {{model: mine, beats: pca}}, got {_short(raw)}")
    for key in raw:
        if key not in EXPECT_KEYS:
            raise ScbenchError(f"{where}.{key}: unknown key {key!r}{_hint(str(key), EXPECT_KEYS)}")
    model_names = [m.name for m in models]
    model = _known(raw.get("model"), model_names, f"{where}.model", "model")
    if ("beats" in raw) == ("within" in raw):
        raise ScbenchError(f"{where}: give exactly one of 'beats: <model>' or 'within: {{of: ..., by: ...}}'")
    if "beats" in raw:
        kind = "beats"
        other = _known(raw["beats"], model_names, f"{where}.beats", "model")
        by = _number(raw.get("by", 0.0), f"{where}.by", minimum=0.0)  # below 0 it is a "within"
    else:
        kind = "within"
        if "by" in raw:
            raise ScbenchError(f"{where}.by: for within, 'by' goes inside it: within: {{of: ..., by: ...}}")
        within = raw["within"]
        if not isinstance(within, dict) or set(within) != set(WITHIN_KEYS):
            raise ScbenchError(
                f"{where}.within: expected {{of: <model> or baseline, by: <number>}}, got {_short(within)}"
            )
        of = within["of"]
        other = (
            BASELINE if of == BASELINE else _known(of, model_names, f"{where}.within.of", f"model (or {BASELINE!r})")
        )
        by = _number(within["by"], f"{where}.within.by", minimum=0.0)
    if other == model:
        raise ScbenchError(f"{where}: {model!r} is compared with itself; name another model or 'baseline'")
    task_names = [t.name for t in tasks]
    chosen_tasks = _names(raw.get("task"), task_names, f"{where}.task", "task")
    chosen_datasets = _names(raw.get("dataset"), [d.name for d in datasets], f"{where}.dataset", "dataset")
    metric = raw.get("metric")
    if metric is not None:
        if not isinstance(metric, str):
            raise ScbenchError(f"{where}.metric: expected a metric name, got {_short(metric)}")
        candidates = [t for t in tasks if chosen_tasks is None or t.name in chosen_tasks]
        known = [t.task.metric_names() for t in candidates]
        if all(names is not None and metric not in names for names in known):
            every = sorted({name for names in known if names is not None for name in names})
            raise ScbenchError(
                f"{where}.metric: no task of this expectation has a metric {metric!r}{_hint(metric, every)}; "
                f"their metrics: {', '.join(every)}"
            )
    return Expectation(model, kind, other, by, where, metric, chosen_tasks, chosen_datasets)


def checks(suite: Suite) -> list[Check]:
    """Every check of the suite's expectations, in the order of its entries and cases.

    A check exists where both compared items are items of the suite that can run (not
    excluded, the model provides what the task needs); two entries giving one check id
    are a suite error.
    """
    cases = {(c.model.name, c.dataset.name, c.task.name): c for c in suite.cases() if c.skip_reason is None}
    out: list[Check] = []
    seen: dict[str, str] = {}
    for e in suite.expectations:
        for (model, dataset, task), case in cases.items():
            if model != e.model or not _chosen(e.tasks, task) or not _chosen(e.datasets, dataset):
                continue
            other = None if e.other == BASELINE else cases.get((e.other, dataset, task))
            if e.other != BASELINE and other is None:
                continue
            for metric in _metrics(e, case):
                check = Check(e, case, other, metric)
                if check.id in seen:
                    raise ScbenchError(f"{e.where}: gives the check {check.id} that {seen[check.id]} gives already")
                seen[check.id] = e.where
                out.append(check)
    return out


def _metrics(e: Expectation, case: Case) -> list[str]:
    names = case.task.task.metric_names()
    if e.metric is not None:
        return [e.metric] if names is None or e.metric in names else []
    gate = case.task.gate.names
    if gate is not None:
        return list(gate)
    if names is not None:
        return sorted(names)
    return list(case.task.task.headline_metrics())


def holds(kind: str, by: float, value: float, other_value: float, direction: str) -> bool:
    """Whether ``value`` beats ``other_value`` by more than ``by`` (``kind`` "beats"), or is
    not worse than it by more than ``by`` ("within"); never where either is not finite."""
    if not (math.isfinite(value) and math.isfinite(other_value)):
        return False
    gain = value - other_value if direction == "higher" else other_value - value
    if kind == "beats":
        return gain > by + EPSILON
    return gain >= -by - EPSILON


def evaluate(check: Check, value: float, other_value: float, direction: str) -> Outcome:
    """Judge one check on the two values (``other_value``: the other model's, or the baseline)."""
    e = check.expectation
    difference = value - other_value
    passed = holds(e.kind, e.by, value, other_value, direction)
    sign = 1 if direction == "higher" else -1
    if e.kind == "beats":
        required = f"{'>' if sign > 0 else '<'} {sign * e.by:+.4f}"
    else:
        required = f"{'>=' if sign > 0 else '<='} {-sign * e.by:+.4f}"
    other_label = f"{e.model} baseline" if e.other == BASELINE else e.other
    rows = [
        [
            check.metric,
            f"{value:.4f}",
            f"{other_value:.4f}",
            f"{difference:+.4f}",
            required,
            direction,
            "ok" if passed else "FAILED",
        ]
    ]
    lines = [
        f"{check.id}: {'' if passed else 'not true: '}{e.describe()} on {check.metric} "
        f"({check.case.dataset.name}, {check.case.task.name})",
        f"expectation: {e.where}",
        "",
        *table(
            ["metric", e.model, other_label, "difference", "required", "better", "status"],
            rows,
            [False, True, True, True, False, False, False],
        ),
    ]
    return Outcome(passed, value, other_value, difference, "\n".join(lines))


def _chosen(allowed: frozenset[str] | None, name: str) -> bool:
    return allowed is None or name in allowed


def _known(raw: Any, names: Sequence[str], where: str, kind: str) -> str:
    if not isinstance(raw, str) or raw not in names:
        raise ScbenchError(
            f"{where}: unknown {kind} {_short(raw)}{_hint(str(raw), names)}; this suite has: {', '.join(names)}"
        )
    return raw


def _names(raw: Any, names: Sequence[str], where: str, kind: str) -> frozenset[str] | None:
    if raw is None:
        return None
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise ScbenchError(f"{where}: an empty list would check nothing; name a {kind} or leave the key out")
    return frozenset(_known(v, names, where, kind) for v in values)


def _number(raw: Any, where: str, minimum: float | None) -> float:
    if not is_finite_number(raw):
        raise ScbenchError(f"{where}: expected a finite number, got {_short(raw)}{number_hint(raw)}")
    if minimum is not None and raw < minimum:
        raise ScbenchError(f"{where}: expected a number >= {minimum:g}, got {raw!r}")
    return float(raw)


def _hint(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _short(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def result_values(raw: Mapping[str, Any], metric: str) -> tuple[float | None, str | None, float | None]:
    """(value, direction, stored baseline) of ``metric`` in a CaseResult's JSON; Nones where absent."""
    metric_json = (raw.get("metrics") or {}).get(metric) or {}
    verdict = (raw.get("verdicts") or {}).get(metric) or {}
    return metric_json.get("value"), metric_json.get("direction"), verdict.get("baseline")
