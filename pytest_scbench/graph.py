"""The k-nearest-neighbour graph of an embedding, computed once and shared.

:class:`KnnGraph` holds each cell's k nearest neighbours (the cell itself first, as in
scanpy and scib-metrics' ``NeighborsResults``) with Euclidean distances, and derives the
views metrics need (sparse distance graph, UMAP connectivities, fewer neighbours) as
cached properties. :func:`shared_graph` keeps graphs per embedding key for the
life of the process, so clustering, entropy, LISI, kBET and graph connectivity on one
embedding all reuse one neighbour search: a graph is computed with at least
:data:`PREFETCH_K` neighbours and smaller k are views of it.

Search method (``method="auto"``):

* up to :data:`EXACT_MAX_CELLS` cells: exact, scikit-learn's brute-force ``kneighbors``
  (blocked, multithreaded; :func:`~pytest_scbench.knn_search.exact_knn`, which keeps it
  on every core once faiss is loaded); deterministic, no parameters;
* above: approximate, a seeded faiss IVF-Flat index (:func:`~pytest_scbench.knn_search.ivf_knn`)
  searched with the smallest ``nprobe`` whose recall of the true neighbours on 2,000
  seeded cells, measured against the exact search, reaches 0.96. The recall reached is
  kept in :attr:`KnnGraph.search` for the tasks' JSON details. Training and search use
  every core and give the same graph for any number of threads (each query is searched
  on its own). Only clustering and graph connectivity (k = 15) use it: metrics that
  average over 90-neighbourhoods search those exactly for a sample of cells
  (:func:`sampled_knn`). It replaced an HNSW index built on one thread for determinism,
  which recalled 0.77 of the true neighbours at 1,000,000 cells (``method="hnsw"`` keeps
  it for comparison; ``benchmarks/hnsw_recall.py`` compares the two).
* ``device`` (:mod:`pytest_scbench.metrics.backend`, or ``method="torch"``): the exact
  search as blocked torch matrix products and ``topk`` on that device, re-ranked the
  same way; used at any size when a CUDA device was selected for metrics.

``method="pynndescent"`` is scib-metrics' search (NN-descent with its settings, seeded),
for comparison; at k = 90 it took 28 s on 50,000 cells where the exact search took 5.4 s.

``sc.pp.neighbors`` is deliberately not used (it crashes with scanpy 1.11.5 and scipy
1.17, and recomputes what is shared here).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse

from . import knn_search
from .knn_search import SearchReport

#: Largest number of cells searched exactly; above it the search is approximate.
EXACT_MAX_CELLS = 100_000
#: Links per node of the HNSW index used above EXACT_MAX_CELLS (faiss ``M``).
HNSW_M = 16
#: Candidate list size while building it (faiss ``efConstruction``).
HNSW_EF_CONSTRUCTION = 64
#: Smallest candidate list size while searching it (faiss ``efSearch``; 2k if larger).
HNSW_EF_SEARCH = 128
#: Neighbours computed on first use of an embedding of at most EXACT_MAX_CELLS cells,
#: so later tasks need no new search (200 is cz-benchmarks' entropy per cell, 90 what
#: scib-metrics uses for LISI; clustering and connectivity use 15). Above, only what is
#: asked for: LISI and entropy then use exact neighbourhoods of a sample of cells
#: (:func:`sampled_knn`).
PREFETCH_K = 200
#: Neighbours computed on first use of a larger embedding: kBET's 50-neighbour graph (the
#: Benchmarker's), of which clustering's and graph connectivity's 15 are a view, so the
#: approximate search runs once whichever task asks first.
APPROXIMATE_PREFETCH_K = 50
#: Graphs kept in the process-wide cache (least recently used are dropped).
CACHE_SIZE = 4
#: Cells per block of :func:`umap_connectivities`' row-wise steps.
CONNECTIVITY_BLOCK_ROWS = 65_536


@dataclass(frozen=True, eq=False)
class KnnGraph:
    """k nearest neighbours of every cell, the cell itself in column 0.

    Attributes
    ----------
    indices
        int64 array (n_cells, k): neighbour indices, nearest first, ``indices[i, 0] == i``.
    distances
        float32 array (n_cells, k): Euclidean distances matching ``indices``.
    method
        ``"exact"``, ``"ivf"``, ``"torch"``, ``"hnsw"`` or ``"pynndescent"``.
    search
        For the IVF search: its parameters and the recall measured on a sample of cells
        (:class:`~pytest_scbench.knn_search.SearchReport`); None otherwise.
    """

    indices: np.ndarray
    distances: np.ndarray
    method: str = "exact"
    #: The cells the rows belong to, when only some cells' neighbourhoods were searched
    #: (:func:`sampled_knn`); None when row i is cell i.
    rows: np.ndarray | None = None
    search: SearchReport | None = None
    _views: dict[int, KnnGraph] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.indices.shape != self.distances.shape or self.indices.ndim != 2:
            raise ValueError(
                f"indices {self.indices.shape} and distances {self.distances.shape} must be "
                "2-dimensional and of the same shape"
            )
        if self.rows is not None and self.rows.shape != (self.indices.shape[0],):
            raise ValueError(f"rows {self.rows.shape} must have one entry per row of indices {self.indices.shape}")

    def _require_every_cell(self, what: str) -> None:
        if self.rows is not None:
            raise ValueError(f"{what} needs every cell's neighbours; this graph has {self.rows.size} cells' only")

    @property
    def n_cells(self) -> int:
        """Rows of the graph: every cell, or the sampled cells of :func:`sampled_knn`."""
        return int(self.indices.shape[0])

    @property
    def k(self) -> int:
        """Neighbours per cell, the cell itself included."""
        return int(self.indices.shape[1])

    def with_k(self, k: int) -> KnnGraph:
        """The graph restricted to the first ``k`` neighbours (memoised view)."""
        if k >= self.k:
            return self
        if k not in self._views:
            self._views[k] = KnnGraph(
                self.indices[:, :k], self.distances[:, :k], self.method, self.rows, self.search
            )
        return self._views[k]

    @property
    def report(self) -> dict[str, float | int | str]:
        """How the graph was searched, for a task's ``details`` (recall 1.0 when exact)."""
        if self.search is not None:
            return {"k": self.k, **self.search.as_dict()}
        return {"k": self.k, "method": self.method, "recall": 1.0 if self.method in ("exact", "torch") else None}

    @cached_property
    def distance_graph(self) -> sparse.csr_matrix:
        """Sparse (n, n) matrix with the kNN distances (self entries stored as 0)."""
        self._require_every_cell("the distance graph")
        n, k = self.indices.shape
        indptr = np.arange(0, n * k + 1, k)
        return sparse.csr_matrix((self.distances.ravel(), self.indices.ravel(), indptr), shape=(n, n))

    @cached_property
    def adjacency(self) -> sparse.csr_matrix:
        """Sparse (n, n) 0/1 matrix of the directed kNN edges (self loops included)."""
        self._require_every_cell("the adjacency matrix")
        n, k = self.indices.shape
        indptr = np.arange(0, n * k + 1, k)
        data = np.ones(n * k, dtype=np.float32)
        return sparse.csr_matrix((data, self.indices.ravel(), indptr), shape=(n, n))

    @cached_property
    def connectivities(self) -> sparse.csr_matrix:
        """UMAP fuzzy-union connectivities, as scanpy and scib-metrics compute them.

        Same definition as ``umap.umap_.fuzzy_simplicial_set`` with
        ``local_connectivity=1, set_op_mix_ratio=1`` (see :func:`umap_connectivities`).
        """
        self._require_every_cell("connectivities")
        return umap_connectivities(self.indices, self.distances)


