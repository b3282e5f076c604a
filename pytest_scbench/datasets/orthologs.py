"""The shipped human <-> mouse one-to-one ortholog table and gene-name mapping.

The table (``data/human_mouse_orthologs.tsv``) covers the genes of scanpy's
``pbmc68k_reduced``; its header states how it was made and what it may not be used for.
It is one-to-one by construction, so mapping mouse symbols back to human symbols is
exact for every gene ``pbmc68k_species`` keeps.
"""

from __future__ import annotations

import functools
from importlib import resources

from ..errors import DatasetError

TABLE = "human_mouse_orthologs.tsv"
#: The organisms the shipped table relates.
ORGANISMS = ("human", "mouse")


@functools.lru_cache(maxsize=1)
def ortholog_table() -> tuple[tuple[str, str], ...]:
    """``(human_symbol, mouse_symbol)`` pairs, in the table's order."""
    text = resources.files("pytest_scbench.datasets").joinpath("data", TABLE).read_text("utf-8")
    rows = []
    header_seen = False
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            continue
        human, mouse = line.split("\t")
        rows.append((human, mouse))
    return tuple(rows)


def ortholog_map(source: str, target: str) -> dict[str, str]:
    """Gene symbol of ``source`` organism -> symbol of its ortholog in ``target``."""
    for organism in (source, target):
        if organism not in ORGANISMS:
            raise DatasetError(
                f"no ortholog table for organism {organism!r}; the shipped table relates {list(ORGANISMS)}"
            )
    if source == target:
        raise DatasetError(f"ortholog_map: source and target are both {source!r}")
    pairs = ortholog_table()
    return {h: m for h, m in pairs} if source == "human" else {m: h for h, m in pairs}
