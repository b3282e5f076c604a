"""Join the JSON reports of shards (or of separate jobs) into one: ``scbench merge``.

Reports are joined only when they can describe one run: the same report format version,
the same pytest-scbench version, and the same suites (each suite file's and baseline
file's sha256, as recorded at collection). An item present in two reports must carry the
same result in both (durations aside); otherwise the merge is refused, naming the item
and the two files.

Shards: reports of ``--scbench-shard K/N`` runs must agree on N; the merged report's
``shard`` says ``{"count": N, "merged": [K, ...]}``. A missing shard is refused unless
``partial`` is given (then it is a warning): a CI job that failed to upload its report
would otherwise pass as a smaller benchmark. Reports without a shard (say a CPU job and a
GPU job split by markers) merge with ``shard`` None; sharded and unsharded reports do not mix.

Expectations (a suite's ``expect:``): a check no report could run, because its two items
ran in different shards or jobs, is judged here on the merged items by the rule the plugin
applies (:func:`~pytest_scbench.expectations.holds`), and marked ``"settled_by": "merge"``;
without this, a check between a CPU and a GPU model, or between models of two shards, would
be skipped everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ScbenchError
from ..expectations import BASELINE, holds, result_values
from ..limits import is_finite_number
from ..results import CaseResult, item_id
from .json_report import REPORT_VERSION, build_report


class MergeError(ScbenchError):
    """Reports that cannot be joined into one; the message names the files and the reason."""


def merge_reports(reports: Sequence[tuple[Path, dict[str, Any]]], partial: bool = False) -> tuple[dict, list[str]]:
    """The merged report and the warnings to show; MergeError when they cannot be joined."""
    if not reports:
        raise MergeError("give at least one report to merge")
    first_path, first = reports[0]
    for path, report in reports[1:]:
        _same(first_path, path, "report format version", first.get("version"), report.get("version"))
        _same(first_path, path, "pytest-scbench version", _version(first), _version(report))
    if first.get("version") != REPORT_VERSION:
        raise MergeError(
            f"{first_path}: report format version {first.get('version')!r}; this scbench reads {REPORT_VERSION}"
        )
    suites = _merge_suites(reports)
    items: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path, report in reports:
        for item in report.get("items", []):
            seen = items.get(item["id"])
            if seen is None:
                items[item["id"]] = (path, item)
            elif _without_durations(seen[1]) != _without_durations(item):
                raise MergeError(
                    f"item {item['id']} has different results in {seen[0]} and {path}; they are not shards of one run"
                )
    shard, warnings = _merge_shards(reports, partial)
    results = [CaseResult.from_json(item) for _, item in items.values()]
    not_run = {item for _, report in reports for item in report.get("not_run", [])}
    merged = build_report(
        results, first.get("environment", {}), suites, first.get("options", {}), shard=shard, not_run=not_run
    )
    merged["expectations"] = _settle(
        _merge_expectations(reports), {item_id: item for item_id, (_, item) in items.items()}
    )
    merged["merged_from"] = [
        {"path": str(path), "shard": report.get("shard"), "items": len(report.get("items", []))}
        for path, report in reports
    ]
    return merged, warnings


def _version(report: dict[str, Any]) -> Any:
    return report.get("environment", {}).get("packages", {}).get("pytest-scbench")


def _same(a: Path, b: Path, what: str, x: Any, y: Any) -> None:
    if x != y:
        raise MergeError(f"{a} and {b} have different {what}s ({x!r} and {y!r}); rerun them with one version")


def _merge_suites(reports: Sequence[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    first_path, first = reports[0]
    names = set(first.get("suites", {}))
    for path, report in reports[1:]:
        other = set(report.get("suites", {}))
        if other != names:
            raise MergeError(
                f"{first_path} and {path} ran different suites ({', '.join(sorted(names)) or 'none'} and "
                f"{', '.join(sorted(other)) or 'none'})"
            )
        for name in sorted(names):
            for key, what in (("sha256", "suite file"), ("baselines_sha256", "baseline file")):
                x, y = first["suites"][name].get(key), report["suites"][name].get(key)
                if x != y:
                    raise MergeError(
                        f"{first_path} and {path} ran suite {name!r} with different {what}s "
                        f"(sha256 {x} and {y}); rerun the shards on one commit"
                    )
    return dict(first.get("suites", {}))


def _merge_shards(reports: Sequence[tuple[Path, dict[str, Any]]], partial: bool) -> tuple[dict | None, list[str]]:
    shards = [(path, report.get("shard")) for path, report in reports]
    sharded = [(path, s) for path, s in shards if s]
    if not sharded:
        return None, []
    if len(sharded) != len(shards):
        unsharded = next(path for path, s in shards if not s)
        raise MergeError(f"{unsharded} is not a shard, {sharded[0][0]} is; merge shards of one run only")
    counts = {s["count"] for _, s in sharded}
    if len(counts) > 1:
        raise MergeError(
            "the reports split the run into different numbers of shards: "
            + ", ".join(f"{path}: {s['count']}" for path, s in sharded)
        )
    count = counts.pop()
    merged = sorted({k for _, s in sharded for k in (s.get("merged") or [s["index"]])})
    missing = [k for k in range(1, count + 1) if k not in merged]
    warnings = []
    if missing:
        message = f"shard(s) {', '.join(f'{k}/{count}' for k in missing)} missing: the merged report is partial"
        if not partial:
            raise MergeError(message + " (pass --partial to merge anyway)")
        warnings.append(message)
    return {"count": count, "merged": merged}, warnings


def _without_durations(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "durations"}


def _merge_expectations(reports: Sequence[tuple[Path, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each expectation check once: a shard that ran it (passed or failed) wins over one that skipped it."""
    chosen: dict[str, dict[str, Any]] = {}
    for _, report in reports:
        for record in report.get("expectations") or []:
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue
            seen = chosen.get(record["id"])
            if seen is None or (seen.get("outcome") == "skipped" and record.get("outcome") != "skipped"):
                chosen[record["id"]] = record
    return [chosen[k] for k in sorted(chosen)]


