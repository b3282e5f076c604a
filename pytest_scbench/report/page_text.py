"""Wording and number formats shared by the HTML page and the Markdown summary."""

from __future__ import annotations

from collections.abc import Mapping

SCALING_NOTE = (
    "Each score is scaled between the negative control (0) and the best possible value (1): "
    "(value - control) / (best - control), where the control is the task's negative control on the same "
    "data (a random embedding, or the mean expression) and the best value is 1 for higher-is-better "
    "metrics and 0 for lower-is-better ones (MSE, MAE). Colours and the heatmaps use the scaled headline "
    "metric; a model's mean score is the mean of its scaled headlines, each clipped to [0, 1]. "
    "A higher-is-better metric whose control is within 0.05 of 1 (batch mixing of a random embedding) "
    "is not scaled: no room is left above the control."
)

MARKS = {"regressed": "▼", "changed": "▽", "improved": "▲", "missing": "?", "ok": ""}

#: The statuses a verdict can have, worst first; anything else in a report is shown as unknown.
STATUSES = ("regressed", "changed", "improved", "missing", "ok")

HEADLINE_NOTE = (
    "Each task shows one headline metric (its name under the task), the same in the terminal summary, the "
    "heatmaps, this page's tables and the Markdown summary. A mark names the metric it is about when that is "
    "not the headline: ▼nmi means nmi regressed (it gates the item), ▽nmi that nmi got worse beyond its "
    "tolerance but does not gate (changed, not gated), ▲ improved, ? no stored baseline."
)


def cell_mark(statuses: Mapping[str, str], headline: str | None) -> str:
    """The worst status among an item's metrics as a mark, naming the metric it is about.

    ``statuses``: metric -> verdict status. The headline goes unnamed (its value is the
    one shown); another metric is named, with how many more share the status:
    ``▼`` (the headline regressed), ``▼nmi``, ``▼+nmi`` (the headline and nmi), ``▼nmi+2``.
    """
    for status in ("regressed", "changed", "improved", "missing"):
        names = [m for m, s in statuses.items() if s == status]
        if not names:
            continue
        others = [m for m in names if m != headline]
        if not others or status == "missing":
            return MARKS[status]
        more = f"+{len(others) - 1}" if len(others) > 1 else ""
        return MARKS[status] + ("+" if headline in names else "") + others[0] + more
    return ""


def num(value: float | None, signed: bool = False, digits: int = 4) -> str:
    """A number for a table; '-' when missing."""
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
