"""kBET per cell type on diffusion-map neighbours, as scib-metrics' Benchmarker computes it.

:func:`kbet_per_label` follows :func:`scib_metrics.kbet_per_label` (scib-metrics 0.5.10),
which the Benchmarker feeds its 50-neighbour graph: UMAP connectivities of that graph,
cut to each cell type; the cell type's own diffusion map; the ``k0`` nearest cells in it;
kBET (:func:`~pytest_scbench.metrics.neighborhood.kbet_acceptance`) on those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import eigsh

from .neighborhood import kbet_acceptance, kbet_labels

if TYPE_CHECKING:
    from ..graph import KnnGraph

#: Neighbours of the graph the Benchmarker gives kBET (its ``50_neighbor_res``).
KBET_NEIGHBORS = 50
#: Diffusion components per cell type (scib-metrics' ``diffusion_n_comps``).
DIFFUSION_COMPONENTS = 100
_EPS = np.float32(1e-8)  # scib-metrics' guard added to the eigenvalues
_SIZE_MAX = 2**31 - 1


def transition_matrix(connectivities: sparse.spmatrix) -> sparse.csr_matrix:
    """scanpy's symmetric transition matrix of a connectivity graph, density-normalised.

    ``K = Q C Q`` with ``Q`` the inverse degrees, then ``Z K Z`` with ``Z`` the inverse
    square roots of ``K``'s degrees (scanpy's ``_compute_transitions``, in the input's
    dtype), returned in float64 as scanpy hands it to ARPACK.
    """
    C = sparse.csr_matrix(connectivities)
    q = np.asarray(C.sum(axis=0)).ravel()
    K = sparse.diags(1.0 / q) @ C @ sparse.diags(1.0 / q)
    z = np.sqrt(np.asarray(K.sum(axis=0)).ravel())
    return sparse.csr_matrix((sparse.diags(1.0 / z) @ K @ sparse.diags(1.0 / z)).astype(np.float64))


def diffusion_embedding(connectivities: sparse.spmatrix, n_comps: int = DIFFUSION_COMPONENTS) -> np.ndarray:
    """Multiscale diffusion map of a symmetric connectivity graph (scanpy's transitions).

    Definition (scanpy's diffusion map as scib-metrics' ``utils.diffusion_nn`` computes
    it): the ``min(n_comps, n - 1)`` eigenpairs of largest magnitude of the graph's
    :func:`transition_matrix` ``T`` (float64 ARPACK, kept in float32, decreasing; ARPACK
    started from a seeded vector, so equal inputs give equal maps); each eigenvector
    scaled by ``l / (1 - l)`` (by 1 where ``l == 1``, the stationary one), ``l`` being
    the eigenvalue plus 1e-8, so that the number of diffusion steps is integrated out.
    Euclidean distances in it approximate diffusion distances.

    Returns
    -------
    float32 array (n_cells, n_components).
    """
    T = transition_matrix(connectivities)
    n = T.shape[0]
    k = min(n - 1, n_comps)
    # a fixed start vector: ARPACK's own advances between calls, and where eigenvalues tie
    # at the k-th the pairs kept would depend on how many searches ran before
    v0 = np.random.default_rng(0).uniform(-1, 1, n)
    evals, evecs = eigsh(T, k=k, which="LM", v0=v0)
    evals = evals.astype(np.float32)[::-1] + _EPS
    evecs = evecs.astype(np.float32)[:, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(evals == 1, evals, evals / (np.float32(1) - evals)).astype(np.float32)
    return np.ascontiguousarray(evecs * scale)


def _diffusion_kbet(
    connectivities: sparse.spmatrix,
    batch_codes: np.ndarray,
    k0: int,
    alpha: float,
    n_comps: int,
    tested: int | None,
    rng: np.random.Generator,
) -> tuple[float, int]:
    """kBET on the ``k0`` nearest cells (the cell included: ``k0 + 1``) of a diffusion map.

    Every cell is tested (``tested`` None), or, with ``tested`` smaller than the number of
    cells, a uniform sample of that many drawn with ``rng``, each with its exact neighbours among
    all cells. 0 (every cell rejected) where the neighbours cannot be formed, as
    scib-metrics scores a failed diffusion step. Returns the rate and the cells tested.
    """
    from ..graph import compute_knn, sampled_knn

    n = connectivities.shape[0]
    if k0 + 1 > n:
        return 0.0, n
    emb = diffusion_embedding(connectivities, min(n_comps, n - 1))
    if tested is None or tested >= n:
        indices = compute_knn(emb, k0 + 1, method="exact").indices
        return kbet_acceptance(indices, batch_codes, alpha)[0], n
    rows = np.sort(rng.choice(n, size=tested, replace=False))
    indices = sampled_knn(emb, rows, k0 + 1).indices
    return kbet_acceptance(indices, batch_codes, alpha)[0], tested


def cells_tested_per_label(sample_cells: int | None, n_labels: int) -> int | None:
    """Cells kBET tests per label when ``sample_cells`` are tested in all (None: every cell)."""
    return None if sample_cells is None else max(1, -(-int(sample_cells) // max(1, n_labels)))


class KbetScore(NamedTuple):
    """kBET per label: the score and how it was estimated."""

    #: Mean acceptance rate over the labels scored, in [0, 1]; NaN when no label qualifies.
    score: float
    #: Acceptance rate per label scored.
    rates: dict[str, float]
    #: Cells tested per label scored (all of the label's, unless sampled).
    tested: dict[str, int]
    #: Standard error of ``score`` from sampling the tested cells (0 when every cell is).
    standard_error: float
    #: Whether some label's tested cells were a sample of its cells.
    sampled: bool


def kbet_per_label(
    graph: KnnGraph,
    labels: np.ndarray,
    batch: np.ndarray,
    alpha: float = 0.05,
    diffusion_n_comps: int = DIFFUSION_COMPONENTS,
    max_tested: int | None = None,
    seed: int = 0,
) -> KbetScore:
    """kBET acceptance within each cell type, averaged (scib's kBET; Büttner et al. 2018).

    Definition (:func:`scib_metrics.kbet_per_label`, scib-metrics 0.5.10, on the graph the
    ``Benchmarker`` passes it: the 50 nearest neighbours of every cell, itself included):

    1. the UMAP connectivities of ``graph`` (:func:`~pytest_scbench.graph.umap_connectivities`),
       restricted to the cells of each label;
    2. a label with fewer than 10 cells or a single batch is skipped;
    3. ``k0 = min(70, max(10, floor(mean cells per batch in the label / 4)))``;
    4. if the label's subgraph is connected: kBET (alpha 0.05) on each cell's ``k0``
       nearest cells in the label's diffusion map (:func:`diffusion_embedding`,
       ``min(100, n - 1)`` components); otherwise the same on the union of components of
       at least ``3 k0`` cells when they hold 75% of the label, and 0 when they do not;
    5. the mean over the labels scored.

    Within the diffusion map, neighbours are searched exactly; scib-metrics searches them
    with pynndescent (seeded), which finds the same ones on embeddings of these sizes
    (see the README's agreement table). ``graph`` should be exact up to 100,000 cells
    (as :func:`~pytest_scbench.graph.shared_graph` is); the Benchmarker's own 50-NN graph
    comes from pynndescent.

    ``max_tested`` (None: every cell, the definition) tests, in each label of more cells
    than that, a seeded uniform sample of that many (the diffusion map is still the whole
    label's, and their neighbours are searched among all of its cells): each tested cell's
    verdict is the one the full computation gives it, so the label's rate is an unbiased
    estimate, and ``standard_error`` is its sampling error (binomial, finite population).
    The exact search of every cell's neighbours in the diffusion map costs
    ``sum(label size ** 2)`` distances: more than 25 minutes at 1,000,000 cells on 2 cores.

    The definition is sensitive to rounding: on a realistic 1,770-cell embedding,
    ``X - mean + mean`` in float32 (the same neighbours, distances moved by 1e-6) moved
    it from 0.9051 to 0.9084, in scib-metrics as here. Equal inputs give equal values.
    """
    conn = sparse.csr_matrix(graph.connectivities)
    rates: dict[str, float] = {}
    tested: dict[str, int] = {}
    variances: list[float] = []
    sampled = False
    for index, (name, members, sub_batch, k0) in enumerate(kbet_labels(labels, batch)):
        if k0 * members.size >= _SIZE_MAX:
            k0 = int(np.floor(_SIZE_MAX / members.size))
        sub = conn[members][:, members]
        n_comp, comp = connected_components(sub, connection="strong")
        if n_comp > 1:
            comp_sizes = np.bincount(comp)
            keep = np.flatnonzero(comp_sizes[comp] >= 3 * k0)
            if keep.size / members.size < 0.75:
                rates[name], tested[name] = 0.0, 0
                continue
            sub, sub_batch = sub[keep][:, keep], sub_batch[keep]
        n = sub.shape[0]
        m = None if max_tested is None or max_tested >= n else int(max_tested)
        rng = np.random.default_rng([seed, index])
        rates[name], tested[name] = _diffusion_kbet(sub, sub_batch, k0, alpha, diffusion_n_comps, m, rng)
        if m is not None:
            sampled = True
            rate = rates[name]
            variances.append(rate * (1 - rate) / m * (n - m) / max(n - 1, 1))
    score = float(np.mean(list(rates.values()))) if rates else float("nan")
    error = float(np.sqrt(np.sum(variances)) / len(rates)) if rates else 0.0
    return KbetScore(score, rates, tested, error, sampled)
