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
    python benchmarks/tasks_speed.py --cells 5000000 --contenders ours --stream --tasks embedding,clustering

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

#: Each comparison: our contender, the peer's, and the shared metric -> (our name, its name).
COMPARISONS = {
    "cz": (
        "ours",
        {
            "ari": ("clustering.ari", "clustering.adjusted_rand_index"),
            "nmi": ("clustering.nmi", "clustering.normalized_mutual_info"),
            "asw_label": ("embedding.asw_label", "embedding.silhouette_score"),
            "silhouette_batch": ("batch_integration.silhouette_batch", "batch_integration.batch_silhouette"),
            "entropy_per_cell": ("batch_integration.entropy_per_cell", "batch_integration.entropy_per_cell"),
            "lr_accuracy": ("label_prediction.lr_accuracy", "label_prediction.lr_accuracy"),
            "knn_accuracy": ("label_prediction.knn_accuracy", "label_prediction.knn_accuracy"),
            "rf_accuracy": ("label_prediction.rf_accuracy", "label_prediction.rf_accuracy"),
            "mean_auroc": ("label_prediction.mean_macro_auroc", "label_prediction.mean_auroc"),
        },
    ),
    "scib": (
        "ours_scib",
        {
            "isolated_labels": ("scib.isolated_labels", "isolated_labels"),
            "kmeans_nmi": ("scib.kmeans_nmi", "nmi_ari_cluster_labels_kmeans_nmi"),
            "kmeans_ari": ("scib.kmeans_ari", "nmi_ari_cluster_labels_kmeans_ari"),
            "silhouette_label": ("scib.silhouette_label", "silhouette_label"),
            "clisi": ("scib.clisi", "clisi_knn"),
            "bras": ("scib.bras", "bras"),
            "ilisi": ("scib.ilisi", "ilisi_knn"),
            "kbet": ("scib.kbet", "kbet_per_label"),
            "graph_connectivity": ("scib.graph_connectivity", "graph_connectivity"),
            "pcr_comparison": ("scib.pcr_comparison", "pcr_comparison"),
            "bio_conservation": ("scib.bio_conservation", "Bio conservation"),
            "batch_correction": ("scib.batch_correction", "Batch correction"),
            "total": ("scib.total", "Total"),
        },
    ),
}


def make_data(n_cells: int, n_dims: int, n_labels: int, n_batches: int, seed: int, path: Path) -> None:
    """Labels as Gaussian blobs, batches as a shift of each batch (``X_pre``: three times
    the shift, the data before integration); saved as .npz."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_labels, n_cells)
    batches = rng.integers(0, n_batches, n_cells)
    centres = rng.normal(0, 0.6, size=(n_labels, n_dims))
    shifts = rng.normal(0, 0.15, size=(n_batches, n_dims))
    X = centres[labels] + shifts[batches] + rng.normal(0, 1.0, size=(n_cells, n_dims))
    X_pre = X + 2 * shifts[batches]
    np.savez(path, X=X.astype(np.float32), X_pre=X_pre.astype(np.float32), labels=labels, batches=batches)


def synthetic(n_cells: int, seed: int = 0) -> dict:
    """The benchmark's default data (50 dims, 10 labels, 3 batches) as arrays, in memory."""
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        make_data(n_cells, 50, 10, 3, seed, path)
        with np.load(path) as data:
            return {k: data[k] for k in data.files}


def generated(kind: str, n_cells: int, seed: int = 0) -> dict:
    """``--data realistic`` (``realistic.py``) or ``blobs`` (:func:`synthetic`) as arrays."""
    from realistic import realistic

    return realistic(n_cells, seed=seed) if kind == "realistic" else synthetic(n_cells, seed=seed)


