"""The state of one benchmark run: options, loaded data sets, cached outputs, results.

One :class:`ScbenchSession` lives in each pytest process (the controller and every xdist
worker). Workers run items; the controller gathers their :class:`CaseResult` records from
the reports and writes baselines and reports at the end.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..baselines import BaselineFile, Changes
from ..datasets import default_data_dir
from ..datasets.base import Dataset, DatasetSpec
from ..device import wanted_device
from ..errors import ScbenchError, TaskError
from ..gating import apply_gate, headline_of
from ..limits import short_repr
from ..metrics.value import MetricValue
from ..models.base import RunContext
from ..outputs import Outputs, OutputStore
from ..results import CaseResult, lost_result, summarise
from ..suite import MAX_SEED, Case, ModelEntry, Suite
from ..tasks.base import TaskInputs
from .result_store import ResultStore
from .sharding import Shard

DEFAULT_Z = 3.0
#: Bounds of the numeric options: seeds per item, and the multiple of the seed spread.
MAX_SEEDS = 1000
MAX_Z = 100.0


@dataclass(frozen=True)
class Options:
    """The ``--scbench-*`` options (command line first, then ``scbench_*`` ini keys)."""

    device: str = "auto"
    strict: bool = False
    update_baselines: bool = False
    json_path: Path | None = None
    html_path: Path | None = None
    markdown_path: Path | None = None
    no_cache: bool = False
    data_dir: Path = Path()
    seeds: int | None = None
    seed_offset: int = 0
    z: float = DEFAULT_Z
    speed: bool = False

    @classmethod
    def from_config(cls, config: pytest.Config) -> Options:
        def get(name: str) -> Any:
            value = config.getoption(f"scbench_{name}", None)
            return value if value is not None else config.getini(f"scbench_{name}")

        def flag(name: str) -> bool:
            return _truthy(get(name))

        if flag_in_ini(config, "update_baselines"):
            raise pytest.UsageError(
                "ini key scbench_update_baselines is set: rewriting baselines is an action of one run "
                "(pass --scbench-update-baselines on the command line), never a setting, since a committed "
                "setting would turn every regression into a new baseline"
            )
        json_path = get("json")
        data_dir = get("data_dir")
        seeds = _number(get("seeds"), "seeds", int, 1, MAX_SEEDS)
        seed_offset = _number(get("seed_offset"), "seed_offset", int, 0, MAX_SEED)
        z = _number(get("z"), "z", float, 0.0, MAX_Z)
        return cls(
            device=get("device") or "auto",
            strict=flag("strict"),
            update_baselines=bool(config.getoption("scbench_update_baselines", False)),
            json_path=Path(json_path) if json_path else None,
            html_path=Path(get("html")) if get("html") else None,
            markdown_path=Path(get("markdown")) if get("markdown") else None,
            no_cache=flag("no_cache"),
            data_dir=Path(data_dir).expanduser() if data_dir else default_data_dir(),
            seeds=None if seeds is None else int(seeds),
            seed_offset=0 if seed_offset is None else int(seed_offset),
            z=DEFAULT_Z if z is None else float(z),
            speed=flag("speed"),
        )


def flag_in_ini(config: pytest.Config, name: str) -> bool:
    """Whether the ini file sets boolean key ``scbench_<name>`` to true."""
    return _truthy(config.getini(f"scbench_{name}"))


def _truthy(value: Any) -> bool:
    """A boolean option's value, from the command line (a bool) or an ini file (text)."""
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")


def _number(raw: Any, name: str, kind: type, low: float, high: float) -> float | None:
    """An option's value (command line or ini), checked: of ``kind``, finite, in [low, high].

    None when the option is not given. Anything else is a :class:`pytest.UsageError`
    naming the option and its ini key: a NaN or negative ``z`` would switch the gate off.
    """
    if raw is None or raw == "":
        return None
    option = f"--scbench-{name.replace('_', '-')}"
    ini = f" (command line or ini key scbench_{name})"
    what = "an integer" if kind is int else "a number"
    try:
        value = kind(str(raw).strip()) if isinstance(raw, str) else kind(raw)
    except (TypeError, ValueError, OverflowError):
        raise pytest.UsageError(f"{option} must be {what}, got {short_repr(raw)}{ini}") from None
    if not math.isfinite(value):
        raise pytest.UsageError(f"{option} must be a finite number, got {short_repr(raw)}{ini}")
    if value < low:
        raise pytest.UsageError(f"{option} must be {kind(low)} or more, got {short_repr(raw)}{ini}")
    if value > high:
        raise pytest.UsageError(f"{option} must be at most {kind(high)}, got {short_repr(raw)}{ini}")
    return value


