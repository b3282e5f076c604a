"""The ``scbench`` command: list what exists, compare the JSON reports of two runs, convert data.

It reads the same files the plugin writes (``--scbench-json``) and judges with the same
rule as the gate (:func:`pytest_scbench.baselines.judge`).
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import registry
from .baselines import judge
from .errors import ScbenchError
from .expectations import checks
from .report.text import table
from .suite import load_suite


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scbench",
        description="pytest-scbench: list what can be benchmarked, compare and merge run reports, "
        "convert and prepare data, write readable reports.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p_list = sub.add_parser("list", help="list registered models, datasets or tasks, or the items of suite files")
    p_list.add_argument("what", choices=["models", "datasets", "tasks", "suites"], help="what to list")
    p_list.add_argument("paths", nargs="*", type=Path, help="suite files or folders, for 'suites' (default: ./suites)")

    p_cmp = sub.add_parser(
        "compare",
        help="compare two JSON reports; exit code 1 when a metric regressed beyond tolerance or was lost",
        description="Compare the metrics of two --scbench-json reports item by item. A metric regressed when "
        "NEW is worse than OLD by more than its tolerance (the one recorded in NEW, else --tolerance). "
        "A metric OLD has and NEW lacks (LOST), or an item OLD completed and NEW did not (NOT_RUN), "
        "fails the comparison too; items in one report only are listed.",
    )
    p_cmp.add_argument("old", type=Path, help="the reference report")
    p_cmp.add_argument("new", type=Path, help="the report to judge")
    p_cmp.add_argument(
        "--tolerance", type=float, default=0.02, help="tolerance where a report records none (default 0.02)"
    )
    p_cmp.add_argument("--all", action="store_true", help="list unchanged metrics too")

    p_conv = sub.add_parser(
        "convert",
        help="convert an .h5ad to an .h5t (h5torch: counts as a CSR central object, obs and var aligned)",
        description="Write an .h5t that models can stream in batches of cells without loading the matrix. "
        "CSR and dense matrices are converted in blocks of cells, so files larger than memory work.",
    )
    p_conv.add_argument("input", type=Path, help="the .h5ad to read")
    p_conv.add_argument("output", type=Path, help="the .h5t to write (replaced atomically)")
    p_conv.add_argument("--counts", default="X", help="where the raw counts are: X (default), raw.X or layers/<name>")

    p_merge = sub.add_parser(
        "merge",
        help="join the JSON reports of shards (--scbench-shard K/N) into one",
        description="Join --scbench-json reports of one run's shards. Refuses reports of different report "
        "versions, pytest-scbench versions or suites (suite and baseline file sha256), items with different "
        "results in two reports, and missing shards (unless --partial).",
    )
    p_merge.add_argument("reports", nargs="+", type=Path, help="the reports to join")
    p_merge.add_argument("-o", "--output", type=Path, required=True, help="the merged report to write")
    p_merge.add_argument("--partial", action="store_true", help="merge even when shards are missing (a warning)")

    p_prep = sub.add_parser(
        "prepare-data",
        help="cache a data set and the masked matrix of the reconstruction task",
        description="Load a registered data set into the cache (downloading or generating it) and write the "
        "masked matrix the reconstruction task reads: <data-dir>/<dataset>/masked/mask_<pct>_seed_<seed>.h5ad.",
    )
    p_prep.add_argument("--dataset", required=True, help="a registered data set, as a suite names it (name?k=v)")
    p_prep.add_argument(
        "--mask-percentage", type=float, default=0.15, help="fraction of entries to mask, 0 < p < 1 (default 0.15)"
    )
    p_prep.add_argument("--seed", type=int, default=0, help="the seed of the mask (an item's seed; default 0)")
    p_prep.add_argument("--data-dir", type=Path, default=None, help="cache (default $SCBENCH_DATA_DIR)")

    p_rep = sub.add_parser(
        "report",
        help="write an HTML page and/or a Markdown summary of a JSON report",
        description="Turn a --scbench-json report into readable results: an HTML page (heatmaps of scaled scores per "
        "data set, baseline vs this run bar charts, regressions and improvements, every metric, the environment; "
        "self-contained, works offline) and/or a Markdown summary for a CI job summary ($GITHUB_STEP_SUMMARY). "
        "Scores are scaled between the negative control (0) and the best possible value (1).",
    )
    p_rep.add_argument("report", type=Path, help="the JSON report written by --scbench-json")
    p_rep.add_argument("--html", type=Path, metavar="PATH", help="write the HTML page to PATH (replaced atomically)")
    p_rep.add_argument(
        "--markdown", type=Path, metavar="PATH", help="write the Markdown summary to PATH (replaced atomically)"
    )

    args = parser.parse_args(argv)
    if args.command == "report" and args.html is None and args.markdown is None:
        p_rep.error("give --html PATH, --markdown PATH or both")
    try:
        if args.command == "report":
            from .report.json_report import read_report
            from .report.pages import write_pages

            for path in write_pages(read_report(args.report), args.html, args.markdown).values():
                print(f"wrote {path}")
            return 0
        if args.command == "list":
            return _list(args.what, args.paths)
        if args.command == "convert":
            from .datasets.h5t import convert_h5ad_to_h5t

            written = convert_h5ad_to_h5t(args.input, args.output, counts=args.counts)
            print(f"wrote {written}")
            return 0
        if args.command == "merge":
            return _merge(args.reports, args.output, args.partial)
        if args.command == "prepare-data":
            return _prepare(args.dataset, args.mask_percentage, args.seed, args.data_dir)
        return _compare(args.old, args.new, args.tolerance, args.all)
    except ScbenchError as exc:
        print(f"scbench: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output that cannot be written, a folder that does not exist
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"scbench: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


def _list(what: str, paths: list[Path]) -> int:
    if what == "suites":
        files = _suite_files(paths or [Path("suites")])
        if not files:
            raise ScbenchError(f"no suite file under {', '.join(map(str, paths or ['suites']))}")
        for file in files:
            suite = load_suite(file)
            cases = suite.cases()
            print(f"{file}: suite {suite.name!r}, {len(cases)} item(s), baselines {suite.baselines_path}")
            for case in cases:
                reason = case.skip_reason
                print(f"  {case.id}" + (f"  (skipped: {reason})" if reason else ""))
            for check in checks(suite):
                print(f"  {check.id}  ({check.expectation.describe()} on {check.metric})")
        return 0
    rows = []
    if what == "models":
        for name in registry.models.names():
            factory = registry.models.get(name)
            provides = ", ".join(sorted(getattr(factory, "provides", ()))) or "?"
            lines = _wrapped(factory.__doc__)
            rows.append([name, provides, getattr(factory, "device", "?"), lines[0]])
            rows += [["", "", "", line] for line in lines[1:]]
        header = ["model", "provides", "device", "description"]
    elif what == "tasks":
        for name in registry.tasks.names():
            task = registry.tasks.get(name)
            rows.append(
                [
                    name,
                    ", ".join(sorted(task.requires_outputs)),
                    ", ".join(sorted(task.requires_keys)),
                    ", ".join(task().headline_metrics()) or "all",
                    ", ".join(f"{k}={v!r}" for k, v in task.defaults.items()),
                ]
            )
        header = ["task", "needs outputs", "needs keys", "gated (headlines)", "parameters (defaults)"]
    else:
        for name in registry.datasets.names():
            spec = registry.datasets.get(name)()
            keys = ", ".join(f"{k}={v}" for k, v in vars(spec.keys).items() if v is not None)
            rows.append([name, spec.organism, keys, ", ".join(spec.markers) or "offline"])
        header = ["dataset", "organism", "keys", "markers"]
    print("\n".join(table(header, rows)))
    return 0


def _suite_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    return files


#: Width of the description column of ``scbench list models``.
DESCRIPTION_WIDTH = 72


def _wrapped(doc: str | None, width: int = DESCRIPTION_WIDTH) -> list[str]:
    """A docstring as whole, wrapped lines: every paragraph, reST's double backquotes dropped."""
    text = " ".join((doc or "").replace("``", "").split())
    return textwrap.wrap(text, width) or [""]


