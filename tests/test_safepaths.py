"""Cache paths built from names (data sets, fingerprints, parameters, seeds) stay in the cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from anndata import AnnData
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_scbench.datasets.cache import cache_dirname, dataset_dirname, raw_path
from pytest_scbench.masking import masked_dataset
from pytest_scbench.outputs import OutputStore
from pytest_scbench.safepaths import MAX_COMPONENT, component, inside

ROOT = Path("/cache/root")

#: Any text, with the troublesome shapes made likely.
names = st.text(min_size=0, max_size=400) | st.sampled_from(
    ["..", ".", "", "../../x", "/etc/passwd", "a/../../b", "x\x00y", "~", "C:\\x", "." * 300, "é" * 200]
)


def is_inside(path: Path, root: Path) -> bool:
    return os.path.normpath(path).startswith(str(root) + os.sep)


@settings(max_examples=300, deadline=None)
@given(name=names, params=st.dictionaries(st.text(max_size=30), names, max_size=3), seed=st.integers())
def test_any_name_yields_a_path_inside_the_cache(name: str, params: dict, seed: int) -> None:
    part = component(name)
    assert part not in ("", ".", "..") and "/" not in part and "\x00" not in part
    assert len(part.encode()) <= MAX_COMPONENT
    for path in (
        inside(ROOT, name, f"seed{seed}"),
        raw_path(ROOT, dataset_dirname(name, params)),
        ROOT / cache_dirname(name),
        OutputStore(ROOT)._path("embedding", name, name, f"seed{seed}-{name}"),
    ):
        assert is_inside(path, ROOT), path


def test_safe_names_are_kept_and_unsafe_ones_never_collide() -> None:
    assert component("pbmc68k_batches__n_cells-100000") == "pbmc68k_batches__n_cells-100000"
    assert component("mask_15_seed_0.h5ad") == "mask_15_seed_0.h5ad"
    stand_ins = {component(n) for n in ("a/b", "a_b", "a:b", "../a_b", "a" * 500, "a" * 501)}
    assert len(stand_ins) == 6 and "a_b" in stand_ins


def test_mask_of_a_hostile_dataset_name_is_written_inside_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    adata = AnnData(np.arange(12, dtype=np.float32).reshape(3, 4))
    mask = masked_dataset(adata, "../../escaped", 0.25, 0, cache)
    assert mask.path is not None and mask.path.exists() and is_inside(mask.path, cache)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]
