"""``pbmc68k_species``: the pbmc68k cells as a second, synthetic "mouse" species.

Genes are renamed to their one-to-one mouse orthologs from the shipped table
(``data/human_mouse_orthologs.tsv``; genes without a row there are lost), a further
random fraction ``gene_loss`` of them is dropped (genes a real second species would not
share or would not detect), and every kept gene gets a species factor
``S_j = exp(N(0, species_sd))``: counts become ``Poisson(x * S_j)`` on the non-zero
entries. Cell types are the real ones (``bulk_labels``); ``obs["species"]`` is
``"mouse"`` for every cell and cell names end in ``-mouse``.

The truth (``kept_human_genes``, ``species_factor``) is in ``uns["scbench"]["truth"]``
and ``var["human_symbol"]`` names each gene's human ortholog. Use it with ``pbmc68k``
through :func:`~.group.group_dataset` (registered as ``pbmc68k_cross_species``) for
cross-species integration.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from ..registry import register_dataset
from .base import DatasetKeys, DatasetSpec
from .generated import Recipe, generated_spec
from .group import group_dataset
from .orthologs import ortholog_map
from .pbmc68k import LABEL_KEY, pbmc68k
from .refs import check_params, format_dataset_ref, non_default

NAME = "pbmc68k_species"
VERSION = "1"
SPECIES_KEY = "species"
ORGANISM = "mouse"
DEFAULTS: dict[str, Any] = {"n_cells": None, "seed": 0, "species_sd": 0.5, "gene_loss": 0.1}


class SpeciesEffects:
    """Chooses the kept genes and species factors once; applies them to chunks."""

    def __init__(self, base: AnnData, params: dict[str, Any], n_total: int) -> None:
        loss = float(params["gene_loss"])
        if not 0.0 <= loss < 1.0:
            raise ValueError(f"gene_loss must be in [0, 1), got {loss}")
        rng = np.random.default_rng([int(params["seed"]), 1])
        to_mouse = ortholog_map("human", ORGANISM)
        human = base.var_names.to_numpy().astype(str)
        mapped = np.flatnonzero([g in to_mouse for g in human])
        n_drop = int(round(loss * len(mapped)))
        dropped = rng.choice(len(mapped), size=n_drop, replace=False)
        self.columns = np.sort(np.delete(mapped, dropped))
        kept = human[self.columns]
        self.factor = np.exp(rng.normal(0.0, params["species_sd"], len(self.columns)))
        self.var = pd.DataFrame(index=pd.Index([to_mouse[g] for g in kept]))
        self.var["gene_symbol"] = self.var.index.to_numpy()
        self.var["human_symbol"] = kept

    def truth(self) -> dict[str, Any]:
        return {"kept_human_genes": self.var["human_symbol"].to_numpy(), "species_factor": self.factor}

    def annotate(self, obs: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
        obs.index = obs.index.astype(str) + f"-{ORGANISM}"
        obs[SPECIES_KEY] = ORGANISM
        return obs

    def transform(self, X: sp.csr_matrix, obs: pd.DataFrame, rng: np.random.Generator) -> sp.csr_matrix:
        X = X[:, self.columns].tocsr()
        cols = X.indices
        X.data = rng.poisson(X.data.astype(np.float64) * self.factor[cols]).astype(np.float32)
        X.eliminate_zeros()
        return X


RECIPE = Recipe(
    name=NAME,
    version=VERSION,
    defaults=DEFAULTS,
    keys=DatasetKeys(label_key=LABEL_KEY, species_key=SPECIES_KEY),
    make=SpeciesEffects,
    organism=ORGANISM,
    description="pbmc68k cells as a synthetic mouse: one-to-one orthologs, species effect, genes lost",
)


@register_dataset(NAME)
def pbmc68k_species(**params: Any) -> DatasetSpec:
    """Real PBMCs as a synthetic second species; params: n_cells, seed, species_sd, gene_loss."""
    return generated_spec(RECIPE, params)


CROSS_NAME = "pbmc68k_cross_species"


@register_dataset(CROSS_NAME)
def pbmc68k_cross_species(**params: Any) -> DatasetSpec:
    """``pbmc68k`` (human) + ``pbmc68k_species`` (mouse), grouped, genes in human symbols.

    Parameters are those of ``pbmc68k_species`` and go to it; the human member is the 700
    real cells. Species in ``obs["species"]``, cell types in ``bulk_labels``.
    """
    merged = check_params(CROSS_NAME, params, DEFAULTS)
    changed = non_default(merged, DEFAULTS)
    return group_dataset(
        format_dataset_ref(CROSS_NAME, changed),
        [pbmc68k(), pbmc68k_species(**changed)],
        species_key=SPECIES_KEY,
    )
