"""Model outputs, computed once per (model, data set) and shared by every task.

:class:`Outputs` is what a task sees: lazy accessors that compute an output on first use,
validate it (shape, finite values) and keep it. :class:`OutputStore` keeps outputs in
this process's memory and, unless disabled, on disk under
``embeddings/<model-fingerprint>/<dataset-fingerprint>-seed<seed>.npy`` (other kinds
beside it),
behind a file lock, so that pytest-xdist workers never compute the same output twice.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from anndata import AnnData
from filelock import FileLock

from .datasets.base import Dataset, DatasetSpec
from .errors import ModelError
from .models.base import ModelAdapter, RunContext
from .progress import step
from .safepaths import inside

_FOLDERS = {"embedding": "embeddings", "reconstruction": "reconstructions", "perturbation": "perturbations"}


class OutputStore:
    """Memory and optional disk cache of model outputs, keyed by fingerprints."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.cache_dir = cache_dir
        self._memory: dict[tuple[str, str, str, str], np.ndarray] = {}
        #: Number of times a model method actually ran, per (model fp, dataset fp, kind).
        self.computations: dict[tuple[str, str, str], int] = {}

    def _path(self, kind: str, model_fp: str, dataset_fp: str, extra: str) -> Path:
        assert self.cache_dir is not None
        stem = dataset_fp if not extra else f"{dataset_fp}-{extra}"
        return inside(self.cache_dir, _FOLDERS[kind], model_fp, f"{stem}.npy")

    def get_or_compute(
        self,
        kind: str,
        model_fp: str,
        dataset_fp: str,
        extra: str,
        compute: Callable[[], np.ndarray],
    ) -> tuple[np.ndarray, float]:
        """The output, and seconds spent computing it in this call (0.0 when cached)."""
        key = (kind, model_fp, dataset_fp, extra)
        if key in self._memory:
            return self._memory[key], 0.0
        if self.cache_dir is None:
            value, seconds = self._run(key, compute)
        else:
            path = self._path(kind, model_fp, dataset_fp, extra)
            path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(path) + ".lock"):
                if path.exists():
                    value, seconds = np.load(path, allow_pickle=False), 0.0
                else:
                    value, seconds = self._run(key, compute)
                    _save_atomic(path, value)
        self._memory[key] = value
        return value, seconds

    def _run(self, key: tuple[str, str, str, str], compute: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
        count_key = key[:3]
        self.computations[count_key] = self.computations.get(count_key, 0) + 1
        start = time.perf_counter()
        value = compute()
        return value, time.perf_counter() - start


def _save_atomic(path: Path, value: np.ndarray) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, value, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Outputs:
    """One model's outputs on one data set, computed on first access."""

    def __init__(
        self,
        model: ModelAdapter,
        dataset: Dataset,
        ctx: RunContext,
        store: OutputStore,
        load_member: Callable[[DatasetSpec], Dataset] | None = None,
    ) -> None:
        self.model = model
        self.dataset = dataset
        self.ctx = ctx
        self.store = store
        #: Loads a member of a grouped data set, whose embedding is computed per member.
        self.load_member = load_member
        #: Seconds spent computing each output kind for this item (0.0 when cached).
        self.durations: dict[str, float] = {}

    def key(self, kind: str, extra: str = "") -> str:
        """A stable id of one output, for caches of work derived from it (kNN graphs)."""
        return f"{kind}:{self.model.fingerprint()}:{self.dataset.fingerprint}:{self._extra(extra)}"

    def _extra(self, extra: str) -> str:
        # Outputs depend on the seed (the random control, a trained model), so it is part of the key.
        return f"seed{self.ctx.seed}" + (f"-{extra}" if extra else "")

    def _get(self, kind: str, extra: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        if kind not in self.model.provides:
            raise ModelError(f"model {self.model.name!r} does not provide {kind} outputs")
        value, seconds = self.store.get_or_compute(
            kind, self.model.fingerprint(), self.dataset.fingerprint, self._extra(extra), compute
        )
        self.durations[kind] = self.durations.get(kind, 0.0) + seconds
        return value

    def embedding(self) -> np.ndarray:
        """The cell embedding, (n_cells, n_dims) float, validated.

        For a grouped data set (several species, say) the model embeds each member data
        set in its own genes, and the embeddings are stacked in the group's cell order.
        """

        def compute() -> np.ndarray:
            if self.dataset.spec.members and self.load_member is not None:
                parts = [
                    Outputs(self.model, self.load_member(m), self.ctx, self.store).embedding()
                    for m in self.dataset.spec.members
                ]
                if len({p.shape[1] for p in parts}) != 1:
                    raise ModelError(
                        f"model {self.model.name!r} gave embeddings of different widths on the members "
                        f"of {self.dataset.name!r}: {[p.shape[1] for p in parts]}"
                    )
                raw = np.vstack(parts)
            else:
                self._require_expression()
                with step(f"embedding {self.dataset.name} with {self.model.name}", total=self.dataset.n_obs):
                    raw = self.model.embed(self.dataset, self.ctx)
            return self._validate("embedding", raw, (self.dataset.n_obs, None))

        return self._get("embedding", "", compute)

    def reconstruction(self, masked: AnnData, mask_id: str) -> np.ndarray:
        """The model's full expression matrix predicted from ``masked`` (id ``mask_id``)."""

        def compute() -> np.ndarray:
            self._require_expression()
            with step(f"reconstructing {self.dataset.name} with {self.model.name}", total=masked.n_obs):
                raw = self.model.reconstruct(self.dataset, masked, self.ctx)
            return self._validate("reconstruction", raw, (masked.n_obs, masked.n_vars))

        return self._get("reconstruction", mask_id, compute)

    def perturbation(self, conditions: Sequence[str]) -> np.ndarray:
        """Predicted mean expression per condition, (len(conditions), n_genes).

        The model sees the control cells only (``condition_key == control_value``), so
        no adapter can read the observed answer off the perturbed cells.
        """
        conditions = list(conditions)
        extra = hashlib.sha256("\x1f".join(conditions).encode()).hexdigest()[:12]

        def compute() -> np.ndarray:
            self._require_expression()
            controls = self.dataset.controls()
            with step(f"predicting {len(conditions)} perturbations of {self.dataset.name} with {self.model.name}"):
                raw = self.model.predict_perturbation(controls, conditions, self.ctx)
            return self._validate("perturbation", raw, (len(conditions), self.dataset.adata.n_vars))

        return self._get("perturbation", extra, compute)

    def _require_expression(self) -> None:
        """Validate X and the gene ids before a model that reads them runs (names it)."""
        if getattr(self.model, "reads_expression", True):
            self.dataset.require_expression(f"model {self.model.name!r}")

    def _validate(self, kind: str, raw: object, shape: tuple[int | None, int | None]) -> np.ndarray:
        where = f"model {self.model.name!r} on dataset {self.dataset.name!r}"
        try:
            value = np.asarray(raw, dtype=np.float32 if kind == "embedding" else np.float64)
        except (TypeError, ValueError) as exc:
            raise ModelError(f"{where}: {kind} is not a numeric array ({exc})") from exc
        if value.ndim != 2:
            raise ModelError(f"{where}: {kind} must be 2-dimensional, got shape {value.shape}")
        for axis, (want, got) in enumerate(zip(shape, value.shape, strict=True)):
            if want is not None and want != got:
                raise ModelError(f"{where}: {kind} has shape {value.shape}, expected {want} along axis {axis}")
        bad = ~np.isfinite(value)
        if bad.any():
            rows = np.unique(np.nonzero(bad)[0])
            raise ModelError(
                f"{where}: {kind} has {int(bad.sum())} NaN/Inf values in {rows.size} rows "
                f"(first rows: {rows[:5].tolist()})"
            )
        return value
