"""``label_prediction``: cross-validated classifiers predict the labels from the embedding."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, ClassVar

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ..metrics import classification_scores, higher
from ..metrics.classification import ClassificationScores
from ..registry import register_task
from .base import Task, TaskInputs, TaskResult
from .common import control_details, control_embedding, embedding, encoded, fail, positive_controls
from .params import check_choices

#: Score names, in the order reported; metric names are ``<classifier>_<score>`` and
#: ``mean_<score>`` (the mean over the classifiers run).
SCORES = ("accuracy", "macro_f1", "macro_precision", "macro_recall", "macro_auroc")
CLASSIFIERS = ("lr", "knn", "rf")
#: What the subset above ``max_cells`` is and its measured error (benchmarks/README.md).
SUBSET_ERROR = (
    "classifiers trained and scored on a seeded class-stratified subset of sample_cells cells: "
    "at 1,000,000 realistic cells, 20,000 scored 0.0001 to 0.0034 lower than a 100,000-cell subset "
    "(fewer training cells; mean accuracy -0.0018, seed-to-seed spread 0.0005) in 25 s instead of 190 s"
)


def make_classifier(
    name: str, seed: int, rf_trees: int = 100, rf_max_samples: int | None = None
) -> ClassifierMixin:
    """A fresh, seeded classifier, exactly as cz-benchmarks' label prediction builds it.

    cz-benchmarks 0.15.1, ``czbenchmarks.tasks.label_prediction.MetadataLabelPredictionTask``:
    ``lr``: ``StandardScaler(with_mean=False)`` then ``LogisticRegression()`` with
    scikit-learn's defaults (lbfgs, L2, C=1, ``max_iter`` 100: what the fit reached by
    then is scored, as there); ``knn``: the same scaling then ``KNeighborsClassifier()``
    (5 neighbours, uniform weights); ``rf``: ``RandomForestClassifier(random_state=seed)``
    (100 full-depth trees, each on a bootstrap sample of all training cells), run on
    every CPU core (``n_jobs=-1``: the trees do not depend on the thread count).

    ``rf_trees`` and ``rf_max_samples`` (scikit-learn's ``n_estimators`` and
    ``max_samples``) change that definition: opt-in only, see the README for the
    measured difference.
    """
    if name == "lr":
        return Pipeline([("scaler", StandardScaler(with_mean=False)), ("lr", LogisticRegression())])
    if name == "knn":
        return Pipeline([("scaler", StandardScaler(with_mean=False)), ("knn", KNeighborsClassifier())])
    if name == "rf":
        return RandomForestClassifier(
            n_estimators=rf_trees, max_samples=rf_max_samples, random_state=seed, n_jobs=-1
        )
    raise ValueError(f"unknown classifier {name!r}")


def classifier_threads(name: str) -> contextlib.AbstractContextManager[object]:
    """The BLAS threads a classifier fits and predicts with: one, except for the forest.

    lbfgs stopped at 100 iterations lands elsewhere when BLAS sums in another order
    (predicted probabilities moved by up to 0.36 between one and two BLAS threads on 20,000
    cells), so logistic regression and kNN run on one BLAS thread and fit the same on every
    machine; OpenBLAS' threads made these small products 3x slower, not faster. The forest
    spreads its trees over every core itself and its trees do not depend on the count.
    """
    if name == "rf":
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def fit_classifier(model: ClassifierMixin, X: np.ndarray, y: np.ndarray) -> ClassifierMixin:
    """Fit ``model``, without scikit-learn's warning when lbfgs stops at ``max_iter``.

    The benchmark's classifiers are fixed by definition (a user cannot act on the
    warning), and what the fit reached is what is scored, as in cz-benchmarks.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@register_task("label_prediction")
