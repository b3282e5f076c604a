"""Nearest-neighbour searches on the CPU: exact (scikit-learn), IVF-Flat with a measured recall.

:func:`exact_knn` is scikit-learn's brute-force ``kneighbors`` (Euclidean, blocked,
OpenMP-threaded), guarded against a slowdown faiss causes (:func:`keep_sklearn_threads`):
scikit-learn's kernel counts its OpenMP threads (``omp_get_max_threads``) *inside* a
``threadpoolctl`` limit of every BLAS to one thread, made through a controller it creates
once per process. faiss loads an OpenMP build of OpenBLAS (``libopenblaso``) on the same
``libgomp``; when that controller was created after ``import faiss``, it limits faiss'
BLAS too, which calls ``omp_set_num_threads(1)``, and the search runs on one thread
(``_openmp_effective_n_threads()`` reads 1 inside the limit, 2 outside on two cores):
the "batch_integration doubles when faiss is loaded" of benchmarks/README.md (and why
the slowdown vanished when a search had run before faiss was imported). On two cores,
10,000 queries against 200,000 cells (k = 90) took the same CPU time (19.8 s) with and
without faiss, but twice the wall time with it; faiss' own ``IndexFlatL2`` needed 27 s
of CPU and torch on the CPU 38 s, so scikit-learn stays the exact search.

:func:`refine` re-ranks candidates by float64 distances computed from the coordinates,
ties by the smaller index; the IVF search and the torch backend
(:mod:`pytest_scbench.metrics.backend`) rank their float32 candidates with it.

:func:`ivf_knn` is the approximate search above ``graph.EXACT_MAX_CELLS``: a faiss
``IndexIVFFlat`` whose coarse k-means is trained on a seeded sample with a fixed seed,
searched with the smallest ``nprobe`` of 16, 32, 64, ... whose recall of the true
neighbours on a seeded sample of cells (against :func:`exact_knn`) reaches
:data:`IVF_RECALL_TARGET`. Each query is searched independently, so the result is the same
for any number of threads and from run to run.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

#: Candidates beyond k that the float32 ranking passes to the float64 re-ranking.
EXTRA_CANDIDATES = 8
#: Smaller graphs read off the searched one whose recall is reported too: clustering's
#: and graph connectivity's 15 neighbours.
RECALL_VIEWS = (15,)
#: Share of the true neighbours (the cell itself excluded) the IVF search must find on
#: the recall sample before it searches every cell.
IVF_RECALL_TARGET = 0.96
#: Cells whose neighbours are searched exactly to measure recall.
RECALL_SAMPLE = 2_000
#: First nprobe tried; doubled until the recall target is reached.
IVF_NPROBE_START = 16
#: Training points per coarse centroid (a seeded sample of the cells).
IVF_TRAIN_PER_LIST = 64
#: k-means iterations of the coarse quantizer.
IVF_TRAIN_ITERATIONS = 20
#: Queries per call into faiss and per re-ranking block (bounds the float64 gather).
_QUERY_BLOCK = 4_096
#: Queries whose candidates are held at once (re-ranked on every core, block by block).
_REFINE_CHUNK = 64 * _QUERY_BLOCK


def n_lists(n_cells: int) -> int:
    """Coarse cells of the IVF index: about 2 sqrt(n), at least 1 (2,000 at 1M cells)."""
    return max(1, min(n_cells // IVF_TRAIN_PER_LIST, int(round(2 * np.sqrt(n_cells)))))


def refine(X: np.ndarray, queries: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest of each query's candidate rows, by float64 distance, then index.

    ``candidates`` is (n_queries, c) with c >= k; entries < 0 (faiss' "not found") are
    ignored. Returns (int64 indices, float32 distances), each (n_queries, k). Blocks of
    queries are re-ranked on every core (NumPy releases the GIL in these operations);
    each block's result depends on that block only, so the thread count changes nothing.
    """
    nq, c = candidates.shape
    indices = np.empty((nq, k), dtype=np.int64)
    distances = np.empty((nq, k), dtype=np.float32)

    def block(start: int) -> None:
        cand = candidates[start : start + _QUERY_BLOCK].astype(np.int64)
        q = queries[start : start + _QUERY_BLOCK].astype(np.float64)
        missing = cand < 0
        safe = np.where(missing, 0, cand)
        diff = X[safe].astype(np.float64) - q[:, None, :]
        d = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        d[missing] = np.inf
        # sort by index, then stably by distance: equal distances keep the smaller index first
        by_index = np.argsort(np.where(missing, np.iinfo(np.int64).max, cand), axis=1, kind="stable")
        cand = np.take_along_axis(cand, by_index, 1)
        d = np.take_along_axis(d, by_index, 1)
        order = np.argsort(d, axis=1, kind="stable")[:, :k]
        indices[start : start + cand.shape[0]] = np.take_along_axis(cand, order, 1)
        distances[start : start + cand.shape[0]] = np.take_along_axis(d, order, 1)

    starts = range(0, nq, _QUERY_BLOCK)
    workers = min(len(starts), os.cpu_count() or 1)
    if workers <= 1:
        for start in starts:
            block(start)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(block, starts))
    return indices, distances


