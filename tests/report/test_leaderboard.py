"""The leaderboard of a report, its Markdown summary and its HTML page."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from pytest_scbench.errors import ScbenchError
from pytest_scbench.report.html import render_html
from pytest_scbench.report.json_report import read_report
from pytest_scbench.report.leaderboard import build_leaderboard
from pytest_scbench.report.markdown import render_markdown
from pytest_scbench.report.pages import write_pages


def test_grids_scores_and_changes(report: dict[str, Any]) -> None:
    board = build_leaderboard(report)
    assert [g.title for g in board.grids] == ["demo / pbmc", "demo / perturb"]
    pbmc = board.grids[0]
    assert pbmc.models == ["pca", "random"] and pbmc.tasks == ["clustering", "embedding"]
    cell = pbmc.cells[("pca", "clustering")]
    assert cell.score == pytest.approx((0.4 + 0.5) / 2) and cell.status == "regressed"
    assert pbmc.cells[("random", "clustering")].status == "improved"
    assert (
        pbmc.cells[("random", "embedding")].score is None and pbmc.cells[("random", "embedding")].outcome == "skipped"
    )
    assert board.grids[1].cells[("mean", "reconstruction")].score == pytest.approx(0.75)  # (0.5 - 2) / (0 - 2)
    assert [(r.item, r.metric) for r in board.regressions] == [("demo[pca-pbmc-clustering]", "ari")]
    assert [(r.item, r.metric) for r in board.improvements] == [("demo[random-pbmc-clustering]", "ari")]
    assert board.outcomes == {"passed": 4, "skipped": 1}
    assert {(r.item, r.metric) for r in board.with_baseline} == {
        (r.item, r.metric) for r in board.rows if r.metric != "nmi" or r.model != "random"
    }


def test_markdown_summary(report: dict[str, Any]) -> None:
    text = render_markdown(build_leaderboard(report))
    assert "**4 passed, 1 skipped**; 1 metric(s) regressed, 1 improved beyond tolerance." in text
    assert "| `demo[pca-pbmc-clustering]` | ari | 0.6000 | 0.4000 | -0.2000 | 0.0200 | ▼ regressed |" in text
    assert "| `demo[random-pbmc-clustering]` | ari | 0.0000 | 0.1000 | +0.1000 | 0.0200 | ▲ improved |" in text
    assert "### demo / pbmc\n\n| model | clustering | embedding |\n| --- | --- | --- |" in text
    assert "| pca | 0.450▼ | 0.200 |" in text and "| random | 0.050▲ | skipped |" in text
    assert "| mean | 0.750 |" in text


def image_sizes(page: str, css_class: str) -> list[tuple[int, int]]:
    sizes = []
    for data in re.findall(rf'<img class="{css_class}" [^>]*src="data:image/png;base64,([^"]+)"', page):
        with Image.open(io.BytesIO(base64.b64decode(data))) as img:
            pixels = np.asarray(img.convert("L"), dtype=float)
            assert pixels.std() > 10, "a blank figure"
            sizes.append(img.size)
    return sizes


def test_html_page_is_self_contained_and_complete(report: dict[str, Any]) -> None:
    page = render_html(build_leaderboard(report))
    assert len(image_sizes(page, "heatmap")) == 2  # one per (suite, dataset)
    assert len(image_sizes(page, "bars")) == 3  # one per (suite, task) with baselines
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "<link" not in page and "<script" not in page
    changes = page[page.index('id="changes-table"') : page.index("</table>", page.index('id="changes-table"'))]
    assert changes.count("<tr class=") == 2 and "REGRESSED" in changes and "IMPROVED" in changes
    assert 'title="demo[pca-pbmc-clustering]\nari (higher): 0.4000, control 0.0000, scaled 0.400' in page
    assert "0123456789abcdef (uncommitted changes)" in page and "not installed" in page


def test_pages_are_deterministic(report: dict[str, Any], tmp_path: Path) -> None:
    first = write_pages(report, tmp_path / "a.html", tmp_path / "a.md")
    second = write_pages(report, tmp_path / "b.html", tmp_path / "b.md")
    for kind in ("HTML", "Markdown"):
        assert first[kind].read_bytes() == second[kind].read_bytes()


def test_read_report_names_the_file_and_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  nope")
    with pytest.raises(ScbenchError, match=r"bad.json: not valid JSON \(line 2"):
        read_report(bad)
    bad.write_text('{"format": "pytest-scbench-report", "items": [{"id": "x"}]}')
    with pytest.raises(ScbenchError, match=r"bad.json: items\[0\] lacks suite, model, dataset, task"):
        read_report(bad)