class ForestClock:
    """Seconds spent inside scikit-learn's random forest (fit and predictions).

    cz-benchmarks and we grow the same full forests (cz-benchmarks on one thread, we on
    every core); the issue's targets separate that shared work from the rest. Wraps the
    class's methods, so it times the forest wherever a pipeline or a scorer calls it.
    """

    def __init__(self) -> None:
        from sklearn.ensemble import RandomForestClassifier

        self.seconds = 0.0
        self._inside = False
        for method in ("fit", "predict", "predict_proba"):
            setattr(RandomForestClassifier, method, self._timed(getattr(RandomForestClassifier, method)))

    def _timed(self, func):  # noqa: ANN001, ANN202
        clock = self

        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            if clock._inside:  # predict calls predict_proba
                return func(*args, **kwargs)
            clock._inside = True
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                clock.seconds += time.perf_counter() - start
                clock._inside = False

        return timed


def load_arrays(data: Path):  # noqa: ANN201 - a mapping of name to array
    """The data's arrays: an .npz loaded, or (``--stream``) a folder of .npy files each
    memory-mapped, read from disk as the contender touches it."""
    import numpy as np

    if data.is_dir():
        return {name: np.load(data / f"{name}.npy", mmap_mode="r") for name in ("X", "X_pre", "labels", "batches")}
    return np.load(data)


def worker_exact(data: Path, seed: int, tasks_run: tuple[str, ...] = ()) -> dict:
    """ours with every neighbour search exact: what the IVF graph and the sampled
    neighbourhoods above ``graph.EXACT_MAX_CELLS`` cells are measured against."""
    import pytest_scbench.graph

    pytest_scbench.graph.EXACT_MAX_CELLS = 10**12
    return worker_ours(data, seed, tasks_run)


#: The items' details the table reports: how each metric was computed at this size.
DETAILS = ("knn_graph", "exact", "n_cells", "approximation", "kbet_standard_error")


def precomputed_inputs(data: Path, seed: int):  # noqa: ANN201
    """TaskInputs of a data set holding only ``obs`` (cell type, batch) and ``obsm["X_pca"]``
    (``X_pre``), and a precomputed model returning ``X``: the file a user scores an
    embedding with."""
    import pandas as pd
    from anndata import AnnData

    from pytest_scbench.datasets.base import DatasetKeys, DatasetSpec
    from pytest_scbench.models.base import ModelAdapter, RunContext
    from pytest_scbench.outputs import Outputs, OutputStore
    from pytest_scbench.tasks.base import TaskInputs

    arrays = load_arrays(data)
    X = arrays["X"]
    n = X.shape[0]
    obs = pd.DataFrame(
        {
            "cell_type": pd.Categorical([f"type{v}" for v in arrays["labels"]]),
            "batch": pd.Categorical([f"batch{v}" for v in arrays["batches"]]),
        },
        index=[f"c{i}" for i in range(n)],
    )
    adata = AnnData(obs=obs)  # an embedding-only data set: obs, and the unintegrated PCA
    adata.obsm["X_pca"] = arrays["X_pre"]

    class Precomputed(ModelAdapter):
        provides = frozenset({"embedding"})
        reads_expression = False

        def embed(self, dataset, ctx):  # noqa: ANN001, ANN202
            return X

    spec = DatasetSpec("synthetic", DatasetKeys(label_key="cell_type", batch_key="batch"),
                       loader=lambda _: adata, fingerprint=f"synthetic-{n}")
    dataset = spec.load(Path("."))
    outputs = Outputs(Precomputed(), dataset, RunContext(seed=seed), OutputStore(None))
    return TaskInputs(dataset, outputs, seed, item="bench[precomputed-synthetic]")


