"""Read a JSON report; write its HTML page and Markdown summary, atomically.

Used by ``scbench report`` and, at the end of a run, by ``--scbench-html`` and
``--scbench-markdown``: both paths go through :func:`write_pages`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..filemode import keep_mode
from .html import render_html
from .leaderboard import build_leaderboard
from .markdown import render_markdown


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``: never half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        keep_mode(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_pages(report: dict[str, Any], html: Path | None = None, markdown: Path | None = None) -> dict[str, Path]:
    """Write the HTML page and/or the Markdown summary of ``report``; the paths written, by kind."""
    board = build_leaderboard(report)
    written = {}
    if html is not None:
        write_text_atomic(html, render_html(board))
        written["HTML"] = html
    if markdown is not None:
        write_text_atomic(markdown, render_markdown(board))
        written["Markdown"] = markdown
    return written
