"""``scbench prepare-data``: fill the data cache before a run (or on a machine with network).

Loads a registered data set into the cache (download or generation included) and writes
the masked matrix the ``reconstruction`` task reads, with the very functions the task
uses (:func:`pytest_scbench.masking.masked_dataset`, the suite's data set naming), so a
later run finds both files and computes nothing again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .datasets.cache import cache_dirname, raw_path
from .errors import ScbenchError
from .masking import masked_dataset
from .suite import dataset_from_ref


@dataclass(frozen=True)
class Prepared:
    """What ``prepare-data`` left in the cache."""

    dataset: str
    raw: Path | None
    masked: Path
    n_masked: int


def prepare_data(ref: str, fraction: float, seed: int, data_dir: Path) -> Prepared:
    """Cache data set ``ref`` and its mask of ``fraction`` of the entries under ``seed``."""
    if not 0 < fraction < 1:
        raise ScbenchError(f"--mask-percentage: expected a fraction between 0 and 1 (0.15 masks 15%), got {fraction}")
    if seed < 0:
        raise ScbenchError(f"--seed: expected a non-negative integer, got {seed}")
    entry = dataset_from_ref(ref)
    dataset = entry.spec.load(data_dir)
    mask = masked_dataset(dataset.adata, dataset.name, fraction, seed, data_dir, fingerprint=dataset.fingerprint)
    assert mask.path is not None  # a data directory was given
    raw = raw_path(data_dir, cache_dirname(ref))
    return Prepared(dataset.name, raw if raw.exists() else None, mask.path, int(mask.rows.size))
