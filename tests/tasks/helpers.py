"""Real data sets and a real model adapter for task tests (no mocks)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from anndata import AnnData

from pytest_scbench.datasets.base import Dataset, DatasetKeys, DatasetSpec
from pytest_scbench.models.base import ModelAdapter, RunContext
from pytest_scbench.outputs import Outputs, OutputStore
from pytest_scbench.tasks.base import TaskInputs

_ids = itertools.count()


class FixedModel(ModelAdapter):
    """A model whose outputs are arrays given at construction (a precomputed model)."""

    provides = frozenset({"embedding", "reconstruction", "perturbation"})
    reads_expression = False  # its outputs are given; the tasks that read X check it

    def __init__(
        self,
        embedding: np.ndarray | None = None,
        reconstruction: np.ndarray | None = None,
        perturbation: dict[str, np.ndarray] | None = None,
    ) -> None:
        # a unique parameter keeps fingerprints (and so shared kNN graphs) apart
        super().__init__(instance=next(_ids))
        self._embedding = embedding
        self._reconstruction = reconstruction
        self._perturbation = perturbation or {}
        self.seen_masked: AnnData | None = None
        self.seen_dataset: Dataset | None = None
        self.seen_controls: Dataset | None = None

    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        return self._embedding

    def reconstruct(self, dataset: Dataset, masked: AnnData, ctx: RunContext) -> np.ndarray:
        self.seen_masked = masked
        self.seen_dataset = dataset
        if callable(self._reconstruction):
            return self._reconstruction(masked)
        return self._reconstruction

    def predict_perturbation(
        self, dataset: Dataset, conditions: Sequence[str], ctx: RunContext
    ) -> np.ndarray:
        self.seen_controls = dataset
        return np.vstack([self._perturbation[c] for c in conditions])


def make_dataset(
    adata: AnnData, name: str = "synthetic", fingerprint: str | None = None, **keys: str
) -> Dataset:
    """A Dataset whose loader returns ``adata``; ``keys`` are DatasetKeys fields."""
    spec = DatasetSpec(
        name=name,
        keys=DatasetKeys(**keys),
        loader=lambda data_dir: adata,
        fingerprint=fingerprint or f"{name}-{next(_ids)}",
    )
    return spec.load(Path("."))


def make_inputs(
    dataset: Dataset,
    model: ModelAdapter,
    seed: int = 0,
    item: str = "suite[fixed-synthetic-task]",
    data_dir: Path | None = None,
) -> TaskInputs:
    outputs = Outputs(model, dataset, RunContext(seed=seed), OutputStore(None))
    return TaskInputs(dataset=dataset, outputs=outputs, seed=seed, item=item, data_dir=data_dir)


def blobs(
    n_cells: int = 300,
    n_labels: int = 4,
    n_batches: int = 2,
    n_dims: int = 10,
    separation: float = 6.0,
    batch_shift: float = 0.0,
    seed: int = 0,
) -> tuple[AnnData, np.ndarray]:
    """Synthetic cells: labels as Gaussian blobs, batches as an optional shift.

    Returns an AnnData (counts in X, ``cell_type`` and ``batch`` in obs) and the
    embedding (n_cells, n_dims).
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(n_cells) % n_labels
    rng.shuffle(labels)
    batches = rng.integers(0, n_batches, n_cells)
    centres = rng.normal(size=(n_labels, n_dims)) * separation
    X = centres[labels] + rng.normal(size=(n_cells, n_dims)) + batch_shift * batches[:, None]
    counts = rng.poisson(1.0, size=(n_cells, 20)).astype(np.float32)
    obs = pd.DataFrame(
        {
            "cell_type": pd.Categorical([f"type_{c}" for c in labels]),
            "batch": pd.Categorical([f"b{b}" for b in batches]),
        },
        index=[f"cell{i}" for i in range(n_cells)],
    )
    return AnnData(counts, obs=obs), X.astype(np.float32)
