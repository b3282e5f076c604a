"""Baselines: the gate's rule, updates that touch only what ran, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_scbench.baselines import BaselineEntry, BaselineFile, judge, write_json_atomic
from pytest_scbench.errors import BaselineError

finite = st.floats(-1e6, 1e6, allow_nan=False)
tolerances = st.floats(0, 1e3, allow_nan=False)


@given(baseline=finite, tolerance=tolerances, direction=st.sampled_from(["higher", "lower"]))
def test_value_equal_to_baseline_is_ok(baseline: float, tolerance: float, direction: str) -> None:
    assert judge(baseline, baseline, direction, tolerance) == "ok"


@given(baseline=finite, drop=st.floats(1e-3, 1e3), tolerance=tolerances)
def test_drop_beyond_tolerance_regresses_in_either_direction(baseline: float, drop: float, tolerance: float) -> None:
    worse = drop + tolerance
    assert judge(baseline - worse, baseline, "higher", tolerance) == "regressed"
    assert judge(baseline + worse, baseline, "lower", tolerance) == "regressed"
    assert judge(baseline + worse, baseline, "higher", tolerance) == "improved"
    assert judge(baseline - worse, baseline, "lower", tolerance) == "improved"


def test_within_tolerance_is_ok_and_nan_regresses() -> None:
    assert judge(0.49, 0.5, "higher", 0.02) == "ok"
    assert judge(0.47, 0.5, "higher", 0.02) == "regressed"
    assert judge(float("nan"), 0.5, "higher", 0.02) == "regressed"


def test_compare_uses_stored_tolerance_then_suite_tolerance_and_spread(tmp_path: Path) -> None:
    file = BaselineFile(tmp_path / "b.json", "s")
    file.entries["s[a-b-c]"] = {
        "m1": BaselineEntry(0.5, "higher", 0.01),
        "m2": BaselineEntry(0.5, "higher", None),
        "m3": BaselineEntry(0.5, "higher", 0.01, std=0.02, n_seeds=5),
    }
    verdicts = file.compare(
        "s[a-b-c]",
        {"m1": (0.48, "higher"), "m2": (0.48, "higher"), "m3": (0.48, "higher"), "m4": (1.0, "higher")},
        lambda metric: 0.05,
        z=3.0,
    )
    by_name = {v.metric: v for v in verdicts}
    assert by_name["m1"].status == "regressed" and by_name["m1"].tolerance == 0.01
    assert by_name["m2"].status == "ok" and by_name["m2"].tolerance == 0.05
    assert by_name["m3"].status == "ok" and by_name["m3"].tolerance == pytest.approx(0.06)
    assert by_name["m4"].status == "missing" and by_name["m4"].difference is None
    assert by_name["m1"].difference == pytest.approx(-0.02)


def test_a_spread_too_large_for_a_finite_tolerance_is_an_error_not_a_pass(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    entry = {"value": 0.9, "direction": "higher", "tolerance": 0.02, "std": 1e308, "n_seeds": 3}
    path.write_text(json.dumps({"version": 1, "suite": "s", "entries": {"s[x]": {"m": entry}}}))
    file = BaselineFile.load(path, "s")
    with pytest.raises(BaselineError, match=r"b\.json: entries\['s\[x\]'\]\['m'\]: .* not a finite tolerance"):
        file.compare("s[x]", {"m": (0.1, "higher")}, lambda metric: 0.02, z=3.0)


def test_update_reports_added_changed_removed_and_keeps_other_items(tmp_path: Path) -> None:
    file = BaselineFile(tmp_path / "b.json", "s")
    file.entries = {
        "s[x]": {"a": BaselineEntry(1.0, "higher", 0.1), "gone": BaselineEntry(1.0, "lower", 0.1)},
        "s[untouched]": {"a": BaselineEntry(2.0, "higher", 0.1)},
    }
    changes = file.update([("s[x]", {"a": BaselineEntry(1.5, "higher", 0.1), "new": BaselineEntry(0.0, "lower", 0.1)})])
    assert changes.added == ["s[x] new"]
    assert changes.changed == ["s[x] a: 1 -> 1.5"]
    assert changes.removed == ["s[x] gone"]
    assert file.entries["s[untouched]"] == {"a": BaselineEntry(2.0, "higher", 0.1)}
    file.save()
    again = BaselineFile.load(tmp_path / "b.json", "s")
    assert again.entries == file.entries


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON (line 1, column 2"),
        ('{"version": 99, "entries": {}}', "format version 99 is not supported"),
        (
            '{"version": 1, "entries": {"s[x]": {"m": {"value": 1}}}}',
            "entries['s[x]']['m']: missing field direction",
        ),
        (
            '{"version": 1, "entries": {"s[x]": {"m": {"value": 1, "direction": "up"}}}}',
            "entries['s[x]']['m'].direction: must be 'higher' or 'lower', not 'up'",
        ),
        ("[]", "expected an object with 'version', 'suite' and 'entries'"),
        # what a reviewer reads must be what is gated: a repeated key is refused, not "last wins"
        (
            '{"version": 1, "entries": {"s[x]": {"m": {"value": 0.9, "direction": "higher", "value": 0.1}}}}',
            "key 'value' appears twice in one object",
        ),
        (
            '{"version": 1, "entries": {"s[x]": {"m": {"value": 0.9, "direction": "higher"}}, "s[x]": {}}}',
            "key 's[x]' appears twice in one object",
        ),
        (
            '{"version": 1, "entries": {"s[x]": {"m": {"value": 1, "direction": "higher", "tolerence": 0.001}}}}',
            "entries['s[x]']['m']: unknown field 'tolerence'",
        ),
        (
            '{"version": 1, "entries": {"s[x]": {"m": {"value": 1, "direction": "higher", "std": 0.2}}}}',
            "entries['s[x]']['m'].std: a spread needs n_seeds of 2 or more",
        ),
    ],
)
def test_broken_files_raise_baseline_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(BaselineError, match=r"b\.json") as info:
        BaselineFile.load(path, "s")
    assert message in str(info.value)


def test_missing_file_is_an_empty_baseline(tmp_path: Path) -> None:
    assert BaselineFile.load(tmp_path / "none.json", "s").entries == {}


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    write_json_atomic(path, {"ok": 1})
    with pytest.raises(ValueError):
        write_json_atomic(path, {"bad": float("nan")})  # allow_nan=False fails mid-write
    assert json.loads(path.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["b.json"]
