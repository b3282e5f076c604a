"""Checks of task parameter values (types are checked by :class:`.base.Task`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import TaskError


def check_positive(task: str, key: str, value: float, minimum: float | None = None) -> None:
    """A TaskError unless ``value`` > 0 (or >= ``minimum`` when given)."""
    if minimum is not None:
        if value < minimum:
            raise TaskError(f"task {task!r}: parameter {key!r} must be >= {minimum}, got {value!r}")
    elif not value > 0:
        raise TaskError(f"task {task!r}: parameter {key!r} must be > 0, got {value!r}")


def check_positive_list(task: str, key: str, values: Sequence[object]) -> None:
    """A TaskError unless every element is a positive number."""
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise TaskError(f"task {task!r}: parameter {key!r} must list positive numbers, got {value!r}")


def check_choices(task: str, key: str, values: Iterable[str], allowed: Iterable[str]) -> None:
    """A TaskError unless every value is one of ``allowed`` (and there is at least one)."""
    allowed = list(allowed)
    values = list(values)
    if not values:
        raise TaskError(f"task {task!r}: parameter {key!r} must not be empty; choose from {allowed}")
    for value in values:
        if value not in allowed:
            raise TaskError(f"task {task!r}: parameter {key!r} has unknown value {value!r}; choose from {allowed}")
