"""The Markdown summary of a run: short enough for a CI job summary (``$GITHUB_STEP_SUMMARY``).

Outcome counts, the regressions and improvements, and the model x task table of scaled
scores per (suite, dataset). No images: job summaries render tables, not files.
"""

from __future__ import annotations

from collections.abc import Sequence

from .leaderboard import Cell, Leaderboard
from .page_text import MARKS, SCALING_NOTE, num


def render_markdown(board: Leaderboard) -> str:
    """The summary as GitHub-flavoured Markdown."""
    lines = ["# pytest-scbench report", ""]
    counts = ", ".join(f"{v} {k}" for k, v in board.outcomes.items()) or "no items"
    lines.append(
        f"**{counts}**; {len(board.regressions)} metric(s) regressed, {len(board.improvements)} improved "
        "beyond tolerance."
    )
    lines.append("")
    changed = board.regressions + board.improvements
    lines += ["## Regressions and improvements", ""]
    if changed:
        lines += _table(
            ["item", "metric", "baseline", "value", "difference", "tolerance", "status"],
            [
                [
                    f"`{r.item}`",
                    r.metric,
                    num(r.baseline),
                    num(r.value),
                    num(r.difference, signed=True),
                    num(r.tolerance),
                    f"{MARKS[r.status]} {r.status}",
                ]
                for r in changed
            ],
        )
    else:
        lines.append("No metric moved beyond its tolerance.")
    lines += ["", "## Scaled scores", "", SCALING_NOTE, ""]
    for grid in board.grids:
        lines += [f"### {grid.title}", ""]
        rows = [[model, *(_cell(grid.cells.get((model, t))) for t in grid.tasks)] for model in grid.models]
        lines += _table(["model", *grid.tasks], rows)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return ""
    if cell.score is None:
        return cell.outcome if cell.outcome != "passed" else "n/a"
    return f"{cell.score:.3f}{MARKS.get(cell.status, '')}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return [line(header), line(["---"] * len(header)), *(line(r) for r in rows)]
