"""The perturbation task: DE genes, errors on predicted profiles, the no-change control."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData
from scipy import stats

from pytest_scbench.errors import TaskError
from pytest_scbench.tasks.perturbation import Perturbation, log_normalize, top_de, welch_t

from .helpers import FixedModel, make_dataset, make_inputs

GENES = 60


def _perturbed(seed: int = 0) -> AnnData:
    """Control cells and two perturbations that each raise 5 genes 8-fold."""
    rng = np.random.default_rng(seed)
    base = rng.gamma(2.0, 2.0, GENES)
    groups = {"ctrl": 80, "KO_A": 40, "KO_B": 40}
    blocks, conditions = [], []
    for name, n in groups.items():
        rate = base.copy()
        if name == "KO_A":
            rate[:5] *= 8
        if name == "KO_B":
            rate[10:15] *= 8
        blocks.append(rng.poisson(rate, size=(n, GENES)))
        conditions += [name] * n
    obs = pd.DataFrame({"perturbation": conditions}, index=[f"c{i}" for i in range(len(conditions))])
    return AnnData(np.vstack(blocks).astype(np.float32), obs=obs)


def _observed_means(adata: AnnData) -> dict[str, np.ndarray]:
    X = log_normalize(adata.X)
    cond = adata.obs["perturbation"].to_numpy()
    return {c: X[cond == c].mean(axis=0) for c in np.unique(cond)}


def _dataset(adata: AnnData):
    return make_dataset(adata, condition_key="perturbation", control_value="ctrl")


def test_perfect_prediction() -> None:
    adata = _perturbed()
    means = _observed_means(adata)
    model = FixedModel(perturbation=means)
    result = Perturbation().run(make_inputs(_dataset(adata), model))
    m = {k: v.value for k, v in result.metrics.items()}
    assert m["mse_top20_de"] == pytest.approx(0) and m["mse_all"] == pytest.approx(0)
    assert m["pearson_delta_top20_de"] == pytest.approx(1) and m["jaccard_top20_de"] == pytest.approx(1)
    assert result.metrics["mse_all"].direction == "lower"
    assert result.metrics["pearson_delta_all"].direction == "higher"
    assert result.controls["pearson_delta_all"] == 0.0
    assert result.controls["mse_all"] > 0
    assert set(result.details["per_condition"]) == {"KO_A", "KO_B"}
    # the model saw control cells only
    assert set(model.seen_controls.adata.obs["perturbation"]) == {"ctrl"}


def test_de_genes_are_the_perturbed_ones() -> None:
    adata = _perturbed()
    X = log_normalize(adata.X)
    cond = adata.obs["perturbation"].to_numpy()
    a, c = X[cond == "KO_A"], X[cond == "ctrl"]
    t = welch_t(a.mean(0), a.var(0, ddof=1), len(a), c.mean(0), c.var(0, ddof=1), len(c))
    np.testing.assert_allclose(t, stats.ttest_ind(a, c, equal_var=False).statistic, rtol=1e-9)
    assert set(top_de(t, a.mean(0) - c.mean(0), 5).tolist()) == set(range(5))


def test_wrong_prediction_scores_worse_than_perfect() -> None:
    adata = _perturbed()
    means = _observed_means(adata)
    swapped = {"KO_A": means["KO_B"], "KO_B": means["KO_A"]}
    good = Perturbation(controls=False).run(make_inputs(_dataset(adata), FixedModel(perturbation=means)))
    bad = Perturbation(controls=False).run(make_inputs(_dataset(adata), FixedModel(perturbation=swapped)))
    assert bad.metrics["mse_top20_de"].value > good.metrics["mse_top20_de"].value
    assert bad.metrics["pearson_delta_all"].value < good.metrics["pearson_delta_all"].value


def test_missing_control_value() -> None:
    adata = _perturbed()
    dataset = make_dataset(adata, condition_key="perturbation", control_value="DMSO")
    with pytest.raises(TaskError, match="no cell with value 'DMSO'"):
        Perturbation().run(make_inputs(dataset, FixedModel(perturbation={})))
    dataset = make_dataset(adata, condition_key="perturbation")
    with pytest.raises(TaskError, match="no control_value set"):
        Perturbation().run(make_inputs(dataset, FixedModel(perturbation={})))
