"""pytest-scbench: single-cell model benchmarks as pytest tests.

The names users import: the adapter base class and run context for models, the task
protocol, the data set types, the registry decorators, and the error types.
"""

from .datasets.base import Dataset, DatasetKeys, DatasetSpec
from .errors import BaselineError, DatasetError, ModelError, ScbenchError, SuiteError, TaskError
from .metrics.value import MetricValue, higher, lower
from .models.base import ModelAdapter, RunContext
from .outputs import Outputs
from .registry import register_dataset, register_model, register_task
from .tasks.base import Task, TaskInputs, TaskResult

__version__ = "0.1.0"

__all__ = [
    "BaselineError",
    "Dataset",
    "DatasetError",
    "DatasetKeys",
    "DatasetSpec",
    "MetricValue",
    "ModelAdapter",
    "ModelError",
    "Outputs",
    "RunContext",
    "ScbenchError",
    "SuiteError",
    "Task",
    "TaskError",
    "TaskInputs",
    "TaskResult",
    "__version__",
    "higher",
    "lower",
    "register_dataset",
    "register_model",
    "register_task",
]
