"""What identifies the suites of a run: each suite file's and baseline file's sha256.

Two reports can be merged only if they ran the same suites against the same baselines;
``scbench merge`` compares these records. Hashes are taken at collection, before a run
with ``--scbench-update-baselines`` rewrites the baseline file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes; None when it does not exist (no baselines yet)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def suite_record(suite_path: Path, baselines_path: Path) -> dict[str, Any]:
    """The ``suites.<name>`` entry of a report: paths and the content hashes of both files."""
    return {
        "file": str(suite_path),
        "sha256": file_sha256(suite_path),
        "baselines": str(baselines_path),
        "baselines_sha256": file_sha256(baselines_path),
    }
