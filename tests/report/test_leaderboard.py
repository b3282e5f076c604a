"""The leaderboard of a report, its Markdown summary and its HTML page."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from pytest_scbench.cli import main
from pytest_scbench.errors import ScbenchError
from pytest_scbench.report.html import render_html
from pytest_scbench.report.json_report import read_report
from pytest_scbench.report.leaderboard import build_leaderboard
from pytest_scbench.report.markdown import render_markdown
from pytest_scbench.report.pages import write_pages


def test_grids_show_each_tasks_headline_and_its_mark(report: dict[str, Any]) -> None:
    board = build_leaderboard(report)
    assert [g.title for g in board.grids] == ["demo / atlas", "demo / pbmc", "demo / perturb"]
    pbmc = board.grids[1]
    assert pbmc.models == ["pca", "random"] and pbmc.tasks == ["clustering", "embedding"]
    assert pbmc.headline("clustering") == "ari" and pbmc.headline("embedding") == "asw_label"
    cell = pbmc.cells[("pca", "clustering")]
    # The headline alone, never a mean over the task's metrics: ari 0.4, scaled (0.4 - 0) / (1 - 0).
    assert (cell.value, cell.score, cell.status, cell.mark) == (0.4, pytest.approx(0.4), "regressed", "▼")
    assert pbmc.cells[("random", "clustering")].mark == "▲"
    skipped = pbmc.cells[("random", "embedding")]
    assert skipped.value is None and skipped.score is None and skipped.outcome == "skipped"
    # A report without headlines (an older one) shows the first metric.
    assert board.grids[2].cells[("mean", "reconstruction")].headline == "mse_masked"
    assert board.grids[2].cells[("mean", "reconstruction")].score == pytest.approx(0.75)  # (0.5 - 2) / (0 - 2)
    assert [(r.item, r.metric) for r in board.regressions] == [("demo[pca-pbmc-clustering]", "ari")]
    assert [(r.item, r.metric) for r in board.changed] == [("demo[pca-pbmc-clustering]", "nmi")]
    assert [(r.item, r.metric) for r in board.improvements] == [("demo[random-pbmc-clustering]", "ari")]
    assert board.outcomes == {"passed": 6, "skipped": 1}
    atlas = board.grids[0]
    assert atlas.aggregate_names("scib") == ["bio_conservation", "batch_correction", "total"]
    assert atlas.cells[("pca", "scib")].aggregates == (
        ("bio_conservation", 0.7),
        ("batch_correction", 0.4),
        ("total", 0.58),
    )


def test_terminal_heatmap_and_markdown_agree_on_the_headline(report: dict[str, Any]) -> None:
    """The terminal grid's cell text is the Markdown cell text, for every item with a value."""
    from pytest_scbench.report.text import summary_grids
    from pytest_scbench.results import CaseResult

    results = [CaseResult.from_json(item) for item in report["items"]]
    terminal = "\n".join(summary_grids(results))
    text = render_markdown(build_leaderboard(report))
    assert "model   clustering (ari)  embedding (asw_label)" in terminal
    assert "| model | clustering (ari) | embedding (asw_label) |" in text
    for line, row in (
        ("pca               0.400▼", "| pca | 0.400▼ | 0.600 |"),
        ("random            0.100▲", "| random | 0.100▲ | skipped |"),
    ):
        assert line in terminal and row in text
    assert "| model | scib (total) |" in text and "| pca | 0.580 |" in text
    # The heatmap writes Cell.text into each cell, the same text as the terminal's.
    pbmc = build_leaderboard(report).grids[1]
    assert [pbmc.cells[(m, "clustering")].text for m in ("pca", "random")] == ["0.400▼", "0.100▲"]
    assert pbmc.cells[("random", "embedding")].text == "skipped"


def test_markdown_summary(report: dict[str, Any]) -> None:
    text = render_markdown(build_leaderboard(report))
    assert "**6 passed, 1 skipped**; 1 metric(s) regressed, 1 changed (not gated), 1 improved beyond tolerance." in text
    assert "| `demo[pca-pbmc-clustering]` | ari | 0.6000 | 0.4000 | -0.2000 | 0.0200 | ▼ regressed |" in text
    assert "| `demo[pca-pbmc-clustering]` | nmi | 0.7000 | 0.6000 | -0.1000 | 0.0200 | ▽ changed, not gated |" in text
    assert "| `demo[random-pbmc-clustering]` | ari | 0.0000 | 0.1000 | +0.1000 | 0.0200 | ▲ improved |" in text
    assert "### demo / pbmc\n\n| model | clustering (ari) | embedding (asw_label) |\n| --- | --- | --- |" in text
    assert "| mean | 0.500 |" in text


