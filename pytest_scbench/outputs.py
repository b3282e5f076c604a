"""Model outputs, computed once per (model, data set) and shared by every task.

:class:`Outputs` is what a task sees: lazy accessors that compute an output on first use,
validate it (shape, finite values) and keep it. :class:`OutputStore` keeps outputs in
this process's memory and, unless disabled, on disk under
``embeddings/<model-fingerprint>/<dataset-fingerprint>-seed<seed>.npy`` (other kinds
beside it),
behind a file lock, so that pytest-xdist workers never compute the same output twice.
Each file on disk carries a provenance record and a checksum (:mod:`.cached_array`):
an entry that is not provably the output asked for is never served.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from anndata import AnnData
from filelock import FileLock

from . import cached_array
from .datasets.base import Dataset, DatasetSpec
from .datasets.cache import acquire_lock, is_read_only_error
from .errors import ModelError, ScbenchError
from .models.base import ModelAdapter, RunContext
from .notices import Notices
from .progress import step
from .safepaths import component, inside

_FOLDERS = {"embedding": "embeddings", "reconstruction": "reconstructions", "perturbation": "perturbations"}


class OutputStore:
    """Memory and optional disk cache of model outputs, keyed by fingerprints.

    A disk entry is served only after :func:`~pytest_scbench.cached_array.read_verified`
    proved it is the output asked for; a rejected entry is reported once (one line),
    deleted and computed again. A cache folder that cannot be written (a shared or
    restored read-only cache) is still read, verified, and what it lacks is computed in
    memory only, with one line saying so.
    """

    def __init__(self, cache_dir: Path | None) -> None:
        self.cache_dir = cache_dir
        self._memory: dict[tuple[str, str, str, str], np.ndarray] = {}
        #: Number of times a model method actually ran, per (model fp, dataset fp, kind).
        self.computations: dict[tuple[str, str, str], int] = {}
        #: Set once writing to the cache failed for lack of permission: read only from then on.
        self.read_only = False
        #: One line per damaged entry or read-only cache, each shown once per session.
        self.notice = Notices()

    def _path(self, kind: str, model_fp: str, dataset_fp: str, extra: str) -> Path:
        assert self.cache_dir is not None
        stem = dataset_fp if not extra else f"{dataset_fp}-{extra}"
        return inside(self.cache_dir, _FOLDERS[kind], model_fp) / f"{component(stem)}.npy"

    def get_or_compute(
        self,
        kind: str,
        model_fp: str,
        dataset_fp: str,
        extra: str,
        compute: Callable[[], np.ndarray],
        check: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> tuple[np.ndarray, float]:
        """The output, and seconds spent computing it in this call (0.0 when cached).

        ``check`` validates an output read from disk as ``compute`` validates a fresh one
        (shape, finite values); a cached output it refuses is computed again.
        """
        key = (kind, model_fp, dataset_fp, extra)
        if key in self._memory:
            return self._memory[key], 0.0
        if self.cache_dir is None:
            value, seconds = self._run(key, compute)
        else:
            value, seconds = self._from_disk(key, compute, check)
        self._memory[key] = value
        return value, seconds

    def _from_disk(
        self,
        key: tuple[str, str, str, str],
        compute: Callable[[], np.ndarray],
        check: Callable[[np.ndarray], np.ndarray] | None,
    ) -> tuple[np.ndarray, float]:
        path = self._path(*key)
        want = cached_array.Provenance(*key)
        lock = None if self.read_only else self._lock(path)
        if lock is None:  # read only: use a verified entry, else compute in memory
            value = self._read(path, want, check, delete=False)
            return (value, 0.0) if value is not None else self._run(key, compute)
        try:
            value = self._read(path, want, check, delete=True)
            if value is not None:
                return value, 0.0
            value, seconds = self._run(key, compute)
            try:
                cached_array.write(path, value, want)
            except OSError as exc:
                if is_read_only_error(exc):
                    self._now_read_only(exc)
                else:  # a full disk, say: the run goes on with the output in memory
                    self.notice(f"cannot save the {key[0]} to the cache ({exc.strerror or exc}); it is kept in memory")
            return value, seconds
        finally:
            lock.release()

    def _lock(self, path: Path) -> FileLock | None:
        """The entry's lock, acquired; None (and read-only mode) when the cache cannot be written."""
        try:
            lock = acquire_lock(path)
        except OSError as exc:
            if not is_read_only_error(exc):
                raise ScbenchError(
                    f"cannot use the output cache {self.cache_dir}: {exc.strerror or exc}; "
                    "set SCBENCH_DATA_DIR (or --scbench-data-dir) to a usable folder, or pass --scbench-no-cache"
                ) from None
            self._now_read_only(exc)
            return None
        return lock

    def _now_read_only(self, exc: OSError) -> None:
        self.read_only = True
        self.notice(
            f"the output cache {self.cache_dir} is not writable ({exc.strerror or type(exc).__name__}): "
            "outputs found there are used after verification, the others are computed in memory and not saved"
        )

    def _read(
        self,
        path: Path,
        want: cached_array.Provenance,
        check: Callable[[np.ndarray], np.ndarray] | None,
        delete: bool,
    ) -> np.ndarray | None:
        """The verified cached output, or None; a rejected entry is reported and (if allowed) deleted."""
        if not cached_array.exists(path):
            return None
        try:
            value = cached_array.read_verified(path, want)
            if check is not None:
                try:
                    value = check(value)
                except ModelError as exc:
                    raise cached_array.Rejected(f"it fails validation ({exc})") from None
        except cached_array.Rejected as reason:
            if not delete:
                action = "computing it in memory (the cache is read-only)"
            else:
                try:
                    cached_array.delete(path)
                    action = "deleted it, computing it again"
                except OSError as exc:
                    action = f"cannot delete it ({exc.strerror or type(exc).__name__}), computing it again"
            self.notice(f"cached {want.kind} {path} is not used: {reason}; {action}")
            return None
        return value

    def _run(self, key: tuple[str, str, str, str], compute: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
        count_key = key[:3]
        self.computations[count_key] = self.computations.get(count_key, 0) + 1
        start = time.perf_counter()
        value = compute()
        return value, time.perf_counter() - start


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
        # Outputs depend on the seed (the random control, a trained model), and on where and in
        # what batches the model ran (a CUDA kernel, a float16 path, padding per batch): all
        # are part of the key, so a CPU run's output is never served to a CUDA run.
        where = f"{self.ctx.device.replace(':', '')}-b{self.model.resolved_batch_size(self.ctx)}"
        return f"seed{self.ctx.seed}-{where}" + (f"-{extra}" if extra else "")

    def _get(
        self, kind: str, extra: str, compute: Callable[[], np.ndarray], shape: tuple[int | None, int | None]
    ) -> np.ndarray:
        if kind not in self.model.provides:
            raise ModelError(f"model {self.model.name!r} does not provide {kind} outputs")
        value, seconds = self.store.get_or_compute(
            kind,
            self.model.fingerprint(),
            self.dataset.fingerprint,
            self._extra(extra),
            compute,
            check=lambda cached: self._validate(kind, cached, shape),
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

        return self._get("embedding", "", compute, (self.dataset.n_obs, None))

    def reconstruction(self, masked: AnnData, mask_id: str) -> np.ndarray:
        """The model's full expression matrix predicted from ``masked`` (id ``mask_id``).

        The model sees the masked matrix only: the data set it is given is ``masked``
        (its X holds -1 at the hidden entries; no layer, ``raw`` or ``obsm`` of the full
        data set), so no adapter can read the answer off ``dataset.adata.X``.
        """

        def compute() -> np.ndarray:
            self._require_expression()
            visible = Dataset(self.dataset.spec, masked)
            with step(f"reconstructing {self.dataset.name} with {self.model.name}", total=masked.n_obs):
                raw = self.model.reconstruct(visible, masked, self.ctx)
            return self._validate("reconstruction", raw, (masked.n_obs, masked.n_vars))

        return self._get("reconstruction", mask_id, compute, (masked.n_obs, masked.n_vars))

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

        return self._get("perturbation", extra, compute, (len(conditions), self.dataset.adata.n_vars))

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
        if kind == "embedding" and value.shape[0] > 1 and not (value != value[:1]).any():
            # a collapsed model: every distance is 0, and the silhouette of ties (0, rescaled to
            # 0.5) or a clustering of ties would score it above the random control
            raise ModelError(
                f"{where}: the embedding is the same vector for every cell (a collapsed model); "
                "there is nothing to score"
            )
        return value
