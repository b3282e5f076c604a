"""Parameters a suite gives to a model, data set or task: merged over defaults, checked.

One rule for all three, so a user meets the same messages everywhere: an unknown name
lists the accepted ones; a value must have its default's type (an int is accepted where a
float is expected, a list or tuple where a list is); a ``None`` default accepts any value
unless ``none_accepts`` narrows it. No number may be NaN or infinite, in lists either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ScbenchError
from .limits import is_finite_number, non_finite_in, short_repr


def merge_params(
    kind: str,
    name: str,
    params: Mapping[str, Any],
    defaults: Mapping[str, Any],
    error: type[ScbenchError],
    none_accepts: tuple[type, ...] | None = None,
) -> dict[str, Any]:
    """``defaults`` updated with ``params``; ``error`` names the ``kind`` ("model", ...) and ``name``."""
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise error(
            f"{kind} {name!r} has no parameter {', '.join(short_repr(k) for k in unknown[:10])}; "
            f"parameters are {sorted(defaults) or 'none'}"
        )
    merged = dict(defaults)
    for key, value in params.items():
        merged[key] = _checked(kind, name, key, value, defaults[key], error, none_accepts)
    return merged


def _checked(
    kind: str,
    name: str,
    key: str,
    value: Any,
    default: Any,
    error: type[ScbenchError],
    none_accepts: tuple[type, ...] | None,
) -> Any:
    if default is None:
        ok = none_accepts is None or value is None or _is(value, none_accepts)
        expected = " or ".join(t.__name__ for t in none_accepts or ())
    else:
        expected = type(default).__name__
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, float):
            ok = _is(value, (int, float))
            if ok and not is_finite_number(value):
                raise error(f"{kind} {name!r}: parameter {key!r} must be finite, got {short_repr(value)}")
            value = float(value) if ok else value
        elif isinstance(default, (list, tuple)):
            ok = isinstance(value, (list, tuple))
        else:
            ok = _is(value, (type(default),))
    if not ok:
        raise error(
            f"{kind} {name!r}: parameter {key!r} must be {expected}, got {type(value).__name__} {short_repr(value)}"
        )
    bad = non_finite_in(value)
    if bad is not None:
        raise error(f"{kind} {name!r}: parameter {key!r} must be finite, got {bad}")
    return value


def _is(value: Any, types: tuple[type, ...]) -> bool:
    """isinstance, except that a bool is not an int."""
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
