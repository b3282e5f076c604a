"""Wording and number formats shared by the HTML page and the Markdown summary."""

from __future__ import annotations

SCALING_NOTE = (
    "Each score is scaled between the negative control (0) and the best possible value (1): "
    "(value - control) / (best - control), where the control is the task's negative control on the same "
    "data (a random embedding, or the mean expression) and the best value is 1 for higher-is-better "
    "metrics and 0 for lower-is-better ones (MSE, MAE). A task with several metrics shows the mean of "
    "its scaled metrics, each clipped to [0, 1] first. A higher-is-better metric whose control is within "
    "0.05 of 1 (batch mixing of a random embedding) is not scaled and not averaged: no room is left above "
    "the control. Marks: ▼ regressed, ▲ improved, ? no baseline."
)

MARKS = {"regressed": "▼", "improved": "▲", "missing": "?", "ok": ""}


def num(value: float | None, signed: bool = False, digits: int = 4) -> str:
    """A number for a table; '-' when missing."""
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
