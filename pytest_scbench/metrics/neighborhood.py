"""Metrics of a kNN graph: entropy per cell, LISI, kBET and graph connectivity.

Each takes a :class:`~pytest_scbench.graph.KnnGraph` (computed once, shared) and label
codes; none searches neighbours itself, except :func:`kbet_within_label_knn`, whose
neighbours live inside each label. scib-metrics' kBET per label is in :mod:`.kbet`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.csgraph import connected_components
from scipy.special import chdtrc

from .encoding import encode

#: Cells of one label tested by :func:`kbet_within_label_knn`; a larger label tests a
#: seeded sample of this many.
KBET_MAX_TESTED = 10_000

if TYPE_CHECKING:
    from ..graph import KnnGraph


def _neighbour_counts(indices: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """(n_cells, n_groups) counts of each group among each cell's neighbours."""
    n, k = indices.shape
    flat = np.repeat(np.arange(n), k) * n_groups + codes[indices].ravel()
    return np.bincount(flat, minlength=n * n_groups).reshape(n, n_groups)


#: Neighbours of cz-benchmarks' entropy per cell (``compute_entropy_per_cell``'s default).
ENTROPY_NEIGHBORS = 200


def entropy_per_cell(graph: KnnGraph, batch: np.ndarray) -> float:
    """cz-benchmarks' entropy per cell: mean normalised entropy of each neighbourhood's batches.

    Definition (cz-benchmarks 0.15.1, ``czbenchmarks.metrics.utils.compute_entropy_per_cell``,
    metric ``entropy_per_cell``): for each cell, the frequencies of the batches among its
    k nearest neighbours (the cell itself included), Shannon entropy with the natural log
    (0 log 0 = 0), divided by ``log(n_batches)``, ``n_batches`` counting every batch of
    the data set; the mean over cells. cz-benchmarks uses k = 200
    (:data:`ENTROPY_NEIGHBORS`; all cells when there are fewer) found by an hnswlib index
    (M 48, ef 200); pass a graph of 200 neighbours from an exact search, which that index
    approximates (agreement measured in ``tests/reference``).

    Parameters
    ----------
    graph
        The neighbourhoods, the cell itself in column 0; every column is used.
    batch
        Batch of every cell (codes or values), shape (n_cells,).

    Returns
    -------
    float in [0, 1]; 1 means every neighbourhood holds all batches equally. Higher is better.
    NaN with a single batch.
    """
    codes, cats = encode(batch)
    if cats.size < 2:
        return float("nan")
    counts = _neighbour_counts(graph.indices, codes, cats.size).astype(np.float64)
    p = counts / counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = -(p * logp).sum(axis=1) / np.log(cats.size)
    return float(entropy.mean())


@dataclass(frozen=True)
class LisiWeights:
    """Gaussian neighbour weights of a kNN graph at one perplexity (label-independent).

    ``P[i, j]`` is the weight of ``graph.indices[i, j]`` for cell ``i`` (rows sum to 1,
    the cell itself 0); ``H`` the entropy reached (0 where every weight underflowed).
    iLISI and cLISI of one graph share them: compute once with :func:`lisi_weights`.
    """

    P: np.ndarray
    H: np.ndarray
    indices: np.ndarray


