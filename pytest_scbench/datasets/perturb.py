"""``pbmc68k_perturb``: control cells plus simulated CRISPR knockdowns with known effects.

``n_targets`` target genes are drawn among the 100 most expressed genes (mitochondrial
and ribosomal genes excepted); each target gets its own downstream program of
``program_size`` other genes (programs are disjoint and avoid the targets), each program
gene with a natural-log fold change ``lfc_j = sign * |N(lfc, lfc / 4)|``, sign + or -
with equal odds. A fraction ``control_fraction`` of cells are controls
(``condition == "control"``); the others are assigned a target uniformly. In a cell
perturbed at target ``t``:

- the target keeps a fraction ``knockdown`` of its counts (binomial thinning);
- a program gene going down is thinned with probability ``exp(lfc_j)``;
- a program gene going up gains ``Poisson(mu * (exp(lfc_j) - 1))`` counts, ``mu`` being
  the cell's total count times the gene's mean share in the cell's cell type (so zeros can
  rise too).

So the expected count of a gene, averaged over the cells of a cell type, is multiplied by
``exp(true_lfc)`` (exactly for decreases, in expectation over the type for increases).
``obs["condition"]`` is the target's symbol (GEARS / scPerturb use the target gene as the
condition), ``obs["target_gene"]`` the same (``"control"`` for controls).
``uns["scbench"]["truth"]`` holds ``conditions``, ``targets``, ``genes`` and
``true_lfc`` (conditions x genes, natural log, 0 outside the program and the target).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from ..registry import register_dataset
from .base import DatasetKeys, DatasetSpec
from .generated import Recipe, generated_spec, sparse_entries
from .pbmc68k import LABEL_KEY

NAME = "pbmc68k_perturb"
VERSION = "1"
CONDITION_KEY = "condition"
CONTROL = "control"
DEFAULTS: dict[str, Any] = {
    "n_cells": None,
    "seed": 0,
    "n_targets": 6,
    "program_size": 15,
    "knockdown": 0.2,
    "lfc": 1.0,
    "control_fraction": 0.4,
}
_NOT_TARGETS = re.compile(r"^(MT-|RP[LS]\d)")


class Knockdowns:
    """Draws targets and programs once; applies knockdowns to chunks of cells."""

    def __init__(self, base: AnnData, params: dict[str, Any], n_total: int) -> None:
        n_targets, size = int(params["n_targets"]), int(params["program_size"])
        knockdown, control_fraction = float(params["knockdown"]), float(params["control_fraction"])
        if not 0.0 <= knockdown < 1.0:
            raise ValueError(f"knockdown (fraction of counts kept) must be in [0, 1), got {knockdown}")
        if not 0.0 < control_fraction < 1.0:
            raise ValueError(f"control_fraction must be in (0, 1), got {control_fraction}")
        if n_targets < 1 or size < 1 or n_targets * (size + 1) > base.n_vars:
            raise ValueError(f"n_targets={n_targets} x program_size={size} does not fit {base.n_vars} genes")
        rng = np.random.default_rng([int(params["seed"]), 1])
        genes = base.var_names.to_numpy().astype(str)
        X = sp.csr_matrix(base.X)
        mean = np.asarray(X.mean(axis=0)).ravel()
        candidates = [j for j in np.argsort(-mean) if not _NOT_TARGETS.match(genes[j])][:100]
        self.targets = rng.choice(candidates, size=n_targets, replace=False)
        others = np.setdiff1d(np.arange(base.n_vars), self.targets)
        programs = rng.choice(others, size=(n_targets, size), replace=False)
        magnitude = np.abs(rng.normal(params["lfc"], params["lfc"] / 4, (n_targets, size)))
        sign = np.where(rng.random((n_targets, size)) < 0.5, -1.0, 1.0)
        self.conditions = np.array([genes[t] for t in self.targets])
        self.genes = genes
        # Condition codes: 0 = control, k = target k-1.
        self.lfc = np.zeros((n_targets + 1, base.n_vars))
        for k in range(n_targets):
            self.lfc[k + 1, programs[k]] = sign[k] * magnitude[k]
            self.lfc[k + 1, self.targets[k]] = np.log(knockdown) if knockdown > 0 else -np.inf
        self.knockdown = knockdown
        self.programs = programs
        self.assignment = np.where(
            rng.random(n_total) < control_fraction, 0, rng.integers(1, n_targets + 1, n_total)
        ).astype(np.int16)
        # Mean share of each gene in each cell type, for the counts an up-regulation adds.
        totals = np.asarray(X.sum(axis=1)).ravel()
        shares = sp.diags(1.0 / np.maximum(totals, 1.0)) @ X
        labels = base.obs[LABEL_KEY].astype(str).to_numpy()
        self.cell_types = np.unique(labels)
        self.share = np.vstack([np.asarray(shares[labels == c].mean(axis=0)).ravel() for c in self.cell_types])
        self.var = pd.DataFrame(index=base.var_names.copy())
        self.var["gene_symbol"] = genes

    def truth(self) -> dict[str, Any]:
        lfc = self.lfc[1:].copy()
        lfc[np.isneginf(lfc)] = np.log(1e-6)  # complete knockout, kept finite for h5ad
        return {
            "conditions": self.conditions,
            "targets": self.conditions,
            "control": CONTROL,
            "knockdown": self.knockdown,
            "genes": self.genes,
            "programs": self.genes[self.programs],
            "true_lfc": lfc,
        }

    def annotate(self, obs: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
        names = np.concatenate([[CONTROL], self.conditions])
        obs[CONDITION_KEY] = names[self.assignment[positions]]
        obs["target_gene"] = obs[CONDITION_KEY].to_numpy()
        return obs

    def transform(self, X: sp.csr_matrix, obs: pd.DataFrame, rng: np.random.Generator) -> sp.csr_matrix:
        names = np.concatenate([[CONTROL], self.conditions])
        code = pd.Categorical(obs[CONDITION_KEY], categories=names).codes.astype(np.intp)
        totals = np.asarray(X.sum(axis=1)).ravel()  # before any change
        # Decreases (target and programs going down): thin the stored counts.
        rows, cols = sparse_entries(X)
        lfc = self.lfc[code[rows], cols]
        down = lfc < 0
        data = X.data.copy()
        data[down] = rng.binomial(data[down].astype(np.int64), np.exp(lfc[down])).astype(np.float32)
        X = sp.csr_matrix((data, X.indices.copy(), X.indptr.copy()), shape=X.shape)
        # Increases: add Poisson counts around the cell type's mean share, zeros included.
        type_index = np.searchsorted(self.cell_types, obs[LABEL_KEY].astype(str).to_numpy())
        add_rows, add_cols, add_vals = [], [], []
        for k in range(1, len(names)):
            cells = np.flatnonzero(code == k)
            up = np.flatnonzero(self.lfc[k] > 0)
            if not len(cells) or not len(up):
                continue
            mu = totals[cells, None] * self.share[type_index[cells]][:, up] * np.expm1(self.lfc[k, up])
            extra = rng.poisson(mu)
            r, c = np.nonzero(extra)
            add_rows.append(cells[r])
            add_cols.append(up[c])
            add_vals.append(extra[r, c].astype(np.float32))
        if add_rows:
            added = sp.csr_matrix(
                (np.concatenate(add_vals), (np.concatenate(add_rows), np.concatenate(add_cols))),
                shape=X.shape,
            )
            X = (X + added).tocsr()
        X.eliminate_zeros()
        return X.astype(np.float32)


RECIPE = Recipe(
    name=NAME,
    version=VERSION,
    defaults=DEFAULTS,
    keys=DatasetKeys(label_key=LABEL_KEY, condition_key=CONDITION_KEY, control_value=CONTROL),
    make=Knockdowns,
    description="pbmc68k control cells plus simulated CRISPR knockdowns with known programs",
)


@register_dataset(NAME)
def pbmc68k_perturb(**params: Any) -> DatasetSpec:
    """Simulated knockdowns on real PBMCs; params: n_cells, seed, n_targets, program_size,
    knockdown, lfc, control_fraction."""
    return generated_spec(RECIPE, params)
