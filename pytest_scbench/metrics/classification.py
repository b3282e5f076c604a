"""Scores of a classifier's predictions: accuracy, macro F1/precision/recall, OvR AUROC.

All functions take integer class codes (``0..n_classes-1``, see :func:`.encoding.encode`);
they reproduce scikit-learn's definitions with ``zero_division=0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata


@dataclass(frozen=True)
class ClassificationScores:
    """The scores of one set of predictions (one fold of one classifier).

    ``per_class_f1`` is indexed by class code; NaN for a class absent from both ``y_true``
    and ``y_pred`` (it enters no macro average, as in scikit-learn).
    """

    accuracy: float
    macro_f1: float
    macro_precision: float
    macro_recall: float
    macro_auroc: float
    per_class_f1: np.ndarray


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion matrix ``C[i, j]`` = number of cells of class i predicted as j."""
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class_precision_recall_f1(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall, F1 and a mask of the classes that count.

    A class counts when it occurs in ``y_true`` or ``y_pred`` (scikit-learn's default
    ``labels=None``). Undefined ratios (0/0) are 0 (``zero_division=0``).
    """
    cm = confusion(y_true, y_pred, n_classes)
    tp = np.diag(cm).astype(np.float64)
    pred = cm.sum(axis=0).astype(np.float64)
    true = cm.sum(axis=1).astype(np.float64)
    present = (pred + true) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred > 0, tp / pred, 0.0)
        recall = np.where(true > 0, tp / true, 0.0)
        f1 = np.where(pred + true > 0, 2 * tp / (pred + true), 0.0)
    return precision, recall, f1, present


def macro_auroc_ovr(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Macro-averaged one-vs-rest area under the ROC curve.

    Definition: for each class c occurring in ``y_true``, the AUROC of ``proba[:, c]`` for
    "is c" vs "is not c", computed as the Mann-Whitney U statistic with average ranks for
    ties (identical to the trapezoidal ROC area of :func:`sklearn.metrics.roc_auc_score`);
    the unweighted mean over classes (``multi_class="ovr", average="macro"``). Classes
    present in ``y_true`` with no negative cells are skipped (AUROC undefined).

    Parameters
    ----------
    y_true
        Class codes, shape (n_cells,).
    proba
        Scores, shape (n_cells, n_classes); column c scores class code c.

    Returns
    -------
    float in [0, 1]; 0.5 is chance. Higher is better. NaN when no class qualifies.
    """
    n = y_true.shape[0]
    aucs = []
    for c in np.unique(y_true):
        positive = y_true == c
        n_pos = int(positive.sum())
        n_neg = n - n_pos
        if n_neg == 0:
            continue
        ranks = rankdata(proba[:, c])
        u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
        aucs.append(u / (n_pos * n_neg))
    return float(np.mean(aucs)) if aucs else float("nan")


def classification_scores(
    y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray, n_classes: int
) -> ClassificationScores:
    """All scores of one set of predictions.

    Parameters
    ----------
    y_true, y_pred
        Class codes, shape (n_cells,), in ``0..n_classes-1``.
    proba
        Predicted class probabilities, shape (n_cells, n_classes).
    n_classes
        Number of classes (the width of ``proba``).

    Returns
    -------
    :class:`ClassificationScores`: accuracy (``accuracy_score``), macro F1, precision and
    recall (``average="macro", zero_division=0`` over classes in ``y_true`` or ``y_pred``)
    and macro OvR AUROC (see :func:`macro_auroc_ovr`). All in [0, 1], higher is better.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    precision, recall, f1, present = per_class_precision_recall_f1(y_true, y_pred, n_classes)
    return ClassificationScores(
        accuracy=float(np.mean(y_true == y_pred)),
        macro_f1=float(f1[present].mean()),
        macro_precision=float(precision[present].mean()),
        macro_recall=float(recall[present].mean()),
        macro_auroc=macro_auroc_ovr(y_true, proba),
        per_class_f1=np.where(present, f1, np.nan),
    )
