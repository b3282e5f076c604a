"""Results of finished items, readable by expectation items in any process of a run.

An expectation item (expect_items.py) compares the results of two benchmark items. In a
run without xdist they are in the session's own ``results``. Under xdist the controller
gathers every item's result from the reports; it writes each one into a folder it
creates for the run and hands to every worker (``workerinput``), and a worker's
expectation item reads from there, waiting for a result that is still being computed.
Every selected item leaves a record there, a crashed worker's items included (the
controller records those as lost), so the wait ends.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..results import CaseResult

#: The key of the folder's path in an xdist worker's ``workerinput``.
WORKERINPUT_KEY = "scbench_results_dir"

#: How often a waiting expectation looks again, and how long it waits at most.
POLL_S = 0.2
MAX_WAIT_S = 6 * 3600.0


class ResultStore:
    """One folder of ``<sha256(id)>.json`` files, each a :class:`CaseResult`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def create(cls) -> ResultStore:
        return cls(Path(tempfile.mkdtemp(prefix="scbench-results-")))

    def _path(self, item_id: str) -> Path:
        return self.folder / f"{hashlib.sha256(item_id.encode('utf-8')).hexdigest()}.json"

    def put(self, result: CaseResult) -> None:
        """Write atomically (a temporary file, then a rename): a reader never sees half a file."""
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(result.to_json(), fh)
        os.replace(tmp, self._path(result.id))

    def get(self, item_id: str) -> CaseResult | None:
        try:
            raw = json.loads(self._path(item_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return CaseResult.from_json(raw)

    def wait(self, item_id: str, max_wait_s: float = MAX_WAIT_S) -> CaseResult | None:
        """The result of ``item_id`` once the controller has it; None after ``max_wait_s``."""
        deadline = time.monotonic() + max_wait_s
        while True:
            found = self.get(item_id)
            if found is not None or time.monotonic() >= deadline:
                return found
            time.sleep(POLL_S)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
