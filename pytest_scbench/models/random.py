"""``random``: the negative control embedding.

Gaussian noise, one row per cell, seeded from the run's seed. A model that does not beat
it on a task has learnt nothing the task can see; reports scale scores against it.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import numpy as np

from ..datasets.base import Dataset
from ..registry import register_model
from .base import ModelAdapter, RunContext


@register_model("random")
class RandomEmbedding(ModelAdapter):
    """Standard normal embedding of ``n_dims`` dimensions (default 50).

    Seeded by ``ctx.seed`` and the data set's name: the values never depend on the
    expression, and two data sets of a group (the species of a cross-species task) get
    independent noise, so row i of one cannot match row i of the other.
    """

    provides: ClassVar[frozenset[str]] = frozenset({"embedding"})
    reads_expression: ClassVar[bool] = False
    defaults: ClassVar[dict[str, Any] | None] = {"n_dims": 50}
    default_name: ClassVar[str] = "random"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.require_positive("n_dims")

    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        name_key = int.from_bytes(hashlib.sha256(dataset.name.encode()).digest()[:8], "little")
        rng = np.random.default_rng([ctx.seed, name_key])
        return rng.standard_normal((dataset.n_obs, self.params["n_dims"]), dtype=np.float32)
