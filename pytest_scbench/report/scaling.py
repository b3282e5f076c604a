"""Scores scaled between the negative control (0) and the best possible value (1).

Raw metrics live on different scales and point different ways (ARI up, MSE down), so a
leaderboard puts each on a common one: ``(value - control) / (best - control)``, where
``control`` is the negative control's value of the same metric on the same data (the
task's ``controls``) and ``best`` is the metric's best possible value.

Every metric the shipped tasks compute is either higher-is-better in [0, 1] (ARI, NMI,
silhouettes, accuracies, F1, AUROC, entropies and LISI scores rescaled by scib, Pearson
correlations, Jaccard) or lower-is-better and non-negative (MSE, MAE): the best value is
1 for the first kind and 0 for the second. A metric without a finite best value (a
higher-is-better score with no upper bound) would be scaled against 1 as well; values
above the best then scale above 1, and the aggregate clips them (see :func:`aggregate`).

A control that already scores near the best leaves no room to scale by: dividing by a
tiny ``best - control`` turns noise into large scores (a random embedding mixes batches
almost perfectly, so its ``entropy_per_cell`` is about 0.99). For higher-is-better metrics,
which are bounded by 1, a control within :data:`CEILING_MARGIN` of the best leaves the
metric unscaled (None, shown with its raw value and left out of the task's mean). A
lower-is-better metric has no such bound in its units, so only a control exactly at 0 does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: Best possible value of a metric, by its direction.
BEST = {"higher": 1.0, "lower": 0.0}

#: A control closer to the best than this leaves nothing to scale by.
MIN_SPAN = 1e-12

#: A higher-is-better control this close to 1 is at the ceiling: the metric is not scaled.
CEILING_MARGIN = 0.05


def best_value(direction: str) -> float:
    """The best possible value of a metric whose ``direction`` is 'higher' or 'lower'."""
    try:
        return BEST[direction]
    except KeyError:
        raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}") from None


def scale(value: float | None, control: float | None, best: float, min_span: float = MIN_SPAN) -> float | None:
    """``(value - control) / (best - control)``: 0 at the control, 1 at the best.

    None when a value is missing or not finite, or the control is within ``min_span`` of
    the best (then the scale is undefined, or too steep to mean anything). The result
    is not clipped: below 0 is worse than the control, above 1 beyond the best.
    """
    if value is None or control is None or not (math.isfinite(value) and math.isfinite(control)):
        return None
    span = best - control
    if abs(span) < max(min_span, MIN_SPAN):
        return None
    return (value - control) / span


def scale_metric(value: float | None, direction: str, control: float | None) -> float | None:
    """:func:`scale` with the best value and the margin taken from the metric's direction."""
    margin = CEILING_MARGIN if direction == "higher" else MIN_SPAN
    return scale(value, control, best_value(direction), margin)


def aggregate(scaled: Iterable[float | None]) -> float | None:
    """The mean of a task's scaled metrics, each clipped to [0, 1]; None when none is defined.

    Clipping keeps one metric whose control sits close to its best (batch mixing of a
    random embedding is nearly perfect) from swamping the task's mean with a large
    negative number: worse than the control counts as 0, beyond the best as 1.
    """
    defined = [min(1.0, max(0.0, s)) for s in scaled if s is not None]
    return math.fsum(defined) / len(defined) if defined else None
