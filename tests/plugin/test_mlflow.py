"""--scbench-mlflow: every item logged to a real local MLflow store, read back with MLflow's client."""

from __future__ import annotations

import pytest

from .conftest import read_json

# Imported here, before pytester snapshots sys.modules: a re-import of MLflow's SQLAlchemy
# store after pytester's reset of sys.modules breaks SQLAlchemy's compiled extension.
pytest.importorskip("mlflow.store.tracking.sqlalchemy_store")
from mlflow.tracking import MlflowClient  # noqa: E402


def test_items_are_logged_to_the_default_local_store(project: pytest.Pytester) -> None:
    # In a subprocess: SQLAlchemy's compiled parts do not survive pytester's in-process module reset.
    result = project.runpytest_subprocess(
        "suites", "-p", "no:cacheprovider", "--scbench-json", "r.json", "--scbench-mlflow"
    )
    result.assert_outcomes(passed=4)
    report = read_json(project.path / "r.json")
    db = project.path / "mlflow.db"  # the default: MLflow's own local sqlite store, in the current folder
    assert db.exists()
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    experiment = client.get_experiment_by_name("demo")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = {r.info.run_name: r for r in runs if "mlflow.parentRunId" in r.data.tags}
    assert len(parents) == 1 and sorted(children) == sorted(i["id"] for i in report["items"])
    parent = parents[0]
    assert all(r.data.tags["mlflow.parentRunId"] == parent.info.run_id for r in children.values())
    for item in report["items"]:
        run = children[item["id"]]
        assert {k: run.data.metrics[k] for k in item["metrics"]} == pytest.approx(
            {k: m["value"] for k, m in item["metrics"].items()}, rel=1e-12
        )
        assert run.data.params["model"] == item["model"] and run.data.params["task"] == item["task"]
        assert run.data.params["dataset"] == "pbmc68k" and run.data.params["seeds"] == "0"
        assert run.data.tags["suite"] == "demo" and run.data.tags["outcome"] == "passed"
        assert run.data.tags["status"] == "missing"  # no baselines yet
        assert {run.data.tags[f"verdict.{m}"] for m in item["metrics"]} == {"missing"}
        assert run.info.status == "FINISHED"
    clustering = children["demo[pca-pbmc68k-clustering]"]
    assert clustering.data.params["task.n_neighbors"] == "15"
    artifact = client.download_artifacts(parent.info.run_id, "scbench-report.json", str(project.path))
    logged = read_json(__import__("pathlib").Path(artifact))
    assert [i["id"] for i in logged["items"]] == [i["id"] for i in report["items"]]
    assert logged["summary"] == report["summary"]


def test_per_seed_values_are_steps(project: pytest.Pytester, tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    result = project.runpytest_subprocess(
        "suites", "-p", "no:cacheprovider", "-k", "pca and embedding", "--scbench-seeds", "2", f"--scbench-mlflow={uri}"
    )
    result.assert_outcomes(passed=1, deselected=3)
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("demo").experiment_id])
    child = next(r for r in runs if r.info.run_name == "demo[pca-pbmc68k-embedding]")
    history = client.get_metric_history(child.info.run_id, "asw_label.per_seed")
    assert sorted(m.step for m in history) == [0, 1]
    assert child.data.metrics["asw_label"] == pytest.approx(sum(m.value for m in history) / 2)
    assert child.data.params["seeds"] == "0,1"
