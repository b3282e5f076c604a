"""Bounds on what a suite file may be: its size, its YAML's expanded size, and messages.

A suite is untrusted data (it may come from a pull request). A file above
:data:`MAX_SUITE_BYTES`, or YAML whose aliases expand past :data:`MAX_NODES` nodes (the
"billion laughs" alias bomb) or nest deeper than :data:`MAX_DEPTH`, is refused before it
is turned into Python objects. :func:`short_repr` is how every message shows a value
from such a file: bounded in length and in the work it takes, whatever the value.
"""

from __future__ import annotations

import math
import reprlib
from typing import Any

import yaml

#: Largest suite file read, in bytes. The shipped suites are a few KB.
MAX_SUITE_BYTES = 1_000_000
#: Largest number of YAML nodes (scalars, lists, mappings) once aliases are expanded: above
#: what a file of MAX_SUITE_BYTES can spell out, so only aliases reach it.
MAX_NODES = 1_000_000
#: Deepest nesting of lists and mappings.
MAX_DEPTH = 50
#: Longest shown value in a message.
MAX_SHOWN = 80

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_repr = reprlib.Repr()
_repr.maxlevel = 3
_repr.maxstring = MAX_SHOWN
_repr.maxother = MAX_SHOWN
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 6


class InputTooLarge(ValueError):
    """A suite document beyond the limits above; the message says which and by how much."""


def short_repr(value: Any, limit: int = MAX_SHOWN) -> str:
    """``repr(value)``, cut to about ``limit`` characters without building the full repr."""
    text = _repr.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_yaml_bounded(text: str) -> Any:
    """``yaml.safe_load(text)``, refusing documents that expand past the limits.

    The node graph is composed first (aliases are shared nodes there, so a bomb is still
    small), measured, and only then constructed into Python objects.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_size(root: yaml.Node) -> None:
    """Count the nodes of ``root`` with aliases expanded, in time linear in distinct nodes."""
    expanded: dict[int, int] = {}
    # Iterative post-order walk: (node, depth, children done?).
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            if isinstance(node, yaml.MappingNode):
                _check_unique_keys(node)
            total = 1 + sum(expanded[id(c)] for c in _children(node))
            if total > MAX_NODES:
                raise InputTooLarge(
                    f"the YAML expands to more than {MAX_NODES:,} values (an alias used many times over?)"
                )
            expanded[key] = total
            continue
        if key in expanded:
            continue
        if key in on_path:
            raise InputTooLarge("the YAML refers to itself through an alias (a recursive structure)")
        if depth > MAX_DEPTH:
            raise InputTooLarge(f"the YAML nests lists and mappings deeper than {MAX_DEPTH} levels")
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in _children(node) if id(c) not in expanded)


def _check_unique_keys(node: yaml.MappingNode) -> None:
    """Refuse a mapping that spells one key twice: YAML loaders keep the last silently, so
    a reviewer reading the first ``tolerance:`` would not see what is gated. Merge keys
    (``<<``) are YAML's own way to override and stay allowed."""
    seen: dict[tuple[str, str], yaml.Node] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue
        ident = (key.tag, key.value)
        if ident in seen:
            first = seen[ident].start_mark
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {short_repr(key.value)} appears twice in one mapping (first on line {first.line + 1}); keep one",
                key.start_mark,
            )
        seen[ident] = key


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def is_finite_number(value: Any) -> bool:
    """An int or float (not a bool) that is finite, as a float too (an int of 400 digits is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def number_hint(value: Any) -> str:
    """For text that reads as a number (YAML 1.1 reads ``1e-3`` as text): how to write it."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return ""
        if math.isfinite(number):
            return f" (YAML reads {short_repr(value)} as text: write it with a decimal point, e.g. {number!r})"
    return ""


def non_finite_in(value: Any, depth: int = 0) -> float | None:
    """The first NaN or infinite float inside ``value`` (lists, tuples, dict values), else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return value
    if depth < MAX_DEPTH and isinstance(value, (list, tuple, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            found = non_finite_in(item, depth + 1)
            if found is not None:
                return found
    return None
