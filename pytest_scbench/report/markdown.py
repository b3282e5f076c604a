"""The Markdown summary of a run: short enough for a CI job summary (``$GITHUB_STEP_SUMMARY``).

Outcome counts, the regressions, ungated changes and improvements, and per (suite,
dataset) the model x task table of each task's headline metric with the item's mark:
the numbers and marks of the terminal grid and the HTML overview. No images: job
summaries render tables, not files. Every string from the report is escaped (:func:`md`):
a crafted report cannot put HTML or table breaks into the summary.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from .leaderboard import Cell, Leaderboard
from .page_text import HEADLINE_NOTE, MARKS, num

#: Item ids shown as code: the characters suite names and test ids are made of.
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.+\[\]-]+$")


def md(text: object) -> str:
    """Text for a Markdown table cell: HTML special characters as entities, ``|`` and backticks escaped."""
    out = html.escape(str(text), quote=False)
    for char in ("\\", "|", "`"):
        out = out.replace(char, "\\" + char)
    return out.replace("\n", " ")


def code(text: str) -> str:
    """An item id as inline code when it is made of id characters only, else escaped text."""
    return f"`{text}`" if _SAFE_ID.match(text) else md(text)


def render_markdown(board: Leaderboard) -> str:
    """The summary as GitHub-flavoured Markdown."""
    lines = ["# pytest-scbench report", ""]
    counts = ", ".join(f"{v} {md(k)}" for k, v in board.outcomes.items()) or "no items"
    lines.append(
        f"**{counts}**; {len(board.regressions)} metric(s) regressed, {len(board.changed)} changed (not gated), "
        f"{len(board.improvements)} improved beyond tolerance."
    )
    lines.append("")
    changed = board.regressions + board.changed + board.improvements
    lines += ["## Regressions and changes", ""]
    if changed:
        lines += _table(
            ["item", "metric", "baseline", "value", "difference", "tolerance", "status"],
            [
                [
                    code(r.item),
                    md(r.metric),
                    num(r.baseline),
                    num(r.value),
                    num(r.difference, signed=True),
                    num(r.tolerance),
                    f"{MARKS.get(r.status, '')} {md('changed, not gated' if r.status == 'changed' else r.status)}",
                ]
                for r in changed
            ],
        )
    else:
        lines.append("No metric moved beyond its tolerance.")
    if board.expectations:
        failed = [e for e in board.expectations if e.outcome == "failed"]
        lines += ["", "## Expectations", ""]
        lines.append(f"{len(failed)} of {len(board.expectations)} check(s) failed.")
        if failed:
            lines.append("")
            lines += _table(
                ["check", "expectation", "model", "other", "difference"],
                [
                    [code(e.id), md(e.description), num(e.value), num(e.other_value), num(e.difference, signed=True)]
                    for e in failed
                ],
            )
    lines += ["", "## Headline metrics", "", md(HEADLINE_NOTE), ""]
    for grid in board.grids:
        lines += [f"### {md(grid.title)}", ""]
        header = ["model"]
        for task in grid.tasks:
            headline = grid.headline(task)
            header.append(f"{md(task)} ({md(headline)})" if headline else md(task))
        rows = [[md(model), *(_cell(grid.cells.get((model, t))) for t in grid.tasks)] for model in grid.models]
        lines += _table(header, rows)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return ""
    return md(cell.text)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Cells are already escaped (:func:`md`, :func:`code`, numbers)."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    return [line(header), line(["---"] * len(header)), *(line(r) for r in rows)]
