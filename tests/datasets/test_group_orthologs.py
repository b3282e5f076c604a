"""group_dataset rules and the shipped ortholog table."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from pytest_scbench import registry
from pytest_scbench.datasets.group import group_dataset
from pytest_scbench.datasets.orthologs import ortholog_map, ortholog_table
from pytest_scbench.errors import DatasetError


def test_table_is_one_to_one_and_follows_the_convention() -> None:
    pairs = ortholog_table()
    humans = [h for h, _ in pairs]
    mice = [m for _, m in pairs]
    assert len(pairs) > 600
    assert len(set(humans)) == len(humans) and len(set(mice)) == len(mice)
    assert all(m == h[0] + h[1:].lower() for h, m in pairs)
    assert ortholog_map("human", "mouse")["CD3E"] == "Cd3e"
    assert ortholog_map("mouse", "human")["Ms4a1"] == "MS4A1"
    for excluded in ("GNLY", "LYZ", "HLA-DRA", "MT-ND3", "CD8B"):
        assert excluded not in ortholog_map("human", "mouse")


def test_table_states_its_source() -> None:
    text = resources.files("pytest_scbench.datasets").joinpath("data", "human_mouse_orthologs.tsv").read_text()
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "NOT downloaded" in header and "convention" in header


def test_unknown_organism_is_an_error() -> None:
    with pytest.raises(DatasetError, match="no ortholog table for organism 'zebrafish'"):
        ortholog_map("human", "zebrafish")


def test_group_needs_two_members() -> None:
    with pytest.raises(DatasetError, match="at least two members"):
        group_dataset("g", [registry.datasets.get("pbmc68k")()])


def test_same_organism_members_are_told_apart_by_name(data_dir: Path) -> None:
    a = registry.datasets.get("pbmc68k")()
    b = registry.datasets.get("pbmc68k_batches")()
    spec = group_dataset("two_human", [a, b], species_key="source")
    assert spec.keys.species_key == "source" and spec.keys.batch_key is None
    adata = spec.load(data_dir).adata
    # Same cell names in both members: every cell is prefixed with its member's name.
    assert adata.obs_names[0] == f"pbmc68k/{a.load(data_dir).adata.obs_names[0]}"
    assert set(adata.obs["source"]) == {"pbmc68k", "pbmc68k_batches"}
    assert adata.n_vars == 765
    assert spec.fingerprint != group_dataset("two_human", [b, a]).fingerprint
