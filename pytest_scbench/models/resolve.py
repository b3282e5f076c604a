"""From the ``adapter`` a suite names to a factory of :class:`ModelAdapter`.

A suite names an adapter by a registered name (built-ins, and third-party adapters that
packages register under the entry-point group ``pytest_scbench.models``) or by an import
path ``"package.module:Class"``. An import path must name a :class:`ModelAdapter`
subclass: this is checked after the import and before anything is called, so a suite
cannot call an arbitrary function (``os:system``) with its keys as arguments.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ModelError, ScbenchError
from ..registry import Registry, import_object
from ..registry import models as model_registry
from .base import ModelAdapter

Factory = Callable[..., ModelAdapter]

#: Parameter names every adapter's files go by: resolved relative to the suite file.
PATH_PARAMS: frozenset[str] = frozenset({"path", "checkpoint"})


def resolve_adapter(
    spec: str,
    registry: Registry[Callable[..., Any]] | None = None,
    *,
    root: Path | None = None,
    near: Path | None = None,
) -> Factory:
    """The factory ``spec`` names: a registered name, or ``"package.module:Class"``.

    An import path's module is looked for first in ``near`` (the suite file's folder), the
    folders above it up to ``root`` (pytest's rootdir), then ``root`` (see
    :func:`pytest_scbench.registry.import_object`). Raises :class:`ModelError` listing the
    registered names (and the closest match) for an unknown name, and naming the path for
    an import path that does not import or does not name a :class:`ModelAdapter` subclass.
    """
    registry = model_registry if registry is None else registry
    if not isinstance(spec, str) or not spec.strip():
        raise ModelError(f"an adapter is a registered name or 'package.module:Class', got {_short(spec)}")
    spec = spec.strip()
    if ":" in spec:
        try:
            obj = import_object(spec, root, near)
        except ScbenchError as exc:
            raise ModelError(f"adapter {_short(spec)}: {exc}") from exc
        if not isinstance(obj, type):
            raise ModelError(
                f"adapter {_short(spec)} is a {type(obj).__name__}, not a class: an import path must name a "
                "subclass of pytest_scbench.models.ModelAdapter (nothing else is called from a suite)"
            )
        if not issubclass(obj, ModelAdapter):
            raise ModelError(
                f"adapter {_short(spec)}: class {obj.__qualname__} is not a subclass of "
                "pytest_scbench.models.ModelAdapter"
            )
        return obj
    if spec in registry:
        return registry.get(spec)  # type: ignore[no-any-return]
    names = registry.names()
    close = difflib.get_close_matches(spec, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ModelError(
        f"unknown model adapter {_short(spec)}{hint} Registered adapters are {names}; "
        f"or name a class as 'package.module:Class'"
    )


def is_path_param(factory: Factory, key: str) -> bool:
    """Whether the adapter's parameter ``key`` names a file or folder.

    ``path``, ``checkpoint``, any ``*_path``, and what the adapter declares in its
    ``path_params`` (files it reads) or ``output_params`` (files it writes).
    """
    declared = set(getattr(factory, "path_params", ())) | set(getattr(factory, "output_params", ()))
    return key in PATH_PARAMS or key.endswith("_path") or key in declared


def output_params(factory: Factory) -> frozenset[str]:
    """The parameters naming files the adapter writes (``output_params``, e.g. sclm's ``save_path``)."""
    return frozenset(getattr(factory, "output_params", ()))


def build_adapter(
    spec: str,
    params: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    registry: Registry[Callable[..., Any]] | None = None,
    root: Path | None = None,
) -> ModelAdapter:
    """Resolve ``spec``, call it with ``params`` and check that a ModelAdapter came back.

    ``name`` (the suite's name for the model) becomes the adapter's ``name``, used in
    messages and test ids. A factory that rejects its arguments is a :class:`ModelError`.
    """
    return instantiate(resolve_adapter(spec, registry, root=root), spec, params, name=name)


def instantiate(
    factory: Factory, spec: str, params: dict[str, Any] | None = None, *, name: str | None = None
) -> ModelAdapter:
    """Call a factory from :func:`resolve_adapter` with ``params``; the result must be an adapter.

    A registered entry point may be a factory function rather than a class, hence the
    check of what came back.
    """
    label = name or spec
    try:
        model = factory(**(params or {}))
    except ScbenchError:
        raise
    except TypeError as exc:
        raise ModelError(f"model {label!r} (adapter {_short(spec)}): bad parameters: {exc}") from exc
    if not isinstance(model, ModelAdapter):
        raise ModelError(
            f"model {label!r}: adapter {_short(spec)} returned a {type(model).__name__}, "
            f"not a pytest_scbench.models.ModelAdapter"
        )
    if name:
        model.name = name
    return model


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
