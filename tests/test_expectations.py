"""Judging one expectation check: direction, strictness of ``beats``, the margin of ``within``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_scbench.expectations import Check, Expectation, evaluate
from pytest_scbench.suite import parse_suite

SUITE = {
    "name": "demo",
    "models": ["random", "pca"],
    "datasets": ["pbmc68k"],
    "tasks": ["clustering"],
    "expect": [],
}


def check_for(kind: str, by: float) -> Check:
    suite = parse_suite({**SUITE, "tasks": ["clustering"]}, Path("demo.yaml"))
    case = suite.cases()[0]
    expectation = Expectation("random", kind, "pca", by, "demo.yaml: expect[0]", "ari")
    return Check(expectation, case, suite.cases()[1], "ari")


values = st.floats(-10, 10, allow_nan=False)
margins = st.floats(0, 1, allow_nan=False)


@given(x=values, y=values, by=margins, direction=st.sampled_from(["higher", "lower"]))
def test_beats_is_strict_and_never_true_both_ways(x: float, y: float, by: float, direction: str) -> None:
    beats = check_for("beats", by)
    forward = evaluate(beats, x, y, direction)
    assert not (forward.passed and evaluate(beats, y, x, direction).passed)
    assert not evaluate(beats, x, x, direction).passed  # a tie does not beat
    # Lower-is-better is higher-is-better on negated values.
    assert forward.passed == evaluate(beats, -x, -y, "higher" if direction == "lower" else "lower").passed
    assert forward.difference == pytest.approx(x - y)


@given(x=values, y=values, by=margins, direction=st.sampled_from(["higher", "lower"]))
def test_within_passes_when_better_or_worse_by_at_most_the_margin(
    x: float, y: float, by: float, direction: str
) -> None:
    within = evaluate(check_for("within", by), x, y, direction)
    worse_by = (y - x) if direction == "higher" else (x - y)
    if worse_by <= by - 1e-6:
        assert within.passed
    if worse_by > by + 1e-6:
        assert not within.passed and "FAILED" in within.message
    if evaluate(check_for("beats", 0.0), x, y, direction).passed:
        assert within.passed


def test_not_finite_values_never_pass() -> None:
    assert not evaluate(check_for("within", 1.0), float("nan"), 0.5, "higher").passed
    assert not evaluate(check_for("beats", 0.0), float("inf"), 0.5, "higher").passed


def test_without_metric_an_expectation_checks_each_gated_metric_where_both_models_run() -> None:
    from pytest_scbench.expectations import checks

    raw = {
        **SUITE,
        "tasks": ["clustering", {"name": "lp", "task": "label_prediction", "gate": ["knn_accuracy"]}],
        "expect": [{"model": "pca", "beats": "random"}],
        "exclude": [{"model": "random", "task": "lp"}],
    }
    suite = parse_suite(raw, Path("demo.yaml"))
    assert [c.id for c in checks(suite)] == [
        "demo[expect-pca-beats-random-pbmc68k-clustering-ari]",
        "demo[expect-pca-beats-random-pbmc68k-clustering-nmi]",
    ]  # lp: random does not run it, so nothing to compare
    raw["exclude"] = []
    assert [c.metric for c in checks(parse_suite(raw, Path("demo.yaml")))][-1] == "knn_accuracy"
