"""Stored baselines: load them, judge a run's metrics against them, update them atomically.

A baseline file (``suites/baselines/<suite>.json``) holds, per test id and metric, the
value, its direction and the tolerance; runs with several seeds also store the spread.
The gate is one rule: a metric fails when it is worse than its baseline by more than
``max(tolerance, z * std)``, where ``std`` is the stored seed spread (0 for one seed).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock

from .errors import BaselineError
from .filemode import keep_mode
from .limits import short_repr

FORMAT_VERSION = 1

#: A float difference this small is noise, never a regression or an improvement.
EPSILON = 1e-9

Status = Literal["ok", "regressed", "improved", "missing"]


@dataclass(frozen=True)
class BaselineEntry:
    """One stored metric of one item."""

    value: float
    direction: str
    tolerance: float | None
    std: float = 0.0
    n_seeds: int = 1

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "direction": self.direction}
        if self.tolerance is not None:
            out["tolerance"] = self.tolerance
        if self.n_seeds > 1:
            out["std"] = self.std
            out["n_seeds"] = self.n_seeds
        return out


@dataclass(frozen=True)
class Verdict:
    """How one metric of this run compares with its baseline."""

    metric: str
    value: float
    direction: str
    status: Status
    baseline: float | None = None
    tolerance: float | None = None

    @property
    def difference(self) -> float | None:
        """value - baseline (signed: a negative difference on a 'higher' metric is a drop)."""
        return None if self.baseline is None else self.value - self.baseline

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "value": self.value,
            "baseline": self.baseline,
            "difference": self.difference,
            "tolerance": self.tolerance,
            "direction": self.direction,
        }


@dataclass
class BaselineFile:
    """The baselines of one suite, as stored in one JSON file."""

    path: Path
    suite: str
    entries: dict[str, dict[str, BaselineEntry]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, suite: str) -> BaselineFile:
        """Read ``path``; a missing file is an empty baseline, a broken one an error."""
        if not path.exists():
            return cls(path, suite)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_unique_keys)
        except _RepeatedKey as exc:
            raise BaselineError(
                f"{path}: key {short_repr(exc.key)} appears twice in one object (in {exc.where}); JSON "
                "readers keep one of the two silently, so the file is refused: keep one"
            ) from None
        except json.JSONDecodeError as exc:
            raise BaselineError(
                f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                "fix or delete the file, it is never overwritten while broken"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BaselineError(f"{path}: cannot read baseline file: {exc}") from None
        except (ValueError, RecursionError) as exc:  # an int of too many digits, nesting too deep
            raise BaselineError(
                f"{path}: not a usable JSON document ({type(exc).__name__}: {short_repr(str(exc))}); "
                "fix or delete the file, it is never overwritten while broken"
            ) from None
        return cls(path, suite, _parse_entries(path, raw))

    def compare(
        self, item_id: str, metrics: Mapping[str, tuple[float, str]], tolerance_for: Callable[[str], float], z: float
    ) -> list[Verdict]:
        """A verdict for each metric of ``item_id`` (``metrics``: name -> (value, direction)).

        ``tolerance_for`` gives the suite's tolerance of a metric, used where the stored
        entry has none.
        """
        stored = self.entries.get(item_id, {})
        verdicts = []
        for name, (value, direction) in metrics.items():
            entry = stored.get(name)
            if entry is None:
                verdicts.append(Verdict(name, value, direction, "missing"))
                continue
            stored_tol = entry.tolerance if entry.tolerance is not None else tolerance_for(name)
            tolerance = max(stored_tol, z * entry.std)
            if not math.isfinite(tolerance):
                raise BaselineError(
                    f"{self.path}: entries[{short_repr(item_id)}][{short_repr(name)}]: its spread "
                    f"{entry.std:g} times z={z:g} is not a finite tolerance; the file is left as it is"
                )
            verdicts.append(
                Verdict(name, value, direction, judge(value, entry.value, direction, tolerance), entry.value, tolerance)
            )
        return verdicts

    def update(self, results: Iterable[tuple[str, Mapping[str, BaselineEntry]]]) -> Changes:
        """Replace the entries of the given items; every other item stays untouched."""
        changes = Changes(self.path)
        for item_id, metrics in results:
            old = self.entries.get(item_id, {})
            for name, entry in metrics.items():
                if name not in old:
                    changes.added.append(f"{item_id} {name}")
                elif old[name] != entry:
                    changes.changed.append(f"{item_id} {name}: {old[name].value:.4g} -> {entry.value:.4g}")
            changes.removed.extend(f"{item_id} {name}" for name in old if name not in metrics)
            self.entries[item_id] = dict(metrics)
        return changes

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "suite": self.suite,
            "entries": {
                item: {name: entry.to_json() for name, entry in sorted(metrics.items())}
                for item, metrics in sorted(self.entries.items())
            },
        }

    def save(self) -> None:
        """Write atomically: a temporary file beside the target, then a rename."""
        write_json_atomic(self.path, self.to_json())


def lock_path(path: Path) -> Path:
    """The lock file that guards updates of the baseline file ``path``: ``.<name>.lock`` beside it."""
    return path.with_name(f".{path.name}.lock")


def update_file(path: Path, suite: str, results: Iterable[tuple[str, Mapping[str, BaselineEntry]]]) -> Changes:
    """Replace the entries of the given items in the baseline file ``path``, safely under concurrency.

    Under a lock on the file, the file is read as it is on disk now (not as this run saw it
    at its start), the items are replaced, and the result is written atomically: two runs
    that update different items of one file (two CI jobs, ``-k`` slices) both land.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(lock_path(path)), timeout=600)
        lock.acquire()
    except OSError as exc:
        raise BaselineError(f"{path}: cannot lock the baseline file for the update: {exc}") from None
    try:
        baseline = BaselineFile.load(path, suite)
        changes = baseline.update(results)
        if changes:
            try:
                baseline.save()
            except OSError as exc:
                raise BaselineError(f"{path}: cannot write the baseline file: {exc}") from None
        return changes
    finally:
        lock.release()


