"""The report reader: compare, merge and report refuse malformed reports with exit code 2 and a message.

Exit code 1 means "a metric regressed" for ``scbench compare``; a broken or hostile
report must never read as that, nor crash with a traceback.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_scbench.cli import main
from pytest_scbench.report.json_report import build_report, read_report, write_report
from pytest_scbench.report.schema import ReportError, parse_report
from pytest_scbench.results import CaseResult

SUITES = {"core": {"file": "suites/core.yaml", "sha256": "aa", "baselines": "b.json", "baselines_sha256": "bb"}}
ENV = {"packages": {"pytest-scbench": "0.1.0"}}


def result(model: str, ari: float) -> CaseResult:
    return CaseResult(
        id=f"core[{model}-pbmc68k-clustering]",
        suite="core",
        model=model,
        dataset="pbmc68k",
        task="clustering",
        seeds=[0, 1],
        metrics={"ari": {"value": ari, "direction": "higher", "values": [ari, ari], "std": 0.0, "ci95": [ari, ari]}},
        verdicts={"ari": {"status": "ok", "value": ari, "baseline": ari, "difference": 0.0, "tolerance": 0.02}},
        tolerances={"ari": 0.02},
        controls={"ari": 0.0},
        durations={"total": 1.0, "outputs": {"embedding": 0.5}},
        completed=True,
        outcome="passed",
    )


def good_report(shard: dict[str, int] | None = None) -> dict[str, Any]:
    return json.loads(
        json.dumps(build_report([result("pca", 0.7), result("hvg", 0.6)], ENV, SUITES, {"device": "cpu"}, shard=shard))
    )


def write(path: Path, doc: Any) -> Path:
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = good_report()
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


MALFORMED = [
    (changed(("version",), 2), "report format version 2; this scbench reads version 1"),
    (changed(("version",), "1"), "report format version '1'"),
    (changed(("items",), {"a": 1}), "items must be a list, not an object"),
    (changed(("items", 0), "x"), "items[0] must be an object, not a string ('x')"),
    (changed(("items", 0, "metrics", "ari", "value"), "0.5"), "items[0].metrics.ari.value must be a number"),
    (json.dumps(good_report()).replace('"value": 0.7', '"value": 1e999', 1), "items[1].metrics.ari.value is inf"),
    (changed(("items", 1, "metrics", "ari", "direction"), "sideways"), "items[1].metrics.ari.direction is 'sideways'"),
    (changed(("items", 0, "metrics"), []), "items[0].metrics must be an object, not a list"),
    (changed(("items", 0, "tolerances", "ari"), -1), "items[0].tolerances.ari is -1; it must be at least 0.0"),
    (changed(("items", 0, "tolerances", "ari"), True), "items[0].tolerances.ari must be a number, not true or false"),
    (changed(("items", 0, "verdicts", "ari", "status"), "fine"), "items[0].verdicts.ari.status is 'fine'"),
    (changed(("items", 0, "seeds"), [-1]), "items[0].seeds[0] must be a non-negative integer"),
    (changed(("items", 0, "sneaky"), 1), "items[0] has unknown field(s) 'sneaky'"),
    (changed(("items", 0, "id"), 7), "items[0].id must be a string"),
    (changed(("shard",), {"index": 3, "count": 2}), "shard index 3 (#0) is not an integer from 1 to 2"),
    (changed(("suites", "core", "sha256"), ["x"]), "suites.core.sha256 must be a string"),
    (changed(("environment",), "linux"), "environment must be an object"),
    (json.dumps(good_report()).replace('"value": 0.7', '"value": NaN', 1), "holds NaN"),
    (json.dumps(good_report()).replace('"value": 0.7', '"value": -Infinity', 1), "holds -Infinity"),
    ('{"format": "pytest-scbench-report", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested"),
    ('{"format": "pytest-scbench-report", "version": 1, "n": ' + "9" * 5000 + "}", "not a readable JSON report"),
    ({"format": "something-else"}, "not a pytest-scbench JSON report"),
    ("{", "not valid JSON"),
]


@pytest.mark.parametrize(("doc", "message"), MALFORMED, ids=[m[1][:40] for m in MALFORMED])
@pytest.mark.parametrize("command", ["compare", "merge", "report"])
def test_commands_refuse_a_malformed_report_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: Any, message: str, command: str
) -> None:
    bad = write(tmp_path / "bad.json", doc)
    good = write(tmp_path / "good.json", good_report())
    argv = {
        "compare": ["compare", str(good), str(bad)],
        "merge": ["merge", str(bad), "-o", str(tmp_path / "merged.json")],
        "report": ["report", str(bad), "--html", str(tmp_path / "page.html")],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"scbench: {bad}: ") and message in err, err
    assert len(err.strip().splitlines()) == 1 and len(err) < 400  # one bounded line
    assert not (tmp_path / "merged.json").exists() and not (tmp_path / "page.html").exists()


def test_invalid_utf8_and_a_missing_file_are_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"format": "\xff"}')
    assert main(["compare", str(bad), str(bad)]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "none.json"), str(bad)]) == 2
    assert "cannot read report: No such file or directory" in capsys.readouterr().err


def test_compare_refuses_a_non_finite_tolerance_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path / "good.json", good_report())
    for value in ("nan", "inf", "-1"):
        assert main(["compare", str(good), str(good), "--tolerance", value]) == 2
        assert "--tolerance: expected a finite number >= 0" in capsys.readouterr().err


def test_merge_to_an_unwritable_place_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path / "good.json", good_report())
    (tmp_path / "file").write_text("")
    assert main(["merge", str(good), "-o", str(tmp_path / "file" / "merged.json")]) == 2
    assert capsys.readouterr().err.startswith("scbench: ")


def test_a_report_written_by_the_plugin_reads_back_unchanged(tmp_path: Path) -> None:
    report = good_report({"index": 1, "count": 2})
    write_report(tmp_path / "r.json", report)
    assert read_report(tmp_path / "r.json") == report



def test_every_verdict_status_the_plugin_writes_reads_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'changed' (worse, but not gated) comes from the gate, not the baseline comparison:
    a run with an ungated drop must still be readable by scbench report."""
    doc = good_report()
    doc["items"][0]["verdicts"]["ari"]["status"] = "changed"
    path = write(tmp_path / "r.json", doc)
    assert read_report(path)["items"][0]["verdicts"]["ari"]["status"] == "changed"
    assert main(["report", str(path), "--markdown", str(tmp_path / "r.md")]) == 0
    assert "not gated" in (tmp_path / "r.md").read_text().lower() or "▽" in (tmp_path / "r.md").read_text()

