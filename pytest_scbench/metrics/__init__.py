"""Metrics: pure functions of arrays, each documented with its definition and source.

Families: :mod:`.clustering` (ARI, NMI), :mod:`.silhouette` (label and batch ASW),
:mod:`.classification` (accuracy, macro F1/precision/recall, OvR AUROC),
:mod:`.neighborhood` (entropy per cell, LISI, kBET, graph connectivity, on a shared kNN
graph), :mod:`.expression` (MSE, MAE, Pearson, Jaccard). :mod:`.value` holds the
direction-carrying :class:`MetricValue`.
"""

from .classification import ClassificationScores, classification_scores, macro_auroc_ovr
from .clustering import adjusted_rand_index, normalized_mutual_info
from .encoding import encode
from .expression import jaccard, mae, mse, pearson, top_k
from .kbet import KbetScore, cells_tested_per_label, kbet_per_label
from .kmeans import nmi_ari_cluster_labels_kmeans
from .neighborhood import (
    clisi,
    entropy_per_cell,
    graph_connectivity,
    ilisi,
    kbet_acceptance,
    kbet_within_label_knn,
    lisi,
    lisi_weights,
)
from .pcr import pcr_comparison, principal_component_regression
from .silhouette import bras, isolated_labels, silhouette_batch, silhouette_label
from .value import HIGHER, LOWER, Direction, MetricValue, higher, lower

__all__ = [
    "HIGHER",
    "KbetScore",
    "LOWER",
    "ClassificationScores",
    "Direction",
    "MetricValue",
    "adjusted_rand_index",
    "bras",
    "cells_tested_per_label",
    "classification_scores",
    "clisi",
    "encode",
    "entropy_per_cell",
    "graph_connectivity",
    "higher",
    "ilisi",
    "isolated_labels",
    "jaccard",
    "kbet_acceptance",
    "kbet_per_label",
    "kbet_within_label_knn",
    "lisi",
    "lisi_weights",
    "lower",
    "macro_auroc_ovr",
    "mae",
    "mse",
    "nmi_ari_cluster_labels_kmeans",
    "normalized_mutual_info",
    "pcr_comparison",
    "pearson",
    "principal_component_regression",
    "silhouette_batch",
    "silhouette_label",
    "top_k",
]
