"""``perturbation``: predicted vs observed mean expression of perturbed cells."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from ..metrics import higher, jaccard, lower, mse, pearson
from ..registry import register_task
from .base import Task, TaskInputs, TaskResult
from .common import encoded, fail

#: Library size every cell is scaled to before ``log1p`` (scanpy's common choice).
TARGET_SUM = 1e4


def log_normalize(counts: Any) -> np.ndarray | sparse.csr_matrix:
    """``log1p(counts / total * 1e4)`` per cell (``sc.pp.normalize_total`` + ``log1p``).

    This is the space of perturbation predictions: a model adapter returns, for each
    condition, the mean over cells of this value for every gene.
    """
    if sparse.issparse(counts):
        X = sparse.csr_matrix(counts, dtype=np.float64, copy=True)
        totals = np.asarray(X.sum(axis=1)).ravel()
        scale = np.divide(TARGET_SUM, totals, out=np.zeros_like(totals), where=totals > 0)
        X = sparse.diags(scale) @ X
        X.data = np.log1p(X.data)
        return X.tocsr()
    X = np.asarray(counts, dtype=np.float64)
    totals = X.sum(axis=1, keepdims=True)
    scale = np.divide(TARGET_SUM, totals, out=np.zeros_like(totals), where=totals > 0)
    return np.log1p(X * scale)


def group_stats(X: Any, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene mean and unbiased variance over ``rows`` of X (dense or sparse)."""
    sub = X[rows]
    if sparse.issparse(sub):
        mean = np.asarray(sub.mean(axis=0)).ravel()
        sq = np.asarray(sub.multiply(sub).mean(axis=0)).ravel()
    else:
        mean = sub.mean(axis=0)
        sq = (sub * sub).mean(axis=0)
    n = rows.size
    var = np.maximum(sq - mean * mean, 0.0) * (n / max(n - 1, 1))
    return mean, var


def welch_t(mean1: np.ndarray, var1: np.ndarray, n1: int, mean0: np.ndarray, var0: np.ndarray, n0: int) -> np.ndarray:
    """Welch's t statistic per gene (0 where both groups are constant and equal)."""
    diff = mean1 - mean0
    se = np.sqrt(var1 / n1 + var0 / n0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, diff / se, np.sign(diff) * np.inf)
    return np.nan_to_num(t, nan=0.0)


