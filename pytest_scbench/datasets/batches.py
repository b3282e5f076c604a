"""``pbmc68k_batches``: the real pbmc68k cells split into batches with known technical effects.

Each cell is assigned a batch uniformly at random (so every batch holds every cell type),
and batch ``b`` changes a cell's counts ``x`` (gene ``j``) by

1. library size: a factor ``L_b = exp(N(0, library_sd))``,
2. gene-wise capture: a factor ``G_bj = exp(N(0, gene_sd))``,
3. sampling: ``y ~ Poisson(x * L_b * G_bj)`` on the cell's non-zero entries,
4. extra dropout: each non-zero ``y`` is set to zero with probability ``D_b ~ U(0, dropout)``.

Cell types are real (``bulk_labels``), batches are known (``batch``), and the factors are
stored in ``uns["scbench"]["truth"]`` (``library_factor``, ``gene_factor`` batches x genes,
``dropout``), so integration metrics have a ground truth.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from ..registry import register_dataset
from .base import DatasetKeys, DatasetSpec
from .generated import Recipe, generated_spec, sparse_entries
from .pbmc68k import LABEL_KEY

NAME = "pbmc68k_batches"
VERSION = "1"
BATCH_KEY = "batch"
DEFAULTS: dict[str, Any] = {
    "n_cells": None,
    "seed": 0,
    "n_batches": 3,
    "library_sd": 0.5,
    "gene_sd": 0.5,
    "dropout": 0.3,
}


class BatchEffects:
    """Draws the batch factors once; applies them to chunks of cells."""

    def __init__(self, base: AnnData, params: dict[str, Any], n_total: int) -> None:
        n_batches = int(params["n_batches"])
        if n_batches < 1:
            raise ValueError(f"n_batches must be at least 1, got {n_batches}")
        rng = np.random.default_rng([int(params["seed"]), 1])
        self.names = np.array([f"batch{b}" for b in range(n_batches)])
        self.library_factor = np.exp(rng.normal(0.0, params["library_sd"], n_batches))
        self.gene_factor = np.exp(rng.normal(0.0, params["gene_sd"], (n_batches, base.n_vars)))
        self.dropout = rng.uniform(0.0, params["dropout"], n_batches)
        self.assignment = rng.integers(0, n_batches, n_total).astype(np.int16)
        self.var = pd.DataFrame(index=base.var_names.copy())
        self.var["gene_symbol"] = self.var.index.to_numpy()

    def truth(self) -> dict[str, Any]:
        return {
            "batches": self.names,
            "library_factor": self.library_factor,
            "gene_factor": self.gene_factor,
            "dropout": self.dropout,
        }

    def annotate(self, obs: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
        obs[BATCH_KEY] = self.names[self.assignment[positions]]
        return obs

    def transform(self, X: sp.csr_matrix, obs: pd.DataFrame, rng: np.random.Generator) -> sp.csr_matrix:
        batch = pd.Categorical(obs[BATCH_KEY], categories=self.names).codes
        rows, cols = sparse_entries(X)
        b = batch[rows]
        mean = X.data.astype(np.float64) * self.library_factor[b] * self.gene_factor[b, cols]
        y = rng.poisson(mean).astype(np.float32)
        y[rng.random(y.size) < self.dropout[b]] = 0.0
        out = sp.csr_matrix((y, X.indices.copy(), X.indptr.copy()), shape=X.shape)
        out.eliminate_zeros()
        return out


RECIPE = Recipe(
    name=NAME,
    version=VERSION,
    defaults=DEFAULTS,
    keys=DatasetKeys(label_key=LABEL_KEY, batch_key=BATCH_KEY),
    make=BatchEffects,
    description="pbmc68k cells in batches with known library-size, gene-wise and dropout effects",
)


@register_dataset(NAME)
def pbmc68k_batches(**params: Any) -> DatasetSpec:
    """Real PBMCs with simulated batches; params: n_cells, seed, n_batches, library_sd, gene_sd, dropout."""
    return generated_spec(RECIPE, params)
