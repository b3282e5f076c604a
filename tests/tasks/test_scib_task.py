"""The ``scib`` task: the Benchmarker's table for one embedding, on a realistic data set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from pytest_scbench.graph import GRAPHS
from pytest_scbench.metrics import bras, isolated_labels, kbet_per_label, pcr_comparison
from pytest_scbench.registry import tasks
from pytest_scbench.tasks.scib import BATCH, BIO, Scib, aggregate
from tests.realistic import realistic

from .conftest import inputs_for
from .helpers import make_dataset

AGGREGATES = {"bio_conservation", "batch_correction", "total"}


def _dataset(with_pca: bool):
    cells = realistic(0)
    obs = pd.DataFrame({"cell_type": cells.labels, "donor": cells.batch}, index=[f"c{i}" for i in range(cells.X.shape[0])])
    adata = AnnData(obs=obs)
    if with_pca:
        adata.obsm["X_pca"] = cells.X_pre
    return make_dataset(adata, label_key="cell_type", batch_key="donor"), cells


def test_registered_under_its_name() -> None:
    assert tasks.get("scib") is Scib


def test_full_table_with_aggregates_and_pcr_from_the_data_sets_pca() -> None:
    dataset, cells = _dataset(with_pca=True)
    inputs = inputs_for(dataset, cells.X)
    result = Scib().run(inputs)
    values = {name: m.value for name, m in result.metrics.items()}
    assert set(values) == set(BIO) | set(BATCH) | AGGREGATES
    assert all(m.direction == "higher" and 0 <= m.value <= 1 for m in result.metrics.values())
    assert values["bras"] == pytest.approx(bras(cells.X, cells.labels, cells.batch), abs=1e-12)
    assert values["isolated_labels"] == pytest.approx(isolated_labels(cells.X, cells.labels, cells.batch)[0], abs=1e-12)
    assert values["pcr_comparison"] == pytest.approx(pcr_comparison(cells.X_pre, cells.X, cells.batch), abs=1e-12)
    g50 = GRAPHS.get(inputs.outputs.key("embedding"), cells.X, 50)
    assert values["kbet"] == pytest.approx(kbet_per_label(g50, cells.labels, cells.batch)[0], abs=1e-12)
    expected = aggregate({k: v for k, v in values.items() if k not in AGGREGATES})
    assert {k: values[k] for k in AGGREGATES} == pytest.approx(expected, abs=1e-12)
    assert values["total"] == pytest.approx(0.6 * values["bio_conservation"] + 0.4 * values["batch_correction"])
    assert result.details["pcr_comparison_reference"] == "obsm['X_pca'] of the data set"
    assert result.details["isolated_labels"] == ["type_6"] and result.details["exact"] is True
    # a random embedding conserves less biology than the model
    assert result.controls["bio_conservation"] < values["bio_conservation"]


def test_pcr_comparison_is_skipped_with_a_reason_without_expression() -> None:
    dataset, cells = _dataset(with_pca=False)
    result = Scib(controls=False).run(inputs_for(dataset, cells.X))
    assert "pcr_comparison" not in result.metrics
    assert "no expression" in result.details["pcr_comparison_skipped"]
    batch_values = [result.metrics[m].value for m in BATCH if m != "pcr_comparison"]
    assert result.metrics["batch_correction"].value == pytest.approx(float(np.mean(batch_values)))
