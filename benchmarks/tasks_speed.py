"""Speed and memory of the standard task set, side by side with scib-metrics and cz-benchmarks.

The standard set (clustering, embedding, label_prediction, batch_integration) runs on a
synthetic embedding: ``--data realistic`` (default; ``realistic.py``: 20,000 cells x 64
dims, 14 Zipf-sized cell types, two of them close, low intrinsic dimension, batch effects
per type) or ``--data blobs`` (20,000 cells x 50 dims, 10 Gaussian blobs, 3 batches). Each
contender runs in its own fresh subprocess, so wall time includes its imports and peak
memory is that process's maximum resident set size (``os.wait4``):

* ``ours``: pytest-scbench's four tasks, negative controls included;
* ``exact``: the same with every neighbour search exact (no HNSW graph, no sampled
  neighbourhoods above ``graph.EXACT_MAX_CELLS`` cells), to measure what those
  approximations change;
* ``scib``: scib-metrics' ``Benchmarker`` computing the same metrics (Leiden NMI/ARI at
  resolution 1, silhouette label, cLISI, iLISI, kBET per label, graph connectivity)
  plus ``scib_metrics.silhouette_batch``; it has no label prediction;
* ``cz``: cz-benchmarks 0.15.1's ClusteringTask, EmbeddingTask,
  MetadataLabelPredictionTask and BatchIntegrationTask, in the Python given by
  ``--cz-python`` (a separate virtual environment: its pins clash with ours).

Usage (from the repository root)::

    python benchmarks/tasks_speed.py                      # 20k cells, all contenders
    python benchmarks/tasks_speed.py --data blobs         # the isotropic blobs
    python benchmarks/tasks_speed.py --cells 100000 --contenders ours
    python benchmarks/tasks_speed.py --cells 1000000 --contenders ours

Not a test: it prints a table of wall time, task time (after imports), peak memory,
ratios to ours, and the shared metrics with their largest difference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Shared metric -> the name each contender reports it under.
SHARED = {
    "ari": {"ours": "clustering.ari", "scib": "ari", "cz": "clustering.adjusted_rand_index"},
    "nmi": {"ours": "clustering.nmi", "scib": "nmi", "cz": "clustering.normalized_mutual_info"},
    "asw_label": {"ours": "embedding.asw_label", "scib": "silhouette_label", "cz": "embedding.silhouette_score"},
    "silhouette_batch": {
        "ours": "batch_integration.silhouette_batch",
        "scib": "silhouette_batch",
        "cz": "batch_integration.silhouette_batch",
    },
    "entropy_per_cell": {"ours": "batch_integration.entropy_per_cell", "cz": "batch_integration.entropy_per_cell"},
    "ilisi": {"ours": "batch_integration.ilisi", "scib": "ilisi"},
    "clisi": {"ours": "batch_integration.clisi", "scib": "clisi"},
    "kbet": {"ours": "batch_integration.kbet", "scib": "kbet"},
    "graph_connectivity": {"ours": "batch_integration.graph_connectivity", "scib": "graph_connectivity"},
    "lr_accuracy": {"ours": "label_prediction.lr_accuracy", "cz": "label_prediction.lr_accuracy"},
    "mean_macro_f1": {"ours": "label_prediction.mean_macro_f1", "cz": "label_prediction.mean_f1"},
}


def make_data(n_cells: int, n_dims: int, n_labels: int, n_batches: int, seed: int, path: Path) -> None:
    """Labels as Gaussian blobs, batches as a shift of each batch; saved as .npz."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_labels, n_cells)
    batches = rng.integers(0, n_batches, n_cells)
    centres = rng.normal(0, 0.6, size=(n_labels, n_dims))
    shifts = rng.normal(0, 0.15, size=(n_batches, n_dims))
    X = centres[labels] + shifts[batches] + rng.normal(0, 1.0, size=(n_cells, n_dims))
    np.savez(path, X=X.astype(np.float32), labels=labels, batches=batches)


