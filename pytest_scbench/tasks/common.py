"""What every task does with its inputs: validated embeddings, encoded columns, graphs.

Errors are :class:`~pytest_scbench.errors.TaskError` messages that start with the test
item and name the data set, the obs key and what is wrong, so the plugin can show them
without a traceback. Missing columns are :class:`~pytest_scbench.errors.DatasetError`
from :meth:`Dataset.column`, let through unchanged.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import graph as _graph
from ..errors import ModelError, TaskError
from ..graph import KnnGraph, sampled_knn, shared_graph
from ..metrics.kbet import KbetScore
from ..metrics.silhouette import stratified_rows
from .base import TaskInputs

_CODES_CACHE_SIZE = 16

#: Default cap on the cells a negative control is scored on (task parameter
#: ``control_max_cells``).
CONTROL_MAX_CELLS = 5_000


def where(inputs: TaskInputs, task: str) -> str:
    """Prefix of every error message: the item (or task) and the data set."""
    head = inputs.item or task
    return f"{head}: dataset {inputs.dataset.name!r}"


def fail(inputs: TaskInputs, task: str, message: str) -> TaskError:
    """A :class:`TaskError` about ``inputs`` (raise it)."""
    return TaskError(f"{where(inputs, task)}: {message}")


def check_embedding(inputs: TaskInputs, task: str, X: object) -> np.ndarray:
    """``X`` as a float32 (n_cells, n_dims) array, or a TaskError saying what is wrong."""
    try:
        arr = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise fail(inputs, task, f"the embedding is not a numeric array ({exc})") from exc
    if arr.ndim != 2:
        raise fail(
            inputs,
            task,
            f"the embedding must be 2-dimensional (cells x dimensions), got shape {arr.shape}",
        )
    n = inputs.dataset.n_obs
    if arr.shape[0] != n:
        raise fail(inputs, task, f"the embedding has {arr.shape[0]} rows but the dataset has {n} cells")
    if arr.shape[1] < 1:
        raise fail(inputs, task, "the embedding has 0 dimensions")
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise fail(
            inputs,
            task,
            f"the embedding has {int(bad.sum())} NaN/Inf values in {rows.size} rows (first rows: {rows[:5].tolist()})",
        )
    return _moderate_scale(arr)


def _moderate_scale(X: np.ndarray) -> np.ndarray:
    """X scaled by a power of two so that its largest magnitude is about 1, if it is extreme.

    Every embedding metric is invariant to a uniform scale, but float32 squared distances
    overflow above ~1e19 and underflow below ~1e-19. Scaling by a power of two is exact.
    """
    peak = float(np.max(np.abs(X))) if X.size else 0.0
    if peak == 0.0 or 2.0**-40 <= peak <= 2.0**40:
        return X
    _, exponent = np.frexp(peak)
    return np.ldexp(X, -int(exponent)).astype(np.float32, copy=False)


def embedding(inputs: TaskInputs, task: str) -> np.ndarray:
    """The model's embedding of the data set, validated.

    An invalid output (wrong shape, NaN/Inf) becomes a TaskError that names the item.
    """
    try:
        raw = inputs.outputs.embedding()
    except ModelError as exc:
        raise fail(inputs, task, str(exc)) from exc
    return check_embedding(inputs, task, raw)


@dataclass(frozen=True)
class Encoded:
    """An obs column as integer codes: ``categories[codes]`` are the values."""

    role: str
    key: str
    codes: np.ndarray
    categories: np.ndarray

    @property
    def n(self) -> int:
        return int(self.categories.size)

    def sizes(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=self.n)

    def take(self, rows: np.ndarray) -> Encoded:
        """The same column restricted to ``rows`` (categories kept, some may be empty)."""
        return Encoded(self.role, self.key, self.codes[rows], self.categories)


_codes: OrderedDict[tuple[str, str, str, int], Encoded] = OrderedDict()
_codes_lock = threading.Lock()


def encoded(inputs: TaskInputs, task: str, role: str) -> Encoded:
    """The column playing ``role``, encoded once per (data set, role) in this process.

    Missing values are a TaskError (a cell without a label cannot be scored).
    """
    dataset = inputs.dataset
    key = dataset.spec.keys.key_for(role) or ""
    cache_key = (dataset.fingerprint, role, key, dataset.n_obs)
    with _codes_lock:
        hit = _codes.get(cache_key)
        if hit is not None:
            _codes.move_to_end(cache_key)
            return hit
    values = dataset.column(role)  # DatasetError when missing: let it through
    missing = pd.isna(values)
    if np.any(missing):
        raise fail(
            inputs,
            task,
            f"{role} column {key!r} has {int(np.sum(missing))} missing values "
            f"(of {values.shape[0]} cells); fill or drop them",
        )
    codes, categories = pd.factorize(pd.Series(values).astype(str), sort=True)
    result = Encoded(role, key, codes.astype(np.int64), np.asarray(categories, dtype=object))
    with _codes_lock:
        _codes[cache_key] = result
        while len(_codes) > _CODES_CACHE_SIZE:
            _codes.popitem(last=False)
    return result


def require_groups(inputs: TaskInputs, task: str, column: Encoded, minimum: int = 2) -> None:
    """A TaskError unless ``column`` has at least ``minimum`` distinct values."""
    if column.n < minimum:
        only = ", ".join(map(repr, column.categories[:3].tolist()))
        raise fail(
            inputs,
            task,
            f"{column.role} column {column.key!r} has {column.n} distinct value(s) ({only}); "
            f"{task} needs at least {minimum}",
        )


def graph(inputs: TaskInputs, X: np.ndarray, k: int) -> KnnGraph:
    """The shared kNN graph of the model's embedding (see :mod:`pytest_scbench.graph`)."""
    return shared_graph(inputs.outputs.key("embedding"), X, k, inputs.seed)