class ScbenchSession:
    """Per-process state of a run."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.store = OutputStore(None if options.no_cache else options.data_dir)
        self._datasets: dict[str, Dataset] = {}
        self._baselines: dict[Path, BaselineFile] = {}
        #: Results gathered from reports (in the controller, or the only process).
        self.results: dict[str, CaseResult] = {}
        #: Problems found at the end of the run (a broken baseline file); they fail the run.
        self.errors: list[str] = []
        #: What the end of the run did: baseline changes, items not updated, the report path.
        self.changes: list[Changes] = []
        self.not_updated: list[str] = []
        self.report_path: Path | None = None
        #: Notices for the summary that do not fail the run (baselines left alone on Ctrl-C).
        self.notes: list[str] = []
        self.page_paths: dict[str, Path] = {}
        #: ``--scbench-shard``: the slice of benchmark items this process runs, and how many
        #: items the slice left out (from every process, in the controller).
        self.shard: Shard | None = None
        self.shard_deselected = 0
        #: Per suite name, what identifies its suite and baseline files (report/suites.py).
        self.suites: dict[str, dict[str, Any]] = {}
        #: Ids of the benchmark items selected to run (after -k, -m and the shard).
        self.selected: set[str] = set()
        #: Under xdist, where the controller puts every result for expectation items (result_store.py).
        self.result_store: ResultStore | None = None
        #: Outcomes of expectation checks by id (expect_items.py), for the JSON report.
        self.expectations: dict[str, dict[str, Any]] = {}
        #: The suite file collected under each suite name (a name is one file's).
        self.suite_files: dict[str, Path] = {}

    def claim_suite_name(self, name: str, path: Path) -> Path | None:
        """Record that ``path`` holds suite ``name``; the other file, if another already does.

        Item ids, results and baseline entries are keyed by the suite's name, so two files
        of one name would overwrite each other's results and expectations would read the
        wrong file's numbers.
        """
        path = Path(path).resolve()
        other = self.suite_files.setdefault(name, path)
        return None if other == path else other

    # -- shared resources ------------------------------------------------------------------
    def dataset(self, spec: DatasetSpec) -> Dataset:
        """Load a data set once per process; specs of one content share the AnnData."""
        cached = self._datasets.get(spec.fingerprint)
        if cached is None:
            cached = spec.load(self.options.data_dir)
            self._datasets[spec.fingerprint] = cached
        return cached if cached.spec == spec else Dataset(spec, cached.adata)

    def baseline_file(self, path: Path, suite: str) -> BaselineFile:
        if path not in self._baselines:
            self._baselines[path] = BaselineFile.load(path, suite)
        return self._baselines[path]

    def seeds_for(self, case: Case) -> list[int]:
        """``--scbench-seeds N`` (0..N-1) or the suite's seeds, each shifted by ``--scbench-seed-offset``.

        The offset draws fresh seeds for a check that a baseline holds beyond the seeds it
        was recorded with.
        """
        base = range(self.options.seeds) if self.options.seeds is not None else case.suite.seeds
        return [seed + self.options.seed_offset for seed in base]

    def seed_problem(self, suite: Suite) -> str | None:
        """Why the seeds this run gives ``suite``'s items are out of range (0 to 2**32 - 1), else None."""
        base = range(self.options.seeds) if self.options.seeds is not None else suite.seeds
        largest = max(base) + self.options.seed_offset
        if largest > MAX_SEED:
            return (
                f"seed {largest} (--scbench-seeds/--scbench-seed-offset with the suite's seeds) "
                "is beyond 2**32 - 1, the largest seed numpy and scikit-learn take"
            )
        return None

    def device_for(self, case: Case) -> str:
        return self.device_for_model(case.model)

    def device_for_model(self, model: ModelEntry) -> str:
        return wanted_device(self.options.device, model.adapter.needs_cuda)

    def record_lost(self, nodeid: str, message: str) -> None:
        """Keep a failed suite item that sent no result (its xdist worker crashed).

        It then appears in the report and among the items whose baselines were not updated.
        """
        # The last line is xdist's own ("worker 'gw0' crashed while running ..."); a header precedes it.
        last_line = next((line for line in reversed(message.splitlines()) if line.strip()), "the item sent no result")
        result = lost_result(nodeid, last_line.strip())
        if result is not None and result.id not in self.results:
            self.add_result(result)

    def add_result(self, result: CaseResult) -> None:
        """Keep an item's result (in the controller), and share it with expectation items."""
        self.results[result.id] = result
        if self.result_store is not None:
            self.result_store.put(result)

    # -- running one item ------------------------------------------------------------------
    def new_result(self, case: Case) -> CaseResult:
        return CaseResult(
            id=case.id,
            suite=case.suite.name,
            model=case.model.name,
            dataset=case.dataset.name,
            task=case.task.name,
            params=dict(case.task.task.params),
            model_params=dict(case.model.adapter.params),
            seeds=self.seeds_for(case),
            device=self.device_for(case),
            baselines=str(case.suite.baselines_path),
        )

    def run_case(self, case: Case, result: CaseResult) -> None:
        """Compute outputs, run the task for every seed, judge against the baseline.

        Fills ``result`` as it goes, so that what finished is reported even on failure.
        """
        start = time.perf_counter()
        dataset = self.dataset(case.dataset.spec)
        loaded = time.perf_counter()
        adapter = case.model.adapter
        per_seed: list[dict[str, MetricValue]] = []
        controls: list[dict[str, float]] = []
        output_seconds: dict[str, float] = {}
        task_seconds = 0.0
        for seed in result.seeds:
            ctx = RunContext(device=result.device, seed=seed, batch_size=adapter.batch_size)
            outputs = Outputs(adapter, dataset, ctx, self.store, load_member=self.dataset)
            inputs = TaskInputs(dataset, outputs, seed, item=case.id, data_dir=self.options.data_dir)
            t0 = time.perf_counter()
            task_result = case.task.task.run(inputs)
            spent_on_outputs = sum(outputs.durations.values())
            task_seconds += time.perf_counter() - t0 - spent_on_outputs
            for kind, seconds in outputs.durations.items():
                output_seconds[kind] = output_seconds.get(kind, 0.0) + seconds
            if not task_result.metrics:
                raise ScbenchError(f"{case.id}: task {case.task.name!r} returned no metrics")
            for metric, value in task_result.metrics.items():
                if not math.isfinite(value.value):
                    raise TaskError(
                        f"{case.id}: metric {metric!r} is {value.value} (seed {seed}), not a number the gate "
                        f"can judge; the item fails and its baseline is left as it is"
                    )
            per_seed.append(task_result.metrics)
            controls.append(task_result.controls)
            result.details[str(seed)] = task_result.details
        summaries = summarise(per_seed, case.id)
        result.metrics = {name: s.to_json() for name, s in summaries.items()}
        result.controls = {
            name: sum(c[name] for c in controls) / len(controls)
            for name in controls[0]
            if all(name in c for c in controls)
        }
        result.durations = {
            "dataset": loaded - start,
            "outputs": output_seconds,
            "task": task_seconds,
            "total": time.perf_counter() - start,
        }
        result.completed = True
        baseline = self.baseline_file(case.suite.baselines_path, case.suite.name)
        verdicts = baseline.compare(
            case.id,
            {name: (s.value, s.direction) for name, s in summaries.items()},
            case.suite.tolerance.for_metric,
            self.options.z,
        )
        gate = case.task.gate
        result.gated = gate.gated(summaries)
        result.headline = headline_of(case.task.task, summaries) or ""
        result.aggregates = [name for name in case.task.task.aggregates if name in summaries]
        result.verdicts = apply_gate({v.metric: v.to_json() for v in verdicts}, result.gated)
        result.tolerances = {name: case.suite.tolerance.for_metric(name) for name in summaries}
        gate.check_ran(case.id, summaries)
