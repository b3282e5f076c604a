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


def _squared_to(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Squared distances (len(C), n) as scib-metrics' seeding has them: ``square(sqrt(sum((x - c)^2)))``."""
    out = np.empty((C.shape[0], X.shape[0]), dtype=np.float32)
    for i, c in enumerate(C):
        diff = X - c
        out[i] = np.square(np.sqrt(np.einsum("ij,ij->i", diff, diff)))
    return out


def _plus_plus(X: np.ndarray, k: int, seed: int) -> np.ndarray:
    """scib-metrics' greedy k-means++ seeding, drawing JAX's random numbers from ``PRNGKey(seed)``.

    The same draws in the same order as ``scib_metrics.utils.KMeans(seed=seed)`` with one
    initialisation (``_initialize_plus_plus``): the first centre uniformly, then at each
    step ``2 + ln k`` candidates with probability proportional to the squared distance to
    the nearest centre, keeping the one that lowers the potential most. Only the
    generator's draws come from JAX (a dependency of scib-metrics, so always installed):
    the same seed gives scib-metrics' centres (up to float32 ties in the probabilities).
    """
    import jax

    n = X.shape[0]
    key = jax.random.split(jax.random.PRNGKey(seed), 1)[0]  # KMeans: split(seed, n_init)
    key, sub = jax.random.split(key)
    centres = [int(np.asarray(jax.random.choice(sub, n, (1,), replace=False))[0])]
    closest = _squared_to(X, X[centres])[0]
    trials = 2 + int(np.log(k))
    for _ in range(k - 1):
        total = closest.sum(dtype=np.float32)
        p = closest / total if total > 0 else np.full(n, 1.0 / n, dtype=np.float32)
        key, sub = jax.random.split(key)
        candidates = np.asarray(jax.random.choice(sub, n, (trials,), replace=False, p=p))
        d = np.minimum(closest[None, :], _squared_to(X, X[candidates]))
        best = int(np.argmin(d.sum(axis=1)))
        centres.append(int(candidates[best]))
        closest = d[best]
    return X[centres].copy()


def initial_centres(X: np.ndarray, n_clusters: int, seed: int = 0) -> np.ndarray:
    """The k-means++ centres :func:`kmeans_labels` starts from, in X's mean-centred coordinates."""
    X = np.asarray(X, dtype=np.float32)
    X = X - X.mean(axis=0)
    return _plus_plus(X, n_clusters, seed)


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
    The seeding (:func:`initial_centres`) draws JAX's random numbers as scib-metrics
    does, so seed ``s`` gives the clusters of ``scib_metrics.utils.KMeans(seed=s)``, and
    seed 0 those its Benchmarker reports. ``init``: start from these centres
    (mean-centred coordinates) instead.
    """
    X = np.asarray(X, dtype=np.float32)
    X = X - X.mean(axis=0)
    sq = np.einsum("ij,ij->i", X, X)
    threshold = float(np.var(X, axis=0).mean()) * tol
    if init is None:
        centres = _plus_plus(X, n_clusters, seed)
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
    ARI (scikit-learn's definitions). A seeded metric: seed ``s`` gives scib-metrics'
    value with ``KMeans(seed=s)``; its function always uses seed 0 (see :func:`kmeans_labels`).

    Returns
    -------
    ``{"nmi": ..., "ari": ...}``, NMI in [0, 1], ARI in [-0.5, 1]; higher is better.
    """
    codes, cats = encode(labels)
    clusters = kmeans_labels(X, int(cats.size), seed=seed)
    return {"nmi": normalized_mutual_info(codes, clusters), "ari": adjusted_rand_index(codes, clusters)}
