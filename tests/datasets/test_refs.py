"""Data set references (name?k=v) and parameter checking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_scbench.datasets import format_dataset_ref, parse_dataset_ref
from pytest_scbench.datasets.refs import check_params
from pytest_scbench.errors import DatasetError


def test_plain_name() -> None:
    assert parse_dataset_ref("pbmc68k") == ("pbmc68k", {})


def test_params_are_typed() -> None:
    name, params = parse_dataset_ref("pbmc68k_batches?n_cells=100000&scale=0.5&mode=fast&x=true&y=1e6")
    assert name == "pbmc68k_batches"
    assert params == {"n_cells": 100000, "scale": 0.5, "mode": "fast", "x": True, "y": 1000000}
    assert isinstance(params["n_cells"], int) and isinstance(params["y"], int)
    assert isinstance(params["scale"], float)


@pytest.mark.parametrize("ref", ["", "?n=1", "a?", "a?n", "a?n=1&n=2", "a b", "a?=3"])
def test_malformed_refs_are_errors(ref: str) -> None:
    with pytest.raises(DatasetError, match="dataset reference"):
        parse_dataset_ref(ref)


@given(
    st.dictionaries(
        st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
        st.one_of(st.integers(-(10**9), 10**9), st.from_regex(r"[a-z]{1,6}", fullmatch=True)),
        max_size=4,
    )
)
def test_format_then_parse_round_trips(params: dict) -> None:
    params = {k: v for k, v in params.items() if v not in ("true", "false")}
    assert parse_dataset_ref(format_dataset_ref("ds", params)) == ("ds", params)


def test_check_params_names_the_dataset_and_parameter() -> None:
    defaults = {"n_cells": None, "seed": 0, "scale": 1.0}
    assert check_params("ds", {"seed": 3, "scale": 2}, defaults) == {"n_cells": None, "seed": 3, "scale": 2.0}
    with pytest.raises(DatasetError, match=r"dataset 'ds' has no parameter 'ncells'.*n_cells"):
        check_params("ds", {"ncells": 5}, defaults)
    with pytest.raises(DatasetError, match=r"'seed' must be int, got str"):
        check_params("ds", {"seed": "x"}, defaults)
    with pytest.raises(DatasetError, match=r"'n_cells' must be int"):
        check_params("ds", {"n_cells": 2.5}, defaults)
