"""The task protocol: what a task needs, its parameters, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import TaskError
from ..metrics.value import MetricValue
from ..params import merge_params
from .params import check_positive

if TYPE_CHECKING:
    from ..datasets.base import Dataset
    from ..outputs import Outputs


@dataclass
class TaskInputs:
    """Everything a task run sees.

    ``item`` is the test id, for error messages; ``data_dir`` is the cache directory
    (``$SCBENCH_DATA_DIR``) where derived files such as masked matrices are kept.
    """

    dataset: Dataset
    outputs: Outputs
    seed: int
    item: str = ""
    data_dir: Path | None = None


@dataclass
class TaskResult:
    """A task's scalar metrics (gated), plus JSON-able details and control scores.

    ``details`` holds what is reported but not gated (per-class F1, per-condition values);
    ``controls`` holds the negative control's value for each metric, so a report can scale
    every score between that control and the best possible value.
    """

    metrics: dict[str, MetricValue]
    details: dict[str, Any] = field(default_factory=dict)
    controls: dict[str, float] = field(default_factory=dict)


class Task:
    """Base class for tasks.

    ``defaults`` lists every parameter a suite may set, with its default value; an unknown
    parameter or a value of the wrong type is a :class:`TaskError` naming the task.
    ``requires_outputs`` are model outputs (see ``models.base.OUTPUT_KINDS``);
    ``requires_keys`` are data set roles (``label``, ``batch``, ``species``, ``condition``).

    ``headlines`` are the task's headline metrics: a small set, gated by default (a
    suite's ``gate:`` overrides it per task entry), the first of which is *the* headline
    that the terminal grid, the heatmap, the Markdown summary and the HTML overview show.
    Each is a template formatted with the task's parameters (``pearson_delta_top{n_top_genes}_de``).
    ``aggregates`` are metrics that summarise others (scib-metrics' ``total``); the
    overview shows them as columns of their own.

    ``minimums`` gives the least value of numeric parameters (``n_neighbors``: 2) and
    ``positive`` the parameters that must be > 0 (``resolution``); a parameter set to None
    (where its default allows it) is not checked. A value out of range is a
    :class:`TaskError` naming the task and the parameter, raised when the suite is read.
    """

    name: ClassVar[str] = ""
    requires_outputs: ClassVar[frozenset[str]] = frozenset()
    requires_keys: ClassVar[frozenset[str]] = frozenset()
    defaults: ClassVar[dict[str, Any]] = {}
    headlines: ClassVar[tuple[str, ...]] = ()
    aggregates: ClassVar[tuple[str, ...]] = ()
    minimums: ClassVar[dict[str, int]] = {}
    positive: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **params: Any) -> None:
        merged = merge_params("task", self.name, params, self.defaults, TaskError)
        self.params: dict[str, Any] = merged
        for key in self.positive:
            if merged[key] is not None:
                check_positive(self.name, key, merged[key])
        for key, minimum in self.minimums.items():
            if merged[key] is not None:
                check_positive(self.name, key, merged[key], minimum=minimum)

    def headline_metrics(self) -> tuple[str, ...]:
        """``headlines`` with this task's parameters filled in."""
        return tuple(template.format(**self.params) for template in self.headlines)

    def metric_names(self) -> frozenset[str] | None:
        """Every metric name a run of this task can return, or None where it depends on the data.

        A suite's ``gate:`` and ``expect:`` names are checked against it when the suite is
        read; where it is None (label transfer between the species a data set holds) they
        are checked against the item's metrics when it runs.
        """
        return None

    def run(self, inputs: TaskInputs) -> TaskResult:
        raise NotImplementedError