# -- hypothesis: whatever a document holds, only ReportError comes out ------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for k, value in enumerate(doc):
            out += _paths(value, (*prefix, k))
    return out


REPORTISH = st.fixed_dictionaries(
    {"format": st.just("pytest-scbench-report")},
    optional={"version": st.just(1) | JSON, "items": JSON, "shard": JSON, "suites": JSON, "not_run": JSON},
)


@given(st.one_of(JSON, REPORTISH))
@settings(max_examples=300, deadline=None)
def test_arbitrary_json_gives_a_report_or_a_report_error(doc: Any) -> None:
    try:
        text = json.dumps(doc)
    except (ValueError, OverflowError):  # integers too large to write: not a document
        return
    try:
        parse_report(text, "doc.json")
    except ReportError as exc:
        assert str(exc).startswith("doc.json: ") and len(str(exc)) < 400


@given(st.data())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_report_with_any_field_broken_is_refused_or_handled_by_compare_and_merge(data: st.DataObject) -> None:
    doc = good_report(data.draw(st.sampled_from([None, {"index": 1, "count": 1}])))
    original = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(JSON)
    try:
        text = json.dumps(doc)
    except (ValueError, OverflowError):
        return
    with tempfile.TemporaryDirectory() as folder:
        bad = write(Path(folder) / "bad.json", text)
        good = write(Path(folder) / "good.json", original)
        try:
            read_report(bad)
        except ReportError:
            accepted = False
        else:
            accepted = True
        # The commands may refuse (2) or judge (0 or 1, only for a report that was accepted);
        # any other exception fails the test.
        code = main(["compare", str(good), str(bad)])
        assert code == 2 if not accepted else code in (0, 1)
        code = main(["merge", str(bad), "-o", str(Path(folder) / "merged.json")])
        assert code in (0, 2) and (code == 2) == (not accepted or not _mergeable(doc))


def _mergeable(doc: dict[str, Any]) -> bool:
    """Whether a single accepted report can be merged on its own (a lone shard of one passes)."""
    shard = doc.get("shard")
    if shard and [k for k in range(1, shard["count"] + 1) if k not in (shard.get("merged") or [shard["index"]])]:
        return False
    return True