def keep_sklearn_threads() -> None:
    """Stop scikit-learn's thread limits from reaching faiss' OpenMP OpenBLAS.

    Drops faiss' bundled BLAS from scikit-learn's process-wide ``threadpoolctl``
    controller (see the module docstring); nothing calls that BLAS inside scikit-learn's
    kernels, so leaving it unlimited there oversubscribes nothing. A no-op when faiss is
    not loaded or scikit-learn's internals differ.
    """
    try:
        from sklearn.utils.parallel import _get_threadpool_controller
    except ImportError:  # pragma: no cover - other scikit-learn versions
        return
    controller = _get_threadpool_controller()
    libs = getattr(controller, "lib_controllers", None)
    if libs is None:  # pragma: no cover
        return
    kept = [lib for lib in libs if not (lib.user_api == "blas" and "faiss" in str(lib.filepath))]
    if len(kept) != len(libs):
        controller.lib_controllers = kept


def exact_knn(X: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact ``k`` nearest rows of X to each query: (int64 indices, float32 distances).

    scikit-learn's brute-force search, nearest first, on every core (see
    :func:`keep_sklearn_threads`).
    """
    from sklearn.neighbors import NearestNeighbors

    keep_sklearn_threads()
    nn = NearestNeighbors(n_neighbors=k, algorithm="brute", metric="euclidean").fit(X)
    distances, indices = nn.kneighbors(queries)
    return indices.astype(np.int64), distances.astype(np.float32)


def recall(found: np.ndarray, truth: np.ndarray, cells: np.ndarray) -> float:
    """Share of the true neighbours found: row i belongs to cell ``cells[i]``.

    Each row's truth counts its ``k - 1`` nearest other cells (the cell itself, found
    trivially, is left out of both), so 1.0 means the graph holds every true edge.
    """
    k = truth.shape[1]
    if k <= 1:
        return 1.0
    hits = 0
    for f, t, cell in zip(found, truth, cells, strict=True):
        t = t[t != cell][: k - 1]
        hits += np.intersect1d(f[f != cell], t).size
    return float(hits / (truth.shape[0] * (k - 1)))


@dataclass(frozen=True)
class SearchReport:
    """How an approximate graph was searched and how much of the truth it found.

    ``recall`` is the share of the true ``k - 1`` neighbours (the cell excluded) found for
    ``sample`` seeded cells, against an exact search; ``k`` is the graph's k it was
    measured at (a view with fewer neighbours keeps the report of the search).
    """

    method: str
    k: int
    recall: float
    sample: int
    n_lists: int
    nprobe: int
    seed: int
    #: Recall of the views with fewer neighbours, ``(k, recall)``, measured the same way.
    recall_at: tuple[tuple[int, float], ...] = ()

    def as_dict(self) -> dict[str, float | int | str]:
        """JSON-able form for a task's ``details``."""
        return {
            "method": self.method,
            "recall": round(self.recall, 5),
            "recall_k": self.k,
            "recall_sample": self.sample,
            "n_lists": self.n_lists,
            "nprobe": self.nprobe,
            "seed": self.seed,
            **{f"recall_at_{k}": round(r, 5) for k, r in self.recall_at},
        }


