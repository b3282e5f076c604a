"""``random``: the negative control embedding.

Gaussian noise, one row per cell, seeded from the run's seed. A model that does not beat
it on a task has learnt nothing the task can see; reports scale scores against it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..datasets.base import Dataset
from ..registry import register_model
from .base import ModelAdapter, RunContext


@register_model("random")
class RandomEmbedding(ModelAdapter):
    """Standard normal embedding of ``n_dims`` dimensions (default 50), seeded by ``ctx.seed``.

    The values depend only on the seed and the number of cells, never on the expression.
    """

    provides: ClassVar[frozenset[str]] = frozenset({"embedding"})
    defaults: ClassVar[dict[str, Any] | None] = {"n_dims": 50}
    default_name: ClassVar[str] = "random"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.require_positive("n_dims")

    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        rng = np.random.default_rng(ctx.seed)
        return rng.standard_normal((dataset.n_obs, self.params["n_dims"]), dtype=np.float32)
