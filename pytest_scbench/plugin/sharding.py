"""Split a run's benchmark items across machines: ``--scbench-shard K/N``.

Every suite item and throughput item belongs to a group, ``<suite>/<model>/<dataset>``,
read off its id (``<suite>[<model>-<dataset>-<task>]``). A group lands in shard
``1 + int(sha256(group)) % N``: it depends on the group's name and N only, so an item
always lands in the same shard whatever other suites, models or data sets exist, and all
items of one (model, dataset) run on one machine, which computes that model output once.
The price of this stability is balance: with few groups a shard can get more groups than
another, or none (the plugin makes such a shard's run exit 0, not 5: nothing is wrong with it).
Tests that are not benchmark items are never deselected: every shard runs them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: ``<suite>[<model>-<dataset>-<task>]``; names never contain '-' (suite.py forbids it).
_ITEM_NAME = re.compile(r"^(?P<suite>[^\[\]]+)\[(?P<model>[^-\]]+)-(?P<dataset>[^-\]]+)-[^-\]]+\]$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def to_json(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}

    def holds(self, group: str) -> bool:
        """Whether the items of ``group`` run in this shard."""
        return shard_of(group, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """``"K/N"`` with integers ``1 <= K <= N``; ValueError saying what is wrong otherwise."""
    index_text, sep, count_text = str(text).strip().partition("/")
    try:
        index, count = int(index_text), int(count_text)
    except ValueError:
        index = count = 0
    if not sep or count < 1:
        raise ValueError(f"expected K/N with whole numbers, e.g. 1/4; got {text!r}")
    if not 1 <= index <= count:
        raise ValueError(f"shard index must be between 1 and {count}; got {text!r}")
    return Shard(index, count)


def shard_of(group: str, count: int) -> int:
    """The 1-based shard of ``group`` among ``count`` shards (sha256, not ``hash()``)."""
    digest = hashlib.sha256(group.encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def group_of(name: str) -> str | None:
    """``suite/model/dataset`` of a benchmark or throughput item's name; None for others."""
    match = _ITEM_NAME.match(name)
    if match is None:
        return None
    return f"{match['suite']}/{match['model']}/{match['dataset']}"


def split(items: Iterable[Any], shard: Shard) -> tuple[list[Any], list[Any]]:
    """``(kept, deselected)``: benchmark items (marker ``scbench``) outside ``shard`` go."""
    kept, dropped = [], []
    for item in items:
        group = group_of(item.name) if item.get_closest_marker("scbench") is not None else None
        (kept if group is None or shard.holds(group) else dropped).append(item)
    return kept, dropped


def empty_shard(shard: Shard | None, deselected: int, exitstatus: int) -> bool:
    """Whether a run found nothing to do only because its shard holds no group.

    pytest exits 5 when every item is deselected; for a shard that is not a failure (a
    CI matrix with more shards than groups), so the plugin turns it into 0.
    """
    return shard is not None and deselected > 0 and exitstatus == 5
