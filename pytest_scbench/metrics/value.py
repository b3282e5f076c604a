"""A metric value that carries its direction, so comparison never guesses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower"]
HIGHER: Direction = "higher"
LOWER: Direction = "lower"


@dataclass(frozen=True)
class MetricValue:
    """One scalar metric and whether a higher or a lower value is better."""

    value: float
    direction: Direction

    def __post_init__(self) -> None:
        if self.direction not in ("higher", "lower"):
            raise ValueError(f"direction must be 'higher' or 'lower', not {self.direction!r}")
        object.__setattr__(self, "value", float(self.value))


def higher(value: float) -> MetricValue:
    """A metric where a larger value is better (ARI, accuracy, silhouette)."""
    return MetricValue(value, HIGHER)


def lower(value: float) -> MetricValue:
    """A metric where a smaller value is better (MSE, MAE)."""
    return MetricValue(value, LOWER)
