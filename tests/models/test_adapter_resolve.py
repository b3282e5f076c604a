"""Resolving adapters: registered names, import paths, and third-party entry points."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from pytest_scbench import registry
from pytest_scbench.errors import ModelError
from pytest_scbench.models import ModelAdapter, build_adapter, resolve_adapter
from pytest_scbench.models.pca import PCA
from pytest_scbench.registry import Registry
from tests.thirdparty import install_demo_adapter


def test_a_registered_name_resolves_to_its_factory() -> None:
    assert resolve_adapter("pca") is PCA
    assert {"random", "pca", "hvg", "mean", "precomputed"} <= set(registry.models.names())


def test_an_unknown_name_lists_the_registered_ones() -> None:
    with pytest.raises(
        ModelError, match=r"unknown model adapter 'pcaa'; did you mean 'pca'\?.*'hvg'"
    ):
        resolve_adapter("pcaa")


def test_an_import_path_resolves_and_builds_with_its_arguments(pbmc, ctx) -> None:
    model = build_adapter(
        "pytest_scbench.models.random:RandomEmbedding", {"n_dims": 3}, name="mine"
    )
    assert model.name == "mine" and model.params == {"n_dims": 3}
    assert model.embed(pbmc, ctx).shape == (700, 3)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "no_such_pkg.mod:Model",
            r"adapter 'no_such_pkg.mod:Model': cannot import module 'no_such_pkg.mod'",
        ),
        ("pytest_scbench.models.pca:Nope", r"has no attribute 'Nope'"),
        (
            "pytest_scbench.errors:ModelError",
            r"class ModelError is not a subclass of .*ModelAdapter",
        ),
        ("pytest_scbench.models.mean:RECONSTRUCTION_SPACE", r"is a str, not a class"),
        ("os:system", r"adapter 'os:system' is a builtin_function_or_method, not a class"),
        ("os.path:join", r"is a function, not a class: an import path must name a subclass"),
        ("pytest_scbench.models.pca", r"unknown model adapter 'pytest_scbench.models.pca'.*'package.module:Class'"),
        ("os:path.sep", r"is a str, not a class"),
        ("../evil:X", r"not of the form 'package.module:Name'"),
    ],
)
def test_a_bad_import_path_is_a_model_error(spec: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        resolve_adapter(spec)


def test_an_import_path_to_a_function_is_refused_before_it_is_called(tmp_path, monkeypatch) -> None:
    marker = tmp_path / "called"
    (tmp_path / "scbench_odd_factories.py").write_text(
        "import pathlib\n"
        f"MARKER = pathlib.Path({str(marker)!r})\n"
        "def make(**params):\n    MARKER.write_text('called')\n    return None\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "scbench_odd_factories", raising=False)
    with pytest.raises(ModelError, match=r"is a function, not a class"):
        build_adapter("scbench_odd_factories:make", {"a": 1}, name="odd")
    assert not marker.exists()
    with pytest.raises(ModelError, match=r"model 'pca' has no parameter 'dims'"):
        build_adapter("pca", {"dims": 3})


def test_a_registered_factory_must_return_an_adapter_and_accept_its_arguments() -> None:
    fresh: Registry = Registry("model", "pytest_scbench.no_such_group", "pytest_scbench.models")
    fresh.register("odd", lambda **params: dict(params))
    fresh.register("no_params", lambda: None)
    with pytest.raises(ModelError, match=r"'odd': adapter .* returned a dict, not a pytest_scbench"):
        build_adapter("odd", {"a": 1}, name="odd", registry=fresh)
    with pytest.raises(ModelError, match=r"bad parameters: .*unexpected keyword argument 'a'"):
        build_adapter("no_params", {"a": 1}, registry=fresh)


def test_a_third_party_package_registers_through_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pbmc, ctx
) -> None:
    site = install_demo_adapter(tmp_path)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "scbench_demo_adapter", raising=False)

    fresh: Registry = Registry("model", "pytest_scbench.models", "pytest_scbench.models")
    assert fresh.names() == ["demo_offset"]  # built-ins register in the global registry
    factory = resolve_adapter("demo_offset", registry=fresh)
    assert factory.__module__ == "scbench_demo_adapter"
    model = build_adapter("demo_offset", {"value": 3.0}, name="demo", registry=fresh)
    assert isinstance(model, ModelAdapter)
    np.testing.assert_array_equal(model.embed(pbmc, ctx), np.arange(700)[:, None] + np.array([0.0, 3.0]))
    sys.modules.pop("scbench_demo_adapter", None)