def image_sizes(page: str, css_class: str) -> list[tuple[int, int]]:
    sizes = []
    for data in re.findall(rf'<img class="{css_class}" [^>]*src="data:image/png;base64,([^"]+)"', page):
        with Image.open(io.BytesIO(base64.b64decode(data))) as img:
            pixels = np.asarray(img.convert("L"), dtype=float)
            assert pixels.std() > 10, "a blank figure"
            sizes.append(img.size)
    return sizes


def test_html_page_is_a_self_contained_leaderboard(report: dict[str, Any]) -> None:
    page = render_html(build_leaderboard(report))
    assert len(image_sizes(page, "heatmap")) == 3  # one per (suite, dataset)
    assert len(image_sizes(page, "bars")) == 4  # one per (suite, task) with baselines
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "<link" not in page
    assert page.count("<script") == 1  # the table sorter, inline
    # The overview comes first, then the changes, the folded details, every metric and the environment.
    order = [page.index(f'id="{name}"') for name in ("overview", "changes", "details", "metrics", "environment")]
    assert order == sorted(order)
    overview = page[page.index('id="overview-0"') : page.index("</table>", page.index('id="overview-0"'))]
    # Models sorted by their mean scaled headline; the headline's raw value and mark in each cell.
    assert overview.index("<th>pca</th>") < overview.index("<th>random</th>")
    assert '>0.400 <span class="mark-regressed">▼</span></td>' in overview
    assert "clustering<br><small>ari</small>" in overview and "scib<br><small>total</small>" in overview
    assert '<span class="fill" style="width: 40.0%"></span><span class="v">0.400</span>' in overview  # batch_correction
    assert overview.count("<small>total</small>") == 1  # the headline, not again as an aggregate
    changes = page[page.index('id="changes-table"') : page.index("</table>", page.index('id="changes-table"'))]
    assert changes.count("<tr class=") == 3 and "REGRESSED" in changes and "CHANGED, NOT GATED" in changes
    assert page.count("<details") == 4 + 2  # one per (suite, task), all metrics, environment
    assert "0123456789abcdef (uncommitted changes)" in page and "not installed" in page


HOSTILE = "<script>alert(1)</script>"


def test_strings_of_a_crafted_report_are_escaped(report: dict[str, Any], tmp_path: Path) -> None:
    """A shard report with markup in every string: nothing of it reaches the page as markup."""
    item = next(i for i in report["items"] if i["id"] == "demo[pca-pbmc-clustering]")
    item.update(model=HOSTILE, dataset=f"$x{HOSTILE}", task=f"t|{HOSTILE}", id=f"demo[{HOSTILE}]", headline="ari")
    item["metrics"][HOSTILE] = {"value": 0.5, "direction": HOSTILE}
    item["verdicts"][HOSTILE] = {"status": f'"><img src=x onerror=alert(1)>{HOSTILE}', "value": 0.5}
    item["verdicts"]["ari"]["status"] = '" onmouseover="alert(1)'
    item["aggregates"] = [HOSTILE]
    item["metrics"]["nmi"]["value"] = "not a number"
    report["created"] = HOSTILE
    report["expectations"] = [
        {
            "id": HOSTILE,
            "description": HOSTILE,
            "model": HOSTILE,
            "outcome": "failed",
            "message": HOSTILE,
            "value": "x",
        },
        {"id": "demo[expect-x]", "outcome": HOSTILE, "message": HOSTILE},
        HOSTILE,
    ]
    report["environment"]["python"] = HOSTILE
    report["environment"]["packages"][HOSTILE] = HOSTILE
    report["options"][HOSTILE] = HOSTILE
    # The report reader refuses such a document (exit 2, naming a field); the writers must
    # escape it all the same, so the page is safe even from a reader that let it through.
    path = tmp_path / "shard.json"
    path.write_text(json.dumps(report))
    assert main(["report", str(path), "--html", str(tmp_path / "x.html")]) == 2
    assert not (tmp_path / "x.html").exists()
    write_pages(report, tmp_path / "r.html", tmp_path / "r.md")
    page = (tmp_path / "r.html").read_text()
    assert page.count("<script") == 1 and "alert(1)" in page  # ours, and the payload as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and 'id="expectations-table"' in page
    assert "onerror=" not in page.replace("onerror=alert(1)&gt;", "") and 'onmouseover="' not in page
    summary = (tmp_path / "r.md").read_text()
    assert "<script" not in summary and "&lt;script&gt;" in summary and "t\\|&lt;script" in summary


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
    bad.write_text('{"format": "pytest-scbench-report", "items": []}')
    with pytest.raises(ScbenchError, match=r"bad.json: report format version None; this scbench reads version 1"):
        read_report(bad)
    bad.write_text('{"format": "pytest-scbench-report", "version": 1, "items": [{"id": "x"}]}')
    with pytest.raises(ScbenchError, match=r"bad.json: items\[0\] lacks suite, model, dataset, task"):
        read_report(bad)
