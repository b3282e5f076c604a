"""Seeded Leiden clustering of a kNN graph's connectivities (igraph)."""

from __future__ import annotations

import random

import igraph
import numpy as np
from scipy import sparse


def leiden(connectivities: sparse.spmatrix, resolution: float, seed: int) -> np.ndarray:
    """Leiden communities (modularity objective) of a weighted graph; one code per cell.

    The graph is built as scib-metrics builds it (every stored entry of the symmetric
    connectivity matrix becomes one undirected edge, so each pair appears twice, as in
    ``Weighted_Adjacency(mode="directed").to_undirected(mode="each")``), then igraph's
    ``community_leiden(objective_function="modularity", resolution=...)`` with its default
    two iterations, igraph's random generator seeded with ``random.Random(seed)`` for the
    call and restored afterwards. Same seed, same graph: same clusters.
    """
    coo = sparse.csr_matrix(connectivities).tocoo()
    n = coo.shape[0]
    edges = np.column_stack([coo.row, coo.col]).astype(np.int64)
    g = igraph.Graph(n=n, directed=False)
    g.add_edges(edges)  # several times faster than Graph(edges=...) for a NumPy array
    g.es["weight"] = coo.data.astype(np.float64)
    igraph.set_random_number_generator(random.Random(seed))
    try:
        clustering = g.community_leiden(objective_function="modularity", weights="weight", resolution=resolution)
    finally:
        igraph.set_random_number_generator(random)
    return np.asarray(clustering.membership, dtype=np.int64)
