"""Fixtures for hand-written benchmark tests: data sets, models, outputs, the device.

Each of ``scbench_dataset`` and ``scbench_model`` is a factory (call it with a name, as
in a suite file) or, under ``@pytest.mark.parametrize(..., indirect=True)``, the loaded
object itself. Everything is cached for the session, and outputs go through the same
cache as suite items, so a hand-written test and a suite share computations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from .. import registry
from ..datasets.base import Dataset
from ..device import fixture_device
from ..errors import ScbenchError
from ..models.base import ModelAdapter, RunContext
from ..models.resolve import build_adapter
from ..outputs import Outputs
from .items import SESSION_KEY

DatasetFactory = Callable[..., Dataset]
ModelFactory = Callable[..., ModelAdapter]
OutputsFactory = Callable[..., Outputs]


@pytest.fixture(scope="session")
def scbench_device(pytestconfig: pytest.Config) -> str:
    """The device models run on: ``--scbench-device``, or under ``auto`` CUDA when present."""
    return fixture_device(pytestconfig.stash[SESSION_KEY].options.device)


def _load_dataset(config: pytest.Config, ref: str, **keys: str) -> Dataset:
    from ..datasets import parse_dataset_ref

    name, params = parse_dataset_ref(ref)
    if name not in registry.datasets:
        raise ScbenchError(f"unknown dataset {name!r}; known: {', '.join(registry.datasets.names())}")
    spec = registry.datasets.get(name)(**params)
    if keys:
        spec = dataclasses.replace(spec, keys=spec.keys.replace(**keys))
    return config.stash[SESSION_KEY].dataset(spec)


@pytest.fixture
def scbench_dataset(request: pytest.FixtureRequest) -> Dataset | DatasetFactory:
    """A registered data set by name (``"pbmc68k"``, ``"pbmc68k_batches?n_cells=2000"``).

    Call it: ``scbench_dataset("pbmc68k", label_key="louvain")``; or parametrize it
    indirectly with names to receive the loaded :class:`Dataset`.
    """
    config = request.config
    if hasattr(request, "param"):
        return _load_dataset(config, request.param)
    return lambda ref, **keys: _load_dataset(config, ref, **keys)


@pytest.fixture
def scbench_model(request: pytest.FixtureRequest) -> ModelAdapter | ModelFactory:
    """A model adapter by registered name or ``"package.module:Class"``, with parameters."""

    def build(ref: str, **params: Any) -> ModelAdapter:
        return build_adapter(ref, params, name=ref)

    if hasattr(request, "param"):
        return build(request.param)
    return build


@pytest.fixture
def scbench_outputs(pytestconfig: pytest.Config, scbench_device: str) -> OutputsFactory:
    """``scbench_outputs(model, dataset, seed=0)``: lazy, cached outputs of a model on a data set."""
    state = pytestconfig.stash[SESSION_KEY]

    def make(model: ModelAdapter, dataset: Dataset, seed: int = 0) -> Outputs:
        device = scbench_device if model.needs_cuda else "cpu"
        ctx = RunContext(device=device, seed=seed, batch_size=model.batch_size)
        return Outputs(model, dataset, ctx, state.store, load_member=state.dataset)

    return make


__all__ = ["scbench_dataset", "scbench_device", "scbench_model", "scbench_outputs"]