def recall_rows(n_cells: int, seed: int, sample: int = RECALL_SAMPLE) -> np.ndarray:
    """The seeded, sorted cells whose recall is measured."""
    rng = np.random.default_rng([seed, 19])
    return np.sort(rng.choice(n_cells, size=min(sample, n_cells), replace=False))


def ivf_index(X: np.ndarray, seed: int = 0):  # noqa: ANN201 - a faiss.IndexIVFFlat
    """The seeded faiss ``IndexIVFFlat`` of float32 ``X`` that :func:`ivf_knn` searches.

    :func:`n_lists` coarse cells, k-means trained on a seeded sample of
    ``IVF_TRAIN_PER_LIST`` cells per list with faiss' own seed set, every row added.
    """
    import faiss

    n, d = X.shape
    lists = n_lists(n)
    rng = np.random.default_rng([seed, 7])
    train = X[np.sort(rng.choice(n, size=min(n, lists * IVF_TRAIN_PER_LIST), replace=False))]
    quantizer = faiss.IndexFlatL2(d)
    index = faiss.IndexIVFFlat(quantizer, d, lists, faiss.METRIC_L2)
    index.cp.seed = int(seed) % (2**31)
    index.cp.niter = IVF_TRAIN_ITERATIONS
    index.cp.max_points_per_centroid = IVF_TRAIN_PER_LIST
    index.train(train)
    index.add(X)
    return index


def ivf_knn(
    X: np.ndarray, k: int, seed: int = 0, target: float = IVF_RECALL_TARGET, nprobe: int | None = None
) -> tuple[np.ndarray, np.ndarray, SearchReport]:
    """The ``k`` nearest rows of X to every row from a seeded IVF-Flat index.

    ``nprobe`` None: the smallest of 16, 32, ... (up to every list, an exact search)
    whose recall on :func:`recall_rows` reaches ``target``; else that ``nprobe``.
    Returns indices, distances (as :func:`exact_knn`) and the :class:`SearchReport`.
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    n = X.shape[0]
    index = ivf_index(X, seed)
    lists = index.nlist
    c = min(n, k + EXTRA_CANDIDATES)

    def search(queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # a chunk of queries at a time: every query's candidates at once take 8 (k + 8) bytes a cell
        indices = np.empty((queries.shape[0], k), dtype=np.int64)
        distances = np.empty((queries.shape[0], k), dtype=np.float32)
        for first in range(0, queries.shape[0], _REFINE_CHUNK):
            chunk = queries[first : first + _REFINE_CHUNK]
            candidates = np.empty((chunk.shape[0], c), dtype=np.int64)
            for start in range(0, chunk.shape[0], _QUERY_BLOCK):
                _, candidates[start : start + _QUERY_BLOCK] = index.search(chunk[start : start + _QUERY_BLOCK], c)
            last = first + chunk.shape[0]
            indices[first:last], distances[first:last] = refine(X, chunk, candidates, k)
        return indices, distances

    rows = recall_rows(n, seed)
    truth, _ = exact_knn(X, X[rows], k)
    probe = IVF_NPROBE_START if nprobe is None else int(nprobe)
    while True:
        index.nprobe = min(probe, lists)
        found, _ = search(X[rows])
        measured = recall(found, truth, rows)
        if nprobe is not None or measured >= target or probe >= lists:
            break
        probe *= 2
    indices, distances = search(X)
    measured = recall(indices[rows], truth, rows)
    views = tuple((v, recall(indices[rows, :v], truth[:, :v], rows)) for v in RECALL_VIEWS if v < k)
    report = SearchReport("ivf", k, measured, int(rows.size), lists, int(index.nprobe), int(seed), views)
    return indices, distances, report
