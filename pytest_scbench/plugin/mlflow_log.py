"""Log a run's results to MLflow: ``--scbench-mlflow [URI]`` (the optional ``mlflow`` extra).

Layout: one MLflow experiment per suite, named after it, so runs of one suite sit side by
side in MLflow's comparison views. Each pytest session gives, per suite, a parent run
(tags: shard, git commit, item count; artifact: the session's JSON report) and one nested
run per item, named by the item id, with

- metrics: each metric's mean over seeds (the gated value); with several seeds, each
  seed's value as ``<metric>.per_seed`` at step = seed; negative controls as ``control.<metric>``;
- parameters: model, dataset, task, seeds, device, and the task's and model's parameters
  (``task.<name>``, ``model.<name>``);
- tags: suite, outcome, ``status`` (regressed, improved, missing, ok) and
  ``verdict.<metric>``.

The default URI is MLflow's own default local store, ``sqlite:///mlflow.db`` in the current
folder (artifacts under ``./mlruns``): MLflow 3 refuses its older file store unless told
otherwise, and sqlite needs no server. Only the controller logs, at the end of the run,
from the results the workers sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ..errors import ScbenchError
from ..results import CaseResult

#: The URI a bare ``--scbench-mlflow`` logs to: MLflow's default local store.
DEFAULT_URI = "sqlite:///mlflow.db"
INSTALL_HINT = "pip install 'pytest-scbench[mlflow]'"


def mlflow_missing() -> str | None:
    """Why ``--scbench-mlflow`` cannot work here (MLflow not installed), or None."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return f"--scbench-mlflow needs MLflow, which is not installed: {INSTALL_HINT}"
    return None


def item_status(result: CaseResult) -> str:
    """The item's verdict in one word: the worst of its metrics' statuses."""
    statuses = {v["status"] for v in result.verdicts.values()}
    for status in ("regressed", "missing", "improved"):
        if status in statuses:
            return status
    return "ok" if result.completed else "not run"


def log_run(uri: str, results: Iterable[CaseResult], report: dict[str, Any]) -> list[str]:
    """Log every item of ``results`` under its suite's experiment; returns the parent run ids.

    Errors from MLflow (a server that does not answer, a store it cannot open) become a
    :class:`ScbenchError` naming the URI.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    by_suite: dict[str, list[CaseResult]] = {}
    for result in sorted(results, key=lambda r: r.id):
        by_suite.setdefault(result.suite, []).append(result)
    client = MlflowClient(tracking_uri=uri)
    parents = []
    try:
        for suite, items in by_suite.items():
            experiment = client.get_experiment_by_name(suite)
            experiment_id = experiment.experiment_id if experiment else client.create_experiment(suite)
            parent = client.create_run(experiment_id, run_name=f"{suite} session", tags=_session_tags(report, items))
            for result in items:
                _log_item(client, experiment_id, parent.info.run_id, result)
            client.log_dict(parent.info.run_id, report, "scbench-report.json")
            client.set_terminated(parent.info.run_id)
            parents.append(parent.info.run_id)
    except mlflow.exceptions.MlflowException as exc:
        raise ScbenchError(f"--scbench-mlflow {uri}: logging failed: {exc.message}") from None
    return parents


def _session_tags(report: dict[str, Any], items: list[CaseResult]) -> dict[str, str]:
    git = (report.get("environment") or {}).get("git") or {}
    shard = report.get("shard")
    tags = {"scbench.items": str(len(items)), "scbench.report_version": str(report.get("version"))}
    if git:
        tags["mlflow.source.git.commit"] = str(git.get("commit"))
    if shard:
        tags["scbench.shard"] = f"{shard.get('index')}/{shard.get('count')}"
    return tags


def _log_item(client: Any, experiment_id: str, parent_id: str, result: CaseResult) -> None:
    from mlflow.entities import Metric, Param, RunTag

    tags = {
        "mlflow.parentRunId": parent_id,
        "suite": result.suite,
        "outcome": result.outcome,
        "status": item_status(result),
        **{f"verdict.{name}": v["status"] for name, v in result.verdicts.items()},
    }
    run = client.create_run(experiment_id, run_name=result.id, tags=tags)
    params = {
        "model": result.model,
        "dataset": result.dataset,
        "task": result.task,
        "seeds": ",".join(map(str, result.seeds)),
        "device": result.device,
        **{f"task.{k}": v for k, v in result.params.items()},
        **{f"model.{k}": v for k, v in result.model_params.items()},
    }
    now = int(time.time() * 1000)
    metrics = []
    for name, metric in result.metrics.items():
        if metric.get("value") is None:
            continue
        metrics.append(Metric(name, float(metric["value"]), now, 0))
        values = metric.get("values") or []
        for seed, value in zip(result.seeds, values, strict=False):
            if value is not None:
                metrics.append(Metric(f"{name}.per_seed", float(value), now, int(seed)))
    metrics += [Metric(f"control.{k}", float(v), now, 0) for k, v in result.controls.items() if v is not None]
    client.log_batch(
        run.info.run_id,
        metrics=metrics,
        params=[Param(k, str(v)[:6000]) for k, v in params.items()],
        tags=[RunTag("mlflow.note.content", result.message)] if result.message else [],
    )
    client.set_terminated(run.info.run_id, status="FAILED" if result.outcome == "failed" else "FINISHED")
