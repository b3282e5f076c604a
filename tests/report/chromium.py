"""Headless Chromium for tests: find the binary, take a screenshot, dump the rendered DOM.

Chromium comes from the system's packages (Debian's ``chromium``; ``.ci/run`` installs it
where missing). The flags keep it from reaching the network, which the test machines
close: no background networking, component updates, sync or QUIC.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

#: Appended to a copy of the page under test (the page itself has no script): once the
#: page has loaded, it writes what was rendered into the DOM as JSON, for --dump-dom.
PROBE = """
<script>
window.addEventListener("load", () => {
  const images = [...document.querySelectorAll("img")].map(
    (img) => ({cls: img.className, id: img.id, width: img.naturalWidth, height: img.naturalHeight}));
  const tables = [...document.querySelectorAll("table")].map((t) => ({
    cls: t.className,
    id: t.id,
    rows: t.tBodies.length ? t.tBodies[0].rows.length : 0,
    filled: [...t.querySelectorAll("tbody td")].filter((td) => td.textContent.trim()).length,
  }));
  const out = document.createElement("pre");
  out.id = "scbench-probe";
  out.textContent = JSON.stringify({images, tables});
  document.body.appendChild(out);
});
</script>
"""


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) binary, or None."""
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    """The binary; skip the test where there is none, except under CI (``$CI`` set): fail."""
    binary = find_chromium()
    if binary is None:
        reason = f"headless Chromium not found (looked for {', '.join(NAMES)}); apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so the page must be checked", pytrace=False)
        pytest.skip(reason)
    return binary


def run_chromium(binary: str, page: Path, *args: str, width: int = 1400, height: int = 2000) -> str:
    """Run Chromium on ``page`` with a fresh profile; its stdout."""
    with tempfile.TemporaryDirectory(prefix="scbench-chromium-") as profile:
        proc = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", *args, page.as_uri()],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    if proc.returncode != 0:
        raise AssertionError(f"chromium exited with {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc.stdout


def screenshot(binary: str, page: Path, png: Path) -> Path:
    """A screenshot of ``page`` (1400 x 2000 pixels) written to ``png``."""
    run_chromium(binary, page.resolve(), f"--screenshot={png.resolve()}")
    if not png.exists():
        raise AssertionError(f"chromium wrote no screenshot to {png}")
    return png


def rendered(binary: str, page: Path, workdir: Path) -> dict[str, Any]:
    """What Chromium rendered: every image's natural size and every table's body rows and filled cells."""
    probed = workdir / f"{page.stem}.probe.html"
    text = page.read_text(encoding="utf-8")
    probed.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = run_chromium(binary, probed.resolve(), "--virtual-time-budget=10000", "--dump-dom")
    start = dom.find('<pre id="scbench-probe">')
    if start < 0:
        raise AssertionError("the probe script did not run: no #scbench-probe in the rendered DOM")
    body = dom[start + len('<pre id="scbench-probe">') : dom.index("</pre>", start)]
    return json.loads(body.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
