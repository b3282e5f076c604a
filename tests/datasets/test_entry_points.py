"""A third-party package adds a data set through the ``pytest_scbench.datasets`` entry points."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from pytest_scbench.registry import Registry


def test_entry_point_data_set_is_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real installed distribution (dist-info on sys.path), as pip would leave it.
    package = tmp_path / "scb_thirdparty"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            from pathlib import Path

            from pytest_scbench.datasets import DatasetKeys, RemoteSource, remote_dataset

            def lab_atlas(**params):
                return remote_dataset(
                    "lab_atlas",
                    RemoteSource(url="https://example.org/lab_atlas.h5ad", filename="lab_atlas.h5ad"),
                    DatasetKeys(label_key="cell_type"),
                    organism="mouse",
                    gene_id_type="symbol",
                )
            """
        )
    )
    info = tmp_path / "scb_thirdparty-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: scb-thirdparty\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[pytest_scbench.datasets]\nlab_atlas = scb_thirdparty:lab_atlas\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry("dataset", "pytest_scbench.datasets", "pytest_scbench.datasets")
    assert "lab_atlas" in registry  # (built-ins register into the global registry, not this one)
    spec = registry.get("lab_atlas")()
    assert spec.organism == "mouse" and set(spec.markers) == {"network", "slow"}
    sys.modules.pop("scb_thirdparty", None)
