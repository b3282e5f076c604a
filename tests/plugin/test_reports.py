"""Reports: JSON report, JUnit properties, the terminal grid, and xdist equivalence."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from .conftest import read_json


def without_durations(report: dict) -> list[dict]:
    return [{k: v for k, v in item.items() if k != "durations"} for item in report["items"]]


def test_json_report_carries_environment_and_every_metric(project: pytest.Pytester) -> None:
    result = project.runpytest("suites", "--scbench-json", "out/report.json", "--scbench-update-baselines")
    result.assert_outcomes(passed=4)
    report = read_json(project.path / "out" / "report.json")
    assert report["format"] == "pytest-scbench-report" and report["version"] == 1
    env = report["environment"]
    assert env["packages"]["pytest-scbench"] and env["packages"]["numpy"] and "cuda_devices" in env["device"]
    assert report["summary"]["items"] == 4 and report["summary"]["outcomes"] == {"passed": 4}
    assert report["not_run"] == [] and report["summary"]["not_run"] == 0
    ids = [i["id"] for i in report["items"]]
    assert ids == sorted(ids)
    item = next(i for i in report["items"] if i["id"] == "demo[pca-pbmc68k-clustering]")
    assert (item["suite"], item["model"], item["dataset"], item["task"]) == ("demo", "pca", "pbmc68k", "clustering")
    assert item["params"]["n_neighbors"] == 15 and item["outcome"] == "passed" and item["completed"]
    assert {"ari", "nmi"} <= set(item["metrics"])
    for name, metric in item["metrics"].items():
        assert metric["direction"] in ("higher", "lower")
        assert item["verdicts"][name]["status"] == "missing"  # recorded by this very run
    assert set(item["durations"]) == {"dataset", "outputs", "task", "total"}
    assert "embedding" in item["durations"]["outputs"]


def test_items_deselected_by_k_are_not_listed_as_not_run(project: pytest.Pytester) -> None:
    project.runpytest("suites", "-k", "clustering", "--scbench-json", "r.json").assert_outcomes(passed=2, deselected=2)
    report = read_json(project.path / "r.json")
    assert report["summary"]["items"] == 2 and report["not_run"] == []


def test_junit_xml_carries_every_metric(project: pytest.Pytester) -> None:
    project.runpytest("suites", "--scbench-json", "r.json", "--junitxml", "junit.xml").assert_outcomes(passed=4)
    report = read_json(project.path / "r.json")
    tree = ET.parse(project.path / "junit.xml")
    for case in tree.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        item = next(i for i in report["items"] if i["id"] == case.get("name"))
        for name, metric in item["metrics"].items():
            assert float(props[name]) == pytest.approx(metric["value"], rel=1e-12)
            assert props[f"{name}.status"] == "missing"


def test_terminal_grid_per_dataset(project: pytest.Pytester) -> None:
    result = project.runpytest("suites")
    result.stdout.fnmatch_lines(
        ["*scbench summary*", "demo / pbmc68k", "model*clustering (ari)*embedding (asw_label)*", "pca *", "random *"]
    )


def test_xdist_gives_the_same_report(project: pytest.Pytester) -> None:
    serial = project.runpytest_subprocess(
        "suites", "-p", "no:cacheprovider", "--scbench-json", "serial.json", "--scbench-no-cache"
    )
    serial.assert_outcomes(passed=4)
    parallel = project.runpytest_subprocess(
        "suites", "-p", "no:cacheprovider", "-n", "2", "--scbench-json", "parallel.json", "--scbench-no-cache"
    )
    parallel.assert_outcomes(passed=4)
    a, b = read_json(project.path / "serial.json"), read_json(project.path / "parallel.json")
    assert without_durations(a) == without_durations(b)
