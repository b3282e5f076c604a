"""How much do the shipped suites' metrics move with the machine's thread and BLAS settings?

Runs ``python -m pytest suites/`` once per setting below, each in a fresh process with its own
empty ``SCBENCH_DATA_DIR`` (so no cached model output is shared between settings), with
``--scbench-json``, then prints, per metric name, the largest absolute difference between
any two settings over every item, next to the item's tolerance; and the same against the
committed baselines (``suites/baselines/*.json``). A row whose ``diff / tol`` nears 1 is a
metric whose gate would raise false alarms between two machines.

Settings (pick with ``--settings``, default ``threads1,threads2``):

- ``threads1``: OMP, OpenBLAS, MKL, numba and XLA (jax) limited to 1 thread;
- ``threads2``: the same limited to 2 threads;
- ``sandybridge``: as ``threads2`` with ``OPENBLAS_CORETYPE=Sandybridge``: OpenBLAS' AVX
  kernels instead of the AVX2/FMA ones it picks on a current x86 CPU ("Haswell"), a stand-in
  for another machine's BLAS (numpy's and scipy's wheels bundle an OpenBLAS built with
  DYNAMIC_ARCH, which honours the variable; check with ``threadpoolctl.threadpool_info()``).

Usage (from the repository root, with the project installed)::

    python benchmarks/thread_noise.py                       # threads1 vs threads2
    python benchmarks/thread_noise.py --settings threads1,threads2,sandybridge --keep reports/noise

The table goes to stdout as Markdown (pasted into benchmarks/README.md); ``--keep DIR``
keeps each setting's JSON report there, and ``--reports A.json B.json ...`` tabulates kept
reports (of this script or any ``--scbench-json`` runs) without running anything. Exit
status 0 unless a run left no report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Environment variables that set a thread count in the libraries the suites use.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def threads(n: int) -> dict[str, str]:
    """Every thread-count variable set to ``n``, jax/XLA's CPU backend included."""
    env = dict.fromkeys(THREAD_VARS, str(n))
    env["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen={'true' if n > 1 else 'false'} intra_op_parallelism_threads={n}"
    return env


SETTINGS: dict[str, dict[str, str]] = {
    "threads1": threads(1),
    "threads2": threads(2),
    "sandybridge": {**threads(2), "OPENBLAS_CORETYPE": "Sandybridge"},
}


@dataclass
class Row:
    """The largest difference seen for one metric name."""

    metric: str
    diff: float
    tolerance: float
    item: str

    @property
    def ratio(self) -> float:
        return self.diff / self.tolerance if self.tolerance > 0 else float("inf")


def run_setting(name: str, env_update: Mapping[str, str], out: Path, pytest_args: list[str]) -> tuple[float, int]:
    """Run the shipped suites under one setting; return (wall seconds, pytest exit code)."""
    with tempfile.TemporaryDirectory(prefix=f"scbench-noise-{name}-") as cache:
        env = {**os.environ, **env_update, "SCBENCH_DATA_DIR": cache}
        cmd = [sys.executable, "-m", "pytest", "suites/", "-p", "no:cacheprovider", "-q", "--scbench-json", str(out)]
        start = time.perf_counter()
        proc = subprocess.run(cmd + pytest_args, cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
    if not out.exists():
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"setting {name!r}: pytest exited {proc.returncode} and wrote no report {out}")
    return wall, proc.returncode


def metrics_of(report: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """``(item id, metric) -> (value, tolerance)`` of every metric in a JSON report."""
    data = json.loads(report.read_text())
    out = {}
    for item in data["items"]:
        for name, metric in item.get("metrics", {}).items():
            tol = item.get("verdicts", {}).get(name, {}).get("tolerance")
            if tol is None:
                tol = item.get("tolerances", {}).get(name, float("nan"))
            out[(item["id"], name)] = (float(metric["value"]), float(tol))
    return out


def stored_baselines() -> dict[tuple[str, str], tuple[float, float]]:
    """``(item id, metric) -> (value, tolerance)`` from the committed ``suites/baselines``."""
    out = {}
    for path in sorted((REPO / "suites" / "baselines").glob("*.json")):
        for item, entries in json.loads(path.read_text())["entries"].items():
            for name, entry in entries.items():
                out[(item, name)] = (float(entry["value"]), float(entry.get("tolerance") or float("nan")))
    return out


def largest(runs: Iterable[Mapping[tuple[str, str], tuple[float, float]]]) -> list[Row]:
    """Per metric name, the largest spread (max - min) over the runs of any one item."""
    runs = list(runs)
    keys = set.intersection(*(set(r) for r in runs))
    best: dict[str, Row] = {}
    for item, metric in sorted(keys):
        values = [r[(item, metric)][0] for r in runs]
        tol = runs[0][(item, metric)][1]
        diff = max(values) - min(values)
        row = best.get(metric)
        if row is None or diff > row.diff:
            best[metric] = Row(metric, diff, tol, item)
    return sorted(best.values(), key=lambda r: (-r.ratio, r.metric))


def table(rows: list[Row], title: str) -> str:
    """A Markdown table of ``rows``."""
    lines = [
        f"{title}",
        "",
        "| metric | largest diff | tolerance | diff / tol | item |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        lines.append(f"| {r.metric} | {r.diff:.2e} | {r.tolerance:g} | {r.ratio:.3f} | `{r.item}` |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default="threads1,threads2", help=f"comma-separated, of {list(SETTINGS)}")
    parser.add_argument("--keep", type=Path, help="keep each setting's JSON report in this folder")
    parser.add_argument("--reports", type=Path, nargs="+", help="tabulate these JSON reports; run nothing")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest after '--' (e.g. -k core)")
    args = parser.parse_args(argv)
    if args.reports:
        if len(args.reports) < 2:
            parser.error("--reports needs two or more JSON reports")
        print_tables([p.stem for p in args.reports], [metrics_of(p) for p in args.reports])
        return 0
    names = [s.strip() for s in args.settings.split(",") if s.strip()]
    unknown = [n for n in names if n not in SETTINGS]
    if unknown or len(names) < 2:
        parser.error(f"--settings needs two or more of {list(SETTINGS)}; got {names}")

    with tempfile.TemporaryDirectory(prefix="scbench-noise-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        runs = []
        for name in names:
            report = folder / f"{name}.json"
            report.unlink(missing_ok=True)
            wall, rc = run_setting(name, SETTINGS[name], report, args.pytest_args)
            print(f"{name}: {wall:.0f} s, pytest exit {rc}, {' '.join(f'{k}={v}' for k, v in SETTINGS[name].items())}")
            runs.append(metrics_of(report))
    print_tables(names, runs)
    return 0


def print_tables(names: list[str], runs: list[dict[tuple[str, str], tuple[float, float]]]) -> None:
    """The two tables: between the runs, and of every run against the committed baselines."""
    n_metrics = len(set.intersection(*(set(r) for r in runs)))
    between = largest(runs)
    moved = sum(r.diff > 0 for r in between)
    print()
    print(table(between, f"Between settings ({' vs '.join(names)}), {n_metrics} metrics; {moved} names moved:"))
    print()
    stored = stored_baselines()
    print(table(largest([stored, *runs]), "Against the committed baselines (suites/baselines), every setting:"))


if __name__ == "__main__":
    raise SystemExit(main())
