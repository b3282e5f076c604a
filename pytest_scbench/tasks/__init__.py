"""Tasks: one module each; importing this package registers the built-in ones."""

from . import clustering, embedding, label_prediction  # noqa: F401  (registration)
from .base import Task, TaskInputs, TaskResult

__all__ = ["Task", "TaskInputs", "TaskResult"]