def neighbourhoods(
    inputs: TaskInputs, X: np.ndarray, k: int, codes: np.ndarray, max_cells: int, control: bool = False
) -> KnnGraph:
    """The k-neighbourhoods that per-cell averages (batch entropy, LISI) are taken over.

    Up to ``graph.EXACT_MAX_CELLS`` cells: every cell's, from the shared exact graph of
    the embedding (``control=True``: of the control embedding). Above: those of a
    seeded label-stratified sample of ``max_cells`` cells (``codes`` are the labels),
    each searched exactly among all cells. The shared graph is approximate there, and
    90 neighbours of every one of a million cells would cost more than everything else;
    the averages are estimated from the sample, as the silhouettes are.
    """
    if X.shape[0] <= _graph.EXACT_MAX_CELLS:
        return control_graph(X, k, inputs.seed) if control else graph(inputs, X, k)
    rows = stratified_rows(codes, max_cells, inputs.seed)
    return sampled_knn(X, np.arange(X.shape[0]) if rows is None else rows, k)


def control_rows(codes: np.ndarray, max_cells: int, seed: int) -> np.ndarray:
    """The cells a negative control is scored on: all, or a seeded label-stratified subset.

    A random embedding scores at chance level whatever the number of cells, so above
    ``max_cells`` cells the control is computed on about that many (each label keeps its
    share, at least one cell) instead of costing as much as the model's own scores.
    """
    rows = stratified_rows(codes, max_cells, seed)
    return np.arange(codes.size) if rows is None else rows


def control_embedding(shape: tuple[int, int], seed: int) -> np.ndarray:
    """The negative control: standard normal values of the embedding's shape, seeded."""
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def control_graph(X_control: np.ndarray, k: int, seed: int, kind: str = "control") -> KnnGraph:
    """The shared kNN graph of the control embedding of this kind, shape and seed.

    ``kind`` keeps the controls apart: ``"control"`` (the negative one) or a key of
    :func:`positive_control_embeddings`.
    """
    n, d = X_control.shape
    return shared_graph(f"{kind}:{n}x{d}:seed={seed}", X_control, k, seed)


