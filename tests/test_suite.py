"""Suite parsing: the accepted shapes, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import anndata
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_scbench.errors import ScbenchError, SuiteError
from pytest_scbench.suite import load_suite, parse_suite

BASE = {"name": "s", "models": ["random"], "datasets": ["pbmc68k"], "tasks": ["embedding"]}


def parse(tmp_path: Path, **changes: object) -> object:
    return parse_suite({**BASE, **changes}, tmp_path / "suite.yaml")


def test_defaults(tmp_path: Path) -> None:
    suite = parse(tmp_path)
    assert suite.baselines_path == (tmp_path / "baselines" / "s.json").resolve()
    assert suite.seeds == (0,)
    assert suite.tolerance.for_metric("ari") == 0.02
    assert [c.id for c in suite.cases()] == ["s[random-pbmc68k-embedding]"]


def test_design_example_shape(tmp_path: Path) -> None:
    adata = anndata.AnnData(np.ones((5, 3), dtype=np.float32))
    adata.obs["cell_type"] = list("aabbc")
    adata.obs["batch"] = list("xyxyx")
    adata.obsm["X_emb"] = np.arange(10, dtype=np.float32).reshape(5, 2)
    adata.var_names = ["CD3E", "CD4", "MS4A1"]
    adata.write_h5ad(tmp_path / "mydata.h5ad")
    suite = parse(
        tmp_path,
        baselines="b/core.json",
        tolerance={"default": 0.05, "ari": 0.1},
        seeds=[0, 1],
        models=[
            "random",
            "pca",
            {"name": "mymodel", "adapter": "precomputed", "path": "mydata.h5ad", "obsm_key": "X_emb"},
        ],
        datasets=["pbmc68k", {"name": "mydata", "path": "mydata.h5ad", "label_key": "cell_type", "batch_key": "batch"}],
        tasks=["clustering", "embedding", {"name": "label_prediction", "params": {"n_folds": 3}}],
        exclude=[{"model": "random", "task": "label_prediction"}, {"model": "mymodel", "dataset": "pbmc68k"}],
        markers=["slow"],
    )
    assert suite.baselines_path == (tmp_path / "b" / "core.json").resolve()
    assert suite.tolerance.for_metric("ari") == 0.1 and suite.tolerance.for_metric("nmi") == 0.05
    assert suite.seeds == (0, 1)
    ids = [c.id for c in suite.cases()]
    assert len(ids) == 3 * 2 * 3 - 2 - 3
    assert "s[random-pbmc68k-label_prediction]" not in ids and "s[mymodel-mydata-clustering]" in ids
    mydata = suite.datasets[1].spec
    assert mydata.keys.label_key == "cell_type" and mydata.keys.batch_key == "batch"
    assert suite.tasks[2].task.params["n_folds"] == 3


def test_the_same_task_twice_under_two_names(tmp_path: Path) -> None:
    suite = parse(
        tmp_path, tasks=["clustering", {"name": "clustering_k30", "task": "clustering", "params": {"n_neighbors": 30}}]
    )
    assert [t.task.params["n_neighbors"] for t in suite.tasks] == [15, 30]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "my-suite"}, "name: 'my-suite' is not a valid name"),
        ({"models": []}, "models: the suite names no models"),
        ({"models": ["random", "random"]}, "models[1]: 'random' appears twice"),
        (
            {"models": [{"name": "r", "adapter": "random", "device": "tpu"}]},
            "models[0].device: must be 'cpu' or 'cuda'",
        ),
        (
            {"models": [{"name": "r", "adapter": "nosuchpkg.mod:Model"}]},
            "models[0].adapter: adapter 'nosuchpkg.mod:Model': cannot import module 'nosuchpkg.mod'",
        ),
        (
            {"models": [{"name": "r", "adapter": "random", "batch_size": 0}]},
            "models[0].batch_size: expected a positive integer",
        ),
        ({"seeds": [0, -1]}, "seeds[1]: a seed is an integer from 0 to 2**32 - 1, not -1"),
        ({"seeds": [1, 1]}, "seeds: seeds repeat"),
        ({"exclude": [{"model": "pca"}]}, "exclude[0].model: unknown model in this suite 'pca'"),
        ({"exclude": [{}]}, "exclude[0]: an empty exclusion would exclude everything"),
        ({"exclude": [{"modle": "random"}]}, "exclude[0].modle: unknown key 'modle' (did you mean 'model'?)"),
        ({"datasets": [{"name": "d", "path": "missing.h5ad"}]}, "datasets[0].path: 'missing.h5ad' does not exist"),
        (
            {"datasets": [{"name": "d", "path": "data.csv"}]},
            "datasets[0].path: 'data.csv' is neither an .h5ad nor an .h5t file",
        ),
        ({"datasets": [{"path": "x.h5ad"}]}, "datasets[0]: a dataset given by path needs a name"),
        (
            {"tasks": [{"name": "clustering", "params": {"kk": 3}}]},
            "tasks[0].params: task 'clustering' has no parameter 'kk'",
        ),
        ({"markers": ["not valid"]}, "markers[0]: 'not valid' is not a valid name"),
        ({"markers": ["xfail"]}, "markers[0]: 'xfail' is a mark that changes whether an item can fail"),
        # a misspelt per-metric tolerance would leave the metric at the default without a word
        (
            {"tolerance": {"asw_lable": 0.001}},
            "tolerance.asw_lable: no task of this suite has a metric 'asw_lable' (did you mean 'asw_label'?)",
        ),
        # numbers beyond a float, and YAML 1.1's 1e-3 (text, not a number)
        ({"tolerance": 10**400}, "tolerance: expected a finite number >= 0, got int"),
        ({"tolerance": {"asw_label": 10**400}}, "tolerance.asw_label: expected a finite number >= 0"),
        ({"tolerance": "1e-3"}, "YAML reads '1e-3' as text: write it with a decimal point, e.g. 0.001"),
        (
            {"tasks": [{"name": "clustering", "params": {"resolution": 10**400}}]},
            "task 'clustering': parameter 'resolution' must be finite",
        ),
        (
            {"models": ["random", "pca"], "expect": [{"model": "pca", "beats": "random", "by": 10**400}]},
            "expect[0].by: expected a finite number",
        ),
        (
            {"models": ["random", "pca"], "expect": [{"model": "pca", "beats": "random", "by": -0.05}]},
            "expect[0].by: expected a number >= 0",
        ),
    ],
)
def test_errors_name_the_file_and_key(tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(SuiteError) as info:
        parse(tmp_path, **changes)
    assert str(info.value).startswith(f"{tmp_path / 'suite.yaml'}: ")
    assert message in str(info.value)


def test_missing_required_key(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="missing required key 'tasks'"):
        parse_suite({"name": "s", "models": ["random"], "datasets": ["pbmc68k"]}, tmp_path / "suite.yaml")


def test_load_reports_yaml_position_and_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: s\nmodels: [random\n")
    with pytest.raises(SuiteError, match=r"bad\.yaml: line 3, column 1: not valid YAML"):
        load_suite(path)
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(SuiteError, match="not UTF-8 text"):
        load_suite(path)
    with pytest.raises(SuiteError, match="cannot read the suite file"):
        load_suite(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:pathlib.Path.touch ['{proof}']",
        "!!python/object:pathlib.PosixPath {{}}",
        "!!python/name:os.system",
        "!!python/module:os",
    ],
)
def test_yaml_is_loaded_safely(tmp_path: Path, tag: str) -> None:
    path, proof = tmp_path / "evil.yaml", tmp_path / "code-ran"
    path.write_text(f"name: s\nmodels:\n  - {tag.format(proof=proof)}\ndatasets: [pbmc68k]\ntasks: [embedding]\n")
    with pytest.raises(
        SuiteError, match=r"evil\.yaml: line 3, column 5: not valid YAML: could not determine a constructor"
    ):
        load_suite(path)
    assert not proof.exists()


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    doc=st.fixed_dictionaries(
        {},
        optional={
            "name": yaml_values | st.sampled_from(["s", "core"]),
            "models": yaml_values | st.just(["random"]),
            "datasets": yaml_values | st.just(["pbmc68k"]),
            "tasks": yaml_values | st.just(["embedding"]),
            "tolerance": yaml_values,
            "seeds": yaml_values,
            "exclude": yaml_values,
            "markers": yaml_values,
            "extra": yaml_values,
        },
    )
)
def test_any_document_parses_or_raises_our_own_error(tmp_path: Path, doc: dict) -> None:
    path = tmp_path / "gen.yaml"
    path.write_text(yaml.safe_dump(doc))
    try:
        load_suite(path)
    except ScbenchError:
        pass


def test_unquoted_yaml_boolean_as_a_key_is_a_suite_error(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nmodels: [{name: m, adapter: random, on: tiny}]\ndatasets: [pbmc68k]\ntasks: [embedding]\n"
    )
    with pytest.raises(SuiteError, match=r"models\[0\]: key True is not a string \(YAML reads unquoted on/off"):
        load_suite(path)
    with pytest.raises(SuiteError, match=r"tasks\[0\]\.params: key 3 is not a string"):
        parse(tmp_path, tasks=[{"name": "clustering", "params": {3: 1}}])


def test_empty_and_non_mapping_documents(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    for text, message in [
        ("", "the suite file is empty"),
        ("# only a comment\n", "the suite file is empty"),
        ("- a\n- b\n", "expected a suite, got list"),
        ("name: s\nmodels: [random]\ndatasets: [pbmc68k]\ntasks: []\n", "tasks: the suite names no tasks"),
    ]:
        path.write_text(text)
        with pytest.raises(SuiteError, match=message):
            load_suite(path)


# Values of every YAML type, keys included: YAML 1.1 turns on/off/yes/no, numbers and null into keys too.
any_keys = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
typed_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(any_keys, children, max_size=3),
    max_leaves=8,
)
entry = st.dictionaries(
    st.sampled_from(["name", "adapter", "task", "dataset", "params", "device", "batch_size", "path", "label_key"])
    | any_keys,
    typed_values | st.sampled_from(["random", "pca", "clustering", "pbmc68k", "m"]),
    max_size=4,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(models=st.lists(entry | typed_values, max_size=2), tasks=st.lists(entry | typed_values, max_size=2))
def test_any_value_types_in_entries_parse_or_raise_our_own_error(tmp_path: Path, models: list, tasks: list) -> None:
    try:
        parse(tmp_path, models=models or ["random"], tasks=tasks or ["embedding"])
    except ScbenchError:
        pass
