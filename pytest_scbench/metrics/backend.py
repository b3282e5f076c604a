"""Where the heavy metric work runs: numpy/faiss on the CPU (default) or torch on a device.

The heavy work is the exact neighbour searches (the shared graph, sampled
neighbourhoods, kBET's within-label searches) and the blocked pairwise distances of the
silhouettes. :func:`use_device` selects a torch device for them (the plugin does so from
``--scbench-device``: under ``auto`` only when CUDA is present); None, the default,
keeps the CPU path. The torch code computes what the CPU code does, the same way:

* :func:`exact_knn`: squared distances by the ``|x|^2 + |y|^2 - 2 x.y`` expansion in
  float32, blocked over queries, ``topk`` of ``k`` + ``knn_search.EXTRA_CANDIDATES``
  candidates, re-ranked by float64 distances computed from the coordinates, ties by the
  smaller index (as :func:`pytest_scbench.knn_search.refine`), so its neighbours are the
  CPU search's except where two distances agree to float64 rounding;
* :func:`group_distance_sums`: :func:`pytest_scbench.metrics.silhouette.group_distance_sums`
  in the input's dtype, block by block.

Neither uses randomness; on CUDA, ``topk`` and matrix products are deterministic for a
given device and input (no atomics), so results repeat run to run. torch CPU tensors run
the same code, which is how CI tests it without a GPU.
"""

from __future__ import annotations

import threading

import numpy as np

_state = threading.local()
#: ``device``: the selected torch device (None: the CPU path); ``option``: a
#: ``--scbench-device`` value not resolved yet (resolving it imports torch).
_global: dict[str, str | None] = {"device": None, "option": None}

#: Distances held at once per block (float32: 64 MiB on CPU, 1 GiB on CUDA).
_BLOCK_ENTRIES = {"cpu": 1 << 24, "cuda": 1 << 28}


def select(option: str) -> str | None:
    """The metric device for a ``--scbench-device`` value: None means the CPU path.

    ``auto``: ``cuda`` when torch sees a CUDA device, else None; ``cpu``: None;
    ``cuda`` / ``cuda:N``: that device (the caller has checked it exists); ``torch-cpu``:
    torch on the CPU (for tests and comparisons).
    """
    from ..device import cuda_device_count

    if option == "auto":
        return "cuda" if cuda_device_count() > 0 else None
    if option == "cpu":
        return None
    if option == "torch-cpu":
        return "cpu"
    return option


def use_device(device: str | None) -> None:
    """Run the heavy metric work on torch ``device`` from now on (None: the CPU path)."""
    _global.update(device=device, option=None)


def use_option(option: str) -> None:
    """Run the heavy metric work where ``--scbench-device option`` says (see :func:`select`).

    Resolved on the first metric that asks (:func:`metric_device`), not here: asking
    torch whether CUDA is present imports it, which a run that scores no embedding (or
    the plugin loaded in a project that runs no suite) should not pay for at start-up.
    A device that does not exist here resolves to the CPU path.
    """
    _global.update(device=None, option=option)


def metric_device() -> str | None:
    """The torch device selected for metric work, or None for the CPU path."""
    if hasattr(_state, "device"):
        return _state.device  # type: ignore[no-any-return]
    option = _global["option"]
    if option is not None:
        from ..device import unavailable_reason

        device = select(option)
        if device is not None and unavailable_reason(device, option) is not None:
            device = None
        use_device(device)
    return _global["device"]


class on_device:  # noqa: N801  (used as a context manager, like torch.no_grad)
    """Context manager: metric work of this thread on ``device`` (None: CPU path)."""

    def __init__(self, device: str | None) -> None:
        self.device = device

    def __enter__(self) -> None:
        self._had = hasattr(_state, "device")
        self._before = getattr(_state, "device", None)
        _state.device = self.device

    def __exit__(self, *exc: object) -> None:
        if self._had:
            _state.device = self._before
        else:
            del _state.device


def _block(device: str, n_cols: int) -> int:
    entries = _BLOCK_ENTRIES["cuda" if device.startswith("cuda") else "cpu"]
    return max(1, entries // max(n_cols, 1))


def exact_knn(X: np.ndarray, queries: np.ndarray, k: int, device: str) -> tuple[np.ndarray, np.ndarray]:
    """The exact ``k`` nearest rows of X to each query row, computed with torch on ``device``.

    Returns (int64 indices, float32 Euclidean distances) of shape (n_queries, k), nearest
    first, equal distances by the smaller index.
    """
    import torch

    from ..knn_search import EXTRA_CANDIDATES

    n = X.shape[0]
    k = max(1, min(int(k), n))
    c = min(n, k + EXTRA_CANDIDATES)
    indices = np.empty((queries.shape[0], k), dtype=np.int64)
    distances = np.empty((queries.shape[0], k), dtype=np.float32)
    with torch.no_grad():
        Xt = torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32), device=device)
        X64 = Xt.double()
        sq = (Xt * Xt).sum(dim=1)
        Qall = torch.as_tensor(np.ascontiguousarray(queries, dtype=np.float32), device=device)
        block = _block(device, n)
        for start in range(0, Qall.shape[0], block):
            q = Qall[start : start + block]
            d2 = torch.addmm(sq[None, :], q, Xt.T, beta=1, alpha=-2)
            d2 += (q * q).sum(dim=1, keepdim=True)
            cand = torch.topk(d2, c, dim=1, largest=False, sorted=False).indices
            del d2
            cand, _ = torch.sort(cand, dim=1)
            diff = X64[cand] - q.double()[:, None, :]
            dist = torch.sqrt((diff * diff).sum(dim=2))
            dist, order = torch.sort(dist, dim=1, stable=True)
            stop = start + q.shape[0]
            indices[start:stop] = torch.gather(cand, 1, order[:, :k]).cpu().numpy()
            distances[start:stop] = dist[:, :k].float().cpu().numpy()
    return indices, distances


def group_distance_sums(
    X: np.ndarray, codes: np.ndarray, n_groups: int, rows: np.ndarray, metric: str, device: str
) -> np.ndarray:
    """:func:`~pytest_scbench.metrics.silhouette.group_distance_sums` computed with torch.

    ``X`` is already float32 or float64 and, for ``"cosine"``, row-normalised; the
    distances are computed in its dtype. Returns float64 (len(rows), n_groups).
    """
    import torch

    with torch.no_grad():
        Xt = torch.as_tensor(X, device=device)
        sq = (Xt * Xt).sum(dim=1)
        onehot = torch.zeros((X.shape[0], n_groups), dtype=Xt.dtype, device=device)
        onehot[torch.arange(X.shape[0], device=device), torch.as_tensor(codes, device=device)] = 1
        rows_t = torch.as_tensor(np.asarray(rows, dtype=np.int64), device=device)
        out = np.empty((rows_t.shape[0], n_groups), dtype=np.float64)
        block = _block(device, X.shape[0])
        for start in range(0, rows_t.shape[0], block):
            r = rows_t[start : start + block]
            d = Xt[r] @ Xt.T
            if metric == "cosine":
                d = torch.clamp(1 - d, 0, 2)
            else:
                d = torch.sqrt(torch.clamp(sq[r, None] + sq[None, :] - 2 * d, min=0))
            d[torch.arange(r.shape[0], device=device), r] = 0
            out[start : start + r.shape[0]] = (d @ onehot).double().cpu().numpy()
    return out