def _settle(records: list[dict[str, Any]], items: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` with each skipped check whose items both completed in ``items`` judged."""
    for record in records:
        if record.get("outcome") != "skipped":
            continue
        judged = _judge(record, items)
        if judged is not None:
            record.update(judged, settled_by="merge")
    return records


def _judge(record: dict[str, Any], items: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The outcome of one check from the merged items; None where they cannot decide it."""
    kind, by = record.get("kind"), record.get("by")
    names = [record.get(k) for k in ("suite", "model", "other", "dataset", "task", "metric")]
    if kind not in ("beats", "within") or not is_finite_number(by) or by < 0:
        return None
    if not all(isinstance(n, str) for n in names):
        return None
    suite, model, other, dataset, task, metric = names
    mine = items.get(item_id(suite, model, dataset, task))
    if mine is None or not mine.get("completed"):
        return None
    value, direction, baseline = result_values(mine, metric)
    if other == BASELINE:
        other_value = baseline
    else:
        theirs = items.get(item_id(suite, other, dataset, task))
        if theirs is None or not theirs.get("completed"):
            return None
        other_value = result_values(theirs, metric)[0]
    if not (is_finite_number(value) and is_finite_number(other_value)) or direction not in ("higher", "lower"):
        return None
    passed = holds(kind, float(by), float(value), float(other_value), direction)
    label = f"{model} baseline" if other == BASELINE else other
    message = (
        ""
        if passed
        else f"{record.get('id')}: not true: {record.get('description') or kind} on {metric} ({dataset}, {task}): "
        f"{model} {value:.4f}, {label} {other_value:.4f}, difference {value - other_value:+.4f} (judged at merge)"
    )
    return {
        "value": value,
        "other_value": other_value,
        "difference": value - other_value,
        "direction": direction,
        "passed": passed,
        "outcome": "passed" if passed else "failed",
        "message": message,
    }
