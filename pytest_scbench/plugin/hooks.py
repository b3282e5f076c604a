"""The pytest hooks of pytest-scbench, and nothing else.

Options, ini keys and markers; collection of suite files; carrying each item's result
from xdist workers to the controller; and, in the controller, the baseline update, the
JSON report and the terminal summary. The work itself lives in the modules imported here.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from .. import progress
from ..device import DEVICE_CHOICES, valid_device_option
from ..errors import BaselineError, ScbenchError
from ..metrics import backend as metric_backend
from ..results import CaseResult
from . import expect_items, finish, sharding
from .collected import collect_worker_output, record_selected, record_suites, share_worker_output
from .fixtures import scbench_dataset, scbench_device, scbench_model, scbench_outputs  # noqa: F401  (fixtures)
from .items import RESULT_KEY, SESSION_KEY, BenchmarkItem, SuiteFile
from .mlflow_log import DEFAULT_URI as DEFAULT_MLFLOW_URI
from .mlflow_log import log_run, mlflow_missing
from .progress_sink import configure_progress
from .result_store import WORKERINPUT_KEY as RESULTS_DIR_KEY
from .result_store import ResultStore
from .session import Options, ScbenchSession
from .sharding import empty_shard, parse_shard

DEFAULT_SUITE_PATTERNS = ["suites/*.yaml", "suites/*.yml", "*.scbench.yaml", "*.scbench.yml"]

PROGRESS_KEY = pytest.StashKey[progress.Sink]()

MARKERS = {
    "scbench": "a benchmark item collected from a pytest-scbench suite file",
    "gpu": "needs a CUDA device; skipped with a reason where none is available",
    "slow": "a long-running benchmark item (large data set or model)",
    "network": "needs network access once, to download a data set into the cache",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scbench", "single-cell model benchmarks (pytest-scbench)")

    def add(name: str, help: str, ini_type: str | None = None, ini_default: Any = None, **kwargs: Any) -> None:
        group.addoption(
            f"--scbench-{name.replace('_', '-')}", dest=f"scbench_{name}", default=None, help=help, **kwargs
        )
        parser.addini(f"scbench_{name}", help=help, type=ini_type, default=ini_default)  # type: ignore[arg-type]

    add(
        "device",
        f"device for models: {', '.join(DEVICE_CHOICES)} (default auto: CUDA for models that need it); "
        "neighbour searches and silhouettes run on CUDA under auto when present, or under cuda/cuda:N",
        ini_default="auto",
        metavar="DEVICE",
    )
    add(
        "strict",
        "fail items whose metrics have no stored baseline",
        ini_type="bool",
        ini_default=False,
        action="store_true",
    )
    add(
        "update_baselines",
        "rewrite the baseline entries of every item that ran to completion (command line only: "
        "the ini key is refused, a committed setting would disable the gate)",
        ini_type="bool",
        ini_default=False,
        action="store_true",
    )
    add("json", "write the JSON report of the run to PATH", ini_default="", metavar="PATH")
    add("html", "write the HTML report (heatmaps, plots, tables; offline) to PATH", ini_default="", metavar="PATH")
    add("markdown", "write the Markdown summary (for a CI job summary) to PATH", ini_default="", metavar="PATH")
    add(
        "no_cache",
        "compute model outputs afresh instead of reading the on-disk cache",
        ini_type="bool",
        ini_default=False,
        action="store_true",
    )
    add(
        "data_dir",
        "cache directory for data sets and outputs (default $SCBENCH_DATA_DIR or ~/.cache/scbench)",
        ini_default="",
        metavar="DIR",
    )
    add(
        "seeds", "run every item under seeds 0..N-1 instead of the suite's seeds", ini_default="", metavar="N", type=int
    )
    add(
        "seed_offset",
        "add K to every seed (--scbench-seeds or the suite's): fresh seeds for the same items",
        ini_default="",
        metavar="K",
        type=int,
    )
    add(
        "speed",
        "also measure each model's throughput (cells/s) with pytest-benchmark, one item per (model, dataset)",
        ini_type="bool",
        ini_default=False,
        action="store_true",
    )
    add(
        "progress",
        "progress of downloads, conversions and model inference: auto (quiet under -q, lines in CI or "
        "without a terminal, else a bar), bar, lines or quiet",
        ini_default="auto",
        metavar="MODE",
    )
    add(
        "mlflow",
        f"log every item's metrics, parameters and verdict to MLflow at URI (default {DEFAULT_MLFLOW_URI}, "
        "a local store in the current folder); needs pytest-scbench[mlflow]",
        ini_default="",
        metavar="URI",
        nargs="?",
        const=DEFAULT_MLFLOW_URI,
    )
    add("shard", "run only slice K of N of the benchmark items (by suite, model and dataset)", metavar="K/N")
    add("z", "tolerance multiple of the stored seed spread (default 3)", ini_default="", metavar="Z", type=float)
    parser.addini("scbench_suite_patterns", "glob patterns of suite files", type="args", default=DEFAULT_SUITE_PATTERNS)


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    options = Options.from_config(config)
    if not valid_device_option(options.device):
        raise pytest.UsageError(f"--scbench-device {options.device!r}: expected one of {', '.join(DEVICE_CHOICES)}")
    # neighbour searches and silhouette distances go to CUDA when there is one (auto) or
    # it was asked for and exists; the CPU path otherwise (resolved on first use)
    metric_backend.use_option(options.device)
    state = ScbenchSession(options)
    shard_text = config.getoption("scbench_shard", None) or config.getini("scbench_shard")
    if shard_text:
        try:
            state.shard = parse_shard(shard_text)
        except ValueError as exc:
            raise pytest.UsageError(f"--scbench-shard: {exc}") from None
    results_dir = getattr(config, "workerinput", {}).get(RESULTS_DIR_KEY)
    if results_dir:
        state.result_store = ResultStore(Path(results_dir))
    config.stash[SESSION_KEY] = state
    config.stash[PROGRESS_KEY] = configure_progress(config)
    config.pluginmanager.register(RunHooks(config, state), "scbench-run")
    mlflow_uri = config.getoption("scbench_mlflow", None) or config.getini("scbench_mlflow")
    if mlflow_uri:
        missing = mlflow_missing()
        if missing:
            raise pytest.UsageError(missing)
        config.pluginmanager.register(MlflowHooks(config, state, mlflow_uri), "scbench-mlflow")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(SESSION_KEY, None)
    if state is not None and state.result_store is not None and not hasattr(config, "workerinput"):
        state.result_store.remove()
    previous = config.stash.get(PROGRESS_KEY, None)
    if previous is not None:
        progress.restore(previous)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SuiteFile | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    patterns = parent.config.getini("scbench_suite_patterns")
    explicit = any(Path(arg.split("::")[0]).resolve() == file_path for arg in parent.config.args)
    if explicit or any(file_path.match(p) for p in patterns):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash[SESSION_KEY]
    record_suites(state, items)
    expect_items.last(items)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    record_selected(session.config.stash[SESSION_KEY], session.items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if isinstance(item, expect_items.ExpectItem) and (call.when == "call" or report.skipped):
        record = item.record()
        if report.skipped and isinstance(report.longrepr, tuple):
            record["message"] = str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.failed and call.excinfo is not None and not record.get("message"):
            record["message"] = str(call.excinfo.value)
        report.scbench_expect = record  # type: ignore[attr-defined]
    result = item.stash.get(RESULT_KEY, None) if isinstance(item, BenchmarkItem) else None
    if result is not None and (call.when == "call" or report.skipped or report.failed):
        if report.failed and call.excinfo is not None and not result.message:
            result.message = (
                call.excinfo.exconly()
                if not isinstance(call.excinfo.value, (ScbenchError, AssertionError))
                else str(call.excinfo.value)
            )
        # A plain attribute of the report crosses from xdist workers to the controller.
        report.scbench = result.to_json()  # type: ignore[attr-defined]
    return report


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from .scheduling import SuiteGroupScheduling

    return SuiteGroupScheduling(config, log)


class RunHooks:
    """Hooks that need the run's state: gathering results, and the end of the run."""

    def __init__(self, config: pytest.Config, state: ScbenchSession) -> None:
        self.config = config
        self.state = state
        self.is_worker = hasattr(config, "workerinput")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # After -k, -m and --deselect: a shard left empty by them alone is not "empty by sharding".
        if self.state.shard is not None:
            items[:], deselected = sharding.split(items, self.state.shard)
            self.state.shard_deselected += len(deselected)
            if deselected:
                self.config.hook.pytest_deselected(items=deselected)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        raw = getattr(report, "scbench", None)
        if self.is_worker:
            return
        expectation = getattr(report, "scbench_expect", None)
        if expectation is not None:
            self.state.expectations[expectation["id"]] = {**expectation, "outcome": report.outcome}
            return
        if raw is None:
            if report.failed:
                self.state.record_lost(report.nodeid, report.longreprtext)
            return
        result = CaseResult.from_json(raw)
        result.outcome = report.outcome
        self.state.add_result(result)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist, in the controller: give each worker the folder where results are shared."""
        if self.state.result_store is None:
            self.state.result_store = ResultStore.create()
        node.workerinput[RESULTS_DIR_KEY] = str(self.state.result_store.folder)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        collect_worker_output(self.state, getattr(node, "workeroutput", None) or {})

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            share_worker_output(self.state, self.config.workeroutput)  # type: ignore[attr-defined]
            return  # workers only run items; the controller writes files
        if empty_shard(self.state.shard, self.state.shard_deselected, session.exitstatus):
            session.exitstatus = pytest.ExitCode.OK
        try:
            finish.write_outputs(self.config, self.state, interrupted=session.exitstatus == pytest.ExitCode.INTERRUPTED)
        except BaselineError as exc:
            self.state.errors.append(str(exc))
        if self.state.errors and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        if self.is_worker:
            return
        if empty_shard(self.state.shard, self.state.shard_deselected, exitstatus):
            terminalreporter.write_line(
                f"pytest-scbench: shard {self.state.shard} holds no benchmark item "
                f"({self.state.shard_deselected} in other shards); exit code 0"
            )
            exitstatus = pytest.ExitCode.OK
        finish.terminal_summary(terminalreporter, self.state, exitstatus)


class MlflowHooks:
    """``--scbench-mlflow``: log the gathered results in the controller, before the summary."""

    def __init__(self, config: pytest.Config, state: ScbenchSession, uri: str) -> None:
        self.config, self.state, self.uri = config, state, uri

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workerinput") or not self.state.results:
            return
        try:
            log_run(self.uri, self.state.results.values(), finish.run_report(self.config, self.state))
        except ScbenchError as exc:
            self.state.errors.append(str(exc))
