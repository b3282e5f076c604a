"""Peak memory of streaming a large ``.h5t`` through a torch model: flat from 100k to 1M cells.

For each size, a ``pbmc68k_batches`` set of that many cells is generated straight into an
``.h5t`` (streamed, see ``generated.generate_h5t``), then a fresh Python process streams
it with ``stream_h5t`` in batches through a small torch model (log1p, a linear layer to 64
dimensions, ReLU, a second linear layer) and appends each batch's embedding to an ``.npy``
on disk. That process reports its own peak resident memory (``VmHWM`` in /proc),
and its resident memory after the imports and the model were set up (the baseline), so
the streaming's own share is visible.

Pass criteria (issue 6): the peaks of the largest and the smallest size are within 20% of
each other, and every peak is under 4 GB. The exit status is 1 when either fails.

    PYTHONPATH=. python benchmarks/streaming_memory.py                 # 100k and 1M cells
    PYTHONPATH=. python benchmarks/streaming_memory.py --cells 20000 200000 --batch-size 512

Generated files are kept in ``--workdir`` (default ``$SCBENCH_DATA_DIR/benchmarks``) and
reused by later runs; ``--json`` writes the results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

LIMIT_BYTES = 4 * 1024**3
FLAT_RATIO = 1.20


def _status_bytes(field: str) -> int:
    """A memory field of /proc/self/status (``VmRSS``, ``VmHWM``), in bytes."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # reported in kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def stream(path: Path, out: Path, batch_size: int) -> dict[str, float]:
    """Child process: stream ``path`` through the model; report memory and time."""
    import numpy as np
    import torch

    from pytest_scbench.datasets.h5t import h5t_shape
    from pytest_scbench.datasets.h5t_stream import stream_h5t

    torch.manual_seed(0)
    torch.set_num_threads(2)
    n_obs, n_vars = h5t_shape(path)
    model = torch.nn.Sequential(torch.nn.Linear(n_vars, 256), torch.nn.ReLU(), torch.nn.Linear(256, 64)).eval()
    header = {"descr": "<f4", "fortran_order": False, "shape": (n_obs, 64)}
    baseline = _status_bytes("VmRSS")
    start = time.perf_counter()
    seen = 0
    with open(out, "wb") as handle, torch.inference_mode():
        np.lib.format.write_array_header_1_0(handle, header)
        for counts, index in stream_h5t(path, batch_size):
            embedding = model(torch.log1p(counts))
            handle.write(embedding.numpy().astype("<f4", copy=False).tobytes())
            seen += len(index)
    seconds = time.perf_counter() - start
    if seen != n_obs:
        raise SystemExit(f"streamed {seen} cells of {n_obs}")
    # VmHWM is this process image's peak RSS. (getrusage's ru_maxrss is not used: Linux
    # carries it over exec from the forking parent, which had just generated the data.)
    peak = _status_bytes("VmHWM")
    return {
        "cells": n_obs,
        "genes": n_vars,
        "baseline_rss": baseline,
        "peak_rss": peak,
        "seconds": seconds,
        "cells_per_second": n_obs / seconds,
        "file_bytes": path.stat().st_size,
    }


def build(n_cells: int, workdir: Path) -> Path:
    """The benchmark's ``.h5t`` of ``n_cells`` cells (generated once, then reused)."""
    from pytest_scbench.datasets import batches, pbmc68k
    from pytest_scbench.datasets.generated import generate_h5t

    path = workdir / f"pbmc68k_batches_{n_cells}.h5t"
    if path.exists():
        return path
    base, _ = pbmc68k.load_counts(workdir)
    params = {**batches.DEFAULTS, "n_cells": n_cells}
    start = time.perf_counter()
    generate_h5t(base, batches.RECIPE, params, path, obs_columns=("bulk_labels", "batch"))
    print(
        f"generated {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - start:.0f} s", file=sys.stderr
    )
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--child", nargs=3, metavar=("H5T", "OUT", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(stream(Path(args.child[0]), Path(args.child[1]), int(args.child[2]))))
        return 0

    from pytest_scbench.datasets import default_data_dir

    workdir = args.workdir or default_data_dir() / "benchmarks"
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for n_cells in sorted(args.cells):
        path = build(n_cells, workdir)
        out = workdir / f"embedding_{n_cells}.npy"
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(path), str(out), str(args.batch_size)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            return 2
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
        out.unlink(missing_ok=True)

    print(f"{'cells':>10} {'file GB':>8} {'baseline MB':>12} {'peak MB':>8} {'stream MB':>9} {'s':>7} {'cells/s':>9}")
    for r in results:
        print(
            f"{r['cells']:>10} {r['file_bytes'] / 1e9:>8.2f} {r['baseline_rss'] / 2**20:>12.0f} "
            f"{r['peak_rss'] / 2**20:>8.0f} {(r['peak_rss'] - r['baseline_rss']) / 2**20:>9.0f} "
            f"{r['seconds']:>7.1f} {r['cells_per_second']:>9.0f}"
        )
    peaks = [r["peak_rss"] for r in results]
    ratio = max(peaks) / min(peaks)
    flat = ratio <= FLAT_RATIO
    under = max(peaks) < LIMIT_BYTES
    print(
        f"peak ratio largest/smallest: {ratio:.3f} (limit {FLAT_RATIO}) -> {'flat' if flat else 'NOT flat'}; "
        f"max peak {max(peaks) / 2**30:.2f} GiB (limit 4 GiB) -> {'ok' if under else 'OVER'}"
    )
    if args.json:
        args.json.write_text(json.dumps({"batch_size": args.batch_size, "results": results, "ratio": ratio}, indent=1))
    return 0 if flat and under else 1


if __name__ == "__main__":
    sys.exit(main())