def lisi_weights(graph: KnnGraph, perplexity: float | None = None) -> LisiWeights:
    """The neighbour weights LISI uses, as :func:`scib_metrics.lisi_knn` finds them.

    Gaussian weights ``exp(-beta * d)`` on the graph's Euclidean distances (the cell
    itself weighted 0), ``beta`` found by bisection (tolerance 1e-5, at most 50 steps,
    starting at 1) so the weights' entropy is ``log(perplexity)``. ``perplexity``
    defaults to ``floor(k / 3)`` (30 for k=90).
    """
    d = graph.distances.astype(np.float64)
    n, k = d.shape
    if perplexity is None:
        perplexity = float(np.floor(k / 3))
    keep = np.ones((n, k), dtype=bool)
    keep[:, 0] = False  # the cell itself, always column 0 of a KnnGraph
    log_perp = np.log(perplexity)

    def h_and_p(rows: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dr = d[rows]
        P = np.where(keep[rows], np.exp(-dr * beta[:, None]), 0.0)
        sum_p = P.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            H = np.where(sum_p == 0, 0.0, np.log(sum_p) + beta * (dr * P).sum(axis=1) / sum_p)
            P = np.where(sum_p[:, None] == 0, 0.0, P / sum_p[:, None])
        return H, P

    beta = np.ones(n)
    betamin = np.full(n, -np.inf)
    betamax = np.full(n, np.inf)
    H, P = h_and_p(np.arange(n), beta)
    hdiff = H - log_perp
    active = np.abs(hdiff) >= 1e-5
    for _ in range(50):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        hd, b = hdiff[rows], beta[rows]
        up = hd > 0
        bmin = np.where(up, b, betamin[rows])
        bmax = np.where(up, betamax[rows], b)
        new_b = np.where(
            up,
            np.where(np.isinf(betamax[rows]), b * 2, (b + betamax[rows]) / 2),
            np.where(np.isinf(betamin[rows]), b / 2, (b + betamin[rows]) / 2),
        )
        betamin[rows], betamax[rows], beta[rows] = bmin, bmax, new_b
        H_r, P_r = h_and_p(rows, new_b)
        H[rows], P[rows] = H_r, P_r
        hdiff[rows] = H_r - log_perp
        active[rows] = np.abs(hdiff[rows]) >= 1e-5
    return LisiWeights(P, H, graph.indices)


def lisi(
    graph: KnnGraph,
    labels: np.ndarray,
    perplexity: float | None = None,
    weights: LisiWeights | None = None,
) -> np.ndarray:
    """Local inverse Simpson's index of every cell (Korsunsky et al. 2019).

    Definition as :func:`scib_metrics.lisi_knn`: with the neighbour weights of
    :func:`lisi_weights` (pass ``weights`` to reuse them), LISI = 1 / sum over labels of
    the squared weight of each label.

    Returns
    -------
    float64 array (n_cells,), each in [1, n_labels] (-1 where all weights underflow, as in
    scib-metrics).
    """
    codes, cats = encode(labels)
    w = lisi_weights(graph, perplexity) if weights is None else weights
    n, k = w.P.shape
    flat = np.repeat(np.arange(n), k) * cats.size + codes[w.indices].ravel()
    per_label = np.bincount(flat, weights=w.P.ravel(), minlength=n * cats.size).reshape(n, cats.size)
    simpson = np.where(w.H == 0, -1.0, (per_label**2).sum(axis=1))
    return 1.0 / simpson


def ilisi(
    graph: KnnGraph,
    batch: np.ndarray,
    perplexity: float | None = None,
    weights: LisiWeights | None = None,
) -> float:
    """Integration LISI, scaled: ``(median LISI(batch) - 1) / (n_batches - 1)``.

    As :func:`scib_metrics.ilisi_knn` (scale=True; scib-metrics uses k=90, perplexity 30).
    Range [0, 1]; 1 means perfectly mixed batches. Higher is better. NaN with one batch.
    """
    codes, cats = encode(batch)
    if cats.size < 2:
        return float("nan")
    value = float(np.nanmedian(lisi(graph, codes, perplexity, weights)))
    return (value - 1) / (cats.size - 1)


def clisi(
    graph: KnnGraph,
    labels: np.ndarray,
    perplexity: float | None = None,
    weights: LisiWeights | None = None,
) -> float:
    """Cell-type LISI, scaled: ``(n_labels - median LISI(labels)) / (n_labels - 1)``.

    As :func:`scib_metrics.clisi_knn` (scale=True). Range [0, 1]; 1 means every
    neighbourhood holds a single cell type. Higher is better.
    """
    codes, cats = encode(labels)
    if cats.size < 2:
        return float("nan")
    value = float(np.nanmedian(lisi(graph, codes, perplexity, weights)))
    return (cats.size - value) / (cats.size - 1)


def kbet_acceptance(
    indices: np.ndarray, batch_codes: np.ndarray, alpha: float = 0.05
) -> tuple[float, np.ndarray, np.ndarray]:
    """kBET acceptance rate on given neighbourhoods (Büttner et al. 2018).

    Definition as :func:`scib_metrics.kbet` (after Pegasus): for each tested cell (a row
    of ``indices``, pointing into ``batch_codes``, which has every cell), Pearson's
    chi-square statistic of the batch counts among its neighbours (all columns of
    ``indices``, the cell included) against the batch frequencies of all cells times k,
    with ``n_batches - 1`` degrees of freedom; the cell is accepted when its p-value >=
    alpha.

    Returns
    -------
    acceptance rate in [0, 1] (higher is better), statistics and p-values per cell.
    """
    codes, cats = encode(batch_codes)
    n_b = cats.size
    expected = np.bincount(codes, minlength=n_b) / codes.size * indices.shape[1]
    observed = _neighbour_counts(indices, codes, n_b)
    stats = ((observed - expected[None, :]) ** 2 / expected[None, :]).sum(axis=1)
    pvalues = chdtrc(n_b - 1, stats) if n_b > 1 else np.ones_like(stats)
    return float((pvalues >= alpha).mean()), stats, pvalues


def kbet_labels(labels: np.ndarray, batch: np.ndarray) -> Iterator[tuple[str, np.ndarray, np.ndarray, int]]:
    """The labels kBET scores, as scib's kBET chooses them: ``(name, members, batch codes, k0)``.

    A label is scored when it has at least 10 cells in more than one batch; its
    neighbourhood size is scib's ``k0 = min(70, max(10, floor(mean cells per batch / 4)))``.
    ``members`` are the label's rows, ``batch codes`` their batches (codes of all cells).
    """
    label_codes, label_cats = encode(labels)
    batch_codes, _ = encode(batch)
    for g, name in enumerate(label_cats):
        members = np.flatnonzero(label_codes == g)
        sub_batch = batch_codes[members]
        counts = np.bincount(sub_batch)
        counts = counts[counts > 0]
        if members.size < 10 or counts.size < 2:
            continue
        yield str(name), members, sub_batch, int(min(70, max(10, np.floor(counts.mean() / 4))))


def kbet_within_label_knn(
    X: np.ndarray,
    labels: np.ndarray,
    batch: np.ndarray,
    alpha: float = 0.05,
    seed: int = 0,
    max_tested: int | None = KBET_MAX_TESTED,
) -> tuple[float, dict[str, float]]:
    """kBET within each cell type on the embedding's own within-label neighbours.

    A variant, not scib-metrics' kBET (that is :func:`~pytest_scbench.metrics.kbet.kbet_per_label`,
    the ``kbet`` metric); no task reports it by default.

    Definition: for each label with at least 10 cells and more than one batch, the
    neighbourhood size is scib's ``k0 = min(70, max(10, mean batch size in label // 4))``;
    each tested cell's ``k0`` nearest cells *of the same label* (exact Euclidean search
    in the embedding, the cell itself included: ``k0 + 1`` columns) are tested with
    :func:`kbet_acceptance`; the score is the mean acceptance rate over labels.

    Every cell of a label is tested up to ``max_tested`` (10,000) cells; a larger label
    tests a seeded random sample of that many cells, each against *all* cells of its
    label, as the original kBET tests a random subset of cells (its ``testSize``). The
    search then costs ``max_tested x label size`` distances instead of the square of
    the label size. None tests every cell.

    Difference from :func:`scib_metrics.kbet_per_label`: that one finds the within-label
    neighbours on a diffusion map of the label's subgraph of the shared 50-NN
    connectivities (and scores a label 0 when it falls apart into small components);
    this one searches them directly in the embedding, as the original kBET does on an
    embedding. The numbers differ (0.55 here where scib-metrics gave 0.46 on one
    embedding), hence the other name.

    Returns
    -------
    (score in [0, 1], higher is better, NaN when no label qualifies; per-label rates).
    """
    from ..graph import sampled_knn

    rng = np.random.default_rng(seed)
    rates: dict[str, float] = {}
    for name, members, sub_batch, k0 in kbet_labels(labels, batch):
        tested = np.arange(members.size)
        if max_tested is not None and members.size > max_tested:
            tested = np.sort(rng.choice(members.size, size=max_tested, replace=False))
        indices = sampled_knn(X[members], tested, k0 + 1).indices
        # the expected batch frequencies are those of all the label's cells, tested or not
        rates[name] = kbet_acceptance(indices, sub_batch, alpha)[0]
    score = float(np.mean(list(rates.values()))) if rates else float("nan")
    return score, rates


def graph_connectivity(graph: KnnGraph, labels: np.ndarray) -> float:
    """Graph connectivity (Luecken et al. 2022), as :func:`scib_metrics.graph_connectivity`.

    Definition: for each label, the subgraph of the kNN graph (k=15 in scib-metrics)
    induced by its cells; the fraction of those cells in its largest strongly connected
    component; averaged over labels.

    Returns
    -------
    float in (0, 1]; 1 means every cell type forms one connected piece. Higher is better.
    """
    codes, cats = encode(labels)
    adjacency = graph.adjacency
    fractions = []
    for g in range(cats.size):
        mask = codes == g
        sub = adjacency[mask][:, mask]
        _, comps = connected_components(sub, directed=True, connection="strong")
        fractions.append(np.bincount(comps).max() / mask.sum())
    return float(np.mean(fractions))