#: Standard deviation of the noise of the jittered positive control (one-hot units).
POSITIVE_JITTER = 0.1


def positive_control_embeddings(labels: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """The positive controls: embeddings built from the labels themselves.

    Open Problems' ``embed_cell_types`` idea (its batch-integration positive controls):
    an embedding that knows the answer bounds what a model can reach on the same cells.

    * ``"positive"``: the one-hot encoding of the labels (one column per label), so
      every cell sits on its type's corner and all types are equally far apart;
    * ``"positive_jitter"``: the same plus seeded Gaussian noise of standard deviation
      :data:`POSITIVE_JITTER` in every coordinate, so the cells of a type are distinct
      points (a neighbour search among identical points is all ties) that still lie
      far closer to their own type than to any other (corners are sqrt(2) apart).

    Both are float32 (n_cells, n_labels); ``labels`` are integer codes.
    """
    codes = np.asarray(labels, dtype=np.int64)
    n_labels = int(codes.max()) + 1 if codes.size else 0
    onehot = np.zeros((codes.size, max(n_labels, 1)), dtype=np.float32)
    onehot[np.arange(codes.size), codes] = 1.0
    noise = np.random.default_rng([seed, 1]).standard_normal(onehot.shape, dtype=np.float32)
    return {"positive": onehot, "positive_jitter": onehot + np.float32(POSITIVE_JITTER) * noise}


def positive_controls(
    labels: np.ndarray, seed: int, score: Callable[[str, np.ndarray], dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Each positive control's metrics: ``score(kind, embedding)`` for every kind.

    A task passes its own scoring on the control cells (the same cells as its negative
    control, ``labels`` their codes), so one call gives it both positive controls.
    """
    return {kind: score(kind, X) for kind, X in positive_control_embeddings(labels, seed).items()}


def between_controls(
    metrics: dict[str, float],
    negative: dict[str, float],
    positive: dict[str, dict[str, float]],
    lower_is_better: frozenset[str] = frozenset(),
) -> dict[str, float | None]:
    """Each metric scaled between the controls: 0 at the negative, 1 at the best positive.

    ``(value - negative) / (positive - negative)`` with ``positive`` the better of the
    positive controls' values (Open Problems scales between its negative and positive
    controls the same way). None where a control is missing or not finite, or the two
    controls are within 1e-12 of each other (nothing to scale by). Not clipped: below 0
    is worse than the random embedding, above 1 better than the labels themselves.
    """
    scaled: dict[str, float | None] = {}
    for name, value in metrics.items():
        neg = negative.get(name)
        pos_values = [p[name] for p in positive.values() if name in p and np.isfinite(p[name])]
        if neg is None or not np.isfinite(neg) or not pos_values or not np.isfinite(value):
            scaled[name] = None
            continue
        pos = min(pos_values) if name in lower_is_better else max(pos_values)
        span = pos - neg
        scaled[name] = None if abs(span) < 1e-12 else float((value - neg) / span)
    return scaled


def control_details(
    metrics: dict[str, float],
    negative: dict[str, float],
    positive: dict[str, dict[str, float]],
    lower_is_better: frozenset[str] = frozenset(),
) -> dict[str, object]:
    """What an item's ``details`` report of its controls: the positive controls' metrics
    and every metric scaled between the controls (:func:`between_controls`)."""
    return {
        "positive_controls": positive,
        "scaled_between_controls": between_controls(metrics, negative, positive, lower_is_better),
    }


def kbet_details(result: KbetScore, categories: np.ndarray) -> dict[str, object]:
    """kBET's rate per label for ``details``, with the cells tested and the sampling error
    when the tested cells were sampled."""
    details: dict[str, object] = {
        "kbet_per_label": {str(categories[int(code)]): rate for code, rate in result.rates.items()}
    }
    if result.sampled:
        details["kbet_tested_cells"] = {str(categories[int(code)]): n for code, n in result.tested.items()}
        details["kbet_standard_error"] = result.standard_error
    return details
