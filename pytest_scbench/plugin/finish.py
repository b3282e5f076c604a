"""The end of a run, in the controller: update baselines, write reports, print the summary."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from ..baselines import BaselineEntry, Changes, update_file
from ..errors import BaselineError
from ..limits import is_finite_number
from ..report.environment import environment
from ..report.json_report import build_report, write_report
from ..report.pages import write_pages
from ..report.text import summary_grids
from ..results import CaseResult
from .session import ScbenchSession

#: Items listed by name in the terminal summary's "did not run" section.
_LISTED = 10


def write_outputs(config: pytest.Config, state: ScbenchSession, interrupted: bool = False) -> None:
    """Baselines first (when asked), then the JSON report, the HTML page and the Markdown summary: all atomically.

    An interrupted run (Ctrl-C) updates no baseline, since a partial run is no ground to
    rewrite any; its reports still hold every item that finished.
    """
    if state.options.update_baselines:
        if interrupted:
            state.notes.append(
                "the run was interrupted: no baseline was updated; rerun with --scbench-update-baselines to the end"
            )
        else:
            update_baselines(state)
    paths = [state.options.json_path, state.options.html_path, state.options.markdown_path]
    if all(path is None for path in paths):
        return
    report = run_report(config, state)
    json_path, html_path, markdown_path = (
        path if path is None or path.is_absolute() else Path(config.invocation_params.dir) / path for path in paths
    )
    if json_path is not None:
        write_report(json_path, report)
        state.report_path = json_path
    if html_path is not None or markdown_path is not None:
        # The JSON's own round trip: pages are built from exactly what the JSON report holds.
        state.page_paths = write_pages(json.loads(json.dumps(report)), html_path, markdown_path)


def run_report(config: pytest.Config, state: ScbenchSession) -> dict[str, Any]:
    """The JSON report of this run, as ``--scbench-json`` writes it."""
    results = list(state.results.values())
    suites = {r.suite: {"baselines": r.baselines} for r in results if r.baselines}
    suites.update(state.suites)
    options = {
        "device": state.options.device,
        "seeds": state.options.seeds,
        "seed_offset": state.options.seed_offset,
        "z": state.options.z,
        "strict": state.options.strict,
        "update_baselines": state.options.update_baselines,
    }
    shard = state.shard.to_json() if state.shard is not None else None
    report = build_report(
        results, environment(Path(config.rootpath)), suites, options, shard=shard, not_run=not_run(state)
    )
    # Relative expectations (expect: entries), one record per check that ran or was skipped.
    report["expectations"] = [state.expectations[k] for k in sorted(state.expectations)]
    return report


def not_run(state: ScbenchSession) -> list[str]:
    """Ids of the selected benchmark items that left no result (the run stopped first)."""
    return sorted(state.selected - set(state.results))


def update_baselines(state: ScbenchSession) -> None:
    """Rewrite the entries of every item that ran to completion, file by file.

    Each file is updated under its lock and merged with what is on disk at that moment
    (:func:`pytest_scbench.baselines.update_file`). An item with a metric that is not a
    finite number is never written: it is listed among the items not updated.
    """
    by_file: dict[str, list[CaseResult]] = defaultdict(list)
    for result in state.results.values():
        by_file[result.baselines].append(result)
    for path_text, results in sorted(by_file.items()):
        done = [r for r in results if r.completed and _entries(r) is not None]
        state.not_updated.extend(sorted(r.id for r in results if r not in done and r.outcome != "skipped"))
        if not done:
            continue
        path = Path(path_text)
        pending = [(r.id, _entries(r) or {}) for r in sorted(done, key=lambda r: r.id)]
        try:
            changes = update_file(path, done[0].suite, pending)
        except BaselineError as exc:
            state.errors.append(f"baselines not updated: {exc}")
            continue
        state.changes.append(changes)


def _entries(result: CaseResult) -> dict[str, BaselineEntry] | None:
    """The baseline entries of a result, or None when a value is not a finite number."""
    out = {}
    for name, metric in result.metrics.items():
        n_seeds = len(metric.get("values", [])) or 1
        value, std = metric.get("value"), metric.get("std", 0.0) if n_seeds > 1 else 0.0
        if not is_finite_number(value) or not is_finite_number(std):
            return None
        out[name] = BaselineEntry(
            value=float(value),
            direction=metric["direction"],
            tolerance=result.tolerances.get(name),
            std=float(std),
            n_seeds=n_seeds,
        )
    return out


def terminal_summary(tr: Any, state: ScbenchSession, exitstatus: int) -> None:
    results = sorted(state.results.values(), key=lambda r: r.id)
    if not results:
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            tr.write_line("pytest-scbench: no benchmark item was collected (exit code 5)", red=True)
        for error in state.errors:
            tr.write_line(f"pytest-scbench: {error}", red=True)
        return
    tr.write_sep("=", "scbench summary")
    for line in summary_grids(results):
        tr.write_line(line)
    _section(tr, "regressions", [_metric_lines(r, r.regressions()) for r in results], red=True)
    _section(
        tr, "changed beyond tolerance, not gated", [_metric_lines(r, r.changed()) for r in results], yellow=True
    )
    _section(tr, "improvements beyond tolerance", [_metric_lines(r, r.improvements()) for r in results], green=True)
    missing = [r.id for r in results if r.missing() and r.outcome != "failed"]
    if missing and not state.options.update_baselines:
        how = "they fail under --scbench-strict" if not state.options.strict else "they failed (--scbench-strict)"
        tr.write_line("")
        tr.write_line(
            f"note: {len(missing)} item(s) have metrics without a stored baseline ({how}); "
            "record them with --scbench-update-baselines",
            yellow=True,
        )
        for item in missing:
            tr.write_line(f"  {item}")
    for changes in state.changes:
        _print_changes(tr, changes)
    if state.options.update_baselines and state.not_updated:
        tr.write_line("")
        tr.write_line(f"baselines not updated for {len(state.not_updated)} item(s) that did not complete:", yellow=True)
        for item in state.not_updated:
            tr.write_line(f"  {item}")
    skipped_over = not_run(state)
    if skipped_over:
        tr.write_line("")
        tr.write_line(f"{len(skipped_over)} benchmark item(s) did not run (the run stopped first):", yellow=True)
        for item in skipped_over[:_LISTED]:
            tr.write_line(f"  {item}")
        if len(skipped_over) > _LISTED:
            tr.write_line(f"  ... and {len(skipped_over) - _LISTED} more (the JSON report lists them: not_run)")
    for note in state.notes:
        tr.write_line("")
        tr.write_line(f"pytest-scbench: {note}", yellow=True)
    for error in state.errors:
        tr.write_line(f"pytest-scbench: {error}", red=True)
    if state.report_path is not None:
        tr.write_line("")
        tr.write_line(f"scbench JSON report: {state.report_path}")
    for kind, path in state.page_paths.items():
        tr.write_line(f"scbench {kind} report: {path}")


def _metric_lines(result: CaseResult, metrics: list[str]) -> list[str]:
    lines = []
    for m in metrics:
        v = result.verdicts[m]
        lines.append(
            f"  {result.id} {m}: {_num(v.get('baseline'))} -> {_num(v.get('value'))} "
            f"({_num(v.get('difference'), signed=True)}, tolerance {_num(v.get('tolerance'))}, "
            f"{v.get('direction')} is better)"
        )
    return lines


def _num(value: object, signed: bool = False) -> str:
    """A verdict's number to 4 decimals, ``-`` where there is none (null in a report)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def _section(tr: Any, title: str, groups: list[list[str]], **markup: bool) -> None:
    lines = [line for group in groups for line in group]
    if lines:
        tr.write_line("")
        tr.write_line(f"{title} ({len(lines)}):", **markup)
        for line in lines:
            tr.write_line(line)


def _print_changes(tr: Any, changes: Changes) -> None:
    tr.write_line("")
    if not changes:
        tr.write_line(f"baselines unchanged: {changes.path}")
        return
    tr.write_line(
        f"baselines updated: {changes.path}: {len(changes.added)} added, "
        f"{len(changes.changed)} changed, {len(changes.removed)} removed",
        green=True,
    )
    for label, entries in (("added", changes.added), ("removed", changes.removed)):
        by_item: dict[str, list[str]] = defaultdict(list)
        for entry in entries:
            item, metric = entry.split(" ", 1)
            by_item[item].append(metric)
        for item, metrics in by_item.items():
            tr.write_line(f"  {label}: {item} {', '.join(metrics)}")
    for entry in changes.changed:
        tr.write_line(f"  changed: {entry}")
