"""How much label prediction's subset above 100,000 cells moves its scores.

Above ``max_cells`` (100,000) cells, ``label_prediction`` trains and scores its
classifiers on a seeded class-stratified subset of ``sample_cells`` (20,000) cells: five
folds of three classifiers on every cell of a million-cell atlas would take hours on 2
cores (the forest alone grows 100 full trees on 800,000 cells per fold). This script
runs the task on one embedding with subsets of several sizes and seeds and prints each
score, the seed-to-seed spread at the default size, and the difference between the
default and the largest subset, which is as close to the full task as 2 cores allow.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/label_subset.py --cells 1000000 --data realistic
    PYTHONPATH=. python benchmarks/label_subset.py --cells 1000000 --data blobs

Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realistic import realistic  # noqa: E402
from tasks_speed import make_data, precomputed_inputs  # noqa: E402

SCORES = ("lr_accuracy", "knn_accuracy", "rf_accuracy", "mean_accuracy", "mean_macro_f1", "mean_macro_auroc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--data", choices=("realistic", "blobs"), default="realistic")
    parser.add_argument("--sizes", default="20000,100000", help="subset sizes; the first is the default's")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the first size (the others: seed 0)")
    args = parser.parse_args()

    from pytest_scbench.tasks.label_prediction import LabelPrediction

    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        if args.data == "realistic":
            np.savez(path, **realistic(args.cells, seed=0))
        else:
            make_data(args.cells, 50, 10, 3, 0, path)
        rows = []
        for size in sizes:
            for seed in range(args.seeds if size == sizes[0] else 1):
                inputs = precomputed_inputs(path, seed)
                task = LabelPrediction(controls=False, max_cells=2, sample_cells=size)
                start = time.perf_counter()
                result = task.run(inputs)
                seconds = time.perf_counter() - start
                rows.append((size, seed, seconds, {s: result.metrics[s].value for s in SCORES}))
                print(f"{size} cells, seed {seed}: {seconds:.1f} s", file=sys.stderr, flush=True)

    print(f"{args.data}, {args.cells:,} cells; label prediction on class-stratified subsets\n")
    print("| subset | seed | s | " + " | ".join(SCORES) + " |")
    print("| ---: | ---: | ---: | " + " | ".join("---:" for _ in SCORES) + " |")
    for size, seed, seconds, values in rows:
        print(f"| {size:,} | {seed} | {seconds:.1f} | " + " | ".join(f"{values[s]:.4f}" for s in SCORES) + " |")
    default = [v for size, _, _, v in rows if size == sizes[0]]
    largest = next(v for size, seed, _, v in rows if size == sizes[-1] and seed == 0)
    print(f"\nspread over seeds at {sizes[0]:,} (max - min), and seed 0 at {sizes[0]:,} minus {sizes[-1]:,}:")
    for s in SCORES:
        values = [v[s] for v in default]
        print(f"  {s}: spread {max(values) - min(values):.4f}, difference {default[0][s] - largest[s]:+.4f}")


if __name__ == "__main__":
    main()
