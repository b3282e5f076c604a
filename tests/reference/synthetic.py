"""Seeded realistic embeddings shared by the reference script and the agreement tests.

Imports numpy only, so the script that computes the peers' values
(``make_cz_values.py``, run in a separate environment with cz-benchmarks installed) and
the tests in this project's environment build the same arrays from the same seed.

What makes them realistic rather than blobs: cell-type sizes follow a Zipf law (a few
large types, a tail of small ones), two types lie close together, every type varies
along a few intrinsic dimensions only (embedded in more by a random rotation, plus a
little isotropic noise), batches are unbalanced within each type, and the batch effect
is a shift whose size and direction differ per cell type.
"""

from __future__ import annotations

import numpy as np


def realistic_embedding(
    n_cells: int = 3000,
    n_types: int = 8,
    n_batches: int = 3,
    n_dims: int = 32,
    intrinsic: int = 6,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An embedding with cell-type labels and batches.

    Returns
    -------
    ``(X, labels, batches)``: float32 array (n_cells, n_dims); label and batch of every
    cell as strings (``"type_00"``..., ``"batch_0"``...). Cells are in a shuffled order.
    """
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_types + 1) ** 1.1
    sizes = np.maximum(15, np.floor(weights / weights.sum() * n_cells)).astype(int)
    sizes[0] += n_cells - sizes.sum()
    centres = rng.normal(0.0, 2.5, (n_types, intrinsic))
    centres[1] = centres[0] + rng.normal(0.0, 0.45, intrinsic)  # two close types
    rotation, _ = np.linalg.qr(rng.normal(size=(n_dims, intrinsic)))
    points, labels, batches = [], [], []
    for t, size in enumerate(sizes):
        spread = rng.uniform(0.3, 1.0, intrinsic)
        shares = rng.dirichlet(np.full(n_batches, 2.0))
        batch = rng.choice(n_batches, size=size, p=shares)
        strength = rng.uniform(0.1, 1.2)  # batch effect size differs per type
        shifts = rng.normal(0.0, strength, (n_batches, intrinsic))
        cells = centres[t] + rng.normal(size=(size, intrinsic)) * spread + shifts[batch]
        points.append(cells)
        labels += [f"type_{t:02d}"] * size
        batches += [f"batch_{b}" for b in batch]
    latent = np.vstack(points)
    X = latent @ rotation.T + rng.normal(0.0, 0.05, (latent.shape[0], n_dims))
    order = rng.permutation(latent.shape[0])
    return (
        X[order].astype(np.float32),
        np.asarray(labels, dtype=object)[order],
        np.asarray(batches, dtype=object)[order],
    )


#: The embeddings the reference values are stored for: name -> keyword arguments.
CASES: dict[str, dict[str, int]] = {
    "zipf8_3batches": {"n_cells": 3000, "n_types": 8, "n_batches": 3, "seed": 0},
    "zipf12_4batches": {"n_cells": 4500, "n_types": 12, "n_batches": 4, "n_dims": 48, "intrinsic": 8, "seed": 1},
}

#: Seeds the seeded metrics (Leiden) are averaged over, on both sides.
LEIDEN_SEEDS = (0, 1, 2, 3, 4)