def umap_connectivities(
    indices: np.ndarray, distances: np.ndarray, block_rows: int = CONNECTIVITY_BLOCK_ROWS
) -> sparse.csr_matrix:
    """Symmetric fuzzy-set connectivities of a kNN graph (McInnes et al. 2018).

    For each cell, ``rho`` is the distance to its nearest non-identical neighbour and
    ``sigma`` solves ``sum_j exp(-(d_j - rho) / sigma) = log2(k)`` over the neighbours
    other than column 0 (bisection, 64 steps, tolerance 1e-5, floor 1e-3 x mean
    distance), as in umap's ``smooth_knn_dist``; edge weights are
    ``exp(-(d - rho) / sigma)`` (1 when ``d <= rho``, 0 for self), then
    ``W + W.T - W * W.T``. Vectorised over cells instead of umap's per-cell numba loop.

    Every step is row by row, so it runs on ``block_rows`` cells at a time: the float64
    temporaries then stay a block's, not the graph's, and the result is the same for any
    ``block_rows``. At k = 50 on 500,000 cells the peak is 1.8 kB per cell, against 3.7 kB
    with every row at once (``benchmarks/connectivities_memory.py``).
    """
    n, k = indices.shape
    block_rows = max(1, int(block_rows))
    starts = range(0, n, block_rows)
    # rows whose distances are all 0 floor sigma with the mean of every distance
    every_mean = 0.0 if (distances > 0).any(axis=1).all() else float(distances.astype(np.float64).mean())
    directed = []
    for s in starts:
        block = slice(s, s + block_rows)
        weights = _fuzzy_weights(indices[block], distances[block], s, every_mean)
        directed.append(_directed_rows(indices[block], weights, n))
    W = _stacked(directed)
    del directed
    Wt = W.T.tocsr()
    parts = []
    for s in starts:
        a, b = W[s : s + block_rows], Wt[s : s + block_rows]
        part = (a + b - a.multiply(b)).tocsr()
        part.eliminate_zeros()
        parts.append(part)
    del W, Wt
    return _stacked(parts)


