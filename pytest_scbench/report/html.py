"""The HTML report: a leaderboard on one self-contained page (inline CSS and script, PNGs as base64).

First the overview a reader came for: per suite, models by (data set, task) with each
task's headline metric, coloured by its scaled score, the aggregate scores a task reports
(scib-metrics' ``total``) as bar columns, and each model's mean score; then the heatmaps,
the regressions and changes, the details of every task folded (``<details>``), every
metric, and the environment. Every table sorts by a click on its header (a few lines of
inline script; the page works without it). Nothing is fetched when the page is opened, so
it works offline and as a CI artifact; the same report gives the same bytes.

Every string from the report is escaped (:func:`html.escape`), and CSS classes are
taken from a fixed list: a crafted report cannot put markup or script into the page.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from .leaderboard import Cell, Grid, Leaderboard, MetricRow
from .page_text import HEADLINE_NOTE, SCALING_NOTE, STATUSES, num
from .plots import baseline_bars_png, heatmap_png

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.2em 2em; color: #222; }
h1 { margin: 0 0 0.2em; } h2 { margin-top: 1.4em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
thead th { background: #f4f4f4; }
table.sortable thead th[data-col] { cursor: pointer; }
table.sortable thead th[data-col]:hover { background: #e6eef5; }
th small { font-weight: normal; color: #555; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.regressed td, td.regressed { background: #fadbd8; }
tr.changed td { background: #fdebd0; }
tr.improved td, td.improved { background: #d5f5e3; }
table.overview td.num { min-width: 5.5em; }
table.overview tbody th { text-align: left; white-space: nowrap; }
.bar { position: relative; min-width: 7em; }
.bar span.fill { position: absolute; left: 0; top: 15%; bottom: 15%; background: #9ecae1; z-index: 0; }
.bar span.v { position: relative; z-index: 1; }
.mark-regressed { color: #b03a2e; font-weight: bold; }
.mark-changed { color: #af601a; }
.mark-improved { color: #1e8449; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
.heatmaps { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.heatmaps img { max-width: 48%; }
details { margin: 0.4em 0; border: 1px solid #ddd; border-radius: 4px; padding: 0.3em 0.8em; }
summary { cursor: pointer; font-weight: 600; }
.note { color: #555; max-width: 80em; font-size: 0.9em; }
.counts span { margin-right: 1.5em; }
"""

#: Click a header to sort by that column (numbers by ``data-v``); again to reverse.
SCRIPT = """
document.querySelectorAll("table.sortable").forEach((table) => {
  table.querySelectorAll("thead th[data-col]").forEach((th) => {
    th.title = "sort by this column";
    th.addEventListener("click", () => {
      const col = Number(th.dataset.col), body = table.tBodies[0];
      const down = th.dataset.dir !== "down";
      table.querySelectorAll("thead th").forEach((h) => delete h.dataset.dir);
      th.dataset.dir = down ? "down" : "up";
      const key = (row) => {
        const cell = row.children[col];
        if (!cell) return "";
        return cell.dataset.v !== undefined ? Number(cell.dataset.v) : cell.textContent.trim();
      };
      const rows = [...body.rows];
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        const d = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return down ? -d : d;
      });
      rows.forEach((row) => body.appendChild(row));
    });
  });
});
"""

#: The sort value of a cell without a number: after every number, whichever way it sorts.
MISSING = "-1e300"


