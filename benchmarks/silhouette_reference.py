"""What measuring the label silhouette against a subset of reference cells costs and changes.

The ``embedding`` task scores a sample of ``max_cells`` cells; above ``reference_cells``
cells their mean distances to each label are taken over a label-stratified subset of
that many cells instead of all of them. This script times both on the benchmark's
synthetic embedding (``tasks_speed.make_data``: Gaussian blobs, 50 dims, 10 labels)
and prints the two scores and their difference, for several reference sizes and seeds.

Usage (from the repository root)::

    python benchmarks/silhouette_reference.py --cells 1000000

Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tasks_speed import synthetic  # noqa: E402

from pytest_scbench.metrics import silhouette_label  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="scored cells (the task's max_cells)")
    parser.add_argument("--references", default="100000,200000", help="reference sizes to compare with all cells")
    parser.add_argument("--seeds", default="0,1", help="seeds of the samples")
    args = parser.parse_args()
    arrays = synthetic(args.cells)
    X, labels = arrays["X"], arrays["labels"]
    print(f"{args.cells} cells, {args.sample} scored; seconds and asw_label (rescaled)")
    print("| seed | reference | s | asw_label | minus all cells |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for seed in (int(s) for s in args.seeds.split(",")):
        start = time.perf_counter()
        full = silhouette_label(X, labels, sample_size=args.sample, seed=seed)
        print(f"| {seed} | all | {time.perf_counter() - start:.1f} | {full:.5f} | |", flush=True)
        for size in (int(r) for r in args.references.split(",")):
            start = time.perf_counter()
            value = silhouette_label(X, labels, sample_size=args.sample, seed=seed, reference_size=size)
            seconds = time.perf_counter() - start
            print(f"| {seed} | {size} | {seconds:.1f} | {value:.5f} | {value - full:+.5f} |", flush=True)


if __name__ == "__main__":
    main()
