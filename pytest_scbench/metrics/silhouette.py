"""Silhouette widths: label silhouette (bio conservation) and batch silhouette (mixing).

Distances are Euclidean, computed block by block as ``sqrt(|x|^2 + |y|^2 - 2 x.y)`` in
the input's floating dtype (float32 embeddings stay float32, as in scib-metrics' JAX
code; float64 inputs are computed in float64, which is how the reference tests reach
1e-6 against scikit-learn and scib-metrics). Memory stays at one block of
``~_BLOCK_ENTRIES`` distances whatever the number of cells. With a metric device
selected (:mod:`.backend`) the same blocks are computed with torch there.

Exact silhouettes cost O(n^2) distances. With ``sample_size`` set and smaller than the
number of cells, the silhouette of a seeded random subset of cells (stratified by label)
is computed exactly against *all* cells, and label means are weighted by label size: an
unbiased estimate of the exact value with a standard error ~ std(s) / sqrt(sample_size).
With ``reference_size`` set too (label silhouette), the mean distances to each label are
taken over a seeded label-stratified subset of that many cells instead of all of them:
each mean is then itself an estimate over thousands of cells per label. At a million
cells, 200,000 reference cells cost a fifth of the distances (13 s instead of 127 s) and
moved the score by 0.0002, no more than a new seed of the scored cells does
(benchmarks/README.md).
"""

from __future__ import annotations

import numpy as np

from .encoding import encode

_BLOCK_ENTRIES = 1 << 23  # distances held at once (32 MiB in float32)


