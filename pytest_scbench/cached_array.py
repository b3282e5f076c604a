"""One model output on disk, with the record that proves what it is.

An output is an ``.npy`` file (``np.save``, never pickled) and, beside it, a provenance
record ``<name>.npy.json``::

    {"format": "pytest-scbench-output", "version": 1,
     "kind": "embedding", "model": "<model fingerprint>", "dataset": "<dataset fingerprint>",
     "extra": "seed0", "shape": [700, 50], "dtype": "float32", "sha256": "<of the .npy bytes>"}

:func:`read_verified` serves the array only when the record names the output asked for
(kind, model and data set fingerprints, extra key), the file's sha256 matches the record,
the file loads, and its shape and dtype are the recorded ones. Anything else (a file
overwritten with another model's output, a truncated or damaged file, a record missing or
unreadable) is a :class:`Rejected` with a one-line reason: the caller reports it, deletes
the entry and computes the output again. Nothing unverified is ever returned.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .checksums import sha256_bytes
from .datasets.cache import atomic_output

FORMAT = "pytest-scbench-output"
VERSION = 1


@dataclass(frozen=True)
class Provenance:
    """What an output is: its kind, the fingerprints it was computed from, and its extra key."""

    kind: str
    model: str
    dataset: str
    extra: str


class Rejected(Exception):
    """A cache entry that must not be used; ``str()`` is the reason, one line."""


def record_path(path: Path) -> Path:
    """The provenance record beside ``path``: ``<name>.npy.json``."""
    return path.with_name(path.name + ".json")


def exists(path: Path) -> bool:
    """Whether either part of an entry (array or record) is on disk."""
    return path.exists() or record_path(path).exists()


def read_verified(path: Path, want: Provenance) -> np.ndarray:
    """The array at ``path`` if its record proves it is ``want``; :class:`Rejected` otherwise."""
    record = _read_record(path)
    for field in ("kind", "model", "dataset", "extra"):
        recorded, expected = record.get(field), getattr(want, field)
        if recorded != expected:
            raise Rejected(
                f"its record says {field} {_short(recorded)}, not {_short(expected)} "
                "(the file was written for another output)"
            )
    if not path.exists():
        raise Rejected("the array file is missing (only its record is there)")
    try:
        digest = sha256_bytes(path)
    except OSError as exc:
        raise Rejected(f"it cannot be read ({exc.strerror or type(exc).__name__})") from None
    if digest != record.get("sha256"):
        raise Rejected("its checksum does not match its record (the file was changed, truncated or damaged)")
    try:
        value = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - whatever numpy raises, the entry is unusable
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise Rejected(f"it is not a readable .npy array ({type(exc).__name__}: {first})") from None
    if not isinstance(value, np.ndarray):
        raise Rejected("it holds no single array")
    if list(value.shape) != record.get("shape") or str(value.dtype) != record.get("dtype"):
        raise Rejected(
            f"it holds a {value.dtype} array of shape {list(value.shape)}, its record says "
            f"{_short(record.get('dtype'))} {_short(record.get('shape'))}"
        )
    return value


def write(path: Path, value: np.ndarray, provenance: Provenance) -> None:
    """Write the array, then its record, each atomically (the caller holds the entry's lock).

    A crash between the two leaves an array whose record is missing or old: the next
    read rejects it and the output is computed again.
    """
    with atomic_output(path) as tmp:
        with tmp.open("wb") as fh:
            np.save(fh, np.ascontiguousarray(value), allow_pickle=False)
        digest = sha256_bytes(tmp)
    record = {
        "format": FORMAT,
        "version": VERSION,
        **asdict(provenance),
        "shape": list(value.shape),
        "dtype": str(value.dtype),
        "sha256": digest,
    }
    with atomic_output(record_path(path)) as tmp:
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def delete(path: Path) -> None:
    """Remove both parts of an entry (whatever is there); ``OSError`` if they cannot be removed."""
    path.unlink(missing_ok=True)
    record_path(path).unlink(missing_ok=True)


def _read_record(path: Path) -> dict[str, Any]:
    where = record_path(path)
    try:
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Rejected("it has no provenance record (written by an older pytest-scbench, or interrupted)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Rejected(f"its record {where.name} cannot be read ({type(exc).__name__})") from None
    try:
        record = json.loads(text)
    except ValueError:
        raise Rejected(f"its record {where.name} is not valid JSON (damaged or truncated)") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT or record.get("version") != VERSION:
        raise Rejected(f"its record {where.name} is not a version-{VERSION} {FORMAT} record")
    return record


def _short(value: object) -> str:
    """A bounded repr for messages: a record is user-writable, so never print it whole."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
