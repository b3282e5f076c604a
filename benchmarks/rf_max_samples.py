"""Speed and accuracy of label_prediction's random forest with and without ``rf_max_samples``.

20,000 cells of the task benchmark's blobs (10 labels, 3 batches, 50 dims), once well
separated (centre sd 0.6) and once overlapping (0.2); 5 stratified folds (16,000
training cells each), 100 trees on every core, bootstrap samples of all training cells
(scikit-learn's and cz-benchmarks' default) or of 1,000 (ours). Prints seconds per fold
(fit and predict), accuracy and macro F1, means over folds.

Usage: ``python benchmarks/rf_max_samples.py``
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold


def blobs(centre_sd: float, n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    batches = rng.integers(0, 3, n)
    centres = rng.normal(0, centre_sd, (10, 50))
    shifts = rng.normal(0, 0.15, (3, 50))
    X = centres[labels] + shifts[batches] + rng.normal(0, 1, (n, 50))
    return X.astype(np.float32), labels


def main() -> None:
    print(f"{'centre sd':>9} {'max_samples':>11} {'s/fold':>7} {'accuracy':>9} {'macro F1':>9}")
    for centre_sd in (0.6, 0.2):
        X, y = blobs(centre_sd)
        folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
        for max_samples in (None, 1000):
            seconds, accuracy, f1 = 0.0, [], []
            for train, test in folds:
                start = time.perf_counter()
                forest = RandomForestClassifier(100, max_samples=max_samples, random_state=0, n_jobs=-1)
                predicted = forest.fit(X[train], y[train]).predict(X[test])
                seconds += time.perf_counter() - start
                accuracy.append(accuracy_score(y[test], predicted))
                f1.append(f1_score(y[test], predicted, average="macro"))
            shown = "all" if max_samples is None else str(max_samples)
            print(f"{centre_sd:>9} {shown:>11} {seconds / len(folds):7.2f} {np.mean(accuracy):9.4f} {np.mean(f1):9.4f}")


if __name__ == "__main__":
    main()
