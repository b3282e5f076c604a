"""From the ``adapter`` a suite names to a factory of :class:`ModelAdapter`.

A suite names an adapter by a registered name (built-ins, and third-party adapters that
packages register under the entry-point group ``pytest_scbench.models``) or by an import
path ``"package.module:Class"``, whose arguments are the model's parameters.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from ..errors import ModelError, ScbenchError
from ..registry import Registry, import_object
from ..registry import models as model_registry
from .base import ModelAdapter

Factory = Callable[..., ModelAdapter]


def resolve_adapter(spec: str, registry: Registry[Callable[..., Any]] | None = None) -> Factory:
    """The factory ``spec`` names: a registered name, or ``"package.module:Attr"``.

    Raises :class:`ModelError` listing the registered names (and the closest match) for an
    unknown name, and naming the path for an import path that does not import or does not
    name a :class:`ModelAdapter` subclass or other callable.
    """
    registry = model_registry if registry is None else registry
    if not isinstance(spec, str) or not spec.strip():
        raise ModelError(f"an adapter is a registered name or 'package.module:Class', got {spec!r}")
    spec = spec.strip()
    if ":" in spec:
        try:
            obj = import_object(spec)
        except ScbenchError as exc:
            raise ModelError(f"adapter {spec!r}: {exc}") from exc
        if isinstance(obj, type) and not issubclass(obj, ModelAdapter):
            raise ModelError(
                f"adapter {spec!r}: class {obj.__qualname__} is not a subclass of pytest_scbench.models.ModelAdapter"
            )
        if not callable(obj):
            raise ModelError(f"adapter {spec!r} is a {type(obj).__name__}, not a class or factory")
        return obj  # type: ignore[no-any-return]
    if spec in registry:
        return registry.get(spec)  # type: ignore[no-any-return]
    names = registry.names()
    close = difflib.get_close_matches(spec, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ModelError(
        f"unknown model adapter {spec!r}{hint} Registered adapters are {names}; "
        f"or name a class as 'package.module:Class'"
    )


def build_adapter(
    spec: str,
    params: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    registry: Registry[Callable[..., Any]] | None = None,
) -> ModelAdapter:
    """Resolve ``spec``, call it with ``params`` and check that a ModelAdapter came back.

    ``name`` (the suite's name for the model) becomes the adapter's ``name``, used in
    messages and test ids. A factory that rejects its arguments is a :class:`ModelError`.
    """
    factory = resolve_adapter(spec, registry)
    label = name or spec
    try:
        model = factory(**(params or {}))
    except ScbenchError:
        raise
    except TypeError as exc:
        raise ModelError(f"model {label!r} (adapter {spec!r}): bad parameters: {exc}") from exc
    if not isinstance(model, ModelAdapter):
        raise ModelError(
            f"model {label!r}: adapter {spec!r} returned a {type(model).__name__}, "
            f"not a pytest_scbench.models.ModelAdapter"
        )
    if name:
        model.name = name
    return model