def _float(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return np.ascontiguousarray(X)


def group_distance_sums(
    X: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    rows: np.ndarray | None = None,
    metric: str = "euclidean",
) -> np.ndarray:
    """Sum of distances from each row cell to the cells of each group.

    Parameters
    ----------
    X
        Array of shape (n_cells, n_features).
    codes
        Group code of every cell, shape (n_cells,), in ``0..n_groups-1``.
    n_groups
        Number of groups.
    rows
        Indices of the cells whose sums are wanted (default: all).
    metric
        ``"euclidean"`` or ``"cosine"`` (``1 - x.y / (|x| |y|)``, clipped to [0, 2], as
        scib-metrics' ``cdist``; NaN for an all-zero row, which scores 0 downstream).

    Returns
    -------
    float64 array of shape (len(rows), n_groups).
    """
    if metric not in ("euclidean", "cosine"):
        raise ValueError(f"unknown metric {metric!r}; use 'euclidean' or 'cosine'")
    X = _float(X)
    rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
    if metric == "cosine":
        with np.errstate(divide="ignore", invalid="ignore"):
            X = X / np.sqrt(np.einsum("ij,ij->i", X, X))[:, None]
    from .backend import group_distance_sums as on_device
    from .backend import metric_device

    device = metric_device()
    if device is not None:
        return on_device(X, codes, n_groups, rows, metric, device)
    sq = np.einsum("ij,ij->i", X, X)
    onehot = np.zeros((X.shape[0], n_groups), dtype=X.dtype)
    onehot[np.arange(X.shape[0]), codes] = 1
    out = np.empty((rows.size, n_groups), dtype=np.float64)
    block = max(1, _BLOCK_ENTRIES // max(X.shape[0], 1))
    for start in range(0, rows.size, block):
        r = rows[start : start + block]
        d = X[r] @ X.T
        if metric == "cosine":
            np.subtract(1, d, out=d)
            np.clip(d, 0, 2, out=d)
        else:
            d *= -2
            d += sq[r, None]
            d += sq[None, :]
            np.maximum(d, 0, out=d)
            np.sqrt(d, out=d)
        d[np.arange(r.size), r] = 0  # exact zero self-distance despite rounding
        out[start : start + r.size] = d @ onehot
    return out


def silhouette_from_sums(
    sums: np.ndarray, own: np.ndarray, sizes: np.ndarray, between: str = "nearest"
) -> np.ndarray:
    """Per-cell silhouette ``(b - a) / max(a, b)`` from group distance sums.

    ``a`` is the mean distance to the other cells of the cell's own group. ``b``, with
    ``between="nearest"`` (the standard definition), the smallest mean distance to
    another group; with ``"mean_other"`` (BRAS), the mean distance to all cells of the
    other groups together. Cells alone in their group, and 0/0 cases, get 0
    (scikit-learn's and scib-metrics' rule).
    """
    if between not in ("nearest", "mean_other"):
        raise ValueError(f"unknown between-cluster rule {between!r}; use 'nearest' or 'mean_other'")
    idx = np.arange(sums.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        a = sums[idx, own] / (sizes[own] - 1)
        if between == "mean_other":
            b = (sums.sum(axis=1) - sums[idx, own]) / (sizes.sum() - sizes[own])
        else:
            means = sums / sizes[None, :]
            means[idx, own] = np.inf
            means[:, sizes == 0] = np.inf
            b = means.min(axis=1)
        s = (b - a) / np.maximum(a, b)
    return np.nan_to_num(s, nan=0.0, posinf=0.0, neginf=0.0)


def stratified_rows(codes: np.ndarray, sample_size: int | None, seed: int) -> np.ndarray | None:
    """A seeded subset of about ``sample_size`` cells, proportional per group (>= 1 each).

    ``None`` when no subsampling is needed (``sample_size`` unset or >= the cell count).
    """
    n = codes.shape[0]
    if sample_size is None or sample_size >= n:
        return None
    rng = np.random.default_rng(seed)
    picked = []
    for g in np.unique(codes):
        members = np.flatnonzero(codes == g)
        take = max(1, int(round(sample_size * members.size / n)))
        picked.append(rng.choice(members, size=min(take, members.size), replace=False))
    return np.sort(np.concatenate(picked))


def silhouette_label(
    X: np.ndarray,
    labels: np.ndarray,
    rescale: bool = True,
    sample_size: int | None = None,
    seed: int = 0,
    reference_size: int | None = None,
) -> float:
    """Average silhouette width (ASW) of the cell labels.

    Definition: mean over cells of ``(b - a) / max(a, b)`` with Euclidean distances
    (:func:`sklearn.metrics.silhouette_score`), rescaled to ``(asw + 1) / 2`` as
    :func:`scib_metrics.silhouette_label` does (Luecken et al. 2022). Defaults match
    scib-metrics (euclidean, rescaled).

    Parameters
    ----------
    X
        Array of shape (n_cells, n_features).
    labels
        Array of shape (n_cells,), label values.
    rescale
        Scale into [0, 1] as ``(asw + 1) / 2``.
    sample_size
        Compute the silhouette of at most this many cells (seeded, stratified by label,
        each against all cells) and weight label means by label size; None: exact.
    seed
        Seed of the subsamples.
    reference_size
        Measure mean distances to each label over a seeded, label-stratified subset of
        at most this many cells (the scored cells are drawn from it); None: all cells.

    Returns
    -------
    float in [0, 1] when rescaled ([-1, 1] otherwise). Higher is better.
    """
    codes, cats = encode(labels)
    sizes = np.bincount(codes, minlength=cats.size).astype(np.float64)
    reference = stratified_rows(codes, reference_size, seed + 1)
    if reference is not None:
        X, ref_codes = _float(X)[reference], codes[reference]
    else:
        ref_codes = codes
    ref_sizes = np.bincount(ref_codes, minlength=cats.size).astype(np.float64)
    rows = stratified_rows(ref_codes, sample_size, seed)
    sums = group_distance_sums(X, ref_codes, cats.size, rows)
    own = ref_codes if rows is None else ref_codes[rows]
    s = silhouette_from_sums(sums, own, ref_sizes)
    if rows is None and reference is None:
        asw = float(s.mean())
    else:
        per_label = np.bincount(own, weights=s, minlength=cats.size) / np.maximum(
            np.bincount(own, minlength=cats.size), 1
        )
        asw = float((per_label * sizes).sum() / sizes.sum())
    return (asw + 1) / 2 if rescale else asw


def silhouette_batch(
    X: np.ndarray,
    labels: np.ndarray,
    batch: np.ndarray,
    rescale: bool = True,
    sample_size: int | None = None,
    seed: int = 0,
    metric: str = "euclidean",
    between: str = "nearest",
) -> float:
    """Batch ASW within labels: how well batches mix inside each cell type.

    Definition (:func:`scib_metrics.silhouette_batch`, Luecken et al. 2022): for each label
    with more than one batch and fewer batches than cells, the silhouette of every cell of
    that label with its batch as cluster, computed among that label's cells only; each
    score becomes ``1 - |s|`` (rescale); the mean per label, then the mean over labels.
    Defaults match scib-metrics (euclidean, nearest cluster, rescaled).

    Parameters
    ----------
    X
        Array of shape (n_cells, n_features).
    labels, batch
        Arrays of shape (n_cells,).
    rescale
        Use ``1 - |s|`` (higher is better); otherwise the raw per-label mean of ``|s|``.
    sample_size
        At most about this many cells get a silhouette (seeded, proportional per label,
        each against all cells of its label); None: exact.
    seed
        Seed of that subsample.
    metric, between
        Distance and between-cluster rule (:func:`group_distance_sums`,
        :func:`silhouette_from_sums`); :func:`bras` sets ``"cosine"``, ``"mean_other"``.

    Returns
    -------
    float in [0, 1]; 1 means batches are perfectly mixed within labels. Higher is better
    (when rescaled). NaN when no label has two batches.
    """
    X = _float(X)
    label_codes, label_cats = encode(labels)
    batch_codes, _ = encode(batch)
    n = label_codes.shape[0]
    means = []
    for g in range(label_cats.size):
        members = np.flatnonzero(label_codes == g)
        b_codes, b_cats = encode(batch_codes[members])
        if b_cats.size == 1 or b_cats.size == members.size:
            continue
        quota = None if sample_size is None else max(1, int(round(sample_size * members.size / n)))
        rows = stratified_rows(np.zeros(members.size, dtype=np.int64), quota, seed + g)
        sizes = np.bincount(b_codes, minlength=b_cats.size).astype(np.float64)
        sums = group_distance_sums(X[members], b_codes, b_cats.size, rows, metric)
        own = b_codes if rows is None else b_codes[rows]
        s = np.abs(silhouette_from_sums(sums, own, sizes, between))
        if rescale:
            s = 1 - s
        means.append(float(s.mean()))
    return float(np.mean(means)) if means else float("nan")


def bras(
    X: np.ndarray,
    labels: np.ndarray,
    batch: np.ndarray,
    sample_size: int | None = None,
    seed: int = 0,
) -> float:
    """Batch removal adapted silhouette (BRAS; Rautenstrauch and Ohler 2025).

    Definition (:func:`scib_metrics.bras`, scib-metrics 0.5.10, the Benchmarker's default
    batch score since 0.5.6): :func:`silhouette_batch` with cosine distances and, as the
    between-cluster distance ``b``, the mean distance to every cell of the label's other
    batches ("mean_other") instead of the nearest batch's; ``1 - |s|`` per cell, the mean
    per label, then over labels. ``sample_size`` as in :func:`silhouette_batch` (None:
    exact).

    Returns
    -------
    float in [0, 1]; higher is better (batches mixed within cell types). NaN when no
    label has two batches.
    """
    return silhouette_batch(
        X, labels, batch, rescale=True, sample_size=sample_size, seed=seed, metric="cosine", between="mean_other"
    )


def isolated_labels(
    X: np.ndarray,
    labels: np.ndarray,
    batch: np.ndarray,
    iso_threshold: int | None = None,
    sample_size: int | None = None,
    seed: int = 0,
) -> tuple[float, list[str]]:
    """Isolated-label silhouette (Luecken et al. 2022), as :func:`scib_metrics.isolated_labels`.

    Definition (scib-metrics 0.5.10, rescaled): the isolated labels are those present in
    at most ``iso_threshold`` batches (default: the fewest batches any label is present
    in); each cell's label silhouette (Euclidean, nearest other label, among all cells),
    rescaled to ``(s + 1) / 2``; the mean per isolated label, then over them. (scib's
    original F1-of-clusters variant is not what scib-metrics computes.)

    ``sample_size``: silhouettes of a seeded label-stratified sample of cells, each
    against all cells (None: exact).

    Returns
    -------
    (score in [0, 1], higher is better; NaN when no label is isolated), the isolated labels.
    """
    codes, cats = encode(labels)
    batch_codes, _ = encode(batch)
    pairs = np.unique(np.stack([codes, batch_codes]), axis=1)
    batches_per_label = np.bincount(pairs[0], minlength=cats.size)
    threshold = int(batches_per_label.min()) if iso_threshold is None else iso_threshold
    isolated = np.flatnonzero(batches_per_label <= threshold)
    if isolated.size == 0:
        return float("nan"), []
    sizes = np.bincount(codes, minlength=cats.size).astype(np.float64)
    rows = stratified_rows(codes, sample_size, seed)
    if rows is not None:
        # the isolated labels' cells only need a silhouette
        rows = rows[np.isin(codes[rows], isolated)]
    else:
        rows = np.flatnonzero(np.isin(codes, isolated))
    sums = group_distance_sums(X, codes, cats.size, rows)
    own = codes[rows]
    s = (silhouette_from_sums(sums, own, sizes) + 1) / 2
    per_label = np.bincount(own, weights=s, minlength=cats.size) / np.maximum(np.bincount(own, minlength=cats.size), 1)
    return float(per_label[isolated].mean()), [str(cats[g]) for g in isolated]
