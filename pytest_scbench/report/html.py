"""The HTML report: one self-contained page (inline CSS, PNG figures as base64).

Nothing is fetched when the page is opened, so it works offline and as a CI artifact.
The page depends only on the JSON report: the same report gives the same bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from .leaderboard import Cell, Grid, Leaderboard, MetricRow
from .page_text import MARKS, SCALING_NOTE, num
from .plots import baseline_bars_png, heatmap_png

STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1300px; }
h1 { margin-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.regressed td, td.regressed { background: #fadbd8; }
tr.improved td, td.improved { background: #d5f5e3; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
.note { color: #555; max-width: 60em; }
.counts span { margin-right: 1.5em; }
"""


def render_html(board: Leaderboard) -> str:
    """The whole page for a leaderboard."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>pytest-scbench report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>pytest-scbench report</h1>",
        f"<p>Report created {escape(board.created or 'at an unknown time')}.</p>",
        '<p class="counts" id="outcomes">'
        + "".join(f"<span>{escape(k)}: <b>{v}</b></span>" for k, v in board.outcomes.items())
        + f"<span>regressed metrics: <b>{len(board.regressions)}</b></span>"
        + f"<span>improved metrics: <b>{len(board.improvements)}</b></span></p>",
        '<h2 id="scores">Scores</h2>',
        f'<p class="note">{escape(SCALING_NOTE)} Hover over a cell of a table for its raw values.</p>',
    ]
    for k, grid in enumerate(board.grids):
        parts += _grid_section(grid, k)
    parts += _changes_section(board)
    parts += _bars_section(board.with_baseline)
    parts += _metrics_section(board.rows)
    parts += _environment_section(board.environment, board.options)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _img(png: bytes, css_class: str, alt: str, ident: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="{css_class}" id="{ident}" alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _table(header: Sequence[str], rows: Iterable[str], css_class: str, ident: str = "") -> list[str]:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    id_attr = f' id="{ident}"' if ident else ""
    return [f'<table class="{css_class}"{id_attr}><thead><tr>{head}</tr></thead><tbody>', *rows, "</tbody></table>"]


def _grid_section(grid: Grid, k: int) -> list[str]:
    parts = [f"<h3>{escape(grid.title)}</h3>"]
    parts.append(_img(heatmap_png(grid), "heatmap", f"heatmap of scaled scores, {grid.title}", f"heatmap-{k}"))
    rows = []
    for model in grid.models:
        cells = "".join(_score_cell(grid.cells.get((model, task))) for task in grid.tasks)
        rows.append(f"<tr><th>{escape(model)}</th>{cells}</tr>")
    return parts + _table(["model", *grid.tasks], rows, "scores", f"scores-{k}")


def _score_cell(cell: Cell | None) -> str:
    if cell is None:
        return "<td></td>"
    if cell.score is None:
        return f'<td title="{escape(cell.item)}">{escape(cell.outcome if cell.outcome != "passed" else "n/a")}</td>'
    hover = [cell.item] + [
        f"{r.metric} ({r.direction}): {num(r.value)}, control {num(r.control)}, scaled {num(r.scaled, digits=3)}"
        for r in cell.rows
    ]
    status = cell.status if cell.status in ("regressed", "improved") else ""
    return (
        f'<td class="num {status}" title="{escape(chr(10).join(hover))}">'
        f"{cell.score:.3f}{escape(MARKS.get(cell.status, ''))}</td>"
    )


def _changes_section(board: Leaderboard) -> list[str]:
    parts = ['<h2 id="changes">Regressions and improvements</h2>']
    changed = board.regressions + board.improvements
    if not changed:
        return parts + ['<p id="no-changes">No metric moved beyond its tolerance.</p>']
    rows = [
        f'<tr class="{r.status}"><td>{escape(r.item)}</td><td>{escape(r.metric)}</td>'
        f'<td class="num">{num(r.baseline)}</td><td class="num">{num(r.value)}</td>'
        f'<td class="num">{num(r.difference, signed=True)}</td><td class="num">{num(r.tolerance)}</td>'
        f"<td>{escape(r.direction)}</td><td>{escape(r.status.upper())}</td></tr>"
        for r in changed
    ]
    header = ["item", "metric", "baseline", "value", "difference", "tolerance", "better", "status"]
    return parts + _table(header, rows, "changes", "changes-table")


def _bars_section(rows: Sequence[MetricRow]) -> list[str]:
    parts = ['<h2 id="baselines">Baseline vs this run</h2>']
    if not rows:
        return parts + ["<p>No metric of this run has a stored baseline.</p>"]
    parts.append(
        '<p class="note">Grey: the stored baseline; coloured: this run (red regressed, green improved, blue within '
        "tolerance); the shaded band is the baseline plus and minus its tolerance.</p>"
    )
    groups: dict[tuple[str, str], list[MetricRow]] = {}
    for row in rows:
        groups.setdefault((row.suite, row.task), []).append(row)
    for k, ((suite, task), group) in enumerate(sorted(groups.items())):
        title = f"{suite} / {task}"
        parts.append(f"<h3>{escape(title)}</h3>")
        parts.append(_img(baseline_bars_png(title, group), "bars", f"baseline vs this run, {title}", f"bars-{k}"))
    return parts


def _metrics_section(rows: Sequence[MetricRow]) -> list[str]:
    header = ["item", "metric", "better", "value", "std", "95% CI", "control", "scaled", "baseline", "tolerance"]
    header.append("status")
    body = []
    for r in rows:
        ci = f"{r.ci95[0]:.4f} .. {r.ci95[1]:.4f}" if r.ci95 else "-"
        body.append(
            f'<tr class="{r.status}"><td>{escape(r.item)}</td><td>{escape(r.metric)}</td><td>{escape(r.direction)}</td>'
            + "".join(
                f'<td class="num">{text}</td>'
                for text in (
                    num(r.value),
                    num(r.std),
                    ci,
                    num(r.control),
                    num(r.scaled, digits=3),
                    num(r.baseline),
                    num(r.tolerance),
                )
            )
            + f"<td>{escape(r.status)}</td></tr>"
        )
    return ['<h2 id="metrics">All metrics</h2>', *_table(header, body, "metrics", "metrics-table")]


def _environment_section(env: dict[str, Any], options: dict[str, Any]) -> list[str]:
    parts = ['<h2 id="environment">Environment</h2>']
    git = env.get("git") or {}
    device = env.get("device") or {}
    facts = [
        ("python", env.get("python")),
        ("platform", env.get("platform")),
        ("git commit", (git.get("commit") or "-") + (" (uncommitted changes)" if git.get("dirty") else "")),
        ("CUDA devices", ", ".join(device.get("cuda_names", [])) or device.get("cuda_devices")),
        ("CPU cores", device.get("cpu_count")),
        *((f"option {k}", v) for k, v in sorted(options.items())),
    ]
    rows = [f"<tr><th>{escape(k)}</th><td>{escape(str(v if v is not None else '-'))}</td></tr>" for k, v in facts]
    parts += _table(["", ""], rows, "environment", "environment-table")
    packages = env.get("packages") or {}
    rows = [f"<tr><td>{escape(k)}</td><td>{escape(str(v or 'not installed'))}</td></tr>" for k, v in packages.items()]
    return parts + _table(["package", "version"], rows, "packages", "packages-table")
