"""--scbench-html and --scbench-markdown at the end of a run, and ``scbench report`` on its JSON."""

from __future__ import annotations

import json

import pytest

from pytest_scbench.cli import main

from ..report.chromium import require_chromium
from ..report.test_chromium import check_page
from .conftest import baseline_path

# Planted baselines: pca's ARI far above anything it reaches (a regression), random's far below (an improvement).
BASELINES = {
    "version": 1,
    "suite": "demo",
    "entries": {
        "demo[pca-pbmc68k-clustering]": {"ari": {"value": 0.99, "direction": "higher", "tolerance": 0.02}},
        "demo[random-pbmc68k-clustering]": {"ari": {"value": -0.5, "direction": "higher", "tolerance": 0.02}},
    },
}


def test_html_and_markdown_of_a_run_equal_scbench_report_of_its_json(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    path = baseline_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(BASELINES))
    result = project.runpytest(
        "suites", "--scbench-json", "out/r.json", "--scbench-html", "out/r.html", "--scbench-markdown", "out/r.md"
    )
    result.assert_outcomes(passed=3, failed=1)
    out = project.path / "out"
    result.stdout.fnmatch_lines([f"scbench HTML report: {out / 'r.html'}", f"scbench Markdown report: {out / 'r.md'}"])

    capsys.readouterr()  # the inner run's output
    assert (
        main(["report", str(out / "r.json"), "--html", str(out / "cli.html"), "--markdown", str(out / "cli.md")]) == 0
    )
    assert capsys.readouterr().out.splitlines() == [f"wrote {out / 'cli.html'}", f"wrote {out / 'cli.md'}"]
    assert (out / "cli.html").read_bytes() == (out / "r.html").read_bytes()
    assert (out / "cli.md").read_bytes() == (out / "r.md").read_bytes()

    md = (out / "r.md").read_text()
    assert "**3 passed, 1 failed**; 1 metric(s) regressed, 0 changed (not gated), 1 improved beyond tolerance." in md
    assert "| `demo[pca-pbmc68k-clustering]` | ari | 0.9900 |" in md and "▼ regressed |" in md
    assert "| `demo[random-pbmc68k-clustering]` | ari | -0.5000 |" in md and "▲ improved |" in md
    assert "### demo / pbmc68k\n\n| model | clustering (ari) | embedding (asw_label) |" in md
    html = (out / "r.html").read_text()
    assert html.count('<img class="heatmap"') == 1 and html.count('<img class="bars"') == 1
    assert "<td>demo[pca-pbmc68k-clustering]</td><td>ari</td>" in html and "REGRESSED" in html and "IMPROVED" in html
    # The terminal grid, the Markdown table and the HTML overview show the same headline values and marks.
    for model in ("pca", "random"):
        terminal = next(line for line in result.stdout.lines if line.startswith(f"{model}  "))
        clustering, embedding = terminal.split()[1:3]
        assert f"| {model} | {clustering} | {embedding} |" in md
        assert f"<th>{model}</th>" in html and f">{clustering[:5]}" in html


def test_chromium_renders_the_page_of_a_run(project: pytest.Pytester) -> None:
    require_chromium()  # skip (or, under CI, fail) before the run
    project.runpytest("suites", "--scbench-html", "r.html").assert_outcomes(passed=4)
    check_page(project.path / "r.html", project.path)


def test_ini_keys_and_scbench_report_errors(project: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    project.makeini("[pytest]\nscbench_html = page.html\nscbench_markdown = summary.md\n")
    project.runpytest("suites", "-k", "embedding").assert_outcomes(passed=2)
    capsys.readouterr()
    assert '<img class="heatmap"' in (project.path / "page.html").read_text()
    assert "| model | embedding (asw_label) |" in (project.path / "summary.md").read_text()

    assert main(["report", str(project.path / "page.html"), "--html", "x.html"]) == 2
    assert "page.html: not valid JSON (line 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "r.json"])
    assert exit_info.value.code == 2
    assert "give --html PATH, --markdown PATH or both" in capsys.readouterr().err
