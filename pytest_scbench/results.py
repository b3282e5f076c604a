"""The results model: one record per item, feeding every output.

The same :class:`CaseResult` dictionary is attached to the pytest report (so it crosses
from xdist workers to the controller), written to the JSON report, summarised in the
terminal and used to update baselines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import TaskError
from .metrics.value import MetricValue


def item_id(suite: str, model: str, dataset: str, task: str) -> str:
    """A benchmark item's id, ``<suite>[<model>-<dataset>-<task>]``: its test id and baseline key."""
    return f"{suite}[{model}-{dataset}-{task}]"


@dataclass(frozen=True)
class MetricSummary:
    """A metric over the seeds of a run: the mean is what is gated."""

    value: float
    direction: str
    values: tuple[float, ...]
    std: float = 0.0
    ci95: tuple[float, float] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "direction": self.direction}
        if len(self.values) > 1:
            out.update(values=list(self.values), std=self.std, ci95=list(self.ci95) if self.ci95 else None)
        return out


def summarise(per_seed: Sequence[Mapping[str, MetricValue]], item: str) -> dict[str, MetricSummary]:
    """Mean, sample standard deviation and 95% t-interval of each metric over seeds."""
    names = list(per_seed[0])
    for seed_metrics in per_seed[1:]:
        if list(seed_metrics) != names:
            raise TaskError(f"{item}: the task returned different metrics for different seeds")
    out = {}
    for name in names:
        values = tuple(float(m[name].value) for m in per_seed)
        direction = per_seed[0][name].direction
        n = len(values)
        mean = math.fsum(values) / n
        if n == 1:
            out[name] = MetricSummary(mean, direction, values)
            continue
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
        from scipy.stats import t

        half = float(t.ppf(0.975, n - 1)) * std / math.sqrt(n)
        out[name] = MetricSummary(mean, direction, values, std, (mean - half, mean + half))
    return out


@dataclass
class CaseResult:
    """Everything known about one item after it ran (or was skipped)."""

    id: str
    suite: str
    model: str
    dataset: str
    task: str
    params: dict[str, Any] = field(default_factory=dict)
    model_params: dict[str, Any] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=list)
    device: str = "cpu"
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    tolerances: dict[str, float] = field(default_factory=dict)
    controls: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    durations: dict[str, Any] = field(default_factory=dict)
    baselines: str = ""
    #: The metrics that fail the item when they regress (the task's headlines or the suite's ``gate:``).
    gated: list[str] = field(default_factory=list)
    #: The one metric shown for the item in grids and overviews; ``aggregates``: summary scores among its metrics.
    headline: str = ""
    aggregates: list[str] = field(default_factory=list)
    completed: bool = False
    outcome: str = ""
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain Python values only: safe for JSON and for crossing to xdist's controller."""
        return to_plain(asdict(self))

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CaseResult:
        return cls(**raw)

    def regressions(self) -> list[str]:
        return [m for m, v in self.verdicts.items() if v["status"] == "regressed"]

    def improvements(self) -> list[str]:
        return [m for m, v in self.verdicts.items() if v["status"] == "improved"]

    def changed(self) -> list[str]:
        """Metrics worse than their baseline beyond tolerance that do not gate the item."""
        return [m for m, v in self.verdicts.items() if v["status"] == "changed"]

    def missing(self) -> list[str]:
        return [m for m, v in self.verdicts.items() if v["status"] == "missing"]

    def gated_missing(self) -> list[str]:
        """Gated metrics without a baseline: what ``--scbench-strict`` fails on."""
        return [m for m in self.missing() if m in self.gated]

    def shown_metric(self) -> str | None:
        """The headline, or the first metric for a record that names none (an older report)."""
        if self.headline and self.headline in self.metrics:
            return self.headline
        return next(iter(self.metrics), None)


def lost_result(nodeid: str, message: str) -> CaseResult | None:
    """A record for a suite item that left no result (its xdist worker crashed), else None.

    Only the test id is known (``suites/x.yaml::<suite>[<model>-<dataset>-<task>]``); the
    record lets the report and the summary name the item, and it is never completed, so
    its baselines are left alone.
    """
    path, _, name = nodeid.partition("::")
    match = _ITEM_ID.match(name)
    if not path.endswith((".yaml", ".yml")) or match is None:
        return None
    suite, model, dataset, task = match.groups()
    return CaseResult(id=name, suite=suite, model=model, dataset=dataset, task=task, outcome="failed", message=message)


_ITEM_ID = re.compile(r"^([^\[\]]+)\[([^-\[\]]+)-([^-\[\]]+)-([^-\[\]]+)\]$")


def to_plain(value: Any) -> Any:
    """Numpy scalars and arrays to Python values, non-finite floats to None, keys to str."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return to_plain(value.tolist())
    return str(value)
