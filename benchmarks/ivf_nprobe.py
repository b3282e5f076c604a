"""The IVF graph's recall and search time for each nprobe, on one seeded index.

Above ``graph.EXACT_MAX_CELLS`` the shared neighbour graph comes from
``knn_search.ivf_knn``, which searches with the smallest nprobe of 16, 32, ... whose
recall on a seeded sample reaches ``IVF_RECALL_TARGET``. This script builds that index
once (``knn_search.ivf_index``) and, for each nprobe, prints the recall of the 50 and the
15 nearest neighbours on the recall sample (against scikit-learn's exact search) and the
time to search ``--queries`` cells, scaled to every cell: what a lower start of the
nprobe ladder would save, and what it would cost in recall.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/ivf_nprobe.py --cells 1000000 --data realistic

Not a test: it prints one line per nprobe.
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
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--data", choices=("realistic", "blobs"), default="realistic")
    parser.add_argument("--k", type=int, default=50, help="neighbours searched, the cell included")
    parser.add_argument("--queries", type=int, default=40_000, help="cells whose search is timed")
    parser.add_argument("--nprobe", default="2,4,8,16,32")
    args = parser.parse_args()

    from pytest_scbench import knn_search as ks

    data = generated(args.data, args.cells, seed=0)
    X = np.ascontiguousarray(data["X"], dtype=np.float32)
    n = X.shape[0]
    start = time.perf_counter()
    index = ks.ivf_index(X, seed=0)
    print(f"{args.data}, {n:,} cells: {index.nlist} lists trained and filled in {time.perf_counter() - start:.1f} s")
    rows = ks.recall_rows(n, 0)
    truth, _ = ks.exact_knn(X, X[rows], args.k)
    c = args.k + ks.EXTRA_CANDIDATES
    queries = X[: args.queries]
    for probe in (int(p) for p in args.nprobe.split(",")):
        index.nprobe = probe
        _, candidates = index.search(X[rows], c)
        found, _ = ks.refine(X, X[rows], candidates, args.k)
        at_k = ks.recall(found, truth, rows)
        at_15 = ks.recall(found[:, :15], truth[:, :15], rows)
        start = time.perf_counter()
        for s in range(0, queries.shape[0], 4096):
            index.search(queries[s : s + 4096], c)
        seconds = (time.perf_counter() - start) * n / queries.shape[0]
        print(
            f"nprobe {probe:>3}: recall of {args.k} {at_k:.5f}, of 15 {at_15:.5f}; "
            f"faiss search of every cell about {seconds:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
