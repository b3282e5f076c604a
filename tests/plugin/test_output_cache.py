"""The output cache proves what it serves, as a user meets it: real cache files, real runs.

A cached embedding overwritten with another model's output, a truncated cache file, a
data set replaced by one of the same size and modification time, an adapter whose code
changed, and a read-only, pre-warmed cache: each gives the right numbers, with one line of
explanation at most.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pytest

from pytest_scbench import cached_array, registry

from ..permissions import no_override_prefix
from .conftest import write_suite

TINY = Path(__file__).parents[2] / "fixtures" / "pbmc68k_tiny.h5ad"

SUITE = """
name: cachet
models: [random, pca]
datasets:
  - {name: tiny, path: ../data/tiny.h5ad, label_key: cell_type, batch_key: batch}
tasks: [embedding]
"""


@pytest.fixture
def tiny(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project whose suite runs random and pca on a copy of the tiny fixture, with its own cache."""
    (pytester.path / "data").mkdir()
    shutil.copy(TINY, pytester.path / "data" / "tiny.h5ad")
    monkeypatch.setenv("SCBENCH_DATA_DIR", str(pytester.path / "cache"))
    write_suite(pytester, SUITE, "cachet")
    return pytester


def run(project: pytest.Pytester, report: str, *args: str) -> tuple[pytest.RunResult, dict[str, dict]]:
    """One run in a fresh process, as a user's second run is.

    In-process runs would import numba's lazily loaded modules inside pytester's module
    snapshot, which drops them afterwards and breaks later tests of this session.
    """
    result = project.runpytest_subprocess("suites", "-p", "no:cacheprovider", f"--scbench-json={report}", *args)
    metrics = {item["id"]: item["metrics"] for item in json.loads((project.path / report).read_text())["items"]}
    return result, metrics


def embedding_file(project: pytest.Pytester, model: str) -> Path:
    folder = project.path / "cache" / "embeddings" / registry.models.get(model)().fingerprint()
    (path,) = folder.glob("*.npy")
    return path


def notices(result: pytest.RunResult, text: str) -> list[str]:
    return [line for line in result.stderr.lines + result.stdout.lines if text in line]


def verifies(path: Path, model: str) -> bool:
    record = json.loads(path.with_name(path.name + ".json").read_text())
    want = cached_array.Provenance("embedding", registry.models.get(model)().fingerprint(), record["dataset"], "seed0-cpu-b256")
    try:
        cached_array.read_verified(path, want)
    except cached_array.Rejected:
        return False
    return True


@pytest.mark.parametrize("with_record", [False, True], ids=["array-only", "array-and-record"])
def test_an_output_overwritten_with_another_models_is_not_used(tiny: pytest.Pytester, with_record: bool) -> None:
    write_suite(tiny, SUITE.replace("[embedding]", "[embedding, clustering]"), "cachet")
    first, before = run(tiny, "first.json")
    first.assert_outcomes(passed=4)
    pca, rnd = embedding_file(tiny, "pca"), embedding_file(tiny, "random")
    shutil.copy(rnd, pca)
    if with_record:
        shutil.copy(rnd.with_name(rnd.name + ".json"), pca.with_name(pca.name + ".json"))
    assert not verifies(pca, "pca")
    second, after = run(tiny, "second.json")
    second.assert_outcomes(passed=4)
    assert after == before  # pca scored its own value again, not random's
    reason = "its record says model" if with_record else "its checksum does not match its record"
    lines = notices(second, "is not used")
    assert len(lines) == 1, lines  # two items read pca's embedding: reported once
    assert str(pca) in lines[0] and reason in lines[0] and "deleted it, computing it again" in lines[0]
    assert "Traceback" not in second.stdout.str() + second.stderr.str()
    assert verifies(pca, "pca")  # rewritten, with its own record