def worker_ours(data: Path, seed: int, tasks_run: tuple[str, ...] = (), controls: bool = False) -> dict:
    """Our tasks (default: the standard four) with their default parameters."""
    t0 = time.perf_counter()
    from pytest_scbench.registry import tasks

    forest = ForestClock()
    inputs = precomputed_inputs(data, seed)
    t1 = time.perf_counter()
    metrics, seconds, details = {}, {}, {}
    for name in tasks_run or ("clustering", "embedding", "label_prediction", "batch_integration"):
        start = time.perf_counter()
        result = tasks.get(name)(controls=controls).run(inputs)
        seconds[name] = time.perf_counter() - start
        metrics.update({f"{name}.{k}": v.value for k, v in result.metrics.items()})
        details[name] = {k: v for k, v in result.details.items() if k in DETAILS}
        finished = {"task": name, "s": seconds[name], "metrics": {k: v.value for k, v in result.metrics.items()},
                    "details": details[name]}
        print(FINISHED + json.dumps(finished), file=sys.stderr, flush=True)  # kept if a later task times out
    return {"import_s": t1 - t0, "task_s": time.perf_counter() - t1, "per_task_s": seconds,
            "forest_s": forest.seconds, "metrics": metrics, "details": details}


def worker_ours_controls(data: Path, seed: int) -> dict:
    """The standard four with their controls (negative and positive), as a suite runs them."""
    return worker_ours(data, seed, controls=True)


def worker_ours_scib(data: Path, seed: int) -> dict:
    """Our ``scib`` task: the Benchmarker's default metric set and aggregates."""
    return worker_ours(data, seed, tasks_run=("scib",))


def worker_scib(data: Path, seed: int) -> dict:
    """scib-metrics' Benchmarker with its default metrics (``BioConservation()``,
    ``BatchCorrection()``), the unintegrated data as its pre-integrated embedding."""
    t0 = time.perf_counter()
    import warnings

    import numpy as np
    import pandas as pd
    from anndata import AnnData
    from scib_metrics.benchmark import Benchmarker

    warnings.filterwarnings("ignore")
    arrays = load_arrays(data)
    X = arrays["X"]
    obs = pd.DataFrame({"cell_type": [f"type{v}" for v in arrays["labels"]],
                        "batch": [f"batch{v}" for v in arrays["batches"]]})
    adata = AnnData(np.zeros((X.shape[0], 1), dtype=np.float32), obs=obs)
    adata.obsm["emb"] = X
    adata.obsm["pre"] = arrays["X_pre"]
    t1 = time.perf_counter()
    bench = Benchmarker(
        adata, batch_key="batch", label_key="cell_type", embedding_obsm_keys=["emb"],
        pre_integrated_embedding_obsm_key="pre", progress_bar=False,
    )
    bench.benchmark()
    res = bench.get_results(min_max_scale=False, clean_names=False)
    col = res.loc["emb"]
    metrics = {str(k): float(v) for k, v in col.items() if isinstance(v, (int, float, np.floating))}
    return {"import_s": t1 - t0, "task_s": time.perf_counter() - t1, "metrics": metrics}


def worker_cz(data: Path, seed: int) -> dict:
    """cz-benchmarks 0.15.1's four tasks with their defaults."""
    t0 = time.perf_counter()
    import logging

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
    forest = ForestClock()
    arrays = load_arrays(data)
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
            "forest_s": forest.seconds, "metrics": metrics, "errors": errors}


WORKERS = {
    "ours": worker_ours,
    "ours_controls": worker_ours_controls,
    "ours_scib": worker_ours_scib,
    "exact": worker_exact,
    "scib": worker_scib,
    "cz": worker_cz,
}


# -- parent: run each contender in a subprocess, measure, print the table --------------


#: Prefix of the line a worker writes to stderr after each task: what a timed-out run still reports.
FINISHED = "finished task: "
#: Contenders whose task set ``--tasks`` chooses.
TASK_SET_WORKERS = ("ours", "exact")


