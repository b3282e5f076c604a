"""Principal component regression on a batch, and its comparison before/after integration."""

from __future__ import annotations

import warnings

import numpy as np

from .encoding import encode


def principal_component_regression(X: np.ndarray, covariate: np.ndarray) -> float:
    """Variance of ``X`` explained by a categorical covariate through its principal components.

    Definition (:func:`scib_metrics.utils.principal_component_regression`, scib-metrics
    0.5.10, ``categorical=True`` and every component, as ``pcr_comparison`` calls it;
    Büttner et al. 2018): regress each principal component of ``X`` on the centred
    one-hot covariate, and weight its R² by the component's variance:
    ``sum_j R²_j var_j / sum_j var_j``.

    With every component kept this equals, exactly, the between-group share of the
    total sum of squares of the centred ``X``: ``R²_j var_j`` is the between-group sum of
    squares of component j (up to the common ``1 / (n - 1)``), and both sums are
    invariant to the rotation onto the components. So it is computed from group means in
    float64, without an SVD.

    Returns
    -------
    float in [0, 1].
    """
    X = np.asarray(X, dtype=np.float64)
    codes, cats = encode(covariate)
    centred = X - X.mean(axis=0)
    total = float(np.einsum("ij,ij->", centred, centred))
    if total == 0:
        return 0.0
    sizes = np.bincount(codes, minlength=cats.size).astype(np.float64)
    sums = np.zeros((cats.size, X.shape[1]))
    np.add.at(sums, codes, centred)
    between = float(((sums**2).sum(axis=1) / sizes).sum())
    return min(1.0, max(0.0, between / total))


def pcr_comparison(X_pre: np.ndarray, X_post: np.ndarray, batch: np.ndarray) -> float:
    """PCR comparison: how much of the batch's share of variance integration removed.

    Definition (:func:`scib_metrics.pcr_comparison`, scib-metrics 0.5.10, ``scale=True``,
    batch categorical, as the Benchmarker calls it with the PCA of the unintegrated data
    as ``X_pre``): ``(pcr_pre - pcr_post) / pcr_pre`` with
    :func:`principal_component_regression`, set to 0 (with a warning, as scib-metrics
    does) when negative, i.e. when integration increased the batch's share.

    Returns
    -------
    float in [0, 1]; higher is better. NaN when the batch explains nothing of ``X_pre``.
    """
    X_pre, X_post = np.asarray(X_pre), np.asarray(X_post)
    if X_pre.shape[0] != X_post.shape[0] or np.shape(batch)[0] != X_pre.shape[0]:
        raise ValueError(
            f"X_pre ({X_pre.shape[0]} cells), X_post ({X_post.shape[0]}) and batch "
            f"({np.shape(batch)[0]}) must have the same number of cells"
        )
    pre = principal_component_regression(X_pre, batch)
    if pre == 0:
        return float("nan")
    post = principal_component_regression(X_post, batch)
    score = (pre - post) / pre
    if score < 0:
        warnings.warn(
            "PCR comparison is negative (the batch explains more variance after integration); set to 0",
            stacklevel=2,
        )
        score = 0.0
    return float(score)
