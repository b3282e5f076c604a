"""Metrics: pure functions of arrays, each documented with its definition and source."""

from .value import HIGHER, LOWER, Direction, MetricValue, higher, lower

__all__ = ["HIGHER", "LOWER", "Direction", "MetricValue", "higher", "lower"]