def top_de(t: np.ndarray, delta: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` genes with the largest |t|, ties broken by |delta| then gene order."""
    order = np.lexsort((np.arange(t.size), -np.abs(delta), -np.abs(t)))
    return order[: min(n, t.size)]


def top_delta(delta: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` genes with the largest predicted |change|, ties broken by gene order."""
    order = np.lexsort((np.arange(delta.size), -np.abs(delta)))
    return order[: min(n, delta.size)]


@register_task("perturbation")
class Perturbation(Task):
    """Score predicted mean expression per perturbation condition.

    Space: every cell's counts are scaled to 10,000 and ``log1p``-transformed
    (:func:`log_normalize`); a condition's observed profile is the mean over its cells.
    Models get the control cells (``condition_key == control_value``) and must return,
    for each condition, that same quantity: mean log1p-normalised expression per gene.

    Differential expression (observed): for each condition with at least ``min_cells``
    cells, Welch's t-test of its cells against the control cells per gene on the
    log-normalised values; the top ``n_top_genes`` (20) genes by |t| (ties: larger
    |mean difference|, then gene order) are its DE genes. No randomness is involved.

    Metrics (means over conditions; per condition in ``details``):
    ``mse_top20_de`` and ``mse_all`` (lower): MSE of predicted vs observed profile on the
    DE genes and on all genes; ``pearson_delta_top20_de`` and ``pearson_delta_all``
    (higher): Pearson correlation of predicted vs observed change from the control mean;
    ``jaccard_top20_de`` (higher): Jaccard overlap of the ``n_top_genes`` genes with the
    largest observed |change from control| and those with the largest predicted |change|
    (both sets ranked the same way, so a perfect prediction scores 1; a t statistic
    cannot be computed from predicted means). (``20`` in the names
    follows ``n_top_genes``.) Control: predicting the control mean for every condition
    ("no change"); its Pearson is 0 by definition (constant delta).
    """

    name = "perturbation"
    requires_outputs = frozenset({"perturbation"})
    requires_keys = frozenset({"condition"})
    headlines = ("pearson_delta_top{n_top_genes}_de", "mse_top{n_top_genes}_de")
    defaults: dict[str, Any] = {"n_top_genes": 20, "min_cells": 3, "controls": True}
    minimums: ClassVar[dict[str, int]] = {
        "n_top_genes": 1,
        "min_cells": 2,
    }

    def metric_names(self) -> frozenset[str]:
        n = self.params["n_top_genes"]
        return frozenset(
            {f"mse_top{n}_de", "mse_all", f"pearson_delta_top{n}_de", "pearson_delta_all", f"jaccard_top{n}_de"}
        )

    def run(self, inputs: TaskInputs) -> TaskResult:
        inputs.dataset.require_expression(f"task {self.name!r}", genes=False)
        dataset = inputs.dataset
        condition = encoded(inputs, self.name, "condition")
        control_value = dataset.spec.keys.control_value
        if control_value is None:
            raise fail(
                inputs,
                self.name,
                f"no control_value set for condition column {condition.key!r}; name the value that marks control cells",
            )
        names = [str(c) for c in condition.categories]
        if str(control_value) not in names:
            raise fail(
                inputs,
                self.name,
                f"condition column {condition.key!r} has no cell with value {control_value!r} (values: {names[:8]})",
            )
        control_code = names.index(str(control_value))
        sizes = condition.sizes()
        wanted = [c for c in range(condition.n) if c != control_code]
        kept = [c for c in wanted if sizes[c] >= self.params["min_cells"]]
        if not kept:
            raise fail(
                inputs,
                self.name,
                f"no condition of {condition.key!r} other than {control_value!r} has at least "
                f"min_cells={self.params['min_cells']} cells",
            )
        X = log_normalize(dataset.adata.X)
        control_rows = np.flatnonzero(condition.codes == control_code)
        ctrl_mean, ctrl_var = group_stats(X, control_rows)
        kept_names = [names[c] for c in kept]
        predicted = np.asarray(inputs.outputs.perturbation(kept_names), dtype=np.float64)
        if predicted.shape != (len(kept), X.shape[1]):
            raise fail(
                inputs,
                self.name,
                f"the perturbation prediction has shape {predicted.shape}, expected "
                f"{(len(kept), X.shape[1])} (conditions x genes)",
            )
        n_top = self.params["n_top_genes"]
        per_condition: dict[str, dict[str, float]] = {}
        control_scores: dict[str, dict[str, float]] = {}
        for i, code in enumerate(kept):
            rows = np.flatnonzero(condition.codes == code)
            obs_mean, obs_var = group_stats(X, rows)
            t = welch_t(obs_mean, obs_var, rows.size, ctrl_mean, ctrl_var, control_rows.size)
            de = top_de(t, obs_mean - ctrl_mean, n_top)
            per_condition[names[code]] = self._scores(predicted[i], obs_mean, ctrl_mean, de, n_top)
            if self.params["controls"]:
                control_scores[names[code]] = self._scores(ctrl_mean, obs_mean, ctrl_mean, de, n_top)
        metric_names = list(next(iter(per_condition.values())))
        means = {m: float(np.mean([s[m] for s in per_condition.values()])) for m in metric_names}
        metrics = {m: (lower(v) if m.startswith("mse") else higher(v)) for m, v in means.items()}
        controls = (
            {m: float(np.mean([s[m] for s in control_scores.values()])) for m in metric_names} if control_scores else {}
        )
        details = {
            "space": "log1p(counts / total * 1e4), mean over cells",
            "de_method": "Welch t-test vs control, top genes by |t|",
            "per_condition": per_condition,
            "skipped_conditions": {names[c]: int(sizes[c]) for c in wanted if c not in kept},
        }
        return TaskResult(metrics=metrics, details=details, controls=controls)

    @staticmethod
    def _scores(pred: np.ndarray, obs: np.ndarray, ctrl: np.ndarray, de: np.ndarray, n_top: int) -> dict[str, float]:
        pred_delta, obs_delta = pred - ctrl, obs - ctrl
        return {
            f"mse_top{n_top}_de": mse(obs[de], pred[de]),
            "mse_all": mse(obs, pred),
            f"pearson_delta_top{n_top}_de": pearson(pred_delta[de], obs_delta[de]),
            "pearson_delta_all": pearson(pred_delta, obs_delta),
            f"jaccard_top{n_top}_de": jaccard(
                top_delta(obs_delta, n_top).tolist(), top_delta(pred_delta, n_top).tolist()
            ),
        }
