"""The one reader of JSON reports: every field checked before ``compare``, ``merge`` or ``report`` uses it.

A report may come from another job, another machine or a hand edit, so nothing in it is
trusted: :func:`parse_report` checks the format and version, and every field those
commands read, for its type and, for numbers, that it is finite (a metric value may be
``null``: a metric that could not be computed). Anything else is a :class:`ReportError`
whose message names the file and the field (``items[3].metrics.ari.value``) and quotes
at most a few characters of the offending value. No other exception escapes, whatever
the document holds (deep nesting and huge numbers included).
"""

from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path
from typing import Any, get_args

from ..baselines import Status
from ..errors import ScbenchError
from ..gating import CHANGED
from ..results import CaseResult

FORMAT = "pytest-scbench-report"
REPORT_VERSION = 1
#: Deepest nesting accepted anywhere in a report (ours is under 10 levels deep).
MAX_DEPTH = 64
#: Largest report file read (a report of 100,000 items is far below this).
MAX_BYTES = 1 << 30

#: A verdict's status: the baseline comparison's, or 'changed' (worse, but not gated).
STATUSES = frozenset(get_args(Status)) | {CHANGED}
DIRECTIONS = frozenset({"higher", "lower"})


class ReportError(ScbenchError):
    """A file that is not a well-formed pytest-scbench report; the message names the file and field."""


def load_report(path: Path) -> dict[str, Any]:
    """Read and check the report at ``path``; :class:`ReportError` on any problem."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ReportError(f"{path}: {size} bytes; a report larger than {MAX_BYTES} bytes is refused")
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"{path}: cannot read report: {exc.strerror or type(exc).__name__}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError(f"{path}: not UTF-8 text (byte {exc.start}); not a JSON report") from None
    return parse_report(text, path)


def parse_report(text: str, where: Path | str) -> dict[str, Any]:
    """Parse and check a report's text; ``where`` names it in messages."""
    try:
        raw = json.loads(text, parse_constant=_refuse_constant)
    except _Constant as exc:
        raise ReportError(
            f"{where}: holds {exc}, not a number JSON allows (a report never holds NaN or Infinity)"
        ) from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise ReportError(f"{where}: nested too deeply to be a report") from None
    except ValueError as exc:  # e.g. an integer literal with too many digits
        raise ReportError(f"{where}: not a readable JSON report ({str(exc)[:120]})") from None
    return check_report(raw, where)


def check_report(raw: Any, where: Path | str) -> dict[str, Any]:
    """``raw`` itself, once every field the commands read has been checked."""
    c = _Checker(str(where))
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ReportError(f"{where}: not a pytest-scbench JSON report (written by --scbench-json)")
    c.depth(raw)
    version = raw.get("version")
    if type(version) is not int or version != REPORT_VERSION:
        raise ReportError(
            f"{where}: report format version {_show(version)}; this scbench reads version {REPORT_VERSION} "
            "(written by another pytest-scbench? read it with the version that wrote it)"
        )
    c.optional(raw, "created", str, "created")
    for key in ("environment", "options", "summary"):
        c.optional(raw, key, dict, key)
    packages = raw.get("environment", {}).get("packages", {})
    c.kind(packages, dict, "environment.packages")
    c.optional(packages, "pytest-scbench", str, "environment.packages.pytest-scbench")
    suites = c.optional(raw, "suites", dict, "suites") or {}
    for name, suite in suites.items():
        c.kind(suite, dict, f"suites.{_key(name)}")
        for key, value in suite.items():
            if value is not None:
                c.kind(value, str, f"suites.{_key(name)}.{_key(key)}")
    _check_shard(c, raw.get("shard"))
    items = c.optional(raw, "items", list, "items") or []
    seen: set[str] = set()
    for k, item in enumerate(items):
        _check_item(c, item, f"items[{k}]")
        if item["id"] in seen:
            raise ReportError(f"{where}: items[{k}]: item {_show(item['id'])} appears twice")
        seen.add(item["id"])
    for k, item_id in enumerate(c.optional(raw, "not_run", list, "not_run") or []):
        c.kind(item_id, str, f"not_run[{k}]")
    return raw


_ITEM_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "suite": (str,),
    "model": (str,),
    "dataset": (str,),
    "task": (str,),
    "params": (dict,),
    "model_params": (dict,),
    "seeds": (list,),
    "device": (str,),
    "metrics": (dict,),
    "verdicts": (dict,),
    "tolerances": (dict,),
    "controls": (dict,),
    "details": (dict,),
    "durations": (dict,),
    "baselines": (str,),
    "completed": (bool,),
    "outcome": (str,),
    "message": (str,),
}
_REQUIRED = ("id", "suite", "model", "dataset", "task")
#: Every field a result may have: what :meth:`CaseResult.from_json` accepts.
_RESULT_FIELDS = frozenset(f.name for f in fields(CaseResult))


