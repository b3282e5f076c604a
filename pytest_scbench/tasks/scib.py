"""``scib``: scib-metrics' Benchmarker table for one embedding, with its aggregate scores.

The metrics and defaults of :class:`scib_metrics.benchmark.Benchmarker` (scib-metrics
0.5.10, ``BioConservation()`` and ``BatchCorrection()`` as they come) on the shared exact
kNN graph, and the aggregates of its ``get_results()``.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np

from ..metrics import (
    bras,
    clisi,
    graph_connectivity,
    higher,
    ilisi,
    isolated_labels,
    kbet_per_label,
    lisi_weights,
    nmi_ari_cluster_labels_kmeans,
    pcr_comparison,
    silhouette_label,
)
from ..metrics.kbet import KBET_NEIGHBORS, cells_tested_per_label
from ..registry import register_task
from .base import Task, TaskInputs, TaskResult
from .common import (
    CONTROL_MAX_CELLS,
    Encoded,
    control_details,
    control_embedding,
    control_graph,
    control_rows,
    embedding,
    encoded,
    graph,
    kbet_details,
    neighbourhoods,
    positive_controls,
    require_groups,
)

#: The Benchmarker's bio-conservation metrics (our names), in its order.
BIO = ("isolated_labels", "kmeans_nmi", "kmeans_ari", "silhouette_label", "clisi")
#: Its batch-correction metrics.
BATCH = ("bras", "ilisi", "kbet", "graph_connectivity", "pcr_comparison")
#: Weights of the total score (scib's, Luecken et al. 2022).
BIO_WEIGHT, BATCH_WEIGHT = 0.6, 0.4
#: Neighbours of the LISI scores (the Benchmarker's 90: 3 x perplexity 30).
LISI_NEIGHBORS = 90
#: Components of the unintegrated PCA computed from the counts (scanpy's default).
PCA_COMPONENTS = 50


def aggregate(scores: dict[str, float]) -> dict[str, float]:
    """``bio_conservation``, ``batch_correction`` and ``total`` of one embedding's metrics.

    As ``Benchmarker.get_results()`` computes them with its default
    ``min_max_scale=False``: the mean of the metrics of each kind that were computed
    (pandas skips missing ones), and ``total = 0.6 bio + 0.4 batch``. Without min-max
    scaling every value depends on this embedding only, so it can be gated by itself; the
    Benchmarker's ``min_max_scale=True`` rescales each metric across the embeddings
    compared and has no per-embedding value.
    """
    out: dict[str, float] = {}
    for name, members in (("bio_conservation", BIO), ("batch_correction", BATCH)):
        values = [scores[m] for m in members if m in scores and np.isfinite(scores[m])]
        if values:
            out[name] = float(np.mean(values))
    if "bio_conservation" in out and "batch_correction" in out:
        out["total"] = BATCH_WEIGHT * out["batch_correction"] + BIO_WEIGHT * out["bio_conservation"]
    return out


def unintegrated(inputs: TaskInputs) -> tuple[np.ndarray | None, str]:
    """The unintegrated embedding PCR comparison starts from, and where it came from.

    ``obsm["X_pca"]`` of the data set when it has one; otherwise the PCA of its
    expression, as the Benchmarker's ``prepare()`` computes it (``sc.tl.pca``, 50
    components, arpack, all genes) after scanpy's ``normalize_total`` (1e4) and
    ``log1p`` of the counts our data sets hold; None (with the reason) when the data set
    has neither.
    """
    adata = inputs.dataset.adata
    if "X_pca" in adata.obsm:
        X_pre = np.asarray(adata.obsm["X_pca"], dtype=np.float64)
        if X_pre.ndim == 2 and X_pre.shape[0] == adata.n_obs and np.isfinite(X_pre).all():
            return X_pre, "obsm['X_pca'] of the data set"
        return None, "the data set's obsm['X_pca'] is not a finite (cells x components) array"
    if adata.X is None or adata.n_vars < 2:
        return None, "the data set holds no expression (X) and no obsm['X_pca'] to compare with"
    import scanpy as sc

    from ..models.preprocess import counts_float, log_normalize

    log = log_normalize(counts_float(adata))
    n_comps = min(PCA_COMPONENTS, min(log.shape) - 1)
    if n_comps < 1:
        return None, f"the data set's X ({log.shape[0]} x {log.shape[1]}) is too small for a PCA"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sc.tl.pca(log, n_comps=n_comps, svd_solver="arpack", use_highly_variable=False)
    except (ValueError, ArithmeticError, RuntimeError) as exc:  # ARPACK on degenerate data
        return None, f"the PCA of the data set's X failed ({type(exc).__name__}: {exc})"
    if not np.isfinite(log.obsm["X_pca"]).all():
        return None, "the PCA of the data set's X is not finite"
    return np.asarray(log.obsm["X_pca"], dtype=np.float64), f"PCA ({n_comps} components) of the log-normalised X"


@register_task("scib")
class Scib(Task):
    """scib-metrics' Benchmarker metrics of one embedding (all higher is better, in [0, 1]).

    Bio conservation: ``isolated_labels`` (isolated-label silhouette), ``kmeans_nmi`` and
    ``kmeans_ari`` (KMeans with k = number of labels, seeded by the case seed),
    ``silhouette_label``, ``clisi`` (90 neighbours, perplexity 30). Batch correction:
    ``bras``, ``ilisi``, ``kbet`` (scib-metrics' ``kbet_per_label`` on the 50-NN graph),
    ``graph_connectivity`` (15 neighbours), ``pcr_comparison`` (against the data set's
    PCA, see :func:`unintegrated`; left out, with the reason in ``details``, when the data
    set has no expression). Aggregates: ``bio_conservation``, ``batch_correction``,
    ``total`` (:func:`aggregate`).

    Every metric is exact up to ``max_cells`` (100,000) cells; above, the silhouettes
    (isolated labels, silhouette label, BRAS) are computed for a seeded label-stratified
    sample of ``sample_cells`` (20,000) cells against all cells, LISI averages over the
    exact neighbourhoods of such a sample, kBET tests ``sample_cells`` cells shared
    equally between the labels (standard error in ``details["kbet_standard_error"]``),
    and kBET and graph connectivity use the approximate (IVF) shared graph;
    ``details["exact"]`` says which, and
    ``details["approximation"]`` what was approximated.

    Neighbours are exact where the Benchmarker's are pynndescent's (approximate); on
    embeddings where the two graphs coincide every deterministic metric equals the
    Benchmarker's (README, "Tasks and their metrics").

    Controls: the same on a random embedding (negative) and on the two embeddings of the
    labels themselves (positive, :func:`~.common.positive_control_embeddings`), for a
    label-stratified subset of at most ``control_max_cells`` (5,000) cells; ``details``
    hold the positive controls' metrics and every metric scaled between the controls.
    """

    name = "scib"
    requires_outputs = frozenset({"embedding"})
    requires_keys = frozenset({"label", "batch"})
    headlines = ("total", "bio_conservation", "batch_correction")
    aggregates = ("bio_conservation", "batch_correction", "total")
    defaults: dict[str, Any] = {
        "max_cells": 100_000,
        "sample_cells": 20_000,
        "pcr_comparison": True,
        "controls": True,
        "control_max_cells": CONTROL_MAX_CELLS,
    }
    minimums: ClassVar[dict[str, int]] = {
        "max_cells": 1,
        "sample_cells": 1,
        "control_max_cells": 2,
    }

    def metric_names(self) -> frozenset[str]:
        return frozenset({*BIO, *BATCH, *self.aggregates})

    def run(self, inputs: TaskInputs) -> TaskResult:
        X = embedding(inputs, self.name)
        labels = encoded(inputs, self.name, "label")
        batch = encoded(inputs, self.name, "batch")
        require_groups(inputs, self.name, labels)
        require_groups(inputs, self.name, batch)
        sample_cells = self.params["sample_cells"]
        exact = X.shape[0] <= self.params["max_cells"]
        details: dict[str, Any] = {"exact": exact}
        if not exact:
            details["approximation"] = (
                f"silhouettes of {sample_cells} sampled cells against all cells (at 1,000,000 cells the "
                "label silhouette moved by 0.0002); LISI on the exact neighbourhoods of such a sample; "
                f"kBET testing {sample_cells} cells shared between the labels (kbet_standard_error); "
                "kBET and graph connectivity on the IVF graph (knn_graph: its recall)"
            )
        X_pre = None
        if self.params["pcr_comparison"]:
            X_pre, source = unintegrated(inputs)
            details["pcr_comparison_reference" if X_pre is not None else "pcr_comparison_skipped"] = source
        knn = graph(inputs, X, KBET_NEIGHBORS)
        near = neighbourhoods(inputs, X, LISI_NEIGHBORS, labels.codes, sample_cells)
        sample = None if exact else sample_cells
        scores, more = self.score(X, X_pre, knn, near, labels, batch, inputs.seed, sample)
        details.update(more)
        details["knn_graph"] = knn.report
        controls: dict[str, float] = {}
        if self.params["controls"]:
            rows = control_rows(labels.codes, self.params["control_max_cells"], inputs.seed)
            Xc = control_embedding((rows.size, X.shape[1]), inputs.seed)
            codes, control_batch = labels.take(rows), batch.take(rows)
            control_pre = None if X_pre is None else X_pre[rows]
            controls, _ = self.score(
                Xc,
                control_pre,
                control_graph(Xc, KBET_NEIGHBORS, inputs.seed),
                neighbourhoods(inputs, Xc, LISI_NEIGHBORS, codes.codes, sample_cells, control=True),
                codes,
                control_batch,
                inputs.seed,
                None,
            )
            controls = {name: value for name, value in controls.items() if name in scores}

            def score_positive(kind: str, Xp: np.ndarray) -> dict[str, float]:
                # at most control_max_cells cells: one exact graph serves every neighbourhood
                knn_p = control_graph(Xp, max(KBET_NEIGHBORS, LISI_NEIGHBORS), inputs.seed, kind)
                values, _ = self.score(Xp, control_pre, knn_p, knn_p, codes, control_batch, inputs.seed, None)
                return {name: value for name, value in values.items() if name in scores}

            positive = positive_controls(codes.codes, inputs.seed, score_positive)
            details.update(control_details(scores, controls, positive))
        return TaskResult(
            metrics={name: higher(value) for name, value in scores.items()},
            details=details,
            controls=controls,
        )

    def score(
        self,
        X: np.ndarray,
        X_pre: np.ndarray | None,
        knn: Any,
        near: Any,
        labels: Encoded,
        batch: Encoded,
        seed: int,
        sample: int | None,
    ) -> tuple[dict[str, float], dict[str, Any]]:
        """Every metric of one embedding and the aggregates; undefined (NaN) ones left out.

        ``sample``: cells the silhouettes are computed for (None: every cell, exact).
        """
        lisi_graph = near.with_k(LISI_NEIGHBORS)
        weights = lisi_weights(lisi_graph)
        iso, iso_labels = isolated_labels(X, labels.codes, batch.codes, sample_size=sample, seed=seed)
        kmeans = nmi_ari_cluster_labels_kmeans(X, labels.codes, seed=seed)
        kbet = kbet_per_label(
            knn.with_k(KBET_NEIGHBORS), labels.codes, batch.codes,
            max_tested=cells_tested_per_label(sample, labels.n), seed=seed,
        )
        scores = {
            "isolated_labels": iso,
            "kmeans_nmi": kmeans["nmi"],
            "kmeans_ari": kmeans["ari"],
            "silhouette_label": silhouette_label(X, labels.codes, sample_size=sample, seed=seed),
            "clisi": clisi(lisi_graph, labels.codes, weights=weights),
            "bras": bras(X, labels.codes, batch.codes, sample_size=sample, seed=seed),
            "ilisi": ilisi(lisi_graph, batch.codes, weights=weights),
            "kbet": kbet.score,
            "graph_connectivity": graph_connectivity(knn.with_k(15), labels.codes),
        }
        if X_pre is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a negative comparison is set to 0, as documented
                scores["pcr_comparison"] = pcr_comparison(X_pre, X, batch.codes)
        scores = {name: float(value) for name, value in scores.items() if np.isfinite(value)}
        scores.update(aggregate(scores))
        names = labels.categories
        details = {
            "isolated_labels": [str(names[int(code)]) for code in iso_labels],
            **kbet_details(kbet, names),
            "graph": knn.method,
        }
        return scores, details
