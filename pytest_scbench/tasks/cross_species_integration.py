"""``cross_species_integration``: one embedding of several species' cells, aligned?"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import numpy as np

from ..graph import KnnGraph
from ..metrics import classification_scores, entropy_per_cell, higher, silhouette_batch
from ..metrics.neighborhood import ENTROPY_NEIGHBORS
from ..registry import register_task
from .base import Task, TaskInputs, TaskResult
from .common import (
    Encoded,
    control_embedding,
    embedding,
    encoded,
    fail,
    neighbourhoods,
    require_groups,
)
from .label_prediction import CLASSIFIERS, classifier_threads, fit_classifier, make_classifier
from .params import check_choices


def sanitize(name: object) -> str:
    """A species name as a metric-name part: lower case, runs of other characters -> ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_") or "species"


@register_task("cross_species_integration")
class CrossSpeciesIntegration(Task):
    """Mixing of species and transfer of labels across species in one embedding.

    The data set is the concatenation of several species' data sets (``species`` and
    ``label`` columns aligned with the embedding's rows). Species play the batch:

    * ``entropy_per_cell``: cz-benchmarks' entropy per cell of the species (its
      cross-species integration task's ``entropy_per_cell``,
      :func:`~pytest_scbench.metrics.entropy_per_cell`): normalised entropy of species
      among each cell's ``n_neighbors`` (200) exact nearest neighbours, averaged
      (higher: better mixed; above 100,000 cells over a sample of ``max_cells``, as in
      ``batch_integration``);
    * ``silhouette_species``: 1 - |species silhouette| within each label (scib-metrics'
      batch silhouette; higher is better);
    * label transfer, for every ordered pair of species (a, b): ``classifier`` (``lr``
      by default, as built for ``label_prediction``) trained on all cells of a whose label
      has at least ``min_class_size`` cells there, tested on the cells of b whose label
      occurs in that training set: ``transfer_<a>_to_<b>_accuracy`` and
      ``transfer_<a>_to_<b>_macro_f1`` (names lower-cased, other characters -> ``_``),
      and their means ``mean_transfer_accuracy``, ``mean_transfer_macro_f1``. All
      higher is better; a pair without shared labels is listed in ``details`` instead.

    Controls: the same on a random embedding of the same shape drawn from the seed.
    """

    name = "cross_species_integration"
    headlines = ("mean_transfer_accuracy", "entropy_per_cell")
    requires_outputs = frozenset({"embedding"})
    requires_keys = frozenset({"label", "species"})
    defaults: dict[str, Any] = {
        "n_neighbors": ENTROPY_NEIGHBORS,
        "classifier": "lr",
        "min_class_size": 10,
        "max_cells": 20_000,
        "controls": True,
    }
    minimums: ClassVar[dict[str, int]] = {
        "n_neighbors": 2,
        "min_class_size": 1,
        "max_cells": 1,
    }

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        check_choices(self.name, "classifier", [self.params["classifier"]], CLASSIFIERS)

    def run(self, inputs: TaskInputs) -> TaskResult:
        X = embedding(inputs, self.name)
        labels = encoded(inputs, self.name, "label")
        species = encoded(inputs, self.name, "species")
        require_groups(inputs, self.name, species)
        require_groups(inputs, self.name, labels)
        names = [sanitize(s) for s in species.categories]
        if len(set(names)) < len(names):
            raise fail(
                inputs,
                self.name,
                f"species column {species.key!r} has values that collide as metric names: "
                f"{list(species.categories)} -> {names}",
            )
        k = self.params["n_neighbors"]
        near = neighbourhoods(inputs, X, k, labels.codes, self.params["max_cells"])
        scores, details = self.score(X, near, labels, species, names, inputs.seed)
        if not any(name.startswith("transfer_") for name in scores):
            raise fail(
                inputs,
                self.name,
                f"no two species share a label of {labels.key!r} with at least "
                f"min_class_size={self.params['min_class_size']} cells; nothing to transfer",
            )
        controls: dict[str, float] = {}
        if self.params["controls"]:
            Xc = control_embedding(X.shape, inputs.seed)
            near_c = neighbourhoods(inputs, Xc, k, labels.codes, self.params["max_cells"], control=True)
            controls, _ = self.score(Xc, near_c, labels, species, names, inputs.seed)
        return TaskResult(
            metrics={name: higher(value) for name, value in scores.items() if np.isfinite(value)},
            details=details,
            controls={name: value for name, value in controls.items() if name in scores},
        )

    def score(
        self,
        X: np.ndarray,
        near: KnnGraph,
        labels: Encoded,
        species: Encoded,
        names: list[str],
        seed: int,
    ) -> tuple[dict[str, float], dict[str, Any]]:
        """Mixing and transfer scores of one embedding."""
        scores: dict[str, float] = {
            "entropy_per_cell": entropy_per_cell(near.with_k(self.params["n_neighbors"]), species.codes),
            "silhouette_species": silhouette_batch(
                X, labels.codes, species.codes, sample_size=self.params["max_cells"], seed=seed
            ),
        }
        details: dict[str, Any] = {"species": dict(zip(names, map(str, species.categories), strict=True))}
        skipped = []
        accuracies, f1s = [], []
        for a in range(species.n):
            for b in range(species.n):
                if a == b:
                    continue
                result = self._transfer(X, labels.codes, species.codes, a, b, seed)
                pair = f"transfer_{names[a]}_to_{names[b]}"
                if result is None:
                    skipped.append(pair)
                    continue
                scores[f"{pair}_accuracy"], scores[f"{pair}_macro_f1"] = result
                accuracies.append(result[0])
                f1s.append(result[1])
        if accuracies:
            scores["mean_transfer_accuracy"] = float(np.mean(accuracies))
            scores["mean_transfer_macro_f1"] = float(np.mean(f1s))
        if skipped:
            details["pairs_without_shared_labels"] = skipped
        return scores, details

    def _transfer(
        self, X: np.ndarray, labels: np.ndarray, species: np.ndarray, a: int, b: int, seed: int
    ) -> tuple[float, float] | None:
        train = np.flatnonzero(species == a)
        sizes = np.bincount(labels[train], minlength=labels.max() + 1)
        usable = sizes >= self.params["min_class_size"]
        train = train[usable[labels[train]]]
        test = np.flatnonzero((species == b) & usable[labels])
        if np.unique(labels[train]).size < 2 or test.size == 0:
            return None
        name = self.params["classifier"]
        model = make_classifier(name, seed)
        n_classes = int(labels.max()) + 1
        proba = np.zeros((test.size, n_classes))
        with classifier_threads(name):
            fit_classifier(model, X[train], labels[train])
            proba[:, model.classes_] = model.predict_proba(X[test])
        y_pred = model.classes_[np.argmax(proba[:, model.classes_], axis=1)]
        s = classification_scores(labels[test], y_pred, proba, n_classes)
        return s.accuracy, s.macro_f1