def _stacked(parts: Iterable[sparse.csr_matrix]) -> sparse.csr_matrix:
    """Row blocks as one CSR matrix (the block itself when there is one)."""
    parts = list(parts)
    return parts[0] if len(parts) == 1 else sparse.vstack(parts, format="csr")


def _directed_rows(columns: np.ndarray, weights: np.ndarray, n: int) -> sparse.csr_matrix:
    """Rows of the directed weight matrix W, (len(columns), n), without its zeros.

    Each row is sorted by column. A row that names a column twice (never a kNN search's
    output) goes through scipy's COO conversion, which sums repeats in its own order.
    """
    m, k = columns.shape
    order = np.argsort(columns, axis=1, kind="stable")
    by_column = np.take_along_axis(columns, order, 1)
    if k > 1 and (by_column[:, 1:] == by_column[:, :-1]).any():
        rows = np.repeat(np.arange(m), k)
        part = sparse.csr_matrix((weights.ravel(), (rows, columns.ravel())), shape=(m, n))
    else:
        columns, weights = by_column, np.take_along_axis(weights, order, 1)
        index_dtype = np.int32 if max(m * k, n) < 2**31 else np.int64
        indptr = np.arange(0, m * k + 1, k, dtype=index_dtype)
        part = sparse.csr_matrix((weights.ravel(), columns.ravel().astype(index_dtype), indptr), shape=(m, n))
    part.eliminate_zeros()
    return part


