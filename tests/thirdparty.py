"""A real third-party distribution that registers a model adapter through its entry point."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PYPROJECT = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "scbench-demo-adapter"
version = "0.0.1"

[project.entry-points."pytest_scbench.models"]
demo_offset = "scbench_demo_adapter:OffsetEmbedding"
"""

MODULE = '''
"""A third-party adapter shipped in its own distribution."""
import numpy as np
from pytest_scbench.models import ModelAdapter


class OffsetEmbedding(ModelAdapter):
    provides = frozenset({"embedding"})

    def embed(self, dataset, ctx):
        # the cell's position, offset by the parameter: an embedding that depends on both
        offset = float(self.params.get("value", 1.0))
        return np.arange(dataset.n_obs, dtype=np.float32)[:, None] + np.float32([0.0, offset])
'''


def install_demo_adapter(tmp_path: Path) -> Path:
    """Build and pip-install the package into ``tmp_path/site``; return that folder."""
    source, site = tmp_path / "src", tmp_path / "site"
    (source / "scbench_demo_adapter").mkdir(parents=True)
    (source / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    (source / "scbench_demo_adapter" / "__init__.py").write_text(textwrap.dedent(MODULE))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
         "--target", str(site), str(source)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert list(site.glob("scbench_demo_adapter-0.0.1.dist-info/entry_points.txt"))
    return site
