"""The HTML report as a browser shows it: headless Chromium renders it and takes a screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from pytest_scbench.report.pages import write_pages

from .chromium import rendered, require_chromium, screenshot


def check_page(page: Path, workdir: Path) -> Path:
    """Assert Chromium renders the heatmaps and tables, non-empty; the screenshot's path."""
    binary = require_chromium()
    dom = rendered(binary, page, workdir)
    heatmaps = [i for i in dom["images"] if i["cls"] == "heatmap"]
    assert heatmaps and all(i["width"] > 100 and i["height"] > 100 for i in heatmaps), dom["images"]
    tables = {t["id"]: t for t in dom["tables"]}
    for name in ("overview-0", "metrics-table", "environment-table", "packages-table"):
        assert tables[name]["rows"] > 0 and tables[name]["filled"] > 0, tables[name]
    png = screenshot(binary, page, workdir / f"{page.stem}.png")
    with Image.open(png) as img:
        assert img.size == (1400, 2000)
        pixels = np.asarray(img.convert("RGB"), dtype=float)
    assert pixels.std() > 20, "the screenshot is blank"
    # The heatmap's viridis colours are on screen: pixels far from grey (the page itself is black on white).
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    assert (saturation > 80).sum() > 5000, "no coloured heatmap in the screenshot"
    return png


def test_chromium_renders_heatmaps_and_tables(report: dict[str, Any], tmp_path: Path) -> None:
    pages = write_pages(report, html=tmp_path / "report.html")
    check_page(pages["HTML"], tmp_path)


#: Clicks the overview's "model" header twice (descending, then ascending) and the mean score once,
#: and records each row order as the id of an empty table, which the probe lists.
CLICKS = """
<script>
window.addEventListener("load", () => {
  const table = document.getElementById("overview-0");
  const order = () => [...table.tBodies[0].rows].map((r) => r.children[0].textContent).join("_");
  const note = (name) => {
    const t = document.createElement("table");
    t.id = name + "-" + order();
    document.body.appendChild(t);
  };
  note("initial");
  const model = table.querySelector('thead th[data-col="0"]');
  model.click(); note("model-down");
  model.click(); note("model-up");
});
</script>
"""


def test_overview_sorts_by_a_click_on_its_header(report: dict[str, Any], tmp_path: Path) -> None:
    binary = require_chromium()
    page = write_pages(report, html=tmp_path / "report.html")["HTML"]
    clicked = tmp_path / "clicked.html"
    clicked.write_text(page.read_text(encoding="utf-8").replace("</body>", CLICKS + "</body>"), encoding="utf-8")
    ids = {t["id"] for t in rendered(binary, clicked, tmp_path)["tables"]}
    # Initially by mean score, highest first (mean 0.75, then pca, then random); then by name, both ways.
    assert {"initial-mean_pca_random", "model-down-random_pca_mean", "model-up-mean_pca_random"} <= ids, ids
