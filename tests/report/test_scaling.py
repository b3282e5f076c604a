"""Scores scaled between the negative control (0) and the best value (1), and their mean."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_scbench.report.scaling import CEILING_MARGIN, aggregate, best_value, scale, scale_metric

unit = st.floats(0.0, 1.0, allow_nan=False)
positive = st.floats(1e-3, 1e3, allow_nan=False)


def test_best_values_by_direction() -> None:
    assert best_value("higher") == 1.0 and best_value("lower") == 0.0
    with pytest.raises(ValueError, match="'sideways'"):
        best_value("sideways")


def test_known_values() -> None:
    assert scale_metric(0.6, "higher", 0.2) == pytest.approx(0.5)  # ARI halfway from control to 1
    assert scale_metric(0.25, "lower", 1.0) == pytest.approx(0.75)  # MSE a quarter of the control's
    assert scale_metric(0.1, "higher", 0.2) == pytest.approx(-0.125)  # worse than the control: not clipped
    assert scale_metric(None, "higher", 0.2) is None and scale_metric(0.5, "higher", None) is None
    assert scale_metric(math.nan, "higher", 0.2) is None


def test_a_control_at_the_ceiling_leaves_the_metric_unscaled() -> None:
    assert scale_metric(0.8, "higher", 1.0 - CEILING_MARGIN / 2) is None  # random batch mixing ~0.99
    assert scale_metric(0.8, "higher", 1.0 - 2 * CEILING_MARGIN) is not None
    assert scale_metric(0.1, "lower", 0.0) is None  # a control with zero error
    assert scale_metric(0.01, "lower", 0.02) == pytest.approx(0.5)  # small MSEs still scale


@given(control=st.floats(0.0, 1.0 - CEILING_MARGIN * 1.01), direction=st.just("higher"))
def test_higher_control_scales_to_0_and_best_to_1(control: float, direction: str) -> None:
    assert scale_metric(control, direction, control) == 0.0
    assert scale_metric(best_value(direction), direction, control) == pytest.approx(1.0)


@given(control=positive)
def test_lower_control_scales_to_0_and_best_to_1(control: float) -> None:
    assert scale_metric(control, "lower", control) == 0.0
    assert scale_metric(0.0, "lower", control) == pytest.approx(1.0)


@given(control=st.floats(0.0, 0.9), a=unit, b=unit)
def test_monotone_for_higher_is_better(control: float, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert scale_metric(lo, "higher", control) <= scale_metric(hi, "higher", control)


@given(control=positive, a=positive, b=positive)
def test_monotone_for_lower_is_better(control: float, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert scale_metric(lo, "lower", control) >= scale_metric(hi, "lower", control)


@given(value=st.floats(-10, 10), control=st.floats(-10, 10), best=st.floats(-10, 10))
def test_scale_is_the_affine_map_or_none(value: float, control: float, best: float) -> None:
    out = scale(value, control, best)
    if out is None:
        assert abs(best - control) < 1e-12
    else:
        assert out * (best - control) == pytest.approx(value - control, abs=1e-9)


@given(st.lists(st.one_of(st.none(), st.floats(-5, 5)), max_size=8))
def test_aggregate_is_the_mean_of_clipped_defined_scores(scores: list[float | None]) -> None:
    out = aggregate(scores)
    defined = [min(1.0, max(0.0, s)) for s in scores if s is not None]
    if not defined:
        assert out is None
    else:
        assert 0.0 <= out <= 1.0
        assert out == pytest.approx(sum(defined) / len(defined))


def test_aggregate_example() -> None:
    assert aggregate([0.5, 1.5, -3.0, None]) == pytest.approx(0.5)  # (0.5 + 1 + 0) / 3
