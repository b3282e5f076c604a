"""The task protocol: what a task needs, its parameters, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import TaskError
from ..metrics.value import MetricValue
from ..params import merge_params

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
    """

    name: ClassVar[str] = ""
    requires_outputs: ClassVar[frozenset[str]] = frozenset()
    requires_keys: ClassVar[frozenset[str]] = frozenset()
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **params: Any) -> None:
        merged = merge_params("task", self.name, params, self.defaults, TaskError)
        self.params: dict[str, Any] = merged

    def run(self, inputs: TaskInputs) -> TaskResult:
        raise NotImplementedError
