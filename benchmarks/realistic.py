"""A seeded embedding that looks like an integrated single-cell atlas, for benchmarks.

Not isotropic blobs (``tasks_speed.make_data``): 14 cell types whose sizes follow a
Zipf-like law (the largest about 14 times the smallest), two of them close together (a
subtype pair), each type spread along its own few directions of an 8-dimensional latent
space (low intrinsic dimension), mapped into ``--dims`` (64) dimensions by a random
linear map with a mild non-linearity, and batch effects whose direction and size differ
per cell type (and a batch composition that differs per type). Every random choice
comes from ``--seed``.

Usage (from the repository root)::

    python benchmarks/realistic.py --cells 20000 --out /tmp/realistic.npz

writes ``X`` (float32 cells x dims), ``X_pre`` (the same cells before integration: the
batch effects four times as strong, what PCR comparison compares with), ``labels`` and
``batches`` (int codes), the format
``tasks_speed.py`` reads; ``tasks_speed.py --data realistic`` generates it itself.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

N_TYPES = 14
LATENT = 8
#: Zipf exponent of the type sizes.
ZIPF = 1.0
#: How much stronger the batch effect of ``X_pre`` (the data before integration) is.
UNINTEGRATED_EFFECT = 4.0


def type_sizes(n_cells: int, n_types: int = N_TYPES) -> np.ndarray:
    """Cells per type: proportional to 1 / rank**ZIPF, summing to ``n_cells``, each >= 1."""
    weights = 1.0 / np.arange(1, n_types + 1) ** ZIPF
    sizes = np.maximum(1, np.floor(n_cells * weights / weights.sum()).astype(np.int64))
    sizes[0] += n_cells - sizes.sum()
    return sizes


def realistic(
    n_cells: int = 20_000, n_dims: int = 64, n_batches: int = 3, seed: int = 0
) -> dict[str, np.ndarray]:
    """``X`` and ``X_pre`` (float32), ``labels`` and ``batches`` (int64) of the realistic embedding."""
    rng = np.random.default_rng(seed)
    sizes = type_sizes(n_cells)
    labels = np.repeat(np.arange(N_TYPES), sizes)
    centres = rng.normal(scale=3.0, size=(N_TYPES, LATENT))
    centres[1] = centres[0] + rng.normal(scale=0.5, size=LATENT)  # two close types
    # each type varies along 3 of its own directions (low intrinsic dimension)
    axes = rng.normal(size=(N_TYPES, 3, LATENT)) * rng.uniform(0.3, 1.0, size=(N_TYPES, 3, 1))
    z = centres[labels] + np.einsum("ij,ijk->ik", rng.normal(size=(n_cells, 3)), axes[labels])
    z += 0.1 * rng.normal(size=z.shape)
    # batch composition and batch effect differ per type
    batches = np.empty(n_cells, dtype=np.int64)
    for t in range(N_TYPES):
        members = np.flatnonzero(labels == t)
        batches[members] = rng.choice(n_batches, size=members.size, p=rng.dirichlet(np.full(n_batches, 3.0)))
    effect = rng.normal(size=(N_TYPES, n_batches, LATENT)) * rng.uniform(0.1, 0.6, size=(N_TYPES, 1, 1))
    z_pre = z + UNINTEGRATED_EFFECT * effect[labels, batches]
    z += effect[labels, batches]
    mixing = rng.normal(size=(LATENT, n_dims)) / np.sqrt(LATENT)
    noise = 0.05 * rng.normal(size=(n_cells, n_dims))
    order = rng.permutation(n_cells)  # types not in contiguous blocks

    def embed(latent: np.ndarray) -> np.ndarray:
        X = latent @ mixing
        X += 0.3 * np.tanh(X[:, ::-1])  # mild non-linearity, still 8 intrinsic dimensions
        return (X + noise)[order].astype(np.float32)

    return {"X": embed(z), "X_pre": embed(z_pre), "labels": labels[order], "batches": batches[order]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=20_000)
    parser.add_argument("--dims", type=int, default=64)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    data = realistic(args.cells, args.dims, args.batches, args.seed)
    np.savez(args.out, **data)
    sizes = np.bincount(data["labels"])
    print(f"{args.out}: {args.cells} cells x {args.dims} dims, type sizes {sizes.tolist()}")


if __name__ == "__main__":
    main()
