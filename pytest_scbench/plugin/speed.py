"""Model throughput as a gated metric: one pytest-benchmark item per (model, dataset).

Under ``--scbench-speed`` every suite also yields ``<suite>[<model>-<dataset>-throughput]``,
which times the model's embedding of the whole data set with pytest-benchmark (the
cache bypassed). Its stored runs (``--benchmark-autosave``) and
``--benchmark-compare-fail=median:10%`` then fail CI on a speed regression; cells per
second are kept in the benchmark's ``extra_info`` and as a JUnit property.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from ..device import unavailable_reason
from ..models.base import RunContext
from ..suite import DatasetEntry, ModelEntry, Suite
from .session import ScbenchSession

THROUGHPUT = "throughput"
ROUNDS = 3


def speed_test(suite: Suite, model: ModelEntry, dataset: DatasetEntry, state: ScbenchSession) -> Callable[..., None]:
    """The test function timing ``model``'s embedding of ``dataset``; it takes ``benchmark``."""

    def test_throughput(benchmark: Any, record_property: Callable[[str, object], None]) -> None:
        data = state.dataset(dataset.spec)
        device = state.device_for_model(model)
        ctx = RunContext(
            device=device, seed=0 if state.options.seeds else suite.seeds[0], batch_size=model.adapter.batch_size
        )

        def embed() -> object:
            return model.adapter.embed(data, ctx)

        start = time.perf_counter()
        benchmark.pedantic(embed, rounds=ROUNDS, iterations=1, warmup_rounds=0)
        # Without statistics (pytest-benchmark disabled or skipped), the call above is the timing.
        seconds = benchmark.stats.stats.median if benchmark.stats is not None else time.perf_counter() - start
        cells_per_second = data.n_obs / seconds if seconds > 0 else float("inf")
        benchmark.extra_info.update(
            suite=suite.name,
            model=model.name,
            dataset=dataset.name,
            device=device,
            cells=data.n_obs,
            cells_per_second=cells_per_second,
        )
        record_property("cells_per_second", cells_per_second)

    return test_throughput


class ThroughputItem(pytest.Function):
    """A pytest-benchmark test function, reported at its suite file like the other items."""

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, 0, self.name


def speed_items(parent: pytest.File, suite: Suite, state: ScbenchSession) -> list[pytest.Function]:
    """One throughput item per (model, dataset) pair that has at least one suite item."""
    pairs = list(dict.fromkeys((case.model, case.dataset) for case in suite.cases()))
    items = []
    for model, dataset in pairs:
        item = ThroughputItem.from_parent(
            parent,
            name=f"{suite.name}[{model.name}-{dataset.name}-{THROUGHPUT}]",
            callobj=speed_test(suite, model, dataset, state),
        )
        device = state.device_for_model(model)
        item.add_marker("scbench")
        for marker in (*suite.markers, *dataset.spec.markers):
            item.add_marker(marker)
        if device != "cpu":
            item.add_marker("gpu")
        reason = (
            None
            if "embedding" in model.adapter.provides
            else f"throughput is measured on embeddings; model {model.name!r} does not provide them"
        ) or unavailable_reason(device, state.options.device)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        items.append(item)
    return items
