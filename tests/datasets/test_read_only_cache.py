"""A read-only, pre-warmed data cache (a shared cluster cache, a CI cache restored read-only) works."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np

from pytest_scbench.datasets.cache import cached_build

from ..permissions import no_override_prefix

REPO = Path(__file__).parents[2]

SCRIPT = """
import sys
from pathlib import Path
import anndata as ad, numpy as np
from pytest_scbench.datasets.cache import cached_build
root = Path(sys.argv[1])
calls = []
def build():
    calls.append(1)
    return ad.AnnData(np.ones((3, 2), dtype=np.float32))
warm = cached_build(root / "warm" / "raw" / "data.h5ad", "fp-1", build, dataset="warm")
cold = cached_build(root / "cold" / "raw" / "data.h5ad", "fp-2", build, dataset="cold")
stale = cached_build(root / "warm" / "raw" / "data.h5ad", "fp-3", build, dataset="warm")
print("built", len(calls), warm.uns["scbench"]["fingerprint"], float(warm.X.sum()), cold.shape, stale.uns["scbench"]["fingerprint"])
"""


def test_read_only_cache_serves_what_it_has_and_builds_the_rest_in_memory(tmp_path: Path) -> None:
    prefix = no_override_prefix()
    root = tmp_path / "cache"
    warmed = ad.AnnData(np.full((4, 2), 2.0, dtype=np.float32))
    cached_build(root / "warm" / "raw" / "data.h5ad", "fp-1", lambda: warmed, dataset="warm")
    listing = sorted(p.relative_to(root) for p in root.rglob("*"))
    for folder, _dirs, files in os.walk(root):
        for name in files:
            (Path(folder) / name).chmod(0o444)
        Path(folder).chmod(0o555)
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    argv = [sys.executable, str(script), str(root)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run(
            prefix + [shlex.join(argv)] if prefix else argv, capture_output=True, text=True, env=env, timeout=300
        )
    finally:
        for folder, _dirs, _files in os.walk(root):
            Path(folder).chmod(0o755)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "built 2 fp-1 16.0 (3, 2) fp-3"  # the warm file used, the others built
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "the data cache is not writable" in lines[0], done.stderr
    assert "built in memory and not saved" in lines[0]
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == listing