def _load(path: Path) -> dict[str, dict[str, Any]]:
    from .report.json_report import read_report

    return {item["id"]: item for item in read_report(path).get("items", [])}


def _compare(old_path: Path, new_path: Path, default_tolerance: float, show_all: bool) -> int:
    if not math.isfinite(default_tolerance) or default_tolerance < 0:
        raise ScbenchError(f"--tolerance: expected a finite number >= 0, got {default_tolerance}")
    old, new = _load(old_path), _load(new_path)
    rows, regressions, improvements = [], 0, 0
    lost = 0
    for item_id in sorted(set(old) & set(new)):
        before, after = old[item_id].get("metrics", {}), new[item_id].get("metrics", {})
        tolerances = new[item_id].get("tolerances", {})
        if old[item_id].get("completed", True) and not new[item_id].get("completed", True):
            # a run that did not finish an item cannot show it kept its numbers
            lost += 1
            outcome = new[item_id].get("outcome") or "not completed"
            rows.append([item_id, "(item)", "completed", outcome, "", "", "NOT_RUN"])
            continue
        for metric in sorted(set(before) & set(after)):
            a, b = before[metric], after[metric]
            if a.get("value") is None:
                continue
            if b.get("value") is None:
                lost += 1
                rows.append([item_id, metric, f"{a['value']:.4f}", "none", "", "", "LOST"])
                continue
            tolerance = tolerances.get(metric, default_tolerance)
            status = judge(b["value"], a["value"], b["direction"], tolerance)
            regressions += status == "regressed"
            improvements += status == "improved"
            if status != "ok" or show_all:
                rows.append(
                    [
                        item_id,
                        metric,
                        f"{a['value']:.4f}",
                        f"{b['value']:.4f}",
                        f"{b['value'] - a['value']:+.4f}",
                        f"{tolerance:.4f}",
                        status.upper() if status != "ok" else "ok",
                    ]
                )
        for metric in sorted(m for m in set(before) - set(after) if before[m].get("value") is not None):
            lost += 1
            rows.append([item_id, metric, f"{before[metric]['value']:.4f}", "absent", "", "", "LOST"])
    if rows:
        print(
            "\n".join(
                table(
                    ["item", "metric", "old", "new", "difference", "tolerance", "status"],
                    rows,
                    [False, False, True, True, True, True, False],
                )
            )
        )
    only_old, only_new = sorted(set(old) - set(new)), sorted(set(new) - set(old))
    for label, ids in (("only in old", only_old), ("only in new", only_new)):
        if ids:
            print(f"\n{label} ({len(ids)}): " + ", ".join(ids))
    shared = len(set(old) & set(new))
    summary = f"\n{regressions} regression(s), {improvements} improvement(s) in {shared} shared item(s)"
    if lost:
        summary += f"; {lost} metric(s) or item(s) the old run had and the new one did not give (LOST, NOT_RUN)"
    print(summary)
    return 1 if regressions or lost else 0


