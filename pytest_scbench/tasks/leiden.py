"""Seeded Leiden clustering of a kNN graph's connectivities (igraph), as scanpy runs it."""

from __future__ import annotations

import random

import igraph
import numpy as np
from scipy import sparse

#: Leiden iterations (scanpy's ``n_iterations`` as cz-benchmarks sets it; igraph's default).
N_ITERATIONS = 2


class NumpyRandomForIgraph:
    """igraph's random-number interface driven by ``numpy.random.RandomState(seed)``.

    scanpy's ``sc.tl.leiden(flavor="igraph", random_state=seed)``, which cz-benchmarks
    calls, seeds igraph this way (not with Python's ``random``), so the same seed on the
    same graph gives the same clusters here as there.
    """

    def __init__(self, seed: int) -> None:
        self._rng = np.random.RandomState(seed)

    def getrandbits(self, k: int) -> int:
        return int(self._rng.tomaxint()) & ((1 << k) - 1)

    def randint(self, a: int, b: int) -> int:
        return int(self._rng.randint(a, b + 1))

    def random(self) -> float:
        return float(self._rng.random_sample())

    def gauss(self, mu: float, sigma: float) -> float:
        return float(self._rng.normal(mu, sigma))


def leiden(connectivities: sparse.spmatrix, resolution: float, seed: int) -> np.ndarray:
    """Leiden communities (modularity objective) of a weighted graph; one code per cell.

    As cz-benchmarks 0.15.1 clusters (``czbenchmarks.tasks.utils.cluster_embedding``:
    ``sc.tl.leiden(flavor="igraph", n_iterations=2, random_state=seed)``, scanpy
    1.11): every stored non-zero entry of the symmetric connectivity matrix becomes one
    undirected edge, in row-major order (each pair appears twice, as in scanpy's
    ``get_igraph_from_adjacency``), weighted by the entry; igraph's
    ``community_leiden(objective_function="modularity", resolution=..., n_iterations=2)``
    with igraph's random generator set to :class:`NumpyRandomForIgraph` for the call
    and restored afterwards. Same seed, same graph: same clusters.
    """
    csr = sparse.csr_matrix(connectivities)
    csr.eliminate_zeros()
    coo = csr.tocoo()
    g = igraph.Graph(n=coo.shape[0], directed=False)
    # several times faster than Graph(edges=...) for a NumPy array
    g.add_edges(np.column_stack([coo.row, coo.col]).astype(np.int64))
    # the weights as a vector, not an edge attribute (which holds a Python float object per edge)
    weights = coo.data.astype(np.float64)
    del coo
    igraph.set_random_number_generator(NumpyRandomForIgraph(seed))
    try:
        clustering = g.community_leiden(
            objective_function="modularity", weights=weights, resolution=resolution, n_iterations=N_ITERATIONS
        )
    finally:
        igraph.set_random_number_generator(random)
    return np.asarray(clustering.membership, dtype=np.int64)