def run_contender(
    name: str, python: str, data: Path, seed: int, timeout: float, tasks_run: tuple[str, ...] = ()
) -> dict:
    """One run of one contender in a fresh process: its JSON, wall seconds and peak RSS."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [python, str(Path(__file__).resolve()), "--worker", name, "--data-file", str(data), "--seed", str(seed)]
    if tasks_run and name in TASK_SET_WORKERS:
        cmd += ["--worker-tasks", ",".join(tasks_run)]
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
                err.seek(0)
                lines = err.read().splitlines()
                finished = [json.loads(line[len(FINISHED):]) for line in lines if line.startswith(FINISHED)]
                done = ", ".join(f"{f['task']}: {f['s']:.1f} s" for f in finished)
                return {"error": f"timed out after {timeout:.0f} s (finished: {done or 'none'})", "wall_s": timeout,
                        "peak_mb": usage.ru_maxrss / 1024, "finished": finished}
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


def median_of(runs: list[dict]) -> dict:
    """The first run's metrics and errors, with the median of each time and of the peak."""
    import statistics

    merged = dict(runs[0])
    for key in ("wall_s", "task_s", "import_s", "forest_s", "peak_mb"):
        if all(key in r for r in runs):
            merged[key] = statistics.median(r[key] for r in runs)
    if all("per_task_s" in r for r in runs):
        merged["per_task_s"] = {t: statistics.median(r["per_task_s"][t] for r in runs) for t in runs[0]["per_task_s"]}
    merged["runs"] = len(runs)
    merged["wall_s_each"] = [round(r["wall_s"], 2) for r in runs]
    merged["runs_differing"] = differing_metrics(runs)
    return merged


