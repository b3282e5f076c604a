"""The leaderboard view of a JSON report: what the HTML page and the Markdown summary show.

One pass over the report's items builds, per (suite, dataset), a model x task grid of
scaled scores (:mod:`.scaling`), one row per (item, metric) with the raw numbers, and the
lists of regressions and improvements. The views only format what is built here, so the
page and the summary always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .scaling import aggregate, best_value, scale_metric

#: The order outcomes are counted in; any other outcome follows, alphabetically.
OUTCOME_ORDER = ("passed", "failed", "skipped")

#: How a cell's verdicts are summarised, worst first.
STATUS_ORDER = ("regressed", "improved", "missing", "ok")


@dataclass(frozen=True)
class MetricRow:
    """One metric of one item: this run's value, its control, its scale and its verdict."""

    item: str
    suite: str
    model: str
    dataset: str
    task: str
    metric: str
    direction: str
    value: float | None
    std: float | None
    ci95: tuple[float, float] | None
    control: float | None
    scaled: float | None
    status: str
    baseline: float | None
    difference: float | None
    tolerance: float | None

    @property
    def best(self) -> float:
        return best_value(self.direction)


@dataclass(frozen=True)
class Cell:
    """One (model, task) of a grid: the item's outcome, its aggregate score and its metrics."""

    item: str
    outcome: str
    score: float | None
    status: str
    rows: tuple[MetricRow, ...]


@dataclass
class Grid:
    """The model x task grid of one (suite, dataset)."""

    suite: str
    dataset: str
    models: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.suite} / {self.dataset}"


@dataclass
class Leaderboard:
    """Everything a page or summary shows, from one JSON report."""

    grids: list[Grid]
    rows: list[MetricRow]
    outcomes: dict[str, int]
    created: str
    environment: dict[str, Any]
    options: dict[str, Any]

    @property
    def regressions(self) -> list[MetricRow]:
        return [r for r in self.rows if r.status == "regressed"]

    @property
    def improvements(self) -> list[MetricRow]:
        return [r for r in self.rows if r.status == "improved"]

    @property
    def with_baseline(self) -> list[MetricRow]:
        return [r for r in self.rows if r.baseline is not None and r.value is not None]


def build_leaderboard(report: dict[str, Any]) -> Leaderboard:
    """The leaderboard of a report written by ``--scbench-json`` (already read and checked)."""
    grids: dict[tuple[str, str], Grid] = {}
    rows: list[MetricRow] = []
    outcomes: dict[str, int] = {}
    for item in sorted(report.get("items", []), key=lambda i: i["id"]):
        outcome = item.get("outcome") or "unknown"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        item_rows = tuple(_rows(item))
        rows.extend(item_rows)
        grid = grids.setdefault((item["suite"], item["dataset"]), Grid(item["suite"], item["dataset"]))
        for name, seen in ((item["model"], grid.models), (item["task"], grid.tasks)):
            if name not in seen:
                seen.append(name)
        statuses = {r.status for r in item_rows}
        grid.cells[(item["model"], item["task"])] = Cell(
            item=item["id"],
            outcome=outcome,
            score=aggregate(r.scaled for r in item_rows),
            status=next((s for s in STATUS_ORDER if s in statuses), "ok"),
            rows=item_rows,
        )
    for grid in grids.values():
        grid.models.sort()
        grid.tasks.sort()
    return Leaderboard(
        grids=[grids[key] for key in sorted(grids)],
        rows=rows,
        outcomes=dict(sorted(outcomes.items(), key=lambda kv: (_rank(kv[0]), kv[0]))),
        created=str(report.get("created", "")),
        environment=report.get("environment") or {},
        options=report.get("options") or {},
    )


def _rank(outcome: str) -> int:
    return OUTCOME_ORDER.index(outcome) if outcome in OUTCOME_ORDER else len(OUTCOME_ORDER)


def _rows(item: dict[str, Any]) -> list[MetricRow]:
    controls = item.get("controls") or {}
    verdicts = item.get("verdicts") or {}
    out = []
    for name, metric in (item.get("metrics") or {}).items():
        direction = metric.get("direction", "higher")
        verdict = verdicts.get(name) or {}
        ci95 = metric.get("ci95")
        out.append(
            MetricRow(
                item=item["id"],
                suite=item["suite"],
                model=item["model"],
                dataset=item["dataset"],
                task=item["task"],
                metric=name,
                direction=direction,
                value=metric.get("value"),
                std=metric.get("std"),
                ci95=(ci95[0], ci95[1]) if ci95 and None not in ci95 else None,
                control=controls.get(name),
                scaled=scale_metric(metric.get("value"), direction, controls.get(name)),
                status=verdict.get("status", "missing"),
                baseline=verdict.get("baseline"),
                difference=verdict.get("difference"),
                tolerance=verdict.get("tolerance"),
            )
        )
    return out