def test_truncated_and_record_less_cache_files_are_reported_and_recomputed(tiny: pytest.Pytester) -> None:
    _, before = run(tiny, "first.json")
    pca, rnd = embedding_file(tiny, "pca"), embedding_file(tiny, "random")
    whole = pca.stat().st_size
    with pca.open("r+b") as fh:
        fh.truncate(whole // 2)
    rnd.with_name(rnd.name + ".json").unlink()
    second, after = run(tiny, "second.json")
    second.assert_outcomes(passed=2)
    assert after == before
    lines = notices(second, "is not used")
    assert len(lines) == 2, lines
    assert any(str(pca) in line and "checksum does not match" in line for line in lines)
    assert any(str(rnd) in line and "has no provenance record" in line for line in lines)
    assert "Traceback" not in second.stdout.str() + second.stderr.str()
    assert pca.stat().st_size == whole and verifies(pca, "pca") and verifies(rnd, "random")


def test_a_dataset_rewritten_with_same_size_and_mtime_gets_fresh_outputs(tiny: pytest.Pytester) -> None:
    path = tiny.path / "data" / "tiny.h5ad"
    adata = ad.read_h5ad(TINY)
    adata.X = np.asarray(adata.X.todense(), dtype=np.float32)
    adata.write_h5ad(path)  # dense, uncompressed: a file of one size whatever the numbers
    first, before = run(tiny, "first.json")
    first.assert_outcomes(passed=2)
    shuffled = adata.copy()
    shuffled.X = adata.X[np.random.default_rng(0).permutation(adata.n_obs)]  # labels no longer fit the cells
    other = tiny.path / "other.h5ad"
    shuffled.write_h5ad(other)
    assert other.stat().st_size == path.stat().st_size
    st = path.stat()
    path.write_bytes(other.read_bytes())  # in place: the same inode
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    _, after = run(tiny, "second.json")
    assert after["cachet[pca-tiny-embedding]"] != before["cachet[pca-tiny-embedding]"]
    folder = tiny.path / "cache" / "embeddings" / registry.models.get("pca")().fingerprint()
    assert len(list(folder.glob("*.npy"))) == 2  # one per content of the file, the old one untouched


def _read_only(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            p = Path(folder) / name
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    for folder, _, _ in os.walk(root):
        Path(folder).chmod(0o555)


def test_a_read_only_prewarmed_cache_is_read_and_the_rest_computed_in_memory(tiny: pytest.Pytester) -> None:
    prefix = no_override_prefix()
    _, before = run(tiny, "first.json")
    write_suite(tiny, SUITE.replace("[random, pca]", "[random, pca, hvg]"), "cachet")  # hvg is not cached
    cache = tiny.path / "cache"
    listing = sorted(str(p.relative_to(cache)) for p in cache.rglob("*"))
    _read_only(cache)
    try:
        argv = [sys.executable, "-m", "pytest", "suites", "-p", "no:cacheprovider", "--scbench-json=ro.json"]
        command = prefix + [shlex.join(argv)] if prefix else argv
        done = subprocess.run(command, cwd=tiny.path, capture_output=True, text=True, timeout=600)
    finally:
        for folder, _, _ in os.walk(cache):
            Path(folder).chmod(0o755)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "3 passed" in output
    assert "Traceback" not in output and "PermissionError" not in output
    lines = [line for line in output.splitlines() if "is not writable" in line]
    assert len(lines) == 1, lines
    assert "computed in memory and not saved" in lines[0]
    after = {i["id"]: i["metrics"] for i in json.loads((tiny.path / "ro.json").read_text())["items"]}
    assert {k: v for k, v in after.items() if "hvg" not in k} == before
    assert sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) == listing  # nothing written


MINE = """
import numpy as np
from pathlib import Path

from pytest_scbench.models.base import ModelAdapter

SEED = {seed}


class Mine(ModelAdapter):
    provides = frozenset({{"embedding"}})
    reads_expression = False

    def embed(self, dataset, ctx):
        with Path("calls.txt").open("a") as fh:
            fh.write(f"{{ctx.device}} {{ctx.batch_size}}\\n")
        return np.random.default_rng(SEED).normal(size=(dataset.n_obs, 8))
"""


def mine_suite(batch_size: int) -> str:
    return SUITE.replace("models: [random, pca]", f'models: [{{name: mine, adapter: "mymodels:Mine", batch_size: {batch_size}}}]')


def test_an_edited_adapter_or_another_batch_size_is_never_served_the_old_output(tiny: pytest.Pytester) -> None:
    # a CI that keeps its cache must not pass a change to a model's code it never ran
    package = tiny.path / "suites" / "mymodels"
    package.mkdir()
    (package / "__init__.py").write_text(MINE.format(seed=1))
    write_suite(tiny, mine_suite(8), "cachet")
    calls = tiny.path / "calls.txt"

    _, first = run(tiny, "first.json")
    _, again = run(tiny, "again.json")
    assert calls.read_text().splitlines() == ["cpu 8"] and again == first  # unchanged: served from the cache

    (package / "__init__.py").write_text(MINE.format(seed=2))  # the model's code changed
    _, edited = run(tiny, "edited.json")
    assert calls.read_text().splitlines() == ["cpu 8", "cpu 8"]
    assert edited != first

    (package / "helpers.py").write_text("SCALE = 2\n")  # a helper module beside it counts too
    run(tiny, "helper.json")
    assert len(calls.read_text().splitlines()) == 3

    write_suite(tiny, mine_suite(512), "cachet")  # padding and batch statistics depend on it
    run(tiny, "batch.json")
    assert calls.read_text().splitlines()[-1] == "cpu 512"
