"""kBET with sampled tested cells (the default above 100,000 cells) against every cell tested.

Above ``max_cells`` the ``batch_integration`` and ``scib`` tasks test ``sample_cells``
(20,000) cells shared equally between the labels instead of every cell: each label's
diffusion map is still computed on all of its cells and each tested cell's neighbours are
searched among all of them, so the estimate is unbiased and its standard error is known.
This script builds the 50-neighbour graph the tasks use, then prints the sampled estimate
for a few seeds (with its standard error and time) and the value with every cell tested.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/kbet_sampling.py --cells 200000 --data realistic

Not a test: it prints one line per computation.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tasks_speed import generated  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=200_000)
    parser.add_argument("--data", choices=("realistic", "blobs"), default="realistic")
    parser.add_argument("--sample-cells", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-exact", action="store_true", help="skip the computation with every cell tested")
    args = parser.parse_args()

    from pytest_scbench.graph import compute_knn
    from pytest_scbench.metrics import cells_tested_per_label, kbet_per_label

    data = generated(args.data, args.cells, seed=0)
    X, labels, batch = data["X"], data["labels"], data["batches"]
    start = time.perf_counter()
    graph = compute_knn(X, 50, seed=0)
    print(f"{args.data}, {args.cells:,} cells: 50-NN graph ({graph.method}) in {time.perf_counter() - start:.1f} s, "
          f"{graph.report}", flush=True)
    tested = cells_tested_per_label(args.sample_cells, np.unique(labels).size)
    for seed in range(args.seeds):
        start = time.perf_counter()
        est = kbet_per_label(graph, labels, batch, max_tested=tested, seed=seed)
        print(f"{tested} tested cells per label, seed {seed}: kbet {est.score:.5f}, standard error "
              f"{est.standard_error:.5f}, {time.perf_counter() - start:.1f} s", flush=True)
    if not args.no_exact:
        start = time.perf_counter()
        exact = kbet_per_label(graph, labels, batch)
        print(f"every cell tested: kbet {exact.score:.5f}, {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