def synthetic(n_cells: int, seed: int = 0) -> dict:
    """The benchmark's default data (50 dims, 10 labels, 3 batches) as arrays, in memory."""
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        make_data(n_cells, 50, 10, 3, seed, path)
        with np.load(path) as arrays:
            return {name: arrays[name] for name in arrays.files}


# -- workers: each runs in a fresh process and prints one JSON line -------------------


def worker_exact(data: Path, seed: int, controls: bool) -> dict:
    """ours with every neighbour search exact: what the IVF graph and the sampled
    neighbourhoods above ``graph.EXACT_MAX_CELLS`` cells are measured against."""
    import pytest_scbench.graph

    pytest_scbench.graph.EXACT_MAX_CELLS = 10**12
    return worker_ours(data, seed, controls)


def worker_ours(data: Path, seed: int, controls: bool) -> dict:
    t0 = time.perf_counter()
    import numpy as np
    import pandas as pd
    from anndata import AnnData

    from pytest_scbench.datasets.base import DatasetKeys, DatasetSpec
    from pytest_scbench.models.base import ModelAdapter, RunContext
    from pytest_scbench.outputs import Outputs, OutputStore
    from pytest_scbench.registry import tasks
    from pytest_scbench.tasks.base import TaskInputs

    arrays = np.load(data)
    X = arrays["X"]
    n = X.shape[0]
    obs = pd.DataFrame(
        {
            "cell_type": pd.Categorical([f"type{v}" for v in arrays["labels"]]),
            "batch": pd.Categorical([f"batch{v}" for v in arrays["batches"]]),
        },
        index=[f"c{i}" for i in range(n)],
    )
    adata = AnnData(np.zeros((n, 1), dtype=np.float32), obs=obs)

    class Precomputed(ModelAdapter):
        provides = frozenset({"embedding"})

        def embed(self, dataset, ctx):  # noqa: ANN001, ANN202
            return X

    spec = DatasetSpec("synthetic", DatasetKeys(label_key="cell_type", batch_key="batch"),
                       loader=lambda _: adata, fingerprint=f"synthetic-{n}")
    dataset = spec.load(Path("."))
    outputs = Outputs(Precomputed(), dataset, RunContext(seed=seed), OutputStore(None))
    inputs = TaskInputs(dataset, outputs, seed, item="bench[precomputed-synthetic]")
    t1 = time.perf_counter()
    metrics, seconds = {}, {}
    for name in ("clustering", "embedding", "label_prediction", "batch_integration"):
        start = time.perf_counter()
        result = tasks.get(name)(controls=controls).run(inputs)
        seconds[name] = time.perf_counter() - start
        metrics.update({f"{name}.{k}": v.value for k, v in result.metrics.items()})
    return {"import_s": t1 - t0, "task_s": time.perf_counter() - t1, "per_task_s": seconds, "metrics": metrics}


def worker_scib(data: Path, seed: int, controls: bool) -> dict:
    t0 = time.perf_counter()
    import warnings

    import numpy as np
    import pandas as pd
    import scib_metrics
    from anndata import AnnData
    from scib_metrics.benchmark import BatchCorrection, Benchmarker, BioConservation

    warnings.filterwarnings("ignore")
    arrays = np.load(data)
    X = arrays["X"]
    obs = pd.DataFrame({"cell_type": [f"type{v}" for v in arrays["labels"]],
                        "batch": [f"batch{v}" for v in arrays["batches"]]})
    adata = AnnData(np.zeros((X.shape[0], 1), dtype=np.float32), obs=obs)
    adata.obsm["emb"] = X
    t1 = time.perf_counter()
    bench = Benchmarker(
        adata, batch_key="batch", label_key="cell_type", embedding_obsm_keys=["emb"],
        pre_integrated_embedding_obsm_key="emb",
        bio_conservation_metrics=BioConservation(
            isolated_labels=False, nmi_ari_cluster_labels_kmeans=False,
            nmi_ari_cluster_labels_leiden={"optimize_resolution": False, "resolution": 1.0, "seed": seed},
        ),
        batch_correction_metrics=BatchCorrection(bras=False, pcr_comparison=False),
        progress_bar=False,
    )
    bench.benchmark()
    res = bench.get_results(min_max_scale=False, clean_names=False)
    col = res.loc["emb"]
    metrics = {
        "ari": float(col["nmi_ari_cluster_labels_leiden_ari"]),
        "nmi": float(col["nmi_ari_cluster_labels_leiden_nmi"]),
        "silhouette_label": float(col["silhouette_label"]),
        "clisi": float(col["clisi_knn"]),
        "ilisi": float(col["ilisi_knn"]),
        "kbet": float(col["kbet_per_label"]),
        "graph_connectivity": float(col["graph_connectivity"]),
    }
    metrics["silhouette_batch"] = float(
        scib_metrics.silhouette_batch(X, obs["cell_type"].to_numpy(), obs["batch"].to_numpy())
    )
    return {"import_s": t1 - t0, "task_s": time.perf_counter() - t1, "metrics": metrics}


