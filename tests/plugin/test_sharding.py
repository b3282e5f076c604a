"""--scbench-shard K/N: shards cover every item once, keep (model, dataset) groups together."""

from __future__ import annotations

import re

import pytest

from pytest_scbench.cli import main
from pytest_scbench.plugin.sharding import Shard, group_of, parse_shard, shard_of

from .conftest import read_json, write_suite

# Collecting --scbench-speed items in-process inside an xdist worker of this test run makes
# pytest-benchmark warn that xdist disables it: true of the outer run, irrelevant to these.
pytestmark = pytest.mark.filterwarnings("ignore:Benchmarks are automatically disabled")

SUITE = """
name: demo
models: [random, pca, hvg]
datasets: [pbmc68k, {dataset: pbmc68k, name: pbmcB}]
tasks: [embedding, clustering]
"""
PLAIN_TEST = "def test_plain():\n    assert True\n"


@pytest.fixture
def sharded(project: pytest.Pytester) -> pytest.Pytester:
    write_suite(project, SUITE)
    project.makepyfile(test_plain=PLAIN_TEST)
    return project


def collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    result = pytester.runpytest("--co", "-q", "-p", "no:cacheprovider", "--scbench-speed", *args)
    assert result.ret == 0, result.stdout.str()
    return [line.split("::")[-1] for line in result.stdout.lines if "::" in line]


def test_shards_cover_every_item_once_and_keep_groups_together(sharded: pytest.Pytester) -> None:
    everything = collected(sharded)
    assert len(everything) == 12 + 6 + 1  # suite items, throughput items, the plain test
    shards = [collected(sharded, "--scbench-shard", f"{k}/3") for k in (1, 2, 3)]
    suite_items = [[i for i in shard if i != "test_plain"] for shard in shards]
    assert sorted(i for shard in suite_items for i in shard) == sorted(i for i in everything if i != "test_plain")
    assert all("test_plain" in shard for shard in shards)  # other tests are never deselected
    where = {group_of(i): k for k, shard in enumerate(suite_items) for i in shard}
    for k, shard in enumerate(suite_items):
        assert all(where[group_of(i)] == k for i in shard)
    assert len(where) == 6


def test_deselected_items_are_reported(sharded: pytest.Pytester) -> None:
    result = sharded.runpytest("--co", "-q", "-p", "no:cacheprovider", "--scbench-shard", "1/3")
    kept = len([line for line in result.stdout.lines if "::" in line])
    result.stdout.fnmatch_lines([f"{kept}/13 tests collected ({13 - kept} deselected)*"])


def test_union_of_shard_reports_equals_the_unsharded_report(sharded: pytest.Pytester) -> None:
    sharded.runpytest("suites", "-p", "no:cacheprovider", "--scbench-json", "all.json").assert_outcomes(passed=12)
    whole = read_json(sharded.path / "all.json")
    assert whole["shard"] is None
    items: list[dict] = []
    for k in (1, 2, 3):
        result = sharded.runpytest(
            "suites", "-p", "no:cacheprovider", "--scbench-shard", f"{k}/3", "--scbench-json", f"shard-{k}.json"
        )
        assert result.ret == 0
        report = read_json(sharded.path / f"shard-{k}.json")
        assert report["shard"] == {"index": k, "count": 3}
        assert report["suites"]["demo"]["sha256"] == whole["suites"]["demo"]["sha256"]
        items += report["items"]

    def strip(item: dict) -> dict:
        return {k: v for k, v in item.items() if k != "durations"}

    assert sorted(map(str, map(strip, items))) == sorted(map(str, map(strip, whole["items"])))
    shards = [str(sharded.path / f"shard-{k}.json") for k in (1, 2, 3)]
    assert main(["merge", *shards, "-o", str(sharded.path / "merged.json")]) == 0
    merged = read_json(sharded.path / "merged.json")
    assert list(map(strip, merged["items"])) == list(map(strip, whole["items"]))
    assert merged["shard"] == {"count": 3, "merged": [1, 2, 3]} and merged["summary"] == whole["summary"]


def test_an_empty_shard_exits_0(sharded: pytest.Pytester) -> None:
    write_suite(sharded, "name: one\nmodels: [pca]\ndatasets: [pbmc68k]\ntasks: [embedding]\n", name="one")
    empty = next(k for k in (1, 2) if shard_of("one/pca/pbmc68k", 2) != k)
    result = sharded.runpytest("suites/one.yaml", "-p", "no:cacheprovider", "--scbench-shard", f"{empty}/2")
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"pytest-scbench: shard {empty}/2 holds no benchmark item (1 in other shards)*"])