def _fuzzy_weights(indices: np.ndarray, distances: np.ndarray, first_row: int, every_mean: float) -> np.ndarray:
    """The directed fuzzy weights (float32) of the graph's rows ``first_row ...``, as ``indices``.

    ``every_mean`` (the mean of the whole graph's distances) floors ``sigma`` of rows with
    no positive distance.
    """
    n, k = indices.shape
    d = distances.astype(np.float64)
    target = np.log2(k)
    positive = d > 0
    # rho: first strictly positive distance of each row (distances are sorted)
    first = np.argmax(positive, axis=1)
    rho = np.where(positive.any(axis=1), d[np.arange(n), first], 0.0)
    rest = d[:, 1:] - rho[:, None]
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    mid = np.ones(n)
    active = np.ones(n, dtype=bool)
    for _ in range(64):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        r = rest[idx]
        m = mid[idx]
        with np.errstate(over="ignore"):
            psum = np.where(r > 0, np.exp(-r / m[:, None]), 1.0).sum(axis=1)
        done = np.abs(psum - target) < 1e-5
        too_big = psum > target
        step = ~done
        # psum > target: sigma too large
        big = idx[step & too_big]
        hi[big] = mid[big]
        mid[big] = (lo[big] + hi[big]) / 2.0
        small = idx[step & ~too_big]
        lo[small] = mid[small]
        unbounded = np.isinf(hi[small])
        mid[small] = np.where(unbounded, mid[small] * 2.0, (lo[small] + hi[small]) / 2.0)
        active[idx[done]] = False
    sigma = mid
    mean_row = d.mean(axis=1)
    floor = np.where(rho > 0, 1e-3 * mean_row, 1e-3 * every_mean)
    sigma = np.maximum(sigma, floor).astype(np.float32).astype(np.float64)
    rho32 = rho.astype(np.float32).astype(np.float64)
    diff = d - rho32[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        w = np.where((diff <= 0) | (sigma[:, None] == 0), 1.0, np.exp(-diff / sigma[:, None]))
    w[indices == np.arange(first_row, first_row + n)[:, None]] = 0.0
    return w.astype(np.float32)


def compute_knn(X: np.ndarray, k: int, method: str = "auto", seed: int = 0) -> KnnGraph:
    """Search the ``k`` nearest neighbours (the cell itself included) of every row of X.

    Parameters
    ----------
    X
        Array of shape (n_cells, n_features), finite.
    k
        Neighbours per cell including the cell itself; clipped to ``n_cells``.
    method
        ``"exact"``, ``"ivf"``, ``"torch"`` (exact, on the metric device of
        :mod:`~pytest_scbench.metrics.backend`), ``"hnsw"``, ``"pynndescent"`` or
        ``"auto"``: the torch search when a device is selected for metrics, else exact up
        to :data:`EXACT_MAX_CELLS` cells and IVF above.
    seed
        Random state of the IVF index (training sample, k-means, recall sample) and of
        pynndescent (the exact, torch and HNSW searches use none).
    """
    from .metrics import backend

    X = np.ascontiguousarray(X, dtype=np.float32)
    n = X.shape[0]
    k = max(1, min(int(k), n))
    search = None
    if method == "auto":
        method = "torch" if backend.metric_device() is not None else "exact" if n <= EXACT_MAX_CELLS else "ivf"
    if method == "exact":
        indices, distances = _exact_search(X, X, k)
    elif method == "torch":
        indices, distances = backend.exact_knn(X, X, k, backend.metric_device() or "cpu")
    elif method == "ivf":
        indices, distances, search = knn_search.ivf_knn(X, k, seed)
    elif method == "hnsw":
        indices, distances = _hnsw_search(X, k)
    elif method == "pynndescent":
        from pynndescent import NNDescent

        index = NNDescent(
            X,
            n_neighbors=k,
            random_state=seed,
            low_memory=True,
            n_jobs=-1,
            compressed=False,
            n_trees=min(64, 5 + int(round(n**0.5 / 20.0))),
            n_iters=max(5, int(round(np.log2(n)))),
            max_candidates=60,
        )
        indices, distances = index.neighbor_graph
    else:
        raise ValueError(
            f"unknown kNN method {method!r}; use 'auto', 'exact', 'ivf', 'torch', 'hnsw' or 'pynndescent'"
        )
    # the search's own arrays, not copies (each is 12 bytes per cell and neighbour)
    indices, distances = _self_first(indices.astype(np.int64, copy=False), distances.astype(np.float32, copy=False))
    return KnnGraph(indices, distances, method, search=search)


def _exact_search(X: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact k nearest rows of X to each query row: on the metric device, else faiss."""
    from .metrics import backend

    device = backend.metric_device()
    if device is not None:
        return backend.exact_knn(X, queries, k, device)
    return knn_search.exact_knn(X, queries, k)


def _hnsw_search(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k neighbours of every row of X from a faiss HNSW index (distances Euclidean)."""
    import faiss

    threads = faiss.omp_get_max_threads()
    index = faiss.IndexHNSWFlat(X.shape[1], HNSW_M)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    faiss.omp_set_num_threads(1)  # concurrent insertion makes the graph depend on timing
    try:
        index.add(X)
    finally:
        faiss.omp_set_num_threads(threads)
    index.hnsw.efSearch = max(2 * k, HNSW_EF_SEARCH)
    squared, indices = index.search(X, k)
    return indices, np.sqrt(np.maximum(squared, 0.0))


def sampled_knn(X: np.ndarray, rows: np.ndarray, k: int) -> KnnGraph:
    """Exact ``k`` nearest neighbours among all rows of X of the cells ``rows`` only.

    Costs ``len(rows) x n_cells`` distances instead of ``n_cells**2``: for metrics that
    average over cells, estimated on a sample of them (kBET, and LISI and entropy above
    :data:`EXACT_MAX_CELLS` cells). Row ``i`` belongs to cell ``rows[i]``, which is its
    column 0; ``indices`` point into all of X.
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    rows = np.asarray(rows, dtype=np.int64)
    k = max(1, min(int(k), X.shape[0]))
    indices, distances = _exact_search(X, X[rows], k)
    indices, distances = _self_first(indices.astype(np.int64), distances.astype(np.float32), rows)
    return KnnGraph(indices, distances, "exact", rows)


def _self_first(
    indices: np.ndarray, distances: np.ndarray, cells: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Put each cell itself in column 0 (ties with duplicates may have displaced it).

    Row ``i`` belongs to cell ``cells[i]`` (default: cell ``i``).
    """
    cells = np.arange(indices.shape[0]) if cells is None else cells
    bad = np.flatnonzero(indices[:, 0] != cells)
    for i in bad:
        cell = int(cells[i])
        row, dist = list(indices[i]), list(distances[i])
        if cell in row:
            j = row.index(cell)
            row.pop(j)
            dist.pop(j)
        else:
            row.pop()
            dist.pop()
        indices[i] = [cell, *row]
        distances[i] = [0.0, *dist]
    # A cell's distance to itself is 0; the blocked float32 search can return ~1e-4
    # instead, which would become UMAP's rho (scanpy zeroes it too, so its connectivities
    # and its Leiden clusters are those of the exact 0).
    distances[:, 0] = 0.0
    return indices, distances


class GraphCache:
    """Process-wide cache of kNN graphs keyed by embedding key, LRU-bounded.

    Keys of :attr:`searches` are ``(embedding key, seed)``, the seed 0 up to
    :data:`EXACT_MAX_CELLS` cells, where the search is exact and seed-free.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._graphs: OrderedDict[tuple[str, int], KnnGraph] = OrderedDict()
        self._lock = threading.Lock()
        #: Number of neighbour searches actually run, per key (for tests and reports).
        self.searches: dict[tuple[str, int], int] = {}

    def get(self, key: str, X: np.ndarray, k: int, seed: int = 0) -> KnnGraph:
        """The k-neighbour graph of X, searched at most once per key unless k grows."""
        # the exact searches use no randomness: one graph serves every seed; the IVF one does
        cache_key = (key, 0 if X.shape[0] <= EXACT_MAX_CELLS else int(seed))
        with self._lock:
            graph = self._graphs.get(cache_key)
            if graph is not None and graph.k >= min(k, X.shape[0]):
                self._graphs.move_to_end(cache_key)
                return graph.with_k(k)
            # metrics that need 90 neighbours use sampled exact ones above EXACT_MAX_CELLS
            prefetch = PREFETCH_K if X.shape[0] <= EXACT_MAX_CELLS else APPROXIMATE_PREFETCH_K
            graph = compute_knn(X, max(k, prefetch), seed=seed)
            self.searches[cache_key] = self.searches.get(cache_key, 0) + 1
            self._graphs[cache_key] = graph
            self._graphs.move_to_end(cache_key)
            while len(self._graphs) > self.size:
                self._graphs.popitem(last=False)
            return graph.with_k(k)

    def clear(self) -> None:
        with self._lock:
            self._graphs.clear()
            self.searches.clear()


#: The cache every task uses.
GRAPHS = GraphCache()


def shared_graph(key: str, X: np.ndarray, k: int, seed: int = 0) -> KnnGraph:
    """The kNN graph of embedding ``X`` known as ``key``, from :data:`GRAPHS`."""
    return GRAPHS.get(key, X, k, seed)
