"""Agreement between two partitions of the same cells: ARI and NMI."""

from __future__ import annotations

import numpy as np

from .encoding import encode


def contingency(labels_true: np.ndarray, labels_pred: np.ndarray) -> np.ndarray:
    """The non-zero cells of the contingency table, as a (n_pairs, 3) int64 array.

    Each row is ``(true code, predicted code, count)``; the table is kept sparse so that a
    clustering with one cluster per cell costs O(n log n), not O(n^2) memory.
    """
    a, _ = encode(labels_true)
    b, _ = encode(labels_pred)
    if a.shape != b.shape:
        raise ValueError(f"labels have {a.shape[0]} and {b.shape[0]} cells")
    nb = int(b.max()) + 1 if b.size else 1
    pairs, counts = np.unique(a * nb + b, return_counts=True)
    return np.column_stack([pairs // nb, pairs % nb, counts]).astype(np.int64)


def adjusted_rand_index(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Adjusted Rand index (ARI) of two partitions.

    Definition: the Rand index (fraction of cell pairs on which both partitions agree)
    corrected for chance, Hubert & Arabie (1985), computed from the pair confusion matrix
    exactly as :func:`sklearn.metrics.adjusted_rand_score` does, including its special case
    (1.0 when the partitions are identical up to renaming, e.g. both a single cluster).

    Parameters
    ----------
    labels_true, labels_pred
        Arrays of shape (n_cells,); any label values (renaming does not change the result).

    Returns
    -------
    float in [-0.5, 1]; 1 is a perfect match, ~0 a random one. Higher is better.
    """
    table = contingency(labels_true, labels_pred)
    n = int(table[:, 2].sum())
    rows = np.bincount(table[:, 0], weights=table[:, 2]).astype(np.int64)
    cols = np.bincount(table[:, 1], weights=table[:, 2]).astype(np.int64)
    sum_squares = int((table[:, 2] ** 2).sum())
    # pair confusion matrix (ordered pairs), as in sklearn.metrics.cluster.pair_confusion_matrix
    tp = sum_squares - n
    fp = int((table[:, 2] * cols[table[:, 1]]).sum()) - sum_squares
    fn = int((table[:, 2] * rows[table[:, 0]]).sum()) - sum_squares
    tn = n * n - fp - fn - sum_squares
    if fn == 0 and fp == 0:
        return 1.0
    return float(2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)))


def normalized_mutual_info(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Normalized mutual information (NMI), arithmetic normalisation.

    Definition: ``MI(U, V) / mean(H(U), H(V))`` with natural logarithms (clipped to 1 against rounding), the default of
    :func:`sklearn.metrics.normalized_mutual_info_score` (``average_method="arithmetic"``)
    and of scib / scib-metrics. Special cases follow scikit-learn: 1.0 when both partitions
    have a single cluster, 0.0 when the mutual information is zero.

    Parameters
    ----------
    labels_true, labels_pred
        Arrays of shape (n_cells,); any label values.

    Returns
    -------
    float in [0, 1]; 1 is a perfect match. Higher is better.
    """
    table = contingency(labels_true, labels_pred)
    n = float(table[:, 2].sum())
    rows = np.bincount(table[:, 0], weights=table[:, 2])
    cols = np.bincount(table[:, 1], weights=table[:, 2])
    rows, cols = rows[rows > 0], cols[cols > 0]
    if rows.size == cols.size == 1 or n == 0:
        return 1.0
    if rows.size == 1 or cols.size == 1:
        return 0.0
    p_ij = table[:, 2] / n
    outer = (
        np.bincount(table[:, 0], weights=table[:, 2])[table[:, 0]]
        * np.bincount(table[:, 1], weights=table[:, 2])[table[:, 1]]
    )
    terms = p_ij * (np.log(table[:, 2]) + np.log(n) - np.log(outer))
    terms[np.abs(terms) < np.finfo(np.float64).eps] = 0.0
    mi = max(float(terms.sum()), 0.0)
    if mi == 0.0:
        return 0.0
    h_true = _entropy(rows / n)
    h_pred = _entropy(cols / n)
    return float(min(mi / ((h_true + h_pred) / 2.0), 1.0))


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())