@pytest.mark.parametrize("select", [("-k", "typo_that_matches_nothing"), ("-m", "no_such_marker")])
def test_a_selection_that_matches_nothing_exits_5_in_every_shard(sharded: pytest.Pytester, select: tuple) -> None:
    # a typo in -k or -m must not pass as "this shard holds nothing": no shard holds anything
    for k in (1, 2):
        result = sharded.runpytest("suites", "-p", "no:cacheprovider", "--scbench-shard", f"{k}/2", *select)
        assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout.str()
        assert "holds no benchmark item" not in result.stdout.str()


def test_a_selection_held_by_other_shards_only_exits_0(sharded: pytest.Pytester) -> None:
    group = "demo/pca/pbmc68k"
    empty = next(k for k in (1, 2) if shard_of(group, 2) != k)
    result = sharded.runpytest(
        "suites", "-p", "no:cacheprovider", "--scbench-shard", f"{empty}/2", "-k", "pca and pbmc68k-"
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines([f"pytest-scbench: shard {empty}/2 holds no benchmark item (2 in other shards)*"])


@pytest.mark.parametrize("bad", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"])
def test_bad_shard_is_a_usage_error_naming_the_option(sharded: pytest.Pytester, bad: str) -> None:
    result = sharded.runpytest("--co", "-p", "no:cacheprovider", f"--scbench-shard={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--scbench-shard:*"])


def test_shard_from_ini(sharded: pytest.Pytester) -> None:
    sharded.makeini("[pytest]\nscbench_shard = 2/3\n")
    lines = collected(sharded)
    assert 0 < len(lines) < 19


def test_assignment_is_stable_and_independent_of_other_groups() -> None:
    # A fixed expectation: the same group lands in the same shard on every machine and release.
    assert [shard_of(f"core/pca/{d}", 4) for d in ("pbmc68k", "pbmc68k_batches")] == [
        shard_of("core/pca/pbmc68k", 4),
        shard_of("core/pca/pbmc68k_batches", 4),
    ]
    assert (
        shard_of("core/pca/pbmc68k", 4)
        == 1 + int.from_bytes(__import__("hashlib").sha256(b"core/pca/pbmc68k").digest()[:8], "big") % 4
    )
    assert parse_shard(" 2/5 ") == Shard(2, 5)
    assert group_of("core[pca-pbmc68k-throughput]") == group_of("core[pca-pbmc68k-clustering]") == "core/pca/pbmc68k"
    assert group_of("test_plain") is None and re.match(r"\d", str(Shard(1, 2)))


def test_merge_judges_an_expectation_whose_models_ran_in_different_shards(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    # shards group items by model, so "random beats pca" is skipped in every shard; the merge,
    # which holds both results, must judge it, or the claim is never checked anywhere
    count = next(n for n in range(2, 10) if shard_of("ex/random/pbmc68k", n) != shard_of("ex/pca/pbmc68k", n))
    write_suite(
        project,
        """
        name: ex
        models: [random, pca]
        datasets: [pbmc68k]
        tasks: [embedding]
        expect:
          - {model: random, beats: pca}
          - {model: pca, beats: random, by: 0.01}
        """,
        name="ex",
    )
    shards = []
    for k in (shard_of("ex/random/pbmc68k", count), shard_of("ex/pca/pbmc68k", count)):
        path = project.path / f"shard-{k}.json"
        result = project.runpytest(
            "suites", "-p", "no:cacheprovider", "--scbench-shard", f"{k}/{count}", f"--scbench-json={path}"
        )
        assert result.ret == 0, result.stdout.str()
        assert {e["outcome"] for e in read_json(path)["expectations"]} == {"skipped"}
        shards.append(str(path))
    capsys.readouterr()

    assert main(["merge", *shards, "-o", str(project.path / "m.json"), "--partial"]) == 1
    out, err = capsys.readouterr()
    assert "judged 2 expectation(s) that no single report could check" in out
    assert (
        "1 of 2 expectation(s) failed" in err
        and "ex[expect-random-beats-pca-pbmc68k-embedding-asw_label]: not true" in err
    )
    checks = {e["id"]: e for e in read_json(project.path / "m.json")["expectations"]}
    random_beats = checks["ex[expect-random-beats-pca-pbmc68k-embedding-asw_label]"]
    pca_beats = checks["ex[expect-pca-beats-random-pbmc68k-embedding-asw_label]"]
    assert random_beats["outcome"] == "failed" and random_beats["settled_by"] == "merge"
    assert pca_beats["outcome"] == "passed" and pca_beats["difference"] > 0.01
    assert pca_beats["difference"] == pytest.approx(pca_beats["value"] - pca_beats["other_value"])
