"""A seeded embedding that looks like an integrated single-cell data set, for reference tests.

Not isotropic blobs: cell types of unequal sizes on a low-dimensional manifold, two of them
close together, one present in a single batch (an isolated label), and a batch effect whose
direction and size differ per cell type. ``X_pre`` is the same cells before integration
(a stronger batch effect), for PCR comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZES = (620, 410, 260, 180, 150, 90, 60)  # 1,770 cells
N_BATCHES = 3


@dataclass(frozen=True)
class Realistic:
    X: np.ndarray  # (n_cells, n_dims) float32, the "integrated" embedding
    X_pre: np.ndarray  # (n_cells, n_dims) float32, before integration
    labels: np.ndarray  # str cell types
    batch: np.ndarray  # str batches


def realistic(seed: int = 0, n_dims: int = 30, latent: int = 6, sizes: tuple[int, ...] = SIZES) -> Realistic:
    rng = np.random.default_rng(seed)
    n_types = len(sizes)
    centres = rng.normal(scale=3.0, size=(n_types, latent))
    centres[1] = centres[0] + rng.normal(scale=0.6, size=latent)  # two close types
    labels = np.repeat(np.arange(n_types), sizes)
    # batch composition differs per type; the last type lives in batch 0 only
    batch = np.empty(labels.size, dtype=np.int64)
    for t in range(n_types):
        members = np.flatnonzero(labels == t)
        if t == n_types - 1:
            batch[members] = 0
        else:
            p = rng.dirichlet(np.full(N_BATCHES, 2.0))
            batch[members] = rng.choice(N_BATCHES, size=members.size, p=p)
    # within-type spread along a type-specific anisotropic direction
    scales = rng.uniform(0.3, 1.2, size=(n_types, latent))
    z = centres[labels] + rng.normal(size=(labels.size, latent)) * scales[labels]
    effect = rng.normal(size=(n_types, N_BATCHES, latent))
    strength = rng.uniform(0.2, 1.0, size=n_types)
    residual = z + 0.4 * strength[labels, None] * effect[labels, batch]
    before = z + 1.5 * effect[labels, batch] + rng.normal(scale=0.8, size=(N_BATCHES, latent))[batch]
    mixing = rng.normal(size=(latent, n_dims)) / np.sqrt(latent)
    noise = 0.05
    X = residual @ mixing + rng.normal(scale=noise, size=(labels.size, n_dims))
    X_pre = before @ mixing + rng.normal(scale=noise, size=(labels.size, n_dims))
    order = rng.permutation(labels.size)
    X, X_pre = X[order].astype(np.float32), X_pre[order].astype(np.float32)
    # read-only: scib-metrics' KMeans centres its input in place (X -= mean; X += mean),
    # which rounds it; kBET moves by ~0.003 under such 1e-7 changes (see the README)
    X.flags.writeable = False
    X_pre.flags.writeable = False
    names = np.array([f"type_{t}" for t in range(n_types)], dtype=object)
    bnames = np.array([f"donor_{b}" for b in range(N_BATCHES)], dtype=object)
    return Realistic(
        X,
        X_pre,
        names[labels[order]],
        bnames[batch[order]],
    )
