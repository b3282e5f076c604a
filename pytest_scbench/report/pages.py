"""Read a JSON report; write its HTML page and Markdown summary, atomically.

Used by ``scbench report`` and, at the end of a run, by ``--scbench-html`` and
``--scbench-markdown``: both paths go through :func:`write_pages`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import ScbenchError
from .html import render_html
from .leaderboard import build_leaderboard
from .markdown import render_markdown


def read_report(path: Path) -> dict[str, Any]:
    """A report written by ``--scbench-json``; a :class:`ScbenchError` naming the file otherwise."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScbenchError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ScbenchError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(raw, dict) or raw.get("format") != "pytest-scbench-report":
        raise ScbenchError(f"{path}: not a pytest-scbench JSON report (written by --scbench-json)")
    for k, item in enumerate(raw.get("items", [])):
        missing = [key for key in ("id", "suite", "model", "dataset", "task") if key not in item]
        if missing:
            raise ScbenchError(f"{path}: items[{k}] lacks {', '.join(missing)}")
    return raw


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``: never half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
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
