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
from ..errors import ModelError
from ..params import merge_params
from .code_digest import source_digest, stack_versions

#: The kinds of output a model can provide and a task can require.
OUTPUT_KINDS: tuple[str, ...] = ("embedding", "reconstruction", "perturbation")

#: The value of a masked entry in the matrix :meth:`ModelAdapter.reconstruct` receives.
MASK_VALUE: int = -1


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
    #: Whether the model reads the data set's expression (``X``, ``var_names``): then
    #: they are validated (counts, gene ids) before it runs, and an error names it.
    #: False for models that read ``obsm`` or nothing (precomputed, random), which
    #: therefore run on an embedding-only file.
    reads_expression: ClassVar[bool] = True
    device: ClassVar[str] = "cpu"
    batch_size: ClassVar[int] = 256
    #: Every parameter the adapter accepts, with its default, or None to accept any
    #: keyword (third-party adapters that check their own). When set, an unknown name or
    #: a value of the wrong type is a :class:`ModelError`, and the defaults are merged
    #: into ``params`` so that changing a default changes the fingerprint.
    defaults: ClassVar[dict[str, Any] | None] = None
    #: The name used in messages until the plugin sets ``name`` to the suite's name.
    default_name: ClassVar[str] = ""
    #: Parameters naming files or folders the adapter reads, beyond those every adapter
    #: has (``path``, ``checkpoint`` and any ``*_path``). A suite's value for each is
    #: resolved relative to the suite file, so the suite works from any directory.
    path_params: ClassVar[frozenset[str]] = frozenset()
    #: Parameters naming files the adapter writes (a checkpoint to save). Resolved like
    #: ``path_params``, and refused unless under the suite's folder or the cache.
    output_params: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **params: Any) -> None:
        self.name: str = self.default_name or type(self).__name__
        if self.defaults is not None:
            params = check_params(self.name, params, self.defaults)
        self.params: dict[str, Any] = dict(params)

    # -- identity -----------------------------------------------------------------------
    def weights_digest(self) -> str:
        """A digest of the weights the model loads; empty for models without weights."""
        return ""

    def fingerprint(self) -> str:
        """Stable id of (adapter class, parameters, weights, code); the output cache key.

        The code is the source of the adapter's package and the versions of the numeric
        stack (:mod:`~pytest_scbench.models.code_digest`): an edited adapter is never
        served the outputs its old code computed.
        """
        payload = json.dumps(
            {
                "adapter": f"{type(self).__module__}.{type(self).__qualname__}",
                "params": self.params,
                "weights": self.weights_digest(),
                "code": source_digest(type(self).__module__),
                "stack": stack_versions(),
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def needs_cuda(self) -> bool:
        return self.device.startswith("cuda")

    def require_positive(self, *keys: str) -> None:
        """Raise :class:`ModelError` naming the model unless each of ``params[key]`` is > 0."""
        for key in keys:
            value = self.params.get(key)
            if value is None or value <= 0:
                raise ModelError(f"model {self.name!r}: parameter {key!r} must be positive, got {value!r}")

    def resolved_batch_size(self, ctx: RunContext) -> int:
        """The batch size for this run: the context's, else the ``batch_size`` parameter,
        else the class default."""
        if ctx.batch_size is not None:
            return int(ctx.batch_size)
        return int(self.params.get("batch_size") or self.batch_size)

    # -- outputs ------------------------------------------------------------------------
    def embed(self, dataset: Dataset, ctx: RunContext) -> np.ndarray:
        """Cell embedding, shape (n_cells, n_dims), rows in the data set's cell order."""
        raise NotImplementedError(f"{self.name} does not provide embeddings")

    def reconstruct(self, dataset: Dataset, masked: AnnData, ctx: RunContext) -> np.ndarray:
        """Full expression matrix (n_cells, n_genes) predicted from ``masked``.

        ``masked`` has the data set's cells and genes; masked entries are -1. ``dataset``
        is the same masked matrix as a data set (its name, keys and fingerprint are the
        full data set's): the unmasked counts are not given to the model.
        """
        raise NotImplementedError(f"{self.name} does not provide reconstructions")

    def predict_perturbation(self, dataset: Dataset, conditions: Sequence[str], ctx: RunContext) -> np.ndarray:
        """Predicted mean expression per condition, shape (len(conditions), n_genes)."""
        raise NotImplementedError(f"{self.name} does not provide perturbation predictions")


def check_params(model: str, params: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` updated with ``params``, each value checked against its default's type
    (:func:`pytest_scbench.params.merge_params`); a ``None`` default accepts any value."""
    return merge_params("model", model, params, defaults, ModelError)
