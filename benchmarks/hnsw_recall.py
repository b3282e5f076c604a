"""Recall and search time of the HNSW graph used above ``graph.EXACT_MAX_CELLS`` cells.

Builds the index exactly as :func:`pytest_scbench.graph.compute_knn` does (faiss
``IndexHNSWFlat``, ``M`` = ``graph.HNSW_M``, ``efConstruction`` =
``graph.HNSW_EF_CONSTRUCTION``, one thread) on the benchmark's synthetic embedding
(``tasks_speed.make_data``: 50-dimensional Gaussian blobs, a hard case for any
approximate search), then searches a seeded sample of cells with several ``efSearch``
values and prints the share of their true ``k`` nearest neighbours (the cell itself
included; truth from an exact faiss search of the same cells) and the time the search of
every cell would take, extrapolated from the sample.

Usage (from the repository root)::

    python benchmarks/hnsw_recall.py --cells 1000000

Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tasks_speed import synthetic  # noqa: E402

from pytest_scbench import graph  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=16, help="neighbours, the cell included")
    parser.add_argument("--queries", type=int, default=4000, help="cells whose recall is measured")
    parser.add_argument("--ef", default="64,128,256,512", help="efSearch values")
    args = parser.parse_args()
    import faiss

    X = np.ascontiguousarray(synthetic(args.cells)["X"], dtype=np.float32)
    queries = np.random.default_rng(1).choice(X.shape[0], args.queries, replace=False)
    exact = faiss.IndexFlatL2(X.shape[1])
    exact.add(X)
    _, truth = exact.search(X[queries], args.k)
    del exact

    threads = faiss.omp_get_max_threads()
    index = faiss.IndexHNSWFlat(X.shape[1], graph.HNSW_M)
    index.hnsw.efConstruction = graph.HNSW_EF_CONSTRUCTION
    faiss.omp_set_num_threads(1)
    start = time.perf_counter()
    index.add(X)
    build = time.perf_counter() - start
    faiss.omp_set_num_threads(threads)
    print(f"{args.cells} cells: HNSW M={graph.HNSW_M} efConstruction={graph.HNSW_EF_CONSTRUCTION}, "
          f"built on one thread in {build:.1f} s; search on {threads} threads")
    print(f"| efSearch | recall of the {args.k} nearest | search of all cells, s |")
    print("| ---: | ---: | ---: |")
    for ef in (int(v) for v in args.ef.split(",")):
        index.hnsw.efSearch = ef
        start = time.perf_counter()
        _, found = index.search(X[queries], args.k)
        seconds = (time.perf_counter() - start) * X.shape[0] / queries.size
        recall = np.mean([np.intersect1d(f, t).size / args.k for f, t in zip(found, truth, strict=True)])
        print(f"| {ef} | {recall:.3f} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
