"""The leaderboard view of a JSON report: what the HTML page and the Markdown summary show.

One pass over the report's items builds, per (suite, dataset), a model x task grid of
each task's headline metric (its raw value, its scaled score from :mod:`.scaling` and
the item's mark), one row per (item, metric) with the raw numbers, and the lists of
regressions, ungated changes and improvements. The views only format what is built
here, so the page, the summary and the terminal (which uses the same headline and
mark, :func:`.page_text.cell_mark`) agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .page_text import STATUSES, cell_mark
from .scaling import aggregate, best_value, scale_metric

#: The order outcomes are counted in; any other outcome follows, alphabetically.
OUTCOME_ORDER = ("passed", "failed", "skipped")

#: How a cell's verdicts are summarised, worst first.
STATUS_ORDER = STATUSES


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
    gated: bool = True
    headline: bool = False

    @property
    def best(self) -> float:
        return best_value(self.direction)


@dataclass(frozen=True)
class Cell:
    """One (model, task) of a grid: the item's outcome, its headline and its metrics.

    ``value`` is the headline's raw value, ``score`` its scaled score (None where it has
    none), ``mark`` the item's mark (``▼nmi``); ``aggregates`` the item's summary scores
    (scib-metrics' ``total``), raw.
    """

    item: str
    outcome: str
    score: float | None
    status: str
    rows: tuple[MetricRow, ...]
    headline: str | None = None
    value: float | None = None
    mark: str = ""
    aggregates: tuple[tuple[str, float | None], ...] = ()

    @property
    def text(self) -> str:
        """The cell as the terminal grid, the heatmap and the Markdown summary write it: ``0.812▼nmi``."""
        if self.value is None:
            return self.outcome if self.outcome != "passed" else "n/a"
        return f"{self.value:.3f}{self.mark}"


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

    def headline(self, task: str) -> str | None:
        """The headline metric of ``task`` in this grid (its first item that names one)."""
        return next((c.headline for (_, t), c in sorted(self.cells.items()) if t == task and c.headline), None)

    def aggregate_names(self, task: str) -> list[str]:
        names: dict[str, None] = {}
        for (_, t), cell in sorted(self.cells.items()):
            if t == task:
                names.update(dict.fromkeys(name for name, _ in cell.aggregates))
        return list(names)


@dataclass(frozen=True)
class ExpectationRow:
    """One relative expectation check (a suite's ``expect:``) and how it came out."""

    id: str
    description: str
    model: str
    other: str
    dataset: str
    task: str
    metric: str
    value: float | None
    other_value: float | None
    difference: float | None
    outcome: str
    message: str


@dataclass
class Leaderboard:
    """Everything a page or summary shows, from one JSON report."""

    grids: list[Grid]
    rows: list[MetricRow]
    outcomes: dict[str, int]
    created: str
    environment: dict[str, Any]
    options: dict[str, Any]
    expectations: list[ExpectationRow] = field(default_factory=list)

    @property
    def regressions(self) -> list[MetricRow]:
        return [r for r in self.rows if r.status == "regressed"]

    @property
    def improvements(self) -> list[MetricRow]:
        return [r for r in self.rows if r.status == "improved"]

    @property
    def changed(self) -> list[MetricRow]:
        """Metrics worse than their baseline beyond tolerance that do not gate their item."""
        return [r for r in self.rows if r.status == "changed"]

    @property
    def suites(self) -> list[str]:
        return list(dict.fromkeys(g.suite for g in self.grids))

    def mean_score(self, suite: str, model: str) -> float | None:
        """A model's mean scaled headline over every (data set, task) of ``suite``, each clipped to [0, 1]."""
        return aggregate(
            cell.score for g in self.grids if g.suite == suite for (m, _), cell in g.cells.items() if m == model
        )

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
        head = next((r for r in item_rows if r.headline), None)
        aggregates = [str(a) for a in item.get("aggregates") or []]
        by_metric = {r.metric: r for r in item_rows}
        grid.cells[(item["model"], item["task"])] = Cell(
            item=item["id"],
            outcome=outcome,
            score=head.scaled if head is not None else None,
            status=next((s for s in STATUS_ORDER if s in statuses), "ok"),
            rows=item_rows,
            headline=head.metric if head is not None else None,
            value=head.value if head is not None else None,
            mark=cell_mark({r.metric: r.status for r in item_rows}, head.metric if head is not None else None),
            aggregates=tuple((a, by_metric[a].value if a in by_metric else None) for a in aggregates),
        )
    for grid in grids.values():
        grid.models.sort()
        grid.tasks.sort()
    return Leaderboard(
        grids=[grids[key] for key in sorted(grids)],
        rows=rows,
        outcomes=dict(sorted(outcomes.items(), key=lambda kv: (_rank(kv[0]), kv[0]))),
        created=str(report.get("created", "")),
        environment=report["environment"] if isinstance(report.get("environment"), dict) else {},
        options=report["options"] if isinstance(report.get("options"), dict) else {},
        expectations=_expectations(report.get("expectations")),
    )


def _rank(outcome: str) -> int:
    return OUTCOME_ORDER.index(outcome) if outcome in OUTCOME_ORDER else len(OUTCOME_ORDER)


def _rows(item: dict[str, Any]) -> list[MetricRow]:
    controls = item.get("controls") or {}
    verdicts = item.get("verdicts") or {}
    metrics = item.get("metrics") or {}
    # Reports written before headlines and gates existed: the first metric, every metric gated.
    headline = item.get("headline") if item.get("headline") in metrics else next(iter(metrics), None)
    gated = item.get("gated")
    out = []
    for name, metric in metrics.items():
        direction = str(metric.get("direction", "higher"))
        verdict = verdicts.get(name) or {}
        ci95 = metric.get("ci95")
        ci = (_number(ci95[0]), _number(ci95[1])) if isinstance(ci95, list) and len(ci95) == 2 else (None, None)
        value, control = _number(metric.get("value")), _number(controls.get(name))
        out.append(
            MetricRow(
                item=str(item["id"]),
                suite=str(item["suite"]),
                model=str(item["model"]),
                dataset=str(item["dataset"]),
                task=str(item["task"]),
                metric=str(name),
                direction=direction,
                value=value,
                std=_number(metric.get("std")),
                ci95=(ci[0], ci[1]) if ci[0] is not None and ci[1] is not None else None,
                control=control,
                scaled=scale_metric(value, direction, control) if direction in ("higher", "lower") else None,
                status=str(verdict.get("status", "missing")),
                baseline=_number(verdict.get("baseline")),
                difference=_number(verdict.get("difference")),
                tolerance=_number(verdict.get("tolerance")),
                gated=gated is None or name in gated,
                headline=name == headline,
            )
        )
    return out


def _number(value: Any) -> float | None:
    """A report's number as a float; None for anything else (a crafted report may hold strings)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _expectations(raw: Any) -> list[ExpectationRow]:
    """The report's expectation checks (absent from reports written before they existed)."""
    if not isinstance(raw, list):
        return []
    out = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        other = str(entry.get("other", ""))
        out.append(
            ExpectationRow(
                id=str(entry.get("id", "")),
                description=str(entry.get("description", "")),
                model=str(entry.get("model", "")),
                other=other,
                dataset=str(entry.get("dataset", "")),
                task=str(entry.get("task", "")),
                metric=str(entry.get("metric", "")),
                value=_number(entry.get("value")),
                other_value=_number(entry.get("other_value")),
                difference=_number(entry.get("difference")),
                outcome=str(entry.get("outcome", "")),
                message=str(entry.get("message", "")),
            )
        )
    return sorted(out, key=lambda e: e.id)
