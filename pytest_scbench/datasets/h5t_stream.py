"""Streaming an ``.h5t`` to a model in batches of dense torch tensors.

Separate from :mod:`.h5t` so that reading, writing and converting files, and every task,
work without importing torch (over a second of start-up).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import torch

from .h5t import _open, h5t_shape


def _dense_batch(handle: h5py.File, start: int, stop: int, n_vars: int) -> torch.Tensor:
    central = handle["central"]
    ptr = central["indptr"][start : stop + 1].astype(np.int64)
    lo, hi = int(ptr[0]), int(ptr[-1])
    data = torch.from_numpy(central["data"][lo:hi].astype(np.float32, copy=False))
    cols = torch.from_numpy(central["indices"][lo:hi].astype(np.int64))
    rows = torch.repeat_interleave(torch.arange(stop - start), torch.from_numpy(np.diff(ptr)))
    batch = torch.zeros((stop - start, n_vars), dtype=torch.float32)
    batch[rows, cols] = data
    return batch


def stream_h5t(
    path: Path | str, batch_size: int = 1024, *, start: int = 0, stop: int | None = None
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``(counts, cell_index)`` batches: dense float32 ``batch x genes`` and int64.

    Cells ``start..stop`` in order; only one batch is in memory at a time (plus h5py's
    chunk cache), so a million-cell file streams in the memory of one batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    with _open(path, Path(path).stem) as handle:
        n_obs, n_vars = (int(s) for s in handle["central"].attrs["shape"])
        end = n_obs if stop is None else min(stop, n_obs)
        for first in range(start, end, batch_size):
            last = min(first + batch_size, end)
            yield _dense_batch(handle, first, last, n_vars), torch.arange(first, last, dtype=torch.int64)


class H5tBatches(torch.utils.data.IterableDataset):
    """The batches of :func:`stream_h5t` as a torch ``IterableDataset``.

    Use with ``DataLoader(H5tBatches(path, 1024), batch_size=None, num_workers=n)``:
    each worker opens the file itself and takes every n-th batch, so the batches of all
    workers together cover every cell exactly once.
    """

    def __init__(self, path: Path | str, batch_size: int = 1024) -> None:
        super().__init__()
        self.path = Path(path)
        self.batch_size = int(batch_size)
        self.n_obs, self.n_vars = h5t_shape(self.path)

    def __len__(self) -> int:
        return -(-self.n_obs // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        info = torch.utils.data.get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        with _open(self.path, self.path.stem) as handle:
            for number, first in enumerate(range(0, self.n_obs, self.batch_size)):
                if number % workers != worker:
                    continue
                last = min(first + self.batch_size, self.n_obs)
                yield _dense_batch(handle, first, last, self.n_vars), torch.arange(first, last, dtype=torch.int64)