def differing_metrics(runs: list[dict]) -> dict[str, list[float]]:
    """Metrics whose value is not the same float in every run (each run in a fresh process).

    Empty when the runs are bit-identical: NaN equals NaN here, anything else compares
    exactly (``repr``), so a difference in the last bit counts.
    """
    names = sorted(set().union(*(r.get("metrics", {}) for r in runs)))
    values = {name: [r.get("metrics", {}).get(name) for r in runs] for name in names}
    return {name: vs for name, vs in values.items() if len({repr(v) for v in vs}) > 1}


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
    parser.add_argument("--contenders", default="ours,cz,ours_scib,scib",
                        help=f"comma-separated, of {', '.join(WORKERS)}")
    parser.add_argument("--cz-python", default="/work/venv-cz/bin/python",
                        help="Python of a virtual environment with cz-benchmarks==0.15.1")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed runs of each contender first (numba's and JAX's compile caches)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each contender; medians reported")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--json", type=Path, help="also write all results here")
    parser.add_argument("--tasks", default="",
                        help=f"comma-separated tasks that {' and '.join(TASK_SET_WORKERS)} run, in this order "
                        "(default: clustering, embedding, label_prediction, batch_integration)")
    parser.add_argument("--stream", action="store_true",
                        help="write the data as .npy files that the contenders memory-map (read from disk as "
                        "they are used) instead of an .npz they load")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--data-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker-tasks", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        chosen = tuple(t for t in args.worker_tasks.split(",") if t)
        work = WORKERS[args.worker]
        print(json.dumps(work(args.data_file, args.seed, chosen) if chosen else work(args.data_file, args.seed)))
        return
    tasks_run = tuple(t.strip() for t in args.tasks.split(",") if t.strip())
    if tasks_run:
        from pytest_scbench.registry import tasks

        unknown_tasks = [t for t in tasks_run if t not in tasks]
        if unknown_tasks:
            parser.error(f"unknown tasks {unknown_tasks}; choose from {', '.join(tasks.names())}")

    contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    unknown = sorted(set(contenders) - set(WORKERS))
    if unknown:
        parser.error(f"unknown contenders {unknown}; choose from {', '.join(WORKERS)}")
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
        if args.stream:
            data = as_npy_files(data)
        pythons = {name: args.cz_python if name == "cz" else sys.executable for name in contenders}
        results: dict[str, dict] = {}
        for name in contenders:
            if not Path(pythons[name]).exists():
                results[name] = {"error": f"no cz-benchmarks Python at {pythons[name]}"}
        live = [name for name in contenders if name not in results]
        for i in range(args.warmup):
            for name in live:
                print(f"warm-up {i + 1}: {name} ...", file=sys.stderr, flush=True)
                run_contender(name, pythons[name], data, args.seed, args.timeout, tasks_run)
        runs: dict[str, list[dict]] = {name: [] for name in live}
        for i in range(args.repeats):  # interleaved, so a change of the machine's load hits all
            for name in live:
                print(f"run {i + 1}: {name} ...", file=sys.stderr, flush=True)
                runs[name].append(run_contender(name, pythons[name], data, args.seed, args.timeout, tasks_run))
        for name in live:
            failed = [r for r in runs[name] if "error" in r]
            results[name] = failed[0] if failed else median_of(runs[name])
    results = {name: results[name] for name in contenders}
    print_table(args, results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def as_npy_files(archive: Path) -> Path:
    """The arrays of ``archive`` (.npz) as one .npy file each in a folder beside it (``--stream``)."""
    import numpy as np

    folder = archive.with_suffix("")
    folder.mkdir()
    with np.load(archive) as arrays:
        for name in arrays.files:
            np.save(folder / f"{name}.npy", arrays[name])
    archive.unlink()
    return folder


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a is not None and b else "-"


def print_table(args: argparse.Namespace, results: dict) -> None:
    print(f"\n{args.data}: {args.cells} cells x {args.dims} dims, {args.labels} labels, {args.batches} batches, "
          f"seed {args.seed}, {os.cpu_count()} CPUs; medians of {args.repeats} runs after {args.warmup} warm-up")
    print(f"{'contender':<14} {'wall s':>8} {'task s':>8} {'forest s':>9} {'peak MB':>8}  per task s")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<14} failed: {r['error'].strip().splitlines()[-1] if r['error'].strip() else '?'}")
            continue
        forest = f"{r['forest_s']:9.1f}" if "forest_s" in r else f"{'-':>9}"
        per_task = ", ".join(f"{k} {v:.1f}" for k, v in (r.get("per_task_s") or {}).items())
        print(f"{name:<14} {r['wall_s']:8.1f} {r['task_s']:8.1f} {forest} {r['peak_mb']:8.0f}  {per_task}")
        for task, message in (r.get("errors") or {}).items():
            print(f"{'':14} {task} failed: {message}")
        if r.get("runs", 1) > 1:
            differing = r.get("runs_differing") or {}
            n_metrics = len(r.get("metrics") or {})
            print(f"{'':14} {r['runs']} runs: " + (
                f"all {n_metrics} metrics bit-identical" if not differing
                else f"{len(differing)} of {n_metrics} metrics differ: {json.dumps(differing)}"))
        for task, details in (r.get("details") or {}).items():
            shown = {k: v for k, v in details.items() if k != "approximation" and not (k == "exact" and v)}
            if shown:
                print(f"{'':14} {task}: {json.dumps(shown)}")
    for peer, (ours_name, shared) in COMPARISONS.items():
        ours, theirs = results.get(ours_name), results.get(peer)
        if not ours or not theirs or "error" in ours or "error" in theirs:
            continue
        print(f"\n{peer} vs {ours_name}: wall {ratio(theirs['wall_s'], ours['wall_s'])}, "
              f"task {ratio(theirs['task_s'], ours['task_s'])}", end="")
        if "forest_s" in ours and "forest_s" in theirs:
            def rest(r: dict, key: str) -> float:
                return r[key] - r["forest_s"]

            print(f", task without the forest {ratio(rest(theirs, 'task_s'), rest(ours, 'task_s'))}"
                  f", wall without the forest {ratio(rest(theirs, 'wall_s'), rest(ours, 'wall_s'))}", end="")
        print()
        print(f"{'metric':<20}{ours_name:>12}{peer:>12}{'difference':>12}")
        for metric, (our_key, their_key) in shared.items():
            a, b = ours["metrics"].get(our_key), theirs["metrics"].get(their_key)
            if a is None or b is None:
                print(f"{metric:<20}{'-' if a is None else f'{a:.4f}':>12}{'-' if b is None else f'{b:.4f}':>12}")
                continue
            print(f"{metric:<20}{a:12.4f}{b:12.4f}{a - b:12.4f}")


if __name__ == "__main__":
    main()