def render_html(board: Leaderboard) -> str:
    """The whole page for a leaderboard."""
    counts = "".join(f"<span>{escape(k)}: <b>{v}</b></span>" for k, v in board.outcomes.items())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>pytest-scbench report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>pytest-scbench report</h1>",
        f"<p>Report created {escape(board.created or 'at an unknown time')}.</p>",
        '<p class="counts" id="outcomes">'
        + counts
        + f"<span>regressed metrics: <b>{len(board.regressions)}</b></span>"
        + f"<span>changed, not gated: <b>{len(board.changed)}</b></span>"
        + f"<span>improved metrics: <b>{len(board.improvements)}</b></span>"
        + (
            f"<span>expectations failed: <b>{sum(e.outcome == 'failed' for e in board.expectations)}</b>"
            f" of {len(board.expectations)}</span>"
            if board.expectations
            else ""
        )
        + "</p>",
    ]
    parts += _overview_section(board)
    parts += _expectations_section(board)
    parts += _changes_section(board)
    parts += _details_section(board)
    parts += _metrics_section(board.rows)
    parts += _environment_section(board.environment, board.options)
    parts.append(f"<script>{SCRIPT}</script>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- building blocks ------------------------------------------------------------------------


def _status_class(status: str) -> str:
    """A verdict's status as a CSS class, only from the known statuses."""
    return status if status in STATUSES else ""


def _img(png: bytes, css_class: str, alt: str, ident: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="{css_class}" id="{ident}" alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _table(header: Sequence[str], rows: Iterable[str], css_class: str, ident: str = "") -> list[str]:
    """A sortable table with one header row; ``header`` is plain text (escaped here)."""
    head = "".join(f'<th data-col="{i}">{escape(h)}</th>' for i, h in enumerate(header))
    id_attr = f' id="{ident}"' if ident else ""
    return [
        f'<table class="{css_class} sortable"{id_attr}><thead><tr>{head}</tr></thead><tbody>',
        *rows,
        "</tbody></table>",
    ]


def _num_cell(value: float | None, text: str | None = None, css: str = "", title: str = "", style: str = "") -> str:
    """A right-aligned number cell that sorts by ``value``."""
    sort = MISSING if value is None else repr(float(value))
    attrs = f' class="num {css}"'.rstrip() if css else ' class="num"'
    if title:
        attrs += f' title="{escape(title)}"'
    if style:
        attrs += f' style="{style}"'
    return f'<td{attrs} data-v="{sort}">{escape(text if text is not None else num(value))}</td>'


def _shade(score: float | None) -> str:
    """The background of an overview cell: blue, stronger towards the best (1), none without a score."""
    if score is None:
        return ""
    alpha = 0.08 + 0.62 * min(1.0, max(0.0, score))
    return f"background: rgba(44, 127, 184, {alpha:.2f})"


def _mark(mark: str, status: str) -> str:
    if not mark:
        return ""
    return f' <span class="mark-{_status_class(status) or "unknown"}">{escape(mark)}</span>'


def _bar_cell(value: float | None, title: str) -> str:
    """A number drawn over a bar of its length (scores in [0, 1]), as scib-metrics' results table."""
    sort = MISSING if value is None else repr(float(value))
    if value is None:
        return f'<td class="num bar" data-v="{sort}" title="{escape(title)}">-</td>'
    width = 100 * min(1.0, max(0.0, value))
    return (
        f'<td class="num bar" data-v="{sort}" title="{escape(title)}">'
        f'<span class="fill" style="width: {width:.1f}%"></span><span class="v">{value:.3f}</span></td>'
    )


# -- sections ---------------------------------------------------------------------------------


def _overview_section(board: Leaderboard) -> list[str]:
    parts = [
        '<h2 id="overview">Overview</h2>',
        f'<p class="note">{escape(HEADLINE_NOTE)} {escape(SCALING_NOTE)} Click a column header to sort.</p>',
    ]
    if not board.grids:
        return parts + ["<p>The report holds no item.</p>"]
    for k, suite in enumerate(board.suites):
        parts += _overview_table(board, suite, k)
    parts.append('<div class="heatmaps">')
    for k, grid in enumerate(board.grids):
        parts.append(_img(heatmap_png(grid), "heatmap", f"heatmap of headline metrics, {grid.title}", f"heatmap-{k}"))
    parts.append("</div>")
    return parts


def _overview_table(board: Leaderboard, suite: str, k: int) -> list[str]:
    """Models down, (data set, task) across with the headline metric, aggregates as bars, the mean score last."""
    grids = [g for g in board.grids if g.suite == suite]
    models = sorted({m for g in grids for m in g.models})
    means = {m: board.mean_score(suite, m) for m in models}
    models.sort(key=lambda m: (means[m] is None, -(means[m] or 0.0), m))
    columns: list[tuple[Grid, str, str | None]] = []  # (grid, task, aggregate metric or None)
    for grid in grids:
        for task in grid.tasks:
            columns.append((grid, task, None))
            # An aggregate that is the headline already has its column.
            columns += [(grid, task, name) for name in grid.aggregate_names(task) if name != grid.headline(task)]
    top = ['<th rowspan="2" data-col="0">model</th>']
    for grid in grids:
        width = sum(1 for g, _, _ in columns if g is grid)
        top.append(f'<th colspan="{width}">{escape(grid.dataset)}</th>')
    top.append(f'<th rowspan="2" data-col="{len(columns) + 1}">mean score<br><small>scaled headlines</small></th>')
    second = []
    for i, (grid, task, aggregate) in enumerate(columns, start=1):
        if aggregate is None:
            headline = grid.headline(task)
            sub = f"<br><small>{escape(headline)}</small>" if headline else ""
            second.append(f'<th data-col="{i}">{escape(task)}{sub}</th>')
        else:
            second.append(f'<th data-col="{i}">{escape(task)}<br><small>{escape(aggregate)}</small></th>')
    rows = []
    for model in models:
        cells = [f"<th>{escape(model)}</th>"]
        for grid, task, aggregate in columns:
            cell = grid.cells.get((model, task))
            if aggregate is not None:
                value = dict(cell.aggregates).get(aggregate) if cell is not None else None
                cells.append(_bar_cell(value, f"{cell.item if cell else model}: {aggregate}"))
            else:
                cells.append(_overview_cell(cell))
        cells.append(_bar_cell(means[model], f"{model}: mean scaled headline over the suite"))
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return [
        f"<h3>{escape(suite)}</h3>",
        f'<table class="overview sortable" id="overview-{k}"><thead><tr>{"".join(top)}</tr>'
        f"<tr>{''.join(second)}</tr></thead><tbody>",
        *rows,
        "</tbody></table>",
    ]


def _overview_cell(cell: Cell | None) -> str:
    if cell is None:
        return f'<td class="num" data-v="{MISSING}"></td>'
    if cell.value is None:
        text = cell.outcome if cell.outcome != "passed" else "n/a"
        return f'<td class="num" data-v="{MISSING}" title="{escape(cell.item)}">{escape(text)}</td>'
    hover = [cell.item] + [
        f"{r.metric} ({r.direction}{', gated' if r.gated else ''}): {num(r.value)}, baseline {num(r.baseline)}, "
        f"{r.status}"
        for r in cell.rows
    ]
    sort = repr(float(cell.value))
    style = _shade(cell.score)
    return (
        f'<td class="num" data-v="{sort}" title="{escape(chr(10).join(hover))}" style="{style}">'
        f"{cell.value:.3f}{_mark(cell.mark, cell.status)}</td>"
    )


def _expectations_section(board: Leaderboard) -> list[str]:
    """The suite's ``expect:`` checks: failed first, with both values and the difference."""
    if not board.expectations:
        return []
    order = {"failed": 0, "skipped": 1, "passed": 2}
    rows = []
    for e in sorted(board.expectations, key=lambda e: (order.get(e.outcome, 3), e.id)):
        css = "regressed" if e.outcome == "failed" else ""
        note = e.message.splitlines()[0] if e.outcome == "skipped" and e.message else ""
        rows.append(
            f'<tr class="{css}"><td>{escape(e.id)}</td><td>{escape(e.description)}</td><td>{escape(e.dataset)}</td>'
            f"<td>{escape(e.task)}</td><td>{escape(e.metric)}</td>"
            + _num_cell(e.value)
            + _num_cell(e.other_value)
            + _num_cell(e.difference, num(e.difference, signed=True))
            + f"<td>{escape(e.outcome.upper() if e.outcome == 'failed' else e.outcome)}"
            + (f" ({escape(note)})" if note else "")
            + "</td></tr>"
        )
    header = ["check", "expectation", "data set", "task", "metric", "model", "other", "difference", "outcome"]
    return [
        '<h2 id="expectations">Expectations</h2>',
        '<p class="note">The suite\'s expect: entries, each checked where both items ran. "other" is the other '
        "model's value, or the stored baseline for within: {of: baseline}.</p>",
        *_table(header, rows, "expectations", "expectations-table"),
    ]


def _changes_section(board: Leaderboard) -> list[str]:
    parts = ['<h2 id="changes">Regressions and changes</h2>']
    changed = board.regressions + board.changed + board.improvements
    if not changed:
        return parts + ['<p id="no-changes">No metric moved beyond its tolerance.</p>']
    rows = [
        f'<tr class="{_status_class(r.status)}"><td>{escape(r.item)}</td><td>{escape(r.metric)}</td>'
        + _num_cell(r.baseline)
        + _num_cell(r.value)
        + _num_cell(r.difference, num(r.difference, signed=True))
        + _num_cell(r.tolerance)
        + f"<td>{escape(r.direction)}</td><td>{'yes' if r.gated else 'no'}</td>"
        f"<td>{escape(_status_label(r.status))}</td></tr>"
        for r in changed
    ]
    header = ["item", "metric", "baseline", "value", "difference", "tolerance", "better", "gated", "status"]
    return parts + _table(header, rows, "changes", "changes-table")


def _status_label(status: str) -> str:
    return "CHANGED, NOT GATED" if status == "changed" else status.upper()


def _details_section(board: Leaderboard) -> list[str]:
    """Per (suite, task), folded: each data set's models x every metric, and the baseline bars."""
    parts = ['<h2 id="details">Details per task</h2>']
    tasks = sorted({(g.suite, t) for g in board.grids for t in g.tasks})
    for k, (suite, task) in enumerate(tasks):
        task_rows = [r for r in board.rows if r.suite == suite and r.task == task]
        metrics = list(dict.fromkeys(r.metric for r in task_rows))
        gated = {r.metric for r in task_rows if r.gated}
        grids = [g for g in board.grids if g.suite == suite and task in g.tasks]
        headline = next((g.headline(task) for g in grids if g.headline(task)), None)
        summary = f"{suite} / {task}: {len(metrics)} metric(s), headline {headline or '-'}"
        parts.append(f'<details id="details-{k}"><summary>{escape(summary)}</summary>')
        header = ["model", *(f"{m}{' (gated)' if m in gated else ''}" for m in metrics)]
        for j, grid in enumerate(grids):
            parts.append(f"<h4>{escape(grid.dataset)}</h4>")
            body = []
            for model in grid.models:
                cell = grid.cells.get((model, task))
                if cell is None:
                    continue
                by_metric = {r.metric: r for r in cell.rows}
                cells = [f"<th>{escape(model)}</th>"]
                for m in metrics:
                    r = by_metric.get(m)
                    if r is None:
                        cells.append(f'<td class="num" data-v="{MISSING}">{escape(cell.outcome)}</td>')
                        continue
                    css = _status_class(r.status) if r.status in ("regressed", "improved") else ""
                    title = f"baseline {num(r.baseline)}, tolerance {num(r.tolerance)}, {r.status}"
                    cells.append(_num_cell(r.value, css=css, title=title))
                body.append(f"<tr>{''.join(cells)}</tr>")
            parts += _table(header, body, "task-metrics", f"details-{k}-{j}")
        with_baseline = [
            r for r in task_rows if r.baseline is not None and r.value is not None and (r.gated or r.status != "ok")
        ]
        if with_baseline:
            title = f"{suite} / {task}"
            parts.append(
                '<p class="note">Gated metrics and those that moved. Grey: the stored baseline; coloured: this run '
                "(red regressed, green improved, blue within tolerance); the shaded band is the baseline plus and "
                "minus its tolerance.</p>"
            )
            parts.append(
                _img(baseline_bars_png(title, with_baseline), "bars", f"baseline vs this run, {title}", f"bars-{k}")
            )
        parts.append("</details>")
    return parts


def _metrics_section(rows: Sequence[MetricRow]) -> list[str]:
    header = ["item", "metric", "better", "gated", "value", "std", "95% CI", "control", "scaled", "baseline"]
    header += ["tolerance", "status"]
    body = []
    for r in rows:
        ci = f"{r.ci95[0]:.4f} .. {r.ci95[1]:.4f}" if r.ci95 else "-"
        body.append(
            f'<tr class="{_status_class(r.status)}"><td>{escape(r.item)}</td><td>{escape(r.metric)}</td>'
            f"<td>{escape(r.direction)}</td><td>{'yes' if r.gated else 'no'}</td>"
            + _num_cell(r.value)
            + _num_cell(r.std)
            + _num_cell(r.ci95[0] if r.ci95 else None, ci)
            + _num_cell(r.control)
            + _num_cell(r.scaled, num(r.scaled, digits=3))
            + _num_cell(r.baseline)
            + _num_cell(r.tolerance)
            + f"<td>{escape(_status_label(r.status).lower())}</td></tr>"
        )
    return [
        '<h2 id="metrics">All metrics</h2>',
        f'<details id="all-metrics"><summary>{len(rows)} metric rows</summary>',
        *_table(header, body, "metrics", "metrics-table"),
        "</details>",
    ]


def _environment_section(env: dict[str, Any], options: dict[str, Any]) -> list[str]:
    parts = [
        '<h2 id="environment">Environment</h2>',
        '<details id="environment-details"><summary>python, platform, git, devices, options, packages</summary>',
    ]
    git = env.get("git") if isinstance(env.get("git"), dict) else {}
    device = env.get("device") if isinstance(env.get("device"), dict) else {}
    cuda_names = device.get("cuda_names") if isinstance(device.get("cuda_names"), list) else []
    facts = [
        ("python", env.get("python")),
        ("platform", env.get("platform")),
        ("git commit", f"{git.get('commit') or '-'}" + (" (uncommitted changes)" if git.get("dirty") else "")),
        ("CUDA devices", ", ".join(map(str, cuda_names)) or device.get("cuda_devices")),
        ("CPU cores", device.get("cpu_count")),
        *((f"option {k}", v) for k, v in sorted(options.items(), key=lambda kv: str(kv[0]))),
    ]
    rows = [f"<tr><th>{escape(str(k))}</th><td>{escape(str(v if v is not None else '-'))}</td></tr>" for k, v in facts]
    parts += _table(["", ""], rows, "environment", "environment-table")
    packages = env.get("packages") if isinstance(env.get("packages"), dict) else {}
    rows = [
        f"<tr><td>{escape(str(k))}</td><td>{escape(str(v or 'not installed'))}</td></tr>" for k, v in packages.items()
    ]
    return parts + _table(["package", "version"], rows, "packages", "packages-table") + ["</details>"]