def worker_cz(data: Path, seed: int, controls: bool) -> dict:
    t0 = time.perf_counter()
    import logging

    import numpy as np
    import pandas as pd
    from czbenchmarks.tasks import (
        BatchIntegrationTask,
        ClusteringTask,
        EmbeddingTask,
        MetadataLabelPredictionTask,
    )
    from czbenchmarks.tasks.clustering import ClusteringTaskInput
    from czbenchmarks.tasks.embedding import EmbeddingTaskInput
    from czbenchmarks.tasks.integration import BatchIntegrationTaskInput
    from czbenchmarks.tasks.label_prediction import MetadataLabelPredictionTaskInput

    logging.disable(logging.CRITICAL)
    arrays = np.load(data)
    X = arrays["X"]
    labels = pd.Series([f"type{v}" for v in arrays["labels"]])
    batches = pd.Series([f"batch{v}" for v in arrays["batches"]])
    obs = pd.DataFrame({"cell_type": labels, "batch": batches})
    t1 = time.perf_counter()
    metrics, seconds, errors = {}, {}, {}
    runs = [
        ("clustering", ClusteringTask, lambda: ClusteringTaskInput(obs=obs, input_labels=labels)),
        ("embedding", EmbeddingTask, lambda: EmbeddingTaskInput(input_labels=labels)),
        ("label_prediction", MetadataLabelPredictionTask,
         lambda: MetadataLabelPredictionTaskInput(labels=labels)),
        ("batch_integration", BatchIntegrationTask,
         lambda: BatchIntegrationTaskInput(batch_labels=batches, labels=labels)),
    ]
    for name, task_cls, make_input in runs:
        start = time.perf_counter()
        try:
            results = task_cls(random_seed=seed).run(X, make_input())
        except Exception as exc:  # report a peer's crash instead of stopping the table
            errors[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
            seconds[name] = time.perf_counter() - start
            continue
        seconds[name] = time.perf_counter() - start
        for r in results:
            metric = r.metric_type.value if hasattr(r.metric_type, "value") else str(r.metric_type)
            clf = (r.params or {}).get("classifier", "")
            if name == "label_prediction":
                prefix = "mean" if clf.startswith("MEAN") else clf
                metric = f"{prefix}_{metric.replace('mean_fold_', '').replace('_score', '')}"
            metrics[f"{name}.{metric}"] = float(r.value)
    return {"import_s": t1 - t0, "task_s": time.perf_counter() - t1, "per_task_s": seconds,
            "metrics": metrics, "errors": errors}


WORKERS = {"ours": worker_ours, "exact": worker_exact, "scib": worker_scib, "cz": worker_cz}


# -- parent: run each contender in a subprocess, measure, print the table --------------


def run_contender(name: str, python: str, data: Path, seed: int, controls: bool, timeout: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [python, str(Path(__file__).resolve()), "--worker", name, "--data-file", str(data), "--seed", str(seed)]
    if not controls:
        cmd.append("--no-controls")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                return {"error": f"timed out after {timeout:.0f} s", "wall_s": timeout}
            time.sleep(0.05)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        lines = [line for line in out.read().splitlines() if line.startswith("{")]
        if os.waitstatus_to_exitcode(status) != 0 or not lines:
            return {"error": err.read()[-600:], "wall_s": wall}
        result = json.loads(lines[-1])
    result["wall_s"] = wall
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=20_000)
    parser.add_argument("--data", choices=("realistic", "blobs"), default="realistic",
                        help="realistic: benchmarks/realistic.py (14 Zipf-sized types, 64 dims); "
                        "blobs: isotropic Gaussian blobs (10 labels, 50 dims)")
    parser.add_argument("--dims", type=int, help="default 64 (realistic) or 50 (blobs)")
    parser.add_argument("--labels", type=int, default=10, help="blobs only (realistic has 14 types)")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--contenders", default="ours,scib,cz")
    parser.add_argument("--cz-python", default="/work/czb-venv/bin/python",
                        help="Python of a virtual environment with cz-benchmarks==0.15.1")
    parser.add_argument("--no-controls", action="store_true", help="ours without negative controls")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--json", type=Path, help="also write all results here")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--data-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.data_file, args.seed, not args.no_controls)))
        return

    contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    if args.dims is None:
        args.dims = 64 if args.data == "realistic" else 50
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.npz"
        if args.data == "realistic":
            import numpy as np
            from realistic import N_TYPES, realistic

            np.savez(data, **realistic(args.cells, args.dims, args.batches, args.seed))
            args.labels = N_TYPES
        else:
            make_data(args.cells, args.dims, args.labels, args.batches, args.seed, data)
        results = {}
        for name in contenders:
            python = args.cz_python if name == "cz" else sys.executable
            if name == "cz" and not Path(python).exists():
                results[name] = {"error": f"no cz-benchmarks Python at {python}"}
                continue
            print(f"running {name} ...", file=sys.stderr, flush=True)
            results[name] = run_contender(name, python, data, args.seed, not args.no_controls, args.timeout)
    print_table(args, results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def print_table(args: argparse.Namespace, results: dict) -> None:
    print(f"\n{args.data}: {args.cells} cells x {args.dims} dims, {args.labels} labels, {args.batches} batches, "
          f"seed {args.seed}, {os.cpu_count()} CPUs")
    ours = results.get("ours", {})
    print(f"{'contender':<10} {'wall s':>8} {'task s':>8} {'peak MB':>8} {'wall/ours':>10} {'task/ours':>10}")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<10} failed: {r['error'].strip().splitlines()[-1] if r['error'].strip() else '?'}")
            continue
        ratio_w = r["wall_s"] / ours["wall_s"] if "wall_s" in ours and "error" not in ours else float("nan")
        ratio_t = r["task_s"] / ours["task_s"] if "task_s" in ours and "error" not in ours else float("nan")
        print(f"{name:<10} {r['wall_s']:8.1f} {r['task_s']:8.1f} {r['peak_mb']:8.0f} {ratio_w:10.1f} {ratio_t:10.1f}")
        if r.get("per_task_s"):
            print("           " + ", ".join(f"{k} {v:.1f}s" for k, v in r["per_task_s"].items()))
        for task, message in (r.get("errors") or {}).items():
            print(f"           {task} failed: {message}")
    names = [n for n in results if "metrics" in results[n]]
    if len(names) < 2 and not names:
        return
    print(f"\n{'metric':<20}" + "".join(f"{n:>10}" for n in names) + f"{'max diff':>10}")
    reports_as = {n: "ours" if n == "exact" else n for n in names}  # exact is ours, other searches
    for metric, keys in SHARED.items():
        values = {n: results[n]["metrics"].get(keys[reports_as[n]]) for n in names if reports_as[n] in keys}
        values = {n: v for n, v in values.items() if v is not None}
        if not values:
            continue
        spread = f"{max(values.values()) - min(values.values()):10.4f}" if len(values) > 1 else f"{'-':>10}"
        print(f"{metric:<20}" + "".join(
            f"{values[n]:10.4f}" if n in values else f"{'-':>10}" for n in names) + spread)


if __name__ == "__main__":
    main()
