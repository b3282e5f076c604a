"""Plain-text views of results: the failure table and the terminal summary tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..results import CaseResult
from .page_text import cell_mark


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align_right: Sequence[bool] | None = None) -> list[str]:
    """A fixed-width text table, two spaces between columns."""
    rows = [list(map(str, r)) for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h)) for i, h in enumerate(header)]
    right = list(align_right) if align_right is not None else [False] * len(header)

    def fmt(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)]
        return "  ".join(parts).rstrip()

    return [fmt(header), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]


def _num(value: object, signed: bool = False) -> str:
    """A number to 4 decimals; ``-`` for a missing or non-numeric value (a report carries
    non-finite floats as null), so no table ever fails to format."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def verdict_table(result: CaseResult) -> list[str]:
    """metric | baseline | value | difference | tolerance | status, one row per metric."""
    rows = []
    for name, v in result.verdicts.items():
        rows.append(
            [
                name,
                _num(v["baseline"]),
                _num(v["value"]),
                _num(v["difference"], signed=True),
                _num(v["tolerance"]),
                status_text(v["status"]),
            ]
        )
    return table(
        ["metric", "baseline", "value", "difference", "tolerance", "status"],
        rows,
        [False, True, True, True, True, False],
    )


def status_text(status: str) -> str:
    """How a verdict's status reads in a table: upper case when it moved, "changed, not gated" spelt out."""
    if status == "changed":
        return "changed, not gated"
    return status.upper() if status != "ok" else "ok"


def failure_message(result: CaseResult, strict: bool) -> str:
    """The message of a failing item: what regressed, against which file, as a table."""
    regressed = result.regressions()
    missing = result.gated_missing() if strict else []
    parts = []
    if regressed:
        parts.append(f"{len(regressed)} metric(s) regressed: {', '.join(regressed)}")
    if missing:
        parts.append(f"{len(missing)} metric(s) have no baseline (--scbench-strict): {', '.join(missing)}")
    lines = [f"{result.id}: {'; '.join(parts)}", f"baselines: {result.baselines}", ""]
    lines += verdict_table(result)
    lines += ["", "If the change is intended, rerun with --scbench-update-baselines and commit the baseline file."]
    return "\n".join(lines)


def primary_metric(result: CaseResult) -> str | None:
    """The metric shown for an item in the summary grid: its task's headline."""
    return result.shown_metric()


def summary_grids(results: Sequence[CaseResult]) -> list[str]:
    """A model x task grid per (suite, dataset): each task's headline metric and a mark.

    A mark names the metric it is about when that is not the headline
    (``0.812▼nmi``: the headline ari is shown, nmi regressed).
    """
    lines: list[str] = []
    groups: dict[tuple[str, str], list[CaseResult]] = {}
    for r in results:
        groups.setdefault((r.suite, r.dataset), []).append(r)
    for (suite, dataset), items in sorted(groups.items()):
        models = list(dict.fromkeys(r.model for r in items))
        tasks = list(dict.fromkeys(r.task for r in items))
        cell = {(r.model, r.task): _cell(r) for r in items}
        metric_names = {t: next((primary_metric(r) for r in items if r.task == t and r.metrics), None) for t in tasks}
        header = ["model", *(f"{t} ({metric_names[t]})" if metric_names[t] else t for t in tasks)]
        rows = [[m, *(cell.get((m, t), "") for t in tasks)] for m in models]
        lines += ["", f"{suite} / {dataset}"]
        lines += table(header, rows, [False] + [True] * len(tasks))
    if lines:
        lines += [
            "",
            "▼ regressed (gated)  ▽ worse, not gated  ▲ improved  ? no baseline  skip: skipped  ERR: error;"
            " a metric named after a mark is not the headline",
        ]
    return lines


def _cell(result: CaseResult) -> str:
    if result.outcome == "skipped":
        return "skip"
    name = primary_metric(result)
    if name is None:
        return "ERR"
    value = result.metrics[name].get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "ERR"
    return f"{value:.3f}{cell_mark({m: v['status'] for m, v in result.verdicts.items()}, name)}"
