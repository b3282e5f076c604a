"""Data set references as a suite writes them: ``name?key=value&key2=value2``.

A suite names a built-in data set with optional parameters in one string, e.g.
``pbmc68k_batches?n_cells=100000&seed=1``. :func:`parse_dataset_ref` splits it into the
registered name and a parameter dict (values parsed as int, float, bool or str, in that
order), and :func:`format_dataset_ref` writes the canonical form back (parameters sorted),
which is what generated data sets use as their name when a parameter is not the default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from ..errors import DatasetError
from ..params import merge_params

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")

#: A parameter value as a reference carries it.
ParamValue = int | float | bool | str


def parse_value(text: str) -> ParamValue:
    """``"3"`` -> 3, ``"0.5"`` / ``"1e5"`` -> float, ``"true"``/``"false"`` -> bool, else str."""
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        value = float(text)
        return int(value) if value.is_integer() and "e" in text.lower() and abs(value) < 2**53 else value
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


def parse_dataset_ref(ref: str) -> tuple[str, dict[str, ParamValue]]:
    """Split ``"name?k=v&k2=v2"`` into ``("name", {"k": v, "k2": v2})``.

    Values are parsed by :func:`parse_value` (so ``n_cells=1e5`` is the int 100000);
    percent-escapes are decoded. A malformed reference (empty name, a parameter without
    ``=``, a repeated key) raises :class:`DatasetError` quoting it.
    """
    text = ref.strip()
    name, sep, query = text.partition("?")
    if not _NAME.match(name):
        raise DatasetError(f"dataset reference {ref!r}: {name!r} is not a data set name")
    params: dict[str, ParamValue] = {}
    if sep and not query:
        raise DatasetError(f"dataset reference {ref!r}: nothing after '?'")
    for part in query.split("&") if query else []:
        key, eq, raw = part.partition("=")
        key = unquote(key.strip())
        if not eq or not key:
            raise DatasetError(f"dataset reference {ref!r}: parameter {part!r} is not of the form key=value")
        if key in params:
            raise DatasetError(f"dataset reference {ref!r}: parameter {key!r} is given twice")
        params[key] = parse_value(unquote(raw.strip()))
    return name, params


def format_dataset_ref(name: str, params: Mapping[str, Any]) -> str:
    """The canonical reference: ``name`` alone, or ``name?k=v&...`` with keys sorted."""
    if not params:
        return name
    return name + "?" + "&".join(f"{k}={_format(v)}" for k, v in sorted(params.items()))


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_params(dataset: str, params: Mapping[str, Any], defaults: Mapping[str, ParamValue | None]) -> dict[str, Any]:
    """Merge ``params`` over ``defaults``, rejecting unknown keys and wrong types.

    Errors name the data set, the parameter and the accepted parameters. An int is
    accepted where a float is expected; ``None`` defaults accept int (sizes such as
    ``n_cells``).
    """
    return merge_params("dataset", dataset, params, defaults, DatasetError, none_accepts=(int,))


def non_default(params: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters whose value differs from the default (for names and cache paths)."""
    return {k: v for k, v in params.items() if defaults.get(k) != v}