def _merge(paths: list[Path], output: Path, partial: bool) -> int:
    from .report.json_report import read_report, write_report
    from .report.merge import merge_reports

    merged, warnings = merge_reports([(path, read_report(path)) for path in paths], partial=partial)
    for warning in warnings:
        print(f"scbench: warning: {warning}", file=sys.stderr)
    write_report(output, merged)
    summary = merged["summary"]
    print(f"wrote {output}: {summary['items']} item(s) from {len(paths)} report(s)")
    checks = merged.get("expectations") or []
    settled = [e for e in checks if e.get("settled_by") == "merge"]
    failed = [e for e in checks if e.get("outcome") == "failed"]
    if settled:
        print(f"judged {len(settled)} expectation(s) that no single report could check (their items ran apart)")
    for check in failed:
        print(check.get("message") or f"{check.get('id')}: failed", file=sys.stderr)
    if failed:
        print(f"{len(failed)} of {len(checks)} expectation(s) failed", file=sys.stderr)
    return 1 if failed else 0


def _prepare(dataset: str, fraction: float, seed: int, data_dir: Path | None) -> int:
    from .datasets import default_data_dir
    from .prepare import prepare_data

    done = prepare_data(dataset, fraction, seed, data_dir if data_dir is not None else default_data_dir())
    print(f"dataset {done.dataset!r}")
    print(f"raw:    {done.raw if done.raw is not None else '(read from its own file, not copied into the cache)'}")
    print(f"masked: {done.masked} ({done.n_masked} entries masked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
