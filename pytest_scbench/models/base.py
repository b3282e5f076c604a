"""The model adapter protocol: what every model, built in or third-party, implements."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from anndata import AnnData

from ..datasets.base import Dataset

#: The kinds of output a model can provide and a task can require.
OUTPUT_KINDS: tuple[str, ...] = ("embedding", "reconstruction", "perturbation")


@dataclass(frozen=True)
class RunContext:
    """Where and how a model runs for one item: resolved device, seed, batch size."""

    device: str = "cpu"
    seed: int = 0
    batch_size: int | None = None


class ModelAdapter:
    """Base class for models.

    Subclasses set ``provides`` (a subset of :data:`OUTPUT_KINDS`) and implement the
    matching methods. Constructor keyword arguments come from the suite file and are the
    model's parameters: they enter the fingerprint under which outputs are cached, as does
    :meth:`weights_digest` for models with weights. ``device`` is what the model needs by
    default: ``"cuda"`` marks its items ``gpu`` and skips them where CUDA is missing, unless
    the run passes ``--scbench-device cpu``.
    """

    provides: ClassVar[frozenset[str]] = frozenset()
    device: ClassVar[str] = "cpu"
    batch_size: ClassVar[int] = 256

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = dict(params)
        self.name: str = type(self).__name__

    # -- identity -----------------------------------------------------------------------
    def weights_digest(self) -> str:
        """A digest of the weights the model loads; empty for models without weights."""
        return ""

    def fingerprint(self) -> str:
        """Stable id of (adapter class, parameters, weights); the output cache key."""
        payload = json.dumps(
            {
                "adapter": f"{type(self).__module__}.{type(self).__qualname__}",
                "params": self.params,
                "weights": self.weights_digest(),
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def needs_cuda(self) -> bool:
        return self.device.startswith("cuda")

    # -- outputs ------------------------------------------------------------------------
    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        """Cell embedding, shape (n_cells, n_dims), rows in the data set's cell order."""
        raise NotImplementedError(f"{self.name} does not provide embeddings")

    def reconstruct(self, dataset: Dataset, masked: AnnData, ctx: RunContext) -> np.ndarray:
        """Full expression matrix (n_cells, n_genes) predicted from ``masked``.

        ``masked`` has the data set's cells and genes; masked entries are -1.
        """
        raise NotImplementedError(f"{self.name} does not provide reconstructions")

    def predict_perturbation(
        self, dataset: Dataset, conditions: Sequence[str], ctx: RunContext
    ) -> np.ndarray:
        """Predicted mean expression per condition, shape (len(conditions), n_genes)."""
        raise NotImplementedError(f"{self.name} does not provide perturbation predictions")
