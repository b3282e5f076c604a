"""Memory and time of the UMAP connectivities of a large kNN graph: row blocks vs every row at once.

``graph.umap_connectivities`` does its row-wise steps (each cell's ``rho`` and ``sigma``,
the edge weights, the fuzzy union ``W + W.T - W * W.T``) on ``CONNECTIVITY_BLOCK_ROWS``
cells at a time. This script measures what that saves against one block of every row
(the float64 temporaries of the whole graph at once, as the code did before 2026-12-03)
on the graph kBET and clustering use above 100,000 cells: the seeded IVF 50-neighbour
graph of the realistic embedding (``realistic.py``). Each variant runs in a fresh
process (peak traced allocations above the graph itself, and time), ``--repeats`` times
interleaved, medians reported (the peak includes the result), and the results' sha256
must agree bit for bit.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/connectivities_memory.py                    # 500,000 cells, k 50
    PYTHONPATH=. python benchmarks/connectivities_memory.py --cells 200000 --k 15 --repeats 5

Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def graph_file(n_cells: int, k: int, seed: int, folder: Path) -> Path:
    """The seeded IVF kNN graph of the realistic embedding, saved as .npz."""
    from realistic import realistic

    from pytest_scbench.graph import compute_knn

    X = realistic(n_cells, seed=seed)["X"]
    g = compute_knn(X, k, method="ivf" if n_cells > 100_000 else "exact", seed=seed)
    path = folder / "graph.npz"
    np.savez(path, indices=g.indices, distances=g.distances)
    return path


def child(path: Path, block_rows: int) -> dict:
    """One variant in this fresh process: seconds, peak traced MB above the inputs, sha256."""
    from pytest_scbench.graph import umap_connectivities

    with np.load(path) as arrays:
        indices, distances = arrays["indices"], arrays["distances"]
    tracemalloc.start()
    start = time.perf_counter()
    C = umap_connectivities(indices, distances, block_rows=block_rows)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    digest = hashlib.sha256()
    for part in (C.indptr, C.indices, C.data):
        digest.update(np.ascontiguousarray(part).tobytes())
    result_mb = (C.indptr.nbytes + C.indices.nbytes + C.data.nbytes) / 1e6
    return {
        "s": seconds,
        "peak_mb": peak / 1e6,
        "result_mb": result_mb,
        "nnz": int(C.nnz),
        "sha256": digest.hexdigest(),
    }


def main() -> None:
    from pytest_scbench.graph import CONNECTIVITY_BLOCK_ROWS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=500_000)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), int(args.child[1]))))
        return

    variants = {
        "one block (every row)": args.cells,
        f"blocks of {CONNECTIVITY_BLOCK_ROWS:,} rows": CONNECTIVITY_BLOCK_ROWS,
    }
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        path = graph_file(args.cells, args.k, args.seed, Path(tmp))
        for _ in range(args.repeats):  # interleaved: a change of the machine's load hits both
            for name, rows in variants.items():
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(path), str(rows)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                runs[name].append(json.loads(out.splitlines()[-1]))
    print(f"\n{args.cells:,} realistic cells, k = {args.k}, seed {args.seed}; medians of {args.repeats} runs")
    print(f"{'variant':<28} {'s':>7} {'peak MB':>9} {'B/cell':>7} {'result MB':>10}  runs s")
    for name, rs in runs.items():
        peak = statistics.median(r["peak_mb"] for r in rs)
        seconds = ", ".join(f"{r['s']:.2f}" for r in rs)
        print(
            f"{name:<28} {statistics.median(r['s'] for r in rs):7.2f} {peak:9.0f} {peak * 1e6 / args.cells:7.0f} "
            f"{rs[0]['result_mb']:10.0f}  {seconds}"
        )
    digests = {r["sha256"] for rs in runs.values() for r in rs}
    print("results bit-identical in every run and variant" if len(digests) == 1 else f"RESULTS DIFFER: {digests}")


if __name__ == "__main__":
    main()
