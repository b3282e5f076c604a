"""Generated data sets: real pbmc68k cells, resampled to any size, with known effects added.

A :class:`Recipe` names a generated set, its parameters and how to build its
:class:`Generator`; the generator draws the set-level truth once (batch factors,
knockdown targets, ...) and then transforms chunks of resampled cells. Building in fixed
chunks of :data:`CHUNK` cells keeps memory bounded and makes the result independent of
how it is consumed: :func:`generate` (one AnnData, cached as ``.h5ad``) and
:func:`generate_chunks` (streamed, e.g. straight into an ``.h5t``) give identical cells.

Sizes (``n_cells``): unset keeps the 700 real cells as they are; fewer than 700 draws a
subset without replacement; more keeps all 700 and adds resampled copies, each a real cell
whose counts are redrawn as ``Poisson(count)`` on its non-zero entries (so copies are not
exact duplicates, and the cell type stays the source cell's). Every random choice comes
from ``seed``: the plan, the truth and each chunk's noise use separate streams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from . import pbmc68k
from .base import DatasetKeys, DatasetSpec
from .cache import cached_build, dataset_dirname, raw_path
from .refs import check_params, format_dataset_ref, non_default
from .specs import make_spec

#: Cells per chunk when generating; fixed so results do not depend on the consumer.
CHUNK = 50_000
#: From this many cells on, items on the set are marked ``slow``.
SLOW_CELLS = 100_000


class Generator(Protocol):
    """Draws a generated set's truth once, then transforms chunks of cells."""

    #: Genes of the generated set (index = var_names), in output column order.
    var: pd.DataFrame

    def truth(self) -> dict[str, Any]:
        """The known effects, stored in ``uns["scbench"]["truth"]`` (h5ad-writable)."""

    def annotate(self, obs: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
        """Add per-cell columns (batch, condition, ...) for cells at global ``positions``."""

    def transform(self, X: sp.csr_matrix, obs: pd.DataFrame, rng: np.random.Generator) -> sp.csr_matrix:
        """Apply the effects to one chunk of counts (cells x base genes) -> cells x ``var``."""


@dataclass(frozen=True)
class Recipe:
    """A generated data set: its name, version, parameters and generator factory.

    ``make(base, params, n_total)`` builds the :class:`Generator` from the base pbmc68k
    counts, the merged parameters and the final number of cells.
    """

    name: str
    version: str
    defaults: dict[str, Any]
    keys: DatasetKeys
    make: Callable[[AnnData, dict[str, Any], int], Generator]
    organism: str = "human"
    description: str = ""


def resample_plan(n_base: int, n_cells: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Source row of each output cell, and whether its counts are redrawn (see module doc)."""
    if n_cells is None:
        return np.arange(n_base), np.zeros(n_base, dtype=bool)
    if n_cells < 1:
        raise ValueError(f"n_cells must be positive, got {n_cells}")
    rng = np.random.default_rng([seed, 0])
    if n_cells <= n_base:
        return np.sort(rng.choice(n_base, size=n_cells, replace=False)), np.zeros(n_cells, dtype=bool)
    extra = rng.integers(0, n_base, size=n_cells - n_base)
    idx = np.concatenate([np.arange(n_base), extra])
    return idx, np.arange(n_cells) >= n_base


def _redraw(X: sp.csr_matrix, rows: np.ndarray, rng: np.random.Generator) -> sp.csr_matrix:
    """``Poisson(x)`` for the non-zero entries of the given rows; zeros are dropped."""
    if not rows.any():
        return X
    X = X.copy()
    per_row = np.diff(X.indptr)
    mask = np.repeat(rows, per_row)
    X.data[mask] = rng.poisson(X.data[mask]).astype(np.float32)
    X.eliminate_zeros()
    return X


def _chunks(
    base: AnnData, generator: Generator, idx: np.ndarray, noisy: np.ndarray, seed: int
) -> Iterator[tuple[sp.csr_matrix, pd.DataFrame]]:
    X_base = sp.csr_matrix(base.X, dtype=np.float32)
    names = base.obs_names.to_numpy().astype(str)
    for number, start in enumerate(range(0, len(idx), CHUNK)):
        stop = min(start + CHUNK, len(idx))
        rows = idx[start:stop]
        rng = np.random.default_rng([seed, 2, number])
        X = _redraw(X_base[rows], noisy[start:stop], rng)
        obs = base.obs.iloc[rows].copy()
        positions = np.arange(start, stop)
        obs.index = np.where(
            noisy[start:stop], [f"{n}-r{p}" for n, p in zip(names[rows], positions, strict=True)], names[rows]
        )
        obs["source_cell"] = names[rows]
        obs = generator.annotate(obs, positions)
        yield generator.transform(X, obs, rng), obs


def iter_generated(
    base: AnnData, recipe: Recipe, params: dict[str, Any]
) -> tuple[Generator, Iterator[tuple[sp.csr_matrix, pd.DataFrame]], int]:
    """The generator, an iterator over ``(counts, obs)`` chunks in order, and the cell count.

    Memory is one chunk plus the plan (one int per cell), so a consumer that writes each
    chunk out (e.g. into an ``.h5t``) can build millions of cells.
    """
    seed = int(params["seed"])
    idx, noisy = resample_plan(base.n_obs, params.get("n_cells"), seed)
    generator = recipe.make(base, params, len(idx))
    return generator, _chunks(base, generator, idx, noisy, seed), len(idx)


def generate(base: AnnData, recipe: Recipe, params: dict[str, Any]) -> AnnData:
    """The whole generated set as one AnnData (counts CSR float32, truth in ``uns``)."""
    generator, chunks, _ = iter_generated(base, recipe, params)
    parts = list(chunks)
    X = sp.vstack([p[0] for p in parts], format="csr", dtype=np.float32)
    obs = pd.concat([p[1] for p in parts])
    for column in obs.columns:
        if obs[column].dtype == object:
            obs[column] = obs[column].astype("category")
    adata = AnnData(X=X, obs=obs, var=generator.var.copy())
    adata.uns["scbench"] = {
        "generator": recipe.name,
        "version": recipe.version,
        "params": {k: v for k, v in params.items() if v is not None},
        "truth": generator.truth(),
    }
    return adata


def generate_h5t(
    base: AnnData, recipe: Recipe, params: dict[str, Any], path: Path, *, obs_columns: tuple[str, ...] | None = None
) -> Path:
    """Stream the generated set straight into an ``.h5t`` (never the whole matrix in memory).

    This is how benchmarks build sets of millions of cells. ``obs_columns`` limits the obs
    columns written (all by default); the truth goes into the root attribute
    ``scbench_truth`` only as the generator's name, version and parameters.
    """
    import json

    from .h5t import H5tWriter

    generator, chunks, total = iter_generated(base, recipe, params)
    frames = []
    writer = H5tWriter(path, total, generator.var)
    with writer:
        for X, obs in chunks:
            writer.append(X)
            frames.append(obs if obs_columns is None else obs[list(obs_columns)])
        obs = pd.concat(frames)
        for column in obs.columns:
            if obs[column].dtype == object:
                obs[column] = obs[column].astype("category")
        info = {"generator": recipe.name, "version": recipe.version, "params": params}
        return writer.close(
            obs, {"scbench_fingerprint": fingerprint(recipe, params), "scbench_generator": json.dumps(info)}
        )


def fingerprint(recipe: Recipe, params: dict[str, Any]) -> str:
    """Name, version, the base data's fingerprint and every parameter value."""
    values = ",".join(f"{k}={params[k]}" for k in sorted(params))
    return f"{recipe.name}:v{recipe.version}:{pbmc68k.fingerprint()}:{values}"


def generated_spec(recipe: Recipe, params: dict[str, Any]) -> DatasetSpec:
    """The spec of ``recipe`` with ``params`` (checked against its defaults).

    The spec's name is the canonical reference (``name`` or ``name?k=v`` for non-default
    parameters); its cache file is ``<data_dir>/<name>[__k-v]/raw/data.h5ad``.
    """
    merged = check_params(recipe.name, params, recipe.defaults)
    n_cells = merged.get("n_cells")
    if n_cells is not None and n_cells < 1:
        from ..errors import DatasetError

        raise DatasetError(f"dataset {recipe.name!r}: n_cells must be positive, got {n_cells}")
    changed = non_default(merged, recipe.defaults)
    name = format_dataset_ref(recipe.name, changed)
    fp = fingerprint(recipe, merged)

    def load(data_dir: Path) -> tuple[AnnData, Path]:
        base, _ = pbmc68k.load_counts(data_dir)
        path = raw_path(data_dir, dataset_dirname(recipe.name, changed))
        return cached_build(path, fp, lambda: generate(base, recipe, merged), dataset=name), path

    return make_spec(
        name,
        recipe.keys,
        fp,
        load,
        markers=("slow",) if n_cells is not None and n_cells >= SLOW_CELLS else (),
        description=recipe.description,
        organism=recipe.organism,
        gene_id_type="symbol",
    )


def sparse_entries(X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of every stored entry of a CSR matrix (aligned with ``X.data``)."""
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    return rows, X.indices
