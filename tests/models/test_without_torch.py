"""Without the [torch] extra: the plugin and the torch-free models work, torch models say what to install.

These run where torch is not installed (CI's newest-Python job, .ci/run) and skip elsewhere.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from pytest_scbench import registry
from pytest_scbench.errors import ModelError
from pytest_scbench.models.base import RunContext

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is not None, reason="torch is installed: this checks an environment without it"
)


@pytest.mark.parametrize("name", ["sclm", "geneformer"])
def test_a_torch_model_names_the_extra_to_install(name: str, pbmc) -> None:
    model = registry.models.get(name)(**({"path": "unused"} if name == "geneformer" else {}))
    extra = "geneformer" if name == "geneformer" else "torch"
    with pytest.raises(ModelError, match=rf"model '{name}' needs torch.*pytest-scbench\[{extra}\]"):
        model.embed(pbmc, RunContext(device="cpu", seed=0))


def test_torch_free_models_run(pbmc) -> None:
    for name in ("random", "pca", "hvg"):
        embedding = registry.models.get(name)().embed(pbmc, RunContext(device="cpu", seed=0))
        assert embedding.shape[0] == pbmc.n_obs and np.isfinite(embedding).all()
