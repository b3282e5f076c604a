"""Suite files: parse and validate a YAML suite into the Cases that become test items.

A suite names models, datasets and tasks; every (model, dataset, task) combination not
excluded is one :class:`Case`. Everything a user can get wrong (YAML syntax, an unknown
name, a wrong type, a misspelt key) is a :class:`~pytest_scbench.errors.SuiteError` whose
message names the file, the key path (``models[2].adapter``) and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import registry
from .datasets.base import DatasetKeys, DatasetSpec
from .errors import ScbenchError, SuiteError
from .gating import Gate, parse_gate
from .limits import (
    MAX_SUITE_BYTES,
    InputTooLarge,
    is_finite_number,
    load_yaml_bounded,
    non_finite_in,
    number_hint,
    short_repr,
)
from .models.base import ModelAdapter
from .models.resolve import instantiate, is_path_param, output_params, resolve_adapter
from .results import item_id
from .tasks.base import Task

#: Names that appear in test ids: no '-' (the id separator), no brackets or spaces.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+]*$")

TOP_KEYS = (
    "name",
    "description",
    "baselines",
    "tolerance",
    "seeds",
    "models",
    "datasets",
    "tasks",
    "exclude",
    "markers",
    "expect",
)
MODEL_KEYS = ("name", "adapter", "device", "batch_size", "params")
DATASET_KEY_FIELDS = ("label_key", "batch_key", "species_key", "condition_key", "control_value")
DATASET_KEYS = ("name", "dataset", "path", "params", "members", *DATASET_KEY_FIELDS)
TASK_KEYS = ("name", "task", "params", "gate")
EXCLUDE_KEYS = ("model", "dataset", "task")

#: Longest name of a suite, model, data set or task (they make up test ids and file names).
MAX_NAME = 100
#: Marks that pytest or common plugins act on (skip, expect a failure, rerun, reorder,
#: change warnings or fixtures): as a suite's ``markers`` they would switch the gate off.
OUTCOME_MARKS = frozenset(
    {
        "skip",
        "skipif",
        "xfail",
        "usefixtures",
        "filterwarnings",
        "parametrize",
        "tryfirst",
        "trylast",
        "flaky",  # pytest-rerunfailures and flaky: a failed item runs again
        "timeout",
        "order",
        "dependency",  # pytest-dependency: skips items whose dependency failed
        "xdist_group",
    }
)

#: Seeds are handed to numpy and scikit-learn, which take 0 <= seed < 2**32.
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Tolerance:
    """Allowed drop of a metric before an item fails: a default and per-metric values."""

    default: float = 0.02
    per_metric: Mapping[str, float] = field(default_factory=dict)

    def for_metric(self, metric: str) -> float:
        return float(self.per_metric.get(metric, self.default))


@dataclass(frozen=True)
class ModelEntry:
    """A model as a suite names it: the id used in test ids and the built adapter."""

    name: str
    adapter: ModelAdapter


@dataclass(frozen=True)
class DatasetEntry:
    name: str
    spec: DatasetSpec


@dataclass(frozen=True)
class TaskEntry:
    """A task as a suite names it; ``gate`` says which of its metrics fail an item (gating.py)."""

    name: str
    task: Task
    gate: Gate = Gate(None)


@dataclass(frozen=True)
class Case:
    """One (model, dataset, task) combination of a suite: one test item."""

    suite: Suite
    model: ModelEntry
    dataset: DatasetEntry
    task: TaskEntry

    @property
    def param_id(self) -> str:
        return f"{self.model.name}-{self.dataset.name}-{self.task.name}"

    @property
    def id(self) -> str:
        """The test id, ``<suite>[<model>-<dataset>-<task>]``; also the baseline key."""
        return item_id(self.suite.name, self.model.name, self.dataset.name, self.task.name)

    @property
    def skip_reason(self) -> str | None:
        """Why this combination cannot run, when the model lacks the output the task needs."""
        missing = sorted(self.task.task.requires_outputs - self.model.adapter.provides)
        if missing:
            provides = ", ".join(sorted(self.model.adapter.provides)) or "nothing"
            return (
                f"task {self.task.name!r} needs {' and '.join(missing)} output, which model "
                f"{self.model.name!r} does not provide (it provides {provides})"
            )
        return None


@dataclass(frozen=True, eq=False)
class Suite:
    """A parsed suite file."""

    name: str
    path: Path
    baselines_path: Path
    tolerance: Tolerance
    seeds: tuple[int, ...]
    models: tuple[ModelEntry, ...]
    datasets: tuple[DatasetEntry, ...]
    tasks: tuple[TaskEntry, ...]
    exclude: tuple[Mapping[str, frozenset[str]], ...] = ()
    markers: tuple[str, ...] = ()
    description: str = ""
    #: The suite's ``expect:`` entries (expectations.py), checked as items of their own.
    expectations: tuple[Any, ...] = ()

    def is_excluded(self, model: str, dataset: str, task: str) -> bool:
        names = {"model": model, "dataset": dataset, "task": task}
        return any(all(names[k] in allowed for k, allowed in rule.items()) for rule in self.exclude)

    def cases(self) -> list[Case]:
        """Every combination not excluded, in file order (model, then dataset, then task).

        A task runs only on the data sets that name the columns it needs (a batch column
        for batch integration, say); other (dataset, task) pairs are not combinations.
        """
        return [
            Case(self, m, d, t)
            for m in self.models
            for d in self.datasets
            for t in self.tasks
            if has_keys(d, t) and not self.is_excluded(m.name, d.name, t.name)
        ]


def has_keys(dataset: DatasetEntry, task: TaskEntry) -> bool:
    """Whether ``dataset`` names an obs column for every role ``task`` needs."""
    return all(dataset.spec.keys.key_for(role) is not None for role in task.task.requires_keys)


# -- parsing ----------------------------------------------------------------------------


class _Ctx:
    """Where we are in the file, so every error names the file and the key path.

    Also what the suite's paths are checked against: ``rootdir`` (pytest's, the highest
    folder adapter modules are looked for in) and ``data_dir`` (the cache, one of the two places a
    suite may write, the other being the suite file's own folder).
    """

    def __init__(self, path: Path, rootdir: Path | None = None, data_dir: Path | None = None) -> None:
        self.path = path
        self.rootdir = rootdir
        self.data_dir = data_dir

    def writable(self, where: str, rel: str, target: Path) -> Path:
        """``target`` if it lies under the suite's folder or the cache, else a SuiteError."""
        roots = [self.path.parent.resolve()]
        if self.data_dir is not None:
            roots.append(Path(self.data_dir).expanduser().resolve())
        if not any(target == root or target.is_relative_to(root) for root in roots):
            shown = " or ".join(str(r) for r in roots)
            raise self.error(
                where,
                f"{short_repr(rel)} resolves to {target}, outside the suite's folder and the cache; "
                f"a suite writes only under {shown}",
            )
        return target

    def error(self, where: str, message: str) -> SuiteError:
        return SuiteError(f"{self.path}: {where}: {message}" if where else f"{self.path}: {message}")


def load_suite(path: Path | str, *, rootdir: Path | None = None, data_dir: Path | None = None) -> Suite:
    """Read, parse and validate the suite file at ``path``.

    ``package.module:Class`` adapters are imported from the nearest folder, from the
    suite's own up to ``rootdir`` (pytest's rootdir; the current directory when None),
    that holds the package; ``data_dir`` is the cache
    (``$SCBENCH_DATA_DIR`` when None). A file over :data:`~pytest_scbench.limits.MAX_SUITE_BYTES`
    or YAML that expands past the limits of :mod:`pytest_scbench.limits` is refused unread.
    """
    path = Path(path)
    ctx = _Ctx(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SUITE_BYTES + 1)
        if len(data) > MAX_SUITE_BYTES:
            raise ctx.error("", f"the suite file is larger than {MAX_SUITE_BYTES:,} bytes; suites are small files")
        text = data.decode("utf-8")
    except OSError as exc:
        raise ctx.error("", f"cannot read the suite file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ctx.error("", f"the suite file is not UTF-8 text ({exc.reason})") from exc
    try:
        raw = load_yaml_bounded(text)
    except InputTooLarge as exc:
        raise ctx.error("", f"refused: {exc}") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits
        raise ctx.error("", f"not a usable YAML document: {short_repr(str(exc))}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ctx.error(where, f"not valid YAML: {problem}") from None
    return parse_suite(raw, path, rootdir=rootdir, data_dir=data_dir)


def parse_suite(raw: Any, path: Path, *, rootdir: Path | None = None, data_dir: Path | None = None) -> Suite:
    """Validate an already-loaded YAML document as a suite; ``path`` anchors relative paths.

    ``rootdir`` and ``data_dir`` as for :func:`load_suite`.
    """
    if data_dir is None:
        from .datasets import default_data_dir

        data_dir = default_data_dir()
    ctx = _Ctx(path, Path.cwd() if rootdir is None else rootdir, data_dir)
    if raw is None:
        raise ctx.error("", "the suite file is empty; it needs at least name, models, datasets and tasks")
    top = _mapping(ctx, "", raw, TOP_KEYS, what="a suite")
    for key in ("name", "models", "datasets", "tasks"):
        if key not in top:
            raise ctx.error("", f"missing required key {key!r}")
    name = _name(ctx, "name", top["name"])
    description = _typed(ctx, "description", top.get("description", ""), str, "a string")

    baselines_rel = _typed(ctx, "baselines", top.get("baselines", f"baselines/{name}.json"), str, "a path")
    baselines_path = ctx.writable("baselines", baselines_rel, (path.parent / baselines_rel).resolve())

    tolerance = _tolerance(ctx, top.get("tolerance", 0.02))
    seeds = _seeds(ctx, top.get("seeds", [0]))
    models = _entries(ctx, "models", top["models"], _model_entries)
    datasets = _entries(ctx, "datasets", top["datasets"], _dataset_entry)
    tasks = _entries(ctx, "tasks", top["tasks"], _task_entry)
    names = {
        "model": {m.name for m in models},
        "dataset": {d.name for d in datasets},
        "task": {t.name for t in tasks},
    }
    rules: dict[tuple[tuple[str, frozenset[str]], ...], dict[str, frozenset[str]]] = {}
    for i, rule in enumerate(_list(ctx, "exclude", top.get("exclude", []))):
        parsed = _exclude_rule(ctx, f"exclude[{i}]", rule, names)
        rules.setdefault(tuple(sorted(parsed.items())), parsed)  # a repeated rule is checked once
    exclude = tuple(rules.values())
    for i, task in enumerate(tasks):
        if not any(has_keys(d, task) for d in datasets):
            needs = ", ".join(f"{role}_key" for role in sorted(task.task.requires_keys))
            raise ctx.error(
                f"tasks[{i}]",
                f"task {task.name!r} needs datasets that set {needs}, and no dataset of this suite does",
            )
    _check_tolerance_names(ctx, tolerance, tasks)
    markers = tuple(
        _marker(ctx, f"markers[{i}]", m) for i, m in enumerate(_list(ctx, "markers", top.get("markers", [])))
    )
    expectations = _expectations(ctx, top.get("expect", []), models, datasets, tasks)
    return Suite(
        name=name,
        path=path,
        baselines_path=baselines_path,
        tolerance=tolerance,
        seeds=seeds,
        models=models,
        datasets=datasets,
        tasks=tasks,
        exclude=exclude,
        markers=markers,
        description=description,
        expectations=expectations,
    )


def _expectations(
    ctx: _Ctx, raw: Any, models: Sequence[ModelEntry], datasets: Sequence[DatasetEntry], tasks: Sequence[TaskEntry]
) -> tuple[Any, ...]:
    """The ``expect:`` entries, validated by expectations.py against this suite's names."""
    from .expectations import parse_expectation

    try:
        return tuple(
            parse_expectation(item, f"{ctx.path}: expect[{i}]", models, datasets, tasks)
            for i, item in enumerate(_list(ctx, "expect", raw))
        )
    except ScbenchError as exc:
        raise SuiteError(str(exc)) from None


def _entries(ctx: _Ctx, key: str, raw: Any, parse: Callable[[_Ctx, str, Any], Any]) -> tuple[Any, ...]:
    items = _list(ctx, key, raw)
    if not items:
        raise ctx.error(key, f"the suite names no {key}; list at least one")
    # a parser may expand one item into several entries (a model's obsm_keys)
    parsed = [(i, parse(ctx, f"{key}[{i}]", item)) for i, item in enumerate(items)]
    entries = [(i, e) for i, out in parsed for e in (out if isinstance(out, tuple) else (out,))]
    seen: set[str] = set()
    for i, entry in entries:
        if entry.name in seen:
            raise ctx.error(f"{key}[{i}]", f"{entry.name!r} appears twice; give one of them another name")
        seen.add(entry.name)
    return tuple(entry for _, entry in entries)


def _model_entries(ctx: _Ctx, where: str, raw: Any) -> ModelEntry | tuple[ModelEntry, ...]:
    """One model, or with ``obsm_keys: [a, b]`` one model per key, named ``<name>_<key>``.

    As scib-metrics' Benchmarker scores several ``obsm`` embeddings of one file: each
    expanded model is the entry with ``obsm_key`` set to one of the keys.
    """
    if not (isinstance(raw, dict) and "obsm_keys" in raw):
        return _model_entry(ctx, where, raw)
    keys = raw["obsm_keys"]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise ctx.error(f"{where}.obsm_keys", f"expected a non-empty list of obsm keys, got {_describe(keys)}")
    if "obsm_key" in raw:
        raise ctx.error(f"{where}.obsm_keys", "set either obsm_key (one embedding) or obsm_keys (several), not both")
    if len(set(keys)) != len(keys):
        raise ctx.error(f"{where}.obsm_keys", f"lists a key twice: {keys}")
    base = _name(ctx, f"{where}.name", raw.get("name"))
    rest = {k: v for k, v in raw.items() if k != "obsm_keys"}
    out = []
    for j, obsm_key in enumerate(keys):
        name = f"{base}_{obsm_key}"
        if not NAME_RE.match(name):
            raise ctx.error(
                f"{where}.obsm_keys[{j}]",
                f"{obsm_key!r} makes the model name {name!r}, which is not valid: use letters, digits, '_', '.' or '+'",
            )
        one = {**rest, "name": name, "adapter": raw.get("adapter", base), "obsm_key": obsm_key}
        out.append(_model_entry(ctx, where, one))
    return tuple(out)


def _model_entry(ctx: _Ctx, where: str, raw: Any) -> ModelEntry:
    if isinstance(raw, str):
        raw = {"name": raw}
    # Keys beyond the known ones are the adapter's own parameters (path, obsm_key, ...).
    entry = _mapping(ctx, where, raw, None, what="a model name or mapping")
    name = _name(ctx, f"{where}.name", entry.get("name"))
    adapter_ref = _typed(ctx, f"{where}.adapter", entry.get("adapter", name), str, "a string")
    params = dict(_params(ctx, f"{where}.params", entry.get("params", {})))
    params.update({k: v for k, v in entry.items() if k not in MODEL_KEYS})
    key = f"{where}.adapter" if "adapter" in entry else f"{where}.name"
    # Resolved (and, for an import path, checked to be a ModelAdapter subclass) before
    # anything the suite names is called.
    try:
        factory = resolve_adapter(adapter_ref, root=ctx.rootdir, near=ctx.path.parent)
    except ScbenchError as exc:
        raise ctx.error(key, str(exc)) from None
    writes = output_params(factory)
    for pkey, value in params.items():
        bad = non_finite_in(value)
        if bad is not None:
            raise ctx.error(f"{where}.{pkey}", f"must be a finite number, got {bad}")
        # File parameters are relative to the suite file, like the suite's other paths.
        if is_path_param(factory, pkey) and isinstance(value, str) and value:
            resolved = (ctx.path.parent / value).expanduser().resolve()
            if pkey in writes:
                ctx.writable(f"{where}.{pkey}", value, resolved)
            params[pkey] = str(resolved)
    try:
        adapter = instantiate(factory, adapter_ref, params, name=name)
    except ScbenchError as exc:
        raise ctx.error(key, str(exc)) from None
    if "device" in entry:
        device = _typed(ctx, f"{where}.device", entry["device"], str, "'cpu' or 'cuda'")
        if device not in ("cpu", "cuda"):
            raise ctx.error(f"{where}.device", f"must be 'cpu' or 'cuda', not {short_repr(device)}")
        adapter.device = device  # type: ignore[misc]  # instance override of the class default
    if "batch_size" in entry:
        adapter.batch_size = _positive_int(ctx, f"{where}.batch_size", entry["batch_size"])  # type: ignore[misc]
    return ModelEntry(name, adapter)


def _dataset_entry(ctx: _Ctx, where: str, raw: Any) -> DatasetEntry:
    from .datasets import file_dataset, parse_dataset_ref

    if isinstance(raw, str):
        raw = {"dataset": raw}
    entry = _mapping(ctx, where, raw, DATASET_KEYS, what="a dataset name or mapping")
    keys = {k: _typed(ctx, f"{where}.{k}", entry[k], str, "a string") for k in DATASET_KEY_FIELDS if k in entry}
    if "path" in entry and "members" in entry:
        raise ctx.error(where, "give either path (a file) or members (a group), not both")
    if "path" in entry:
        rel = _typed(ctx, f"{where}.path", entry["path"], str, "a path")
        if "name" not in entry:
            raise ctx.error(where, "a dataset given by path needs a name")
        name = _name(ctx, f"{where}.name", entry["name"])
        file = (ctx.path.parent / rel).resolve()
        if file.suffix not in (".h5ad", ".h5t"):
            raise ctx.error(f"{where}.path", f"{short_repr(rel)} is neither an .h5ad nor an .h5t file")
        if not file.exists():
            raise ctx.error(f"{where}.path", f"{short_repr(rel)} does not exist (looked at {file})")
        spec = file_dataset(name, file, DatasetKeys(**keys))
        return DatasetEntry(name, spec)
    if "members" in entry:
        if "name" not in entry:
            raise ctx.error(where, "a dataset group needs a name")
        name = _name(ctx, f"{where}.name", entry["name"])
        members = [
            _dataset_entry(ctx, f"{where}.members[{i}]", m).spec
            for i, m in enumerate(_list(ctx, f"{where}.members", entry["members"]))
        ]
        if len(members) < 2:
            raise ctx.error(f"{where}.members", "a group needs at least two datasets")
        from .datasets import group_dataset

        try:
            spec = group_dataset(
                name, members, **({"species_key": keys["species_key"]} if "species_key" in keys else {})
            )
        except ScbenchError as exc:
            raise ctx.error(where, str(exc)) from None
        return DatasetEntry(name, spec)

    ref_key = "dataset" if "dataset" in entry else "name"
    ref = _typed(ctx, f"{where}.{ref_key}", entry.get(ref_key), str, "a dataset name")
    try:
        base, params = parse_dataset_ref(ref)
    except ScbenchError as exc:
        raise ctx.error(f"{where}.{ref_key}", str(exc)) from None
    params.update(_params(ctx, f"{where}.params", entry.get("params", {})))
    for pkey, value in params.items():
        bad = non_finite_in(value)
        if bad is not None:
            raise ctx.error(f"{where}.params.{pkey}", f"must be a finite number, got {bad}")
    if base not in registry.datasets:
        raise ctx.error(f"{where}.{ref_key}", _unknown("dataset", base, registry.datasets.names()))
    try:
        spec = registry.datasets.get(base)(**params)
    except ScbenchError as exc:
        raise ctx.error(where, str(exc)) from None
    except TypeError as exc:
        raise ctx.error(where, f"bad parameters for dataset {short_repr(base)}: {exc}") from None
    default_name = base if not params else base + "_" + "_".join(f"{k}{v}" for k, v in sorted(params.items()))
    name = _name(ctx, f"{where}.name", entry.get("name", default_name))
    spec = dataclasses.replace(spec, name=name, keys=spec.keys.replace(**keys))
    return DatasetEntry(name, spec)


def dataset_from_ref(ref: str, where: str = "--dataset") -> DatasetEntry:
    """A registered data set named as a suite names it (``name`` or ``name?k=v``).

    For the command line: the same names, parameters, did-you-mean errors and entry name
    as in a suite file, so the command prepares exactly what a suite item reads.
    """
    return _dataset_entry(_OptionCtx(Path(where)), where, ref)


class _OptionCtx(_Ctx):
    """Errors about a command-line option: the option's name, then the message."""

    def error(self, where: str, message: str) -> SuiteError:
        return SuiteError(f"{self.path}: {message}")


def _task_entry(ctx: _Ctx, where: str, raw: Any) -> TaskEntry:
    if isinstance(raw, str):
        raw = {"name": raw}
    entry = _mapping(ctx, where, raw, TASK_KEYS, what="a task name or mapping")
    name = _name(ctx, f"{where}.name", entry.get("name"))
    task_name = _typed(ctx, f"{where}.task", entry.get("task", name), str, "a task name")
    if task_name not in registry.tasks:
        key = f"{where}.task" if "task" in entry else f"{where}.name"
        raise ctx.error(key, _unknown("task", task_name, registry.tasks.names()))
    params = _params(ctx, f"{where}.params", entry.get("params", {}))
    for pkey, value in params.items():
        bad = non_finite_in(value)
        if bad is not None:
            raise ctx.error(f"{where}.params.{pkey}", f"must be a finite number, got {bad}")
    try:
        task = registry.tasks.get(task_name)(**params)
    except ScbenchError as exc:
        raise ctx.error(f"{where}.params", str(exc)) from None
    try:
        gate = parse_gate(entry.get("gate"), task, f"{ctx.path}: {where}.gate")
    except ScbenchError as exc:
        raise SuiteError(str(exc)) from None
    return TaskEntry(name, task, gate)


def _exclude_rule(ctx: _Ctx, where: str, raw: Any, names: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    rule = _mapping(ctx, where, raw, EXCLUDE_KEYS, what="a mapping of model/dataset/task")
    if not rule:
        raise ctx.error(where, "an empty exclusion would exclude everything; name a model, dataset or task")
    out: dict[str, frozenset[str]] = {}
    for kind, value in rule.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if not isinstance(v, str) or v not in names[kind]:
                raise ctx.error(f"{where}.{kind}", _unknown(f"{kind} in this suite", v, sorted(names[kind])))
        out[kind] = frozenset(values)
    return out


def _tolerance(ctx: _Ctx, raw: Any) -> Tolerance:
    if isinstance(raw, Mapping):
        per_metric = {}
        for key, value in raw.items():
            if not isinstance(key, str):
                raise ctx.error("tolerance", f"keys are metric names or 'default', not {short_repr(key)}")
            per_metric[key] = _non_negative(ctx, f"tolerance.{key}", value)
        default = per_metric.pop("default", 0.02)
        return Tolerance(default, per_metric)
    return Tolerance(_non_negative(ctx, "tolerance", raw))


def _check_tolerance_names(ctx: _Ctx, tolerance: Tolerance, tasks: Sequence[TaskEntry]) -> None:
    """Each per-metric tolerance names a metric of one of the suite's tasks: a misspelt one
    would leave its metric at the default tolerance without a word. Not checked where a
    task's metric names depend on the data (label transfer between a data set's species)."""
    known = [t.task.metric_names() for t in tasks]
    if any(names is None for names in known):
        return
    every = sorted(frozenset().union(*known))
    for key in tolerance.per_metric:
        if key not in every:
            close = difflib.get_close_matches(key[:200], every, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ctx.error(
                f"tolerance.{_key(key)}",
                f"no task of this suite has a metric {short_repr(key)}{hint}; a misspelt name would leave "
                "that metric at the default tolerance",
            )


def _seeds(ctx: _Ctx, raw: Any) -> tuple[int, ...]:
    seeds = raw if isinstance(raw, list) else [raw]
    out = []
    for i, seed in enumerate(seeds):
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
            raise ctx.error(f"seeds[{i}]", f"a seed is an integer from 0 to 2**32 - 1, not {short_repr(seed)}")
        out.append(seed)
    if not out:
        raise ctx.error("seeds", "give at least one seed")
    if len(set(out)) != len(out):
        repeated = sorted({s for s in out if out.count(s) > 1})
        raise ctx.error("seeds", f"seeds repeat: {short_repr(repeated)}")
    return tuple(out)


# -- small validators ---------------------------------------------------------------------


def _unknown(kind: str, name: object, allowed: Sequence[str]) -> str:
    hint = difflib.get_close_matches(str(name)[:200], allowed, n=1) if isinstance(name, str) else []
    did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
    known = ", ".join(allowed[:30]) + (f", ... ({len(allowed)} in all)" if len(allowed) > 30 else "")
    return f"unknown {kind} {short_repr(name)}{did_you_mean}; known: {known or 'none'}"


def _mapping(ctx: _Ctx, where: str, raw: Any, allowed: Sequence[str] | None, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ctx.error(where, f"expected {what}, got {_describe(raw)}")
    _string_keys(ctx, where, raw)
    if allowed is not None:
        for key in raw:
            if key not in allowed:
                raise ctx.error(f"{where}.{_key(key)}" if where else _key(key), _unknown("key", key, list(allowed)))
    return raw


def _string_keys(ctx: _Ctx, where: str, raw: dict[Any, Any]) -> dict[str, Any]:
    for key in raw:
        if not isinstance(key, str):
            hint = " (YAML reads unquoted on/off/yes/no as booleans: quote the key)" if isinstance(key, bool) else ""
            raise ctx.error(where, f"key {short_repr(key)} is not a string{hint}")
    return raw


def _params(ctx: _Ctx, where: str, raw: Any) -> dict[str, Any]:
    return _string_keys(ctx, where, _typed(ctx, where, raw, dict, "a mapping"))


def _list(ctx: _Ctx, where: str, raw: Any) -> list[Any]:
    if not isinstance(raw, list):
        raise ctx.error(where, f"expected a list, got {_describe(raw)}")
    return raw


def _typed(ctx: _Ctx, where: str, raw: Any, kind: type, what: str) -> Any:
    if not isinstance(raw, kind):
        raise ctx.error(where, f"expected {what}, got {_describe(raw)}")
    return raw


def _marker(ctx: _Ctx, where: str, raw: Any) -> str:
    """A marker name that only labels items for ``-m``: never one that changes an outcome."""
    name = _name(ctx, where, raw)
    if name.lower() in OUTCOME_MARKS:
        raise ctx.error(
            where,
            f"{name!r} is a mark that changes whether an item can fail, not a label; a suite's "
            "markers only select items (-m). To leave items out, use exclude: or -k/-m",
        )
    return name


def _name(ctx: _Ctx, where: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ctx.error(where, f"expected a name, got {_describe(raw)}")
    if len(raw) > MAX_NAME:
        raise ctx.error(
            where, f"{short_repr(raw)} is too long for a name ({len(raw):,} characters; at most {MAX_NAME})"
        )
    if not NAME_RE.match(raw):
        raise ctx.error(
            where,
            f"{short_repr(raw)} is not a valid name: use letters, digits, '_', '.' or '+' "
            "(no '-', it separates test ids)",
        )
    return raw


def _non_negative(ctx: _Ctx, where: str, raw: Any) -> float:
    if not is_finite_number(raw) or raw < 0:
        raise ctx.error(where, f"expected a finite number >= 0, got {_describe(raw)}{number_hint(raw)}")
    return float(raw)


def _positive_int(ctx: _Ctx, where: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise ctx.error(where, f"expected a positive integer, got {_describe(raw)}")
    return raw


def _key(key: str) -> str:
    """A key as a key path shows it: itself when short, else cut short."""
    return key if len(key) <= 60 and key.isprintable() else short_repr(key)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {short_repr(value, 60)}"
