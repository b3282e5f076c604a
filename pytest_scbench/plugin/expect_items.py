"""The test item of one expectation check (expectations.py), and when it runs.

Ordering: the plugin moves every expectation item behind every other item of the run
(``pytest_collection_modifyitems``), so in one process the results it compares are in
the session by then. Under xdist each worker takes its items in collection order (load,
loadscope, loadgroup, worksteal alike), so every worker runs all its benchmark items
before any expectation item; an expectation whose items run on another worker waits for
their results in the run's result store (result_store.py). An item that was not selected
(``-k``, ``-m``, another ``--scbench-shard``) is not waited for: the check is skipped,
saying which item it lacks.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..errors import ScbenchError
from ..expectations import BASELINE, Check, evaluate, result_values
from ..results import CaseResult
from .session import ScbenchSession


class ExpectationFailure(AssertionError):
    """A relative expectation that does not hold; its message is the table."""


class ExpectItem(pytest.Item):
    """One expectation on one (data set, task, metric)."""

    def __init__(self, *, check: Check, state: ScbenchSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.state = state
        self.add_marker("scbench")
        for marker in check.case.suite.markers:
            self.add_marker(marker)
        self.extra_keyword_matches.update(check.keywords)
        #: What the check found (values, difference, message), for :meth:`record`.
        self.found: dict[str, Any] = {}

    def record(self) -> dict[str, Any]:
        """This check for the JSON report: what it compares, and (once run) the numbers and the message."""
        check, e = self.check, self.check.expectation
        return {
            "id": check.id,
            "suite": check.case.suite.name,
            "model": e.model,
            "kind": e.kind,
            "other": e.other,
            "by": e.by,
            "dataset": check.case.dataset.name,
            "task": check.case.task.name,
            "metric": check.metric,
            "where": e.where,
            "description": e.describe(),
            **self.found,
        }

    def _result(self, item_id: str) -> CaseResult:
        if item_id not in self.state.selected:
            pytest.skip(f"{item_id} is not selected in this run (-k, -m or --scbench-shard), so nothing to compare")
        found = self.state.results.get(item_id)
        if found is None and self.state.result_store is not None:
            found = self.state.result_store.wait(item_id)
        if found is None:
            pytest.skip(f"{item_id} has no result yet (it did not run before this item)")
        if not found.completed:
            pytest.skip(f"{item_id} did not complete ({found.outcome or 'no outcome'}): nothing to compare")
        return found

    def runtest(self) -> None:
        check = self.check
        e = check.expectation
        mine = self._result(check.case.id)
        value, direction, baseline = result_values(mine.to_json(), check.metric)
        if value is None or direction is None:
            raise ScbenchError(f"{e.where}: {check.case.id} returned no metric {check.metric!r}")
        if e.other == BASELINE:
            if baseline is None:
                message = f"{check.case.id} has no stored baseline for {check.metric}"
                if self.state.options.strict:
                    raise ExpectationFailure(f"{message} (--scbench-strict)")
                pytest.skip(f"{message}; record it with --scbench-update-baselines")
            other_value = baseline
        else:
            assert check.other is not None
            theirs = self._result(check.other.id)
            other_value, _, _ = result_values(theirs.to_json(), check.metric)
            if other_value is None:
                raise ScbenchError(f"{e.where}: {check.other.id} returned no metric {check.metric!r}")
        outcome = evaluate(check, value, other_value, direction)
        self.found = {
            "value": outcome.value,
            "other_value": outcome.other_value,
            "difference": outcome.difference,
            "direction": direction,
            "passed": outcome.passed,
            "message": "" if outcome.passed else outcome.message,
        }
        self.user_properties += [
            ("value", outcome.value),
            ("other_value", outcome.other_value),
            ("difference", outcome.difference),
            ("passed", outcome.passed),
        ]
        if not outcome.passed:
            raise ExpectationFailure(outcome.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, (ScbenchError, ExpectationFailure)) and not self.config.getoption("fulltrace"):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, 0, self.name


def last(items: list[pytest.Item]) -> None:
    """Move expectation items behind every other item, keeping each group's order."""
    items[:] = [i for i in items if not isinstance(i, ExpectItem)] + [i for i in items if isinstance(i, ExpectItem)]
