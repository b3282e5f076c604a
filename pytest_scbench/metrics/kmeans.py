"""KMeans clustering with k = the number of labels, scored by NMI and ARI against the labels."""

from __future__ import annotations

import numpy as np

from .clustering import adjusted_rand_index, normalized_mutual_info
from .encoding import encode

#: Lloyd iterations scib-metrics' KMeans runs at least (its ``max_iter``).
KMEANS_MAX_ITER = 300
_HARD_CAP = 10_000


def _squared_distances(X: np.ndarray, C: np.ndarray, sq: np.ndarray) -> np.ndarray:
    d = X @ C.T
    d *= -2
    d += sq[:, None]
    d += np.einsum("ij,ij->i", C, C)[None, :]
    return np.maximum(d, 0, out=d)


def _plus_plus(X: np.ndarray, k: int, sq: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ seeding (Arthur and Vassilvitskii 2007; ``2 + ln k`` trials per step)."""
    n = X.shape[0]
    trials = 2 + int(np.log(k))
    centres = [int(rng.integers(n))]
    closest = _squared_distances(X, X[centres], sq)[:, 0]
    for _ in range(k - 1):
        total = closest.sum()
        p = closest / total if total > 0 else np.full(n, 1.0 / n)
        candidates = rng.choice(n, size=min(trials, int((p > 0).sum()) or 1), replace=False, p=p)
        d = np.minimum(closest[None, :], _squared_distances(X, X[candidates], sq).T)
        best = int(np.argmin(d.sum(axis=1)))
        centres.append(int(candidates[best]))
        closest = d[best]
    return X[centres].copy()


def initial_centres(X: np.ndarray, n_clusters: int, seed: int = 0) -> np.ndarray:
    """The k-means++ centres :func:`kmeans_labels` starts from, in X's mean-centred coordinates."""
    X = np.asarray(X, dtype=np.float32)
    X = X - X.mean(axis=0)
    return _plus_plus(X, n_clusters, np.einsum("ij,ij->i", X, X), np.random.default_rng(seed))


def kmeans_labels(
    X: np.ndarray,
    n_clusters: int,
    seed: int = 0,
    max_iter: int = KMEANS_MAX_ITER,
    tol: float = 1e-4,
    init: np.ndarray | None = None,
) -> np.ndarray:
    """Cluster of every cell by Lloyd's k-means, as scib-metrics' ``utils.KMeans`` runs it.

    Definition (scib-metrics 0.5.10 defaults: k-means++ seeding, one initialisation,
    Euclidean, float32 data centred on its mean): Lloyd iterations until at least
    ``max_iter`` (300) have run and the inertia changed by at most ``tol`` x the mean
    feature variance (here also stopped as soon as the assignment is a fixed point,
    which changes nothing); an empty cluster's centre is the data mean, as there.
    The seeding draws from ``numpy.random.default_rng(seed)`` where scib-metrics draws
    from JAX's generator, so one seed gives another clustering than scib-metrics' seed.
    ``init``: start from these centres (mean-centred coordinates) instead.
    """
    X = np.asarray(X, dtype=np.float32)
    X = X - X.mean(axis=0)
    sq = np.einsum("ij,ij->i", X, X)
    threshold = float(np.var(X, axis=0).mean()) * tol
    if init is None:
        centres = _plus_plus(X, n_clusters, sq, np.random.default_rng(seed))
    else:
        centres = np.array(init, dtype=np.float32)
    assigned = None
    old_inertia = np.inf
    for iteration in range(1, _HARD_CAP + 1):
        d = _squared_distances(X, centres, sq)
        new = d.argmin(axis=1)
        inertia = float(d[np.arange(X.shape[0]), new].sum())
        if assigned is not None and np.array_equal(new, assigned):
            break
        assigned = new
        counts = np.bincount(new, minlength=n_clusters)
        sums = np.zeros_like(centres)
        np.add.at(sums, new, X)
        centres = sums / np.maximum(counts, 1)[:, None]
        if iteration >= max_iter and abs(old_inertia - inertia) <= threshold:
            break
        old_inertia = inertia
    return _squared_distances(X, centres, sq).argmin(axis=1)


def nmi_ari_cluster_labels_kmeans(X: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict[str, float]:
    """NMI and ARI of KMeans clusters (k = number of labels) against the labels.

    Definition (:func:`scib_metrics.nmi_ari_cluster_labels_kmeans`, scib-metrics 0.5.10):
    :func:`kmeans_labels` with as many clusters as labels, then arithmetic-mean NMI and
    ARI (scikit-learn's definitions). A seeded metric: the value depends on the seeding,
    and our seed ``s`` is not scib-metrics' seed ``s`` (see :func:`kmeans_labels`).

    Returns
    -------
    ``{"nmi": ..., "ari": ...}``, NMI in [0, 1], ARI in [-0.5, 1]; higher is better.
    """
    codes, cats = encode(labels)
    clusters = kmeans_labels(X, int(cats.size), seed=seed)
    return {"nmi": normalized_mutual_info(codes, clusters), "ari": adjusted_rand_index(codes, clusters)}
