"""Tasks: one module each; importing this package registers the built-in ones."""

from .base import Task, TaskInputs, TaskResult

__all__ = ["Task", "TaskInputs", "TaskResult"]
