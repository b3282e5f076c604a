"""Name -> factory registries for models, datasets and tasks.

Built-in entries register themselves when their package is imported; third-party
packages add entries through the entry-point groups ``pytest_scbench.models``,
``pytest_scbench.datasets`` and ``pytest_scbench.tasks`` (each entry point names the
object to register, its name is the registered name). Both are loaded on first use,
so importing the plugin stays cheap.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Generic, TypeVar

from .errors import ScbenchError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of factories of one kind ("model", "dataset" or "task")."""

    def __init__(self, kind: str, group: str, builtins: str) -> None:
        self.kind = kind
        self.group = group
        self._builtins = builtins
        self._entries: dict[str, T] = {}
        self._loaded = False

    def register(self, name: str, obj: T | None = None, *, replace: bool = False) -> Any:
        """Register ``obj`` under ``name``; without ``obj``, return a decorator."""

        def add(target: T) -> T:
            if not replace and name in self._entries and self._entries[name] is not target:
                raise ScbenchError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = target
            return target

        return add if obj is None else add(obj)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        importlib.import_module(self._builtins)
        for ep in entry_points(group=self.group):
            try:
                obj = ep.load()
            except Exception as exc:  # a broken third-party package must not hide the others
                raise ScbenchError(
                    f"cannot load {self.kind} {ep.name!r} from entry point {ep.value!r} "
                    f"(group {self.group}): {type(exc).__name__}: {exc}"
                ) from exc
            self._entries.setdefault(ep.name, obj)

    def get(self, name: str) -> T:
        """The entry called ``name``; ``KeyError`` if there is none."""
        self._load()
        return self._entries[name]

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        self._load()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


models: Registry[Callable[..., Any]] = Registry("model", "pytest_scbench.models", "pytest_scbench.models")
datasets: Registry[Callable[..., Any]] = Registry("dataset", "pytest_scbench.datasets", "pytest_scbench.datasets")
tasks: Registry[type] = Registry("task", "pytest_scbench.tasks", "pytest_scbench.tasks")

register_model = models.register
register_dataset = datasets.register
register_task = tasks.register


def import_object(path: str, root: Path | None = None, near: Path | None = None) -> Any:
    """Import ``"package.module:Attr"`` and return the attribute; nothing is called.

    ``path`` must be dotted Python identifiers on both sides of the colon. The module's
    top-level package (or module) is looked for in ``near`` (the suite file's folder) and
    each folder above it up to ``root`` (pytest's rootdir), then in ``root``: the first
    that holds it is put first on ``sys.path`` while the module is imported, as pytest's
    ``prepend`` import mode does for conftest files, so an adapter imports the same under
    ``pytest``, ``python -m pytest`` and ``pytest -p``, from any directory. Folders outside
    ``root`` are never searched: a suite cannot make code beside it importable unless the
    rootdir holds it. The folder is taken off ``sys.path`` again once the module is
    imported (its package's own submodules still import through the package), so a stray
    ``torch.py`` beside a suite never shadows a library imported later in the run.
    """
    module_name, sep, attr = path.partition(":")
    if not sep or not _dotted(module_name) or not _dotted(attr):
        raise ScbenchError(f"{path!r} is not of the form 'package.module:Name'")
    added = _prefer_holder(_import_roots(Path(root), near), module_name.split(".")[0]) if root is not None else None
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ScbenchError(f"cannot import module {module_name!r} named in {path!r}: {exc}") from exc
    finally:
        if added is not None and added in sys.path:
            sys.path.remove(added)
            importlib.invalidate_caches()
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise ScbenchError(f"module {module_name!r} has no attribute {attr!r}") from exc
    return obj


def _dotted(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _import_roots(root: Path, near: Path | None) -> list[Path]:
    """``near`` and its parents up to ``root``, nearest first, then ``root`` itself."""
    root = root.resolve()
    if near is None:
        return [root]
    near = near.resolve()
    if near != root and root not in near.parents:
        return [root]
    chain = [near, *near.parents]
    return chain[: chain.index(root) + 1]


def _prefer_holder(candidates: list[Path], top: str) -> str | None:
    """Put the first folder of ``candidates`` that holds package or module ``top`` first on
    ``sys.path``; the entry added, or None where it was there already or no folder holds it."""
    for folder in candidates:
        if (folder / top).is_dir() or (folder / f"{top}.py").is_file():
            entry = str(folder)
            if entry in sys.path:
                return None
            sys.path.insert(0, entry)
            importlib.invalidate_caches()
            return entry
    return None