@dataclass
class Changes:
    """What an update did to one baseline file, for the terminal summary."""

    path: Path
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def judge(value: float, baseline: float, direction: str, tolerance: float) -> Status:
    """'regressed' when worse than baseline by more than tolerance, 'improved' when better."""
    gain = value - baseline if direction == "higher" else baseline - value
    if math.isnan(value):
        return "regressed"
    if gain < -(tolerance + EPSILON):
        return "regressed"
    if gain > tolerance + EPSILON:
        return "improved"
    return "ok"


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write JSON to ``path`` via a temporary file and ``os.replace``: never half a file.

    The file keeps the mode it had (a new one gets 0666 under the umask), see :mod:`.filemode`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2, sort_keys=False, allow_nan=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        keep_mode(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: The fields of one stored metric (:meth:`BaselineEntry.to_json`).
ENTRY_FIELDS = frozenset({"value", "direction", "tolerance", "std", "n_seeds"})


class _RepeatedKey(ValueError):
    def __init__(self, key: str, where: str) -> None:
        super().__init__(key)
        self.key = key
        self.where = where


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``' object hook: an object, refusing a key given twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            others = [k for k, _ in pairs if k != key][:3]
            raise _RepeatedKey(key, "an object with " + (", ".join(map(short_repr, others)) or "no other key"))
        out[key] = value
    return out


def _parse_entries(path: Path, raw: Any) -> dict[str, dict[str, BaselineEntry]]:
    """Every entry of a loaded baseline document, each field checked.

    Values, tolerances and spreads decide verdicts, so each must be a finite JSON number
    (``null``, NaN, Infinity, strings and booleans are refused, naming the entry and field);
    tolerances and spreads are >= 0 and ``n_seeds`` is a positive integer.
    """

    def bad(where: str, what: str) -> BaselineError:
        return BaselineError(f"{path}: {where}: {what}; the file is left as it is")

    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), dict):
        raise bad("top level", "expected an object with 'version', 'suite' and 'entries'")
    version = raw.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise bad("version", f"format version {short_repr(version)} is not supported (expected {FORMAT_VERSION})")
    out: dict[str, dict[str, BaselineEntry]] = {}
    for item, metrics in raw["entries"].items():
        if not isinstance(metrics, dict):
            raise bad(f"entries[{short_repr(item)}]", "expected an object of metrics")
        out[item] = {}
        for name, entry in metrics.items():
            where = f"entries[{short_repr(item)}][{short_repr(name)}]"
            if not isinstance(entry, dict):
                raise bad(where, "expected an object with value, direction and tolerance")
            if "value" not in entry or "direction" not in entry:
                missing = [k for k in ("value", "direction") if k not in entry]
                raise bad(where, f"missing field {' and '.join(missing)}")
            value = _number(bad, where, entry, "value")
            direction = entry["direction"]
            if direction not in ("higher", "lower"):
                raise bad(f"{where}.direction", f"must be 'higher' or 'lower', not {short_repr(direction)}")
            unknown = sorted(set(entry) - ENTRY_FIELDS)
            if unknown:
                raise bad(
                    where,
                    f"unknown field {short_repr(unknown[0])} (the fields are {', '.join(sorted(ENTRY_FIELDS))}); "
                    "a misspelt tolerance would otherwise be ignored",
                )
            tolerance = _number(bad, where, entry, "tolerance", minimum=0.0) if "tolerance" in entry else None
            std = _number(bad, where, entry, "std", minimum=0.0) if "std" in entry else 0.0
            n_seeds = entry.get("n_seeds", 1)
            if type(n_seeds) is not int or n_seeds < 1:
                raise bad(f"{where}.n_seeds", f"must be a positive integer, not {_shown(n_seeds)}")
            if std > 0 and n_seeds == 1:
                raise bad(
                    f"{where}.std",
                    "a spread needs n_seeds of 2 or more (a one-seed baseline has none, and a spread "
                    "widens the tolerance)",
                )
            out[item][name] = BaselineEntry(value, direction, tolerance, std, n_seeds)
    return out


def _number(
    bad: Callable[[str, str], BaselineError],
    where: str,
    entry: Mapping[str, Any],
    key: str,
    minimum: float | None = None,
) -> float:
    raw = entry[key]
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise bad(f"{where}.{key}", f"must be a number, not {_shown(raw)}")
    try:
        value = float(raw)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise bad(f"{where}.{key}", f"must be a finite number, not {_shown(raw)}")
    if minimum is not None and value < minimum:
        raise bad(f"{where}.{key}", f"must be >= {minimum:g}, not {_shown(raw)}")
    return value


def _shown(value: Any) -> str:
    """A field's value as the JSON file spells it (null, NaN), cut short."""
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, bool):
        return "true" if value else "false"
    return short_repr(value)
