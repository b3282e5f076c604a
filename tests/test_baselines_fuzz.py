"""Arbitrary baseline documents: the loader returns finite, typed entries or raises BaselineError.

Documents are JSON as a hand edit, a bad merge or a crafted pull request might leave
them: any JSON value, near-valid files with junk in any field, NaN and Infinity (which
Python's json reads), integers far beyond a float, deep nesting, and bytes that are not
JSON or not UTF-8.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_scbench.baselines import BaselineFile
from pytest_scbench.errors import BaselineError

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "value": json_values,
        "direction": st.sampled_from(["higher", "lower", "up", ""]) | json_values,
        "tolerance": json_values,
        "std": json_values,
        "n_seeds": json_values,
    },
)
near_valid = st.fixed_dictionaries(
    {
        "version": st.sampled_from([1, 1.0, True, "1", 2, None]),
        "suite": json_values,
        "entries": st.dictionaries(
            st.text(max_size=30), st.dictionaries(st.text(max_size=10), fields | json_values, max_size=3) | json_values,
            max_size=3,
        ),
    }
)  # fmt: skip
documents = st.one_of(json_values, near_valid)


def check(path: Path) -> None:
    try:
        loaded = BaselineFile.load(path, "s")
    except BaselineError as exc:
        assert str(exc).startswith(f"{path}: ")
        assert len(str(exc)) < 2_000
        return
    for metrics in loaded.entries.values():
        for entry in metrics.values():
            assert isinstance(entry.value, float) and math.isfinite(entry.value)
            assert entry.direction in ("higher", "lower")
            assert entry.tolerance is None or (math.isfinite(entry.tolerance) and entry.tolerance >= 0)
            assert math.isfinite(entry.std) and entry.std >= 0
            assert type(entry.n_seeds) is int and entry.n_seeds >= 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents)
def test_any_json_document_loads_checked_or_raises_our_error(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc, allow_nan=True))
    check(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_load_or_raise_our_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(data)
    check(path)


def test_deep_nesting_and_huge_integers_are_our_errors(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    for text in (
        "[" * 100_000 + "]" * 100_000,
        '{"version": 1, "entries": {"s[x]": {"m": {"value": 1' + "0" * 5000 + "}}}}",
    ):
        path.write_text(text)
        check(path)
