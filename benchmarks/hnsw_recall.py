"""Recall, determinism and time of the approximate 15-neighbour graph above 100,000 cells.

Compares, on the same embedding (``--data realistic``: ``realistic.py``; ``--data
blobs``: ``tasks_speed.make_data``'s 50-dimensional Gaussian blobs, a worst case with the
intrinsic dimension of their noise):

* ``ivf``: what :func:`pytest_scbench.graph.compute_knn` now uses above
  ``graph.EXACT_MAX_CELLS`` (``knn_search.ivf_knn``: seeded IVF-Flat, nprobe raised until
  the recall on 2,000 seeded cells reaches ``knn_search.IVF_RECALL_TARGET``), run twice,
  the second time on one faiss thread, to check that the graph is bit-identical;
* ``hnsw`` (``--hnsw``): the HNSW index it replaced (M 16, efConstruction 64, built on one
  thread, efSearch 128).

Recall is the share of the true ``k - 1`` neighbours (the cell itself excluded) found for
``--queries`` seeded cells other than the ones IVF was tuned on, against scikit-learn's
exact search. Usage (from the repository root)::

    python benchmarks/hnsw_recall.py --cells 1000000 --data realistic
    python benchmarks/hnsw_recall.py --cells 100000 --data blobs --hnsw

Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tasks_speed import generated  # noqa: E402

from pytest_scbench import graph, knn_search  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--data", choices=("realistic", "blobs"), default="realistic")
    parser.add_argument("--k", type=int, default=15, help="neighbours, the cell included")
    parser.add_argument("--queries", type=int, default=2000, help="cells whose recall is measured")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hnsw", action="store_true", help="also the HNSW index (slow: one-thread build)")
    parser.add_argument("--no-repeat", action="store_true", help="skip the second, one-thread IVF run")
    args = parser.parse_args()
    import faiss

    X = generated(args.data, args.cells)["X"]
    X = np.ascontiguousarray(X, dtype=np.float32)
    tuned = knn_search.recall_rows(X.shape[0], args.seed)
    pool = np.setdiff1d(np.arange(X.shape[0]), tuned)
    queries = np.sort(np.random.default_rng([args.seed, 1]).choice(pool, args.queries, replace=False))
    truth, _ = knn_search.exact_knn(X, X[queries], args.k)
    threads = faiss.omp_get_max_threads()
    print(f"{args.data}, {args.cells} cells x {X.shape[1]} dims, k = {args.k}, {threads} threads")
    print("| method | parameters | recall (held-out cells) | recall (tuning sample) | s |")
    print("| --- | --- | ---: | ---: | ---: |")
    start = time.perf_counter()
    indices, distances, report = knn_search.ivf_knn(X, args.k, args.seed)
    seconds = time.perf_counter() - start
    held_out = knn_search.recall(indices[queries], truth, queries)
    print(f"| ivf | {report.n_lists} lists, nprobe {report.nprobe} | {held_out:.4f} | {report.recall:.4f} "
          f"| {seconds:.1f} |", flush=True)
    if not args.no_repeat:
        faiss.omp_set_num_threads(1)
        start = time.perf_counter()
        again, again_d, _ = knn_search.ivf_knn(X, args.k, args.seed)
        seconds = time.perf_counter() - start
        faiss.omp_set_num_threads(threads)
        same = np.array_equal(again, indices) and np.array_equal(again_d, distances)
        print(f"| ivf, 1 thread | same | bit-identical to the {threads}-thread run: {same} | | {seconds:.1f} |",
              flush=True)
    if args.hnsw:
        start = time.perf_counter()
        g = graph.compute_knn(X, args.k, method="hnsw")
        seconds = time.perf_counter() - start
        held_out = knn_search.recall(g.indices[queries], truth, queries)
        print(f"| hnsw | M {graph.HNSW_M}, efC {graph.HNSW_EF_CONSTRUCTION}, efSearch {graph.HNSW_EF_SEARCH} "
              f"| {held_out:.4f} | | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