def _check_item(c: _Checker, item: Any, at: str) -> None:
    c.kind(item, dict, at)
    missing = [key for key in _REQUIRED if key not in item]
    if missing:
        raise ReportError(f"{c.where}: {at} lacks {', '.join(missing)}")
    unknown = sorted(set(item) - _RESULT_FIELDS)
    if unknown:
        raise ReportError(f"{c.where}: {at} has unknown field(s) {', '.join(_show(u) for u in unknown[:5])}")
    for key, types in _ITEM_FIELDS.items():
        if key in item:
            c.kind(item[key], types, f"{at}.{key}")
    for k, seed in enumerate(item.get("seeds", [])):
        if type(seed) is not int or seed < 0:
            raise ReportError(f"{c.where}: {at}.seeds[{k}] must be a non-negative integer, not {_show(seed)}")
    for name, metric in item.get("metrics", {}).items():
        m = f"{at}.metrics.{_key(name)}"
        c.kind(metric, dict, m)
        c.number(metric.get("value"), f"{m}.value", nullable=True)
        c.choice(metric.get("direction"), DIRECTIONS, f"{m}.direction")
        for k, v in enumerate(c.optional(metric, "values", list, f"{m}.values") or []):
            c.number(v, f"{m}.values[{k}]", nullable=True)
        c.number(metric.get("std"), f"{m}.std", nullable=True)
        ci95 = metric.get("ci95")
        if ci95 is not None:
            c.kind(ci95, list, f"{m}.ci95")
            if len(ci95) != 2:
                raise ReportError(f"{c.where}: {m}.ci95 must be [low, high]")
            for k, v in enumerate(ci95):
                c.number(v, f"{m}.ci95[{k}]", nullable=True)
    for name, verdict in item.get("verdicts", {}).items():
        v = f"{at}.verdicts.{_key(name)}"
        c.kind(verdict, dict, v)
        c.choice(verdict.get("status"), STATUSES, f"{v}.status")
        for key in ("value", "baseline", "difference", "tolerance"):
            c.number(verdict.get(key), f"{v}.{key}", nullable=True)
        if "direction" in verdict:
            c.choice(verdict["direction"], DIRECTIONS, f"{v}.direction")
    for name, tolerance in item.get("tolerances", {}).items():
        c.number(tolerance, f"{at}.tolerances.{_key(name)}", minimum=0.0)
    for name, value in item.get("controls", {}).items():
        c.number(value, f"{at}.controls.{_key(name)}", nullable=True)
    for name, value in item.get("durations", {}).items():
        if isinstance(value, dict):
            for kind, seconds in value.items():
                c.number(seconds, f"{at}.durations.{_key(name)}.{_key(kind)}", nullable=True, minimum=0.0)
        else:
            c.number(value, f"{at}.durations.{_key(name)}", nullable=True, minimum=0.0)


def _check_shard(c: _Checker, shard: Any) -> None:
    if shard is None:
        return
    c.kind(shard, dict, "shard")
    count = shard.get("count")
    if type(count) is not int or count < 1:
        raise ReportError(f"{c.where}: shard.count must be a positive integer, not {_show(count)}")
    if "merged" in shard:
        indices = shard["merged"]
        c.kind(indices, list, "shard.merged")
    else:
        indices = [shard.get("index")]
    for k, index in enumerate(indices):
        if type(index) is not int or not 1 <= index <= count:
            raise ReportError(f"{c.where}: shard index {_show(index)} (#{k}) is not an integer from 1 to {count}")


class _Checker:
    """Type and number checks that name the file and the field in their errors."""

    def __init__(self, where: str) -> None:
        self.where = where

    def kind(self, value: Any, types: type | tuple[type, ...], at: str) -> None:
        types = types if isinstance(types, tuple) else (types,)
        # bool is an int in Python, never in a report field that wants a number or a string
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join(_JSON_NAMES.get(t, t.__name__) for t in types)
            raise ReportError(f"{self.where}: {at} must be {names}, not {_json_type(value)}")

    def optional(self, parent: dict[str, Any], key: str, types: type, at: str) -> Any:
        if key not in parent:
            return None
        self.kind(parent[key], types, at)
        return parent[key]

    def number(self, value: Any, at: str, nullable: bool = False, minimum: float | None = None) -> None:
        if value is None and nullable:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ReportError(f"{self.where}: {at} must be a number, not {_json_type(value)}")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ReportError(f"{self.where}: {at} is {_show(value)}; it must be a finite number")
        if minimum is not None and number < minimum:
            raise ReportError(f"{self.where}: {at} is {_show(value)}; it must be at least {minimum}")

    def choice(self, value: Any, allowed: frozenset[str], at: str) -> None:
        if not isinstance(value, str) or value not in allowed:
            raise ReportError(f"{self.where}: {at} is {_show(value)}; expected one of {', '.join(sorted(allowed))}")

    def depth(self, raw: Any) -> None:
        """Refuse documents nested deeper than :data:`MAX_DEPTH` (checked without recursion)."""
        stack: list[tuple[Any, int]] = [(raw, 1)]
        while stack:
            value, level = stack.pop()
            if level > MAX_DEPTH:
                raise ReportError(f"{self.where}: nested more than {MAX_DEPTH} levels deep; not a report")
            children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
            stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))


class _Constant(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Constant(name)


_JSON_NAMES: dict[type, str] = {
    str: "a string",
    dict: "an object",
    list: "a list",
    bool: "true or false",
    int: "an integer",
    float: "a number",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    for t in (bool, str, dict, list, int, float):
        if isinstance(value, t):
            return _JSON_NAMES[t] + f" ({_show(value)})" if t in (str, int, float) else _JSON_NAMES[t]
    return type(value).__name__


def _show(value: Any, limit: int = 40) -> str:
    """A bounded rendering of a value from a report, for messages."""
    if isinstance(value, (dict, list)):
        return f"<{_json_type(value)} of {len(value)} entries>"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return "<an integer too large to show>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _key(name: str, limit: int = 40) -> str:
    """A key from a report, cut short, for a field path in a message."""
    return name if len(name) <= limit else name[: limit - 3] + "..."
