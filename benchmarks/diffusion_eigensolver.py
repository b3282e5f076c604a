"""ARPACK on one cell type's transition matrix: where kBET's diffusion-map time goes.

kBET per label (scib-metrics' definition) needs the 100 eigenpairs of largest magnitude
of each cell type's transition matrix; at a million cells that is most of the standard
task set's time. This script builds the largest cell type of the realistic embedding
(``realistic.py``), its 50-neighbour graph and transition matrix as ``metrics/kbet.py``
does, then runs ARPACK (``eigsh``, the seeded start vector) twice, in one process:

* ``plain``: ``eigsh`` on the sparse matrix, every product on one thread;
* ``threaded``: the products on every core, one band of rows (an equal share of the
  non-zeros) per thread, each row summed by scipy's kernel as ``T @ x`` sums it;

and prints each run's time, its matrix-vector products and the time inside them, and
whether the eigenvectors are the same bit for bit. kBET runs ``plain``: at 307,551 cells
the threaded products made ARPACK slower, not faster (benchmarks/README.md), although
they are 1.4x faster alone.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/diffusion_eigensolver.py --cells 200000
    PYTHONPATH=. python benchmarks/diffusion_eigensolver.py --cells 1000000   # 307,551 cells

Not a test: it prints one line per run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realistic import realistic  # noqa: E402


class RowBands:
    """``T @ x`` on a thread pool, one band of rows per thread: bit-identical to ``T @ x``."""

    def __init__(self, T: sparse.csr_matrix, pool, bands: int) -> None:  # noqa: ANN001
        cuts = np.searchsorted(T.indptr, np.linspace(0, T.nnz, bands + 1)[1:-1])
        edges = [0, *sorted({int(c) for c in cuts if 0 < c < T.shape[0]}), T.shape[0]]
        self.bands = [(a, b, T[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]
        self.pool, self.n = pool, T.shape[0]

    def matvec(self, x: np.ndarray) -> np.ndarray:
        x = np.ravel(x)
        out = np.empty(self.n)

        def band(part) -> None:  # noqa: ANN001
            a, b, rows = part
            out[a:b] = rows @ x

        list(self.pool.map(band, self.bands))
        return out


class Counted:
    """Wraps a matrix-vector product, counting the calls and the seconds inside them."""

    def __init__(self, product) -> None:  # noqa: ANN001
        self.product, self.calls, self.seconds = product, 0, 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        y = self.product(x)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=200_000, help="cells of the whole embedding")
    parser.add_argument("--components", type=int, default=100)
    args = parser.parse_args()

    from concurrent.futures import ThreadPoolExecutor

    from scipy.sparse.linalg import LinearOperator, eigsh

    from pytest_scbench.graph import compute_knn
    from pytest_scbench.metrics import kbet

    data = realistic(args.cells, seed=0)
    X = data["X"][data["labels"] == 0]
    start = time.perf_counter()
    graph = compute_knn(X, 50, seed=0)
    T = kbet.transition_matrix(graph.connectivities)
    n = T.shape[0]
    print(
        f"largest cell type of {args.cells:,}: {n:,} cells, {T.nnz:,} non-zeros; graph "
        f"({graph.method}) and transitions in {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    v0 = np.random.default_rng(0).uniform(-1, 1, n)
    threads = os.cpu_count() or 1
    results = {}
    with ThreadPoolExecutor(threads) as pool:
        for name, product in (("plain", lambda x: T @ x), ("threaded", RowBands(T, pool, threads).matvec)):
            counted = Counted(product)
            op = LinearOperator(T.shape, matvec=counted, dtype=np.float64)
            start = time.perf_counter()
            evals, evecs = eigsh(op, k=args.components, which="LM", v0=v0)
            seconds = time.perf_counter() - start
            results[name] = evecs
            used = threads if name == "threaded" else 1
            print(
                f"{name:>9} ({used} thread(s) for products): {seconds:.1f} s, {counted.calls} products "
                f"taking {counted.seconds:.1f} s, the rest {seconds - counted.seconds:.1f} s",
                flush=True,
            )
    print("eigenvectors bit-identical:", np.array_equal(results["plain"], results["threaded"]))


if __name__ == "__main__":
    main()
