"""Tasks: one module each; importing this package registers the built-in ones."""

from . import (  # noqa: F401  (registration)
    batch_integration,
    clustering,
    cross_species_integration,
    embedding,
    label_prediction,
    perturbation,
    reconstruction,
    scib,
)
from .base import Task, TaskInputs, TaskResult

__all__ = ["Task", "TaskInputs", "TaskResult"]