class LabelPrediction(Task):
    """Predict the labels with cross-validated classifiers, as cz-benchmarks does.

    The definition of cz-benchmarks 0.15.1's label prediction task
    (``MetadataLabelPredictionTask``) with its defaults: classes with fewer than
    ``min_class_size`` (10) cells are dropped (listed in ``details``); the rest are split
    into ``n_folds`` (5) ``StratifiedKFold(shuffle=True, random_state=seed)`` folds of
    the class codes (classes sorted by name, as ``pd.Categorical`` sorts them); each
    classifier of ``classifiers`` (``lr``, ``knn``, ``rf``; see :func:`make_classifier`)
    is trained on each fold's training part and scored on its test part. Every score is
    the mean over folds (cz-benchmarks' ``mean_fold_*``).

    Metrics (all higher is better, in [0, 1]): ``<clf>_accuracy``, ``<clf>_macro_f1``,
    ``<clf>_macro_precision``, ``<clf>_macro_recall``, ``<clf>_macro_auroc`` for each
    classifier (cz-benchmarks' ``mean_fold_accuracy``, ``mean_fold_f1``, ...
    with ``classifier=<clf>``), and ``mean_<score>``, the mean over classifiers (its
    ``classifier=MEAN(knn,lr,rf)``). Accuracy and AUROC (one-vs-rest, macro) are
    cz-benchmarks'; F1, precision and recall average over classes unweighted
    (``zero_division=0``), also with two classes, where cz-benchmarks reports the
    positive class's (``average="binary"``): hence ``macro_`` in their names.
    ``details["per_class_f1"][clf][label]`` is each class's F1, mean over folds.

    Up to ``max_cells`` (100,000) cells every cell is scored (``details["exact"]``).
    Above, the task runs on a seeded class-stratified subset of ``sample_cells``
    (20,000) cells (``details["n_cells"]`` says how many were scored, and
    ``details["approximation"]`` what the subset is and its measured error): five folds of
    full forests on every cell of a million-cell atlas would take hours on 2 cores. At
    1,000,000 realistic cells the 20,000-cell subset scored 0.0001 to 0.0034 below a
    100,000-cell one (less training data: mean accuracy -0.0018, logistic regression
    -0.0034; seed-to-seed spread 0.0005) in 25 s instead of 190 s
    (``benchmarks/label_subset.py``).

    Controls: the same on a random embedding (standard normal, seeded) of a
    class-stratified subset of at most ``control_max_cells`` (500) cells: scores on
    noise sit at chance level whatever the number of cells (on 20,000 cells of 10
    classes, mean accuracy 0.081 and 0.094 for two seeds at 500 cells, 0.107 and 0.093
    at 1,000), and the forest grows full-depth trees on noise, so the control at 1,000
    cells took 1.6 s, at 500 1.1 s. The positive controls, the labels embedded
    (:func:`.common.positive_control_embeddings`), are scored on the same cells
    (``details["positive_controls"]``), and each metric scaled between the negative
    and the positive controls is ``details["scaled_between_controls"]``.

    ``rf_max_samples`` (None: scikit-learn's and cz-benchmarks' bootstrap of every
    training cell) and ``rf_trees`` (100) are opt-in departures from that definition:
    at 16,000 training cells (benchmarks/README.md) ``rf_max_samples: 1000`` trained
    8 to 9x faster and scored 0.6 to 2.1 points lower accuracy.
    """

    name = "label_prediction"
    requires_outputs = frozenset({"embedding"})
    requires_keys = frozenset({"label"})
    headlines = ("mean_accuracy", "mean_macro_f1")
    defaults: dict[str, Any] = {
        "classifiers": list(CLASSIFIERS),
        "n_folds": 5,
        "min_class_size": 10,
        "rf_trees": 100,
        "rf_max_samples": None,
        "controls": True,
        "control_max_cells": 500,
        "max_cells": 100_000,
        "sample_cells": 20_000,
    }
    minimums: ClassVar[dict[str, int]] = {
        "n_folds": 2,
        "min_class_size": 1,
        "rf_trees": 1,
        "rf_max_samples": 1,
        "control_max_cells": 2,
        "max_cells": 2,
        "sample_cells": 2,
    }

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        check_choices(self.name, "classifiers", self.params["classifiers"], CLASSIFIERS)

    def metric_names(self) -> frozenset[str]:
        names = {f"{c}_{s}" for c in ("mean", *self.params["classifiers"]) for s in SCORES}
        return frozenset(names)

    def run(self, inputs: TaskInputs) -> TaskResult:
        X = embedding(inputs, self.name)
        labels = encoded(inputs, self.name, "label")
        keep, y, class_names, dropped = self._filter(inputs, labels.codes, labels.categories)
        exact = y.size <= self.params["max_cells"]
        if not exact:
            scored = self._subset(y, self.params["sample_cells"], inputs.seed)
            keep, y = keep[scored], y[scored]
        folds = self._folds(y, inputs.seed)
        scores, per_class = self.evaluate(X[keep], y, len(class_names), folds, inputs.seed)
        details: dict[str, Any] = {
            "exact": exact,
            "n_cells": int(keep.size),
            "n_classes": len(class_names),
            "dropped_classes": dropped,
            "per_class_f1": {
                clf: {str(class_names[c]): _json_float(v) for c, v in enumerate(values)}
                for clf, values in per_class.items()
            },
        }
        controls: dict[str, float] = {}
        if self.params["controls"]:
            sub = self._subset(y, self.params["control_max_cells"], inputs.seed)
            Xc = control_embedding((sub.size, X.shape[1]), inputs.seed)
            folds_c = self._folds(y[sub], inputs.seed)
            controls, _ = self.evaluate(Xc, y[sub], len(class_names), folds_c, inputs.seed)

            def score_positive(kind: str, Xp: np.ndarray) -> dict[str, float]:
                return self.evaluate(Xp, y[sub], len(class_names), folds_c, inputs.seed)[0]

            positive = positive_controls(y[sub], inputs.seed, score_positive)
            details.update(control_details(scores, controls, positive))
        if not exact:
            details["approximation"] = SUBSET_ERROR
        return TaskResult(
            metrics={name: higher(value) for name, value in scores.items()},
            details=details,
            controls=controls,
        )

    def _filter(
        self, inputs: TaskInputs, codes: np.ndarray, categories: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
        """Cells kept, their class codes (re-encoded), class names and dropped classes."""
        sizes = np.bincount(codes, minlength=categories.size)
        minimum = self.params["min_class_size"]
        n_folds = self.params["n_folds"]
        big = sizes >= minimum
        dropped = {str(categories[c]): int(sizes[c]) for c in np.flatnonzero(~big)}
        key = inputs.dataset.spec.keys.key_for("label")
        if big.sum() < 2:
            raise fail(
                inputs,
                self.name,
                f"label column {key!r} has {int(big.sum())} class(es) with at least "
                f"min_class_size={minimum} cells (sizes: {_sizes(categories, sizes)}); "
                "label prediction needs two",
            )
        small = np.flatnonzero(big & (sizes < n_folds))
        if small.size:
            raise fail(
                inputs,
                self.name,
                f"label column {key!r}: classes {_sizes(categories[small], sizes[small])} have "
                f"fewer cells than n_folds={n_folds}; raise min_class_size to at least {n_folds} "
                "or lower n_folds",
            )
        keep = np.flatnonzero(big[codes])
        remap = np.cumsum(big) - 1
        return keep, remap[codes[keep]], categories[big], dropped

    def _subset(self, y: np.ndarray, m: int, seed: int) -> np.ndarray:
        """All cells, or a seeded class-stratified subset of about ``m`` of them.

        Each class keeps its share and at least ``n_folds`` cells. Used above
        ``max_cells`` (training five folds of three classifiers grows faster than
        linearly with the cell count) and for the control above ``control_max_cells``
        (classifiers on random features cost as much as on the embedding, more for the
        forest, whose trees grow to full depth on noise, while their scores sit at
        chance level whatever the cell count).
        """
        if y.size <= m:
            return np.arange(y.size)
        rng = np.random.default_rng(seed)
        picked = []
        for c in range(int(y.max()) + 1):
            members = np.flatnonzero(y == c)
            take = min(members.size, max(self.params["n_folds"], int(round(m * members.size / y.size))))
            picked.append(rng.choice(members, size=take, replace=False))
        return np.sort(np.concatenate(picked))

    def _folds(self, y: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        splitter = StratifiedKFold(n_splits=self.params["n_folds"], shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(y.size), y))

    def evaluate(
        self,
        X: np.ndarray,
        y: np.ndarray,
        n_classes: int,
        folds: list[tuple[np.ndarray, np.ndarray]],
        seed: int,
    ) -> tuple[dict[str, float], dict[str, list[float]]]:
        """Mean-over-folds scores per classifier and their means; per-class F1 per classifier."""
        metrics: dict[str, float] = {}
        per_class: dict[str, list[float]] = {}
        for clf_name in self.params["classifiers"]:
            fold_scores = self._fold_scores(clf_name, X, y, n_classes, folds, seed)
            for score in SCORES:
                metrics[f"{clf_name}_{score}"] = float(np.mean([getattr(f, score) for f in fold_scores]))
            per_class[clf_name] = np.nanmean(np.vstack([f.per_class_f1 for f in fold_scores]), axis=0).tolist()
        for score in SCORES:
            metrics[f"mean_{score}"] = float(np.mean([metrics[f"{c}_{score}"] for c in self.params["classifiers"]]))
        return metrics, per_class

    def _fold_scores(
        self,
        clf_name: str,
        X: np.ndarray,
        y: np.ndarray,
        n_classes: int,
        folds: list[tuple[np.ndarray, np.ndarray]],
        seed: int,
    ) -> list[ClassificationScores]:
        """One classifier's scores on each fold.

        Threads as :func:`classifier_threads` says. The folds run one after the other:
        ``warnings.catch_warnings`` (which keeps the documented ConvergenceWarning quiet)
        is not thread-safe.
        """
        scores = []
        with classifier_threads(clf_name):
            for train, test in folds:
                cap = self.params["rf_max_samples"]
                cap = None if cap is None else min(cap, train.size)
                model = make_classifier(clf_name, seed, self.params["rf_trees"], cap)
                fit_classifier(model, X[train], y[train])
                proba = np.zeros((test.size, n_classes))
                proba[:, model.classes_] = model.predict_proba(X[test])
                y_pred = model.classes_[np.argmax(proba[:, model.classes_], axis=1)]
                scores.append(classification_scores(y[test], y_pred, proba, n_classes))
        return scores


def _sizes(names: np.ndarray, sizes: np.ndarray) -> str:
    shown = ", ".join(f"{n!s}: {int(s)}" for n, s in list(zip(names, sizes, strict=True))[:8])
    return shown + (", ..." if len(names) > 8 else "")


def _json_float(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)
