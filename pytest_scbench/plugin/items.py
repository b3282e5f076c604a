"""The pytest collector for suite files and the item for one (model, dataset, task) case."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..device import unavailable_reason
from ..errors import ScbenchError
from ..expectations import checks
from ..report.text import failure_message
from ..results import CaseResult
from ..suite import Case, load_suite
from .expect_items import ExpectItem
from .session import ScbenchSession

SESSION_KEY = pytest.StashKey[ScbenchSession]()
RESULT_KEY = pytest.StashKey[CaseResult]()


class RegressionFailure(AssertionError):
    """An item whose metrics regressed against the baseline (or lack one under strict)."""


class SuiteFile(pytest.File):
    """A YAML suite file: one item per (model, dataset, task) combination."""

    def collect(self) -> Iterator[pytest.Item]:
        state = self.config.stash[SESSION_KEY]
        try:
            suite = load_suite(self.path, rootdir=self.config.rootpath, data_dir=state.options.data_dir)
        except ScbenchError as exc:
            raise self.CollectError(str(exc)) from None
        other = state.claim_suite_name(suite.name, self.path)
        if other is not None:
            raise self.CollectError(
                f"{self.path}: name: suite {suite.name!r} is also the name of {other}; item ids, results and "
                "baselines are keyed by the suite's name, so give each suite file its own"
            )
        too_large = state.seed_problem(suite)
        if too_large:
            raise self.CollectError(f"{self.path}: seeds: {too_large}")
        cases = suite.cases()
        if not cases:
            raise self.CollectError(f"{self.path}: exclude removes every combination; the suite has no item")
        try:
            suite_checks = checks(suite)
        except ScbenchError as exc:
            raise self.CollectError(str(exc)) from None
        for case in cases:
            yield BenchmarkItem.from_parent(self, name=case.id, case=case)
        for check in suite_checks:
            yield ExpectItem.from_parent(self, name=check.id, check=check, state=state)
        if state.options.speed:
            from .speed import speed_items

            yield from speed_items(self, suite, state)


class BenchmarkItem(pytest.Item):
    """One case: computes the model's outputs, runs the task, judges the metrics."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        session = self.config.stash[SESSION_KEY]
        self.device = session.device_for(case)
        self.add_marker("scbench")
        for marker in (*case.suite.markers, *case.dataset.spec.markers):
            self.add_marker(marker)
        if self.device != "cpu":
            self.add_marker("gpu")
        # Items of one (model, dataset) share outputs: keep them on one worker with --dist loadgroup.
        self.add_marker(pytest.mark.xdist_group(name=f"{case.suite.name}-{case.model.name}-{case.dataset.name}"))
        self.stash[RESULT_KEY] = session.new_result(case)
        reason = case.skip_reason or unavailable_reason(self.device, session.options.device)
        if reason:
            self.stash[RESULT_KEY].message = reason
            self.add_marker(pytest.mark.skip(reason=reason))
        # -k also matches each part by its name, the task's registered name included.
        self.extra_keyword_matches.update(
            {case.model.name, case.dataset.name, case.task.name, case.task.task.name, case.suite.name}
        )

    @property
    def session_state(self) -> ScbenchSession:
        return self.config.stash[SESSION_KEY]

    def runtest(self) -> None:
        state = self.session_state
        result = self.stash[RESULT_KEY]
        state.run_case(self.case, result)
        for name, metric in result.metrics.items():
            self.user_properties.append((name, metric["value"]))
            verdict = result.verdicts[name]
            if verdict["baseline"] is not None:
                self.user_properties.append((f"{name}.baseline", verdict["baseline"]))
            self.user_properties.append((f"{name}.status", verdict["status"]))
        regressed = result.regressions()
        missing = result.gated_missing() if state.options.strict else []
        if (regressed and not state.options.update_baselines) or missing:
            raise RegressionFailure(failure_message(result, strict=state.options.strict))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, (ScbenchError, RegressionFailure)) and not self.config.getoption("fulltrace"):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, 0, self.name
