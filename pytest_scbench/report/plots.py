"""The report's figures, drawn with matplotlib's Agg canvas and returned as PNG bytes.

No pyplot and no global backend switch: each figure is a :class:`~matplotlib.figure.Figure`
on its own Agg canvas, so drawing a report inside a user's session changes nothing there.
PNGs carry no software-version metadata, so the same report gives the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .leaderboard import Grid, MetricRow

STATUS_COLOURS = {"regressed": "#c0392b", "improved": "#27ae60", "ok": "#2c7fb8", "missing": "#999999"}
DPI = 100


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def plain(text: str) -> str:
    """``text`` for a matplotlib label: ``$`` escaped, so a name is never read as mathtext."""
    return str(text).replace("$", r"\$")


def heatmap_png(grid: Grid) -> bytes:
    """Model x task heatmap of each task's headline metric, coloured by its scaled score.

    Each cell shows the headline's raw value and the item's mark (the numbers of the
    terminal grid and the Markdown summary); the colour is its scaled score (0 = negative
    control, 1 = best). Cells without a value (skipped items, errors) are grey with their
    outcome written in.
    """
    n_models, n_tasks = len(grid.models), len(grid.tasks)
    scores = np.full((n_models, n_tasks), np.nan)
    for i, model in enumerate(grid.models):
        for j, task in enumerate(grid.tasks):
            cell = grid.cells.get((model, task))
            if cell is not None and cell.score is not None:
                scores[i, j] = cell.score
    fig = Figure(figsize=(max(5.0, 2.0 + 1.6 * n_tasks), 1.6 + 0.55 * n_models), layout="constrained")
    ax = fig.add_subplot()
    ax.set_facecolor("#dddddd")
    image = ax.imshow(np.ma.masked_invalid(scores), cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    labels = [plain(f"{t}\n({grid.headline(t)})" if grid.headline(t) else t) for t in grid.tasks]
    ax.set_xticks(range(n_tasks), labels, rotation=20, ha="right")
    ax.set_yticks(range(n_models), [plain(m) for m in grid.models])
    ax.set_title(plain(grid.title))
    for i, model in enumerate(grid.models):
        for j, task in enumerate(grid.tasks):
            cell = grid.cells.get((model, task))
            if cell is None:
                text, colour = "", "black"
            else:
                text = plain(cell.text)
                colour = "black" if cell.score is None or cell.score > 0.6 else "white"
            ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=9)
    fig.colorbar(image, ax=ax, label="scaled headline\n0 = control, 1 = best")
    return _png(fig)


def baseline_bars_png(title: str, rows: Sequence[MetricRow]) -> bytes:
    """One panel per metric: baseline and this run per item, the tolerance band shaded.

    ``rows`` are metric rows with a baseline; bars of this run are coloured by verdict.
    """
    metrics = list(dict.fromkeys(r.metric for r in rows))
    ncols = min(4, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig = Figure(figsize=(max(7.0, 3.4 * ncols), 2.9 * nrows), layout="constrained")
    fig.suptitle(plain(f"{title}: baseline (grey) vs this run, tolerance band shaded"))
    for k, metric in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        panel = [r for r in rows if r.metric == metric]
        x = np.arange(len(panel))
        for xi, row in zip(x, panel, strict=True):
            assert row.baseline is not None and row.value is not None
            tolerance = row.tolerance or 0.0
            ax.add_patch(
                Rectangle(
                    (xi - 0.45, row.baseline - tolerance),
                    0.9,
                    2 * tolerance,
                    color="#f5b041",
                    alpha=0.45,
                    lw=0,
                    zorder=3,
                )
            )
            ax.bar(xi - 0.2, row.baseline, width=0.4, color="#bbbbbb")
            ax.bar(xi + 0.2, row.value, width=0.4, color=STATUS_COLOURS.get(row.status, "#2c7fb8"))
        ax.set_xticks(x, [plain(_label(r, panel)) for r in panel], rotation=30, ha="right", fontsize=8)
        ax.set_title(plain(f"{metric} ({panel[0].direction} is better)"), fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.autoscale_view()
    return _png(fig)


def _label(row: MetricRow, panel: Sequence[MetricRow]) -> str:
    """The model, with the data set where the panel spans several."""
    if len({r.dataset for r in panel}) > 1:
        return f"{row.model}-{row.dataset}"
    return row.model
