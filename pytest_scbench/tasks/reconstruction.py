"""``reconstruction``: the model fills in masked entries of the count matrix."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from ..errors import ModelError, TaskError
from ..masking import masked_dataset
from ..metrics import higher, lower, mae, mse, pearson
from ..registry import register_task
from .base import Task, TaskInputs, TaskResult
from .common import fail


@register_task("reconstruction")
class Reconstruction(Task):
    """Mask entries of the counts, let the model reconstruct them, score the masked ones.

    :func:`~pytest_scbench.masking.masked_dataset` hides a seeded ``mask_fraction``
    (0.15) of all entries (-1 in the masked matrix, cached under the data directory);
    the model receives the masked AnnData and returns a full (cells x genes) matrix of
    predicted **raw counts**. Scores compare, on the masked entries only,
    ``log1p(max(prediction, 0))`` with ``log1p(true count)`` (log scale so that a few
    highly expressed genes do not dominate):

    ``mse_masked`` and ``mae_masked`` (lower is better), ``pearson_masked`` (higher).
    Control: each gene's mean of its unmasked counts in every masked entry.
    """

    name = "reconstruction"
    requires_outputs = frozenset({"reconstruction"})
    requires_keys = frozenset()
    headlines = ("pearson_masked", "mse_masked")
    defaults: dict[str, Any] = {"mask_fraction": 0.15, "controls": True}
    positive: ClassVar[tuple[str, ...]] = ("mask_fraction",)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        if self.params["mask_fraction"] >= 1:
            raise TaskError(
                f"task {self.name!r}: parameter 'mask_fraction' must be < 1, got {self.params['mask_fraction']!r}"
            )

    def metric_names(self) -> frozenset[str]:
        return frozenset({"mse_masked", "mae_masked", "pearson_masked"})

    def run(self, inputs: TaskInputs) -> TaskResult:
        inputs.dataset.require_expression(f"task {self.name!r}", genes=False)
        adata = inputs.dataset.adata
        mask = masked_dataset(
            adata,
            inputs.dataset.name,
            self.params["mask_fraction"],
            inputs.seed,
            inputs.data_dir,
            fingerprint=inputs.dataset.fingerprint,
        )
        try:
            predicted = inputs.outputs.reconstruction(mask.masked, mask.mask_id)
        except ModelError as exc:
            raise fail(inputs, self.name, str(exc)) from exc
        predicted = np.asarray(predicted, dtype=np.float64)
        if predicted.shape != adata.shape:
            raise fail(
                inputs,
                self.name,
                f"the reconstruction has shape {predicted.shape}, expected {adata.shape}",
            )
        counts = adata.X.toarray() if sparse.issparse(adata.X) else np.asarray(adata.X)
        truth = np.log1p(counts[mask.rows, mask.cols].astype(np.float64))
        guess = np.log1p(np.maximum(predicted[mask.rows, mask.cols], 0.0))
        metrics = {
            "mse_masked": lower(mse(truth, guess)),
            "mae_masked": lower(mae(truth, guess)),
            "pearson_masked": higher(pearson(truth, guess)),
        }
        controls: dict[str, float] = {}
        if self.params["controls"]:
            visible = np.asarray(mask.masked.X, dtype=np.float64)
            hidden = visible == -1
            totals = np.where(hidden, 0.0, visible).sum(axis=0)
            n_visible = (~hidden).sum(axis=0)
            gene_mean = np.divide(totals, n_visible, out=np.zeros_like(totals), where=n_visible > 0)
            baseline = np.log1p(gene_mean[mask.cols])
            controls = {
                "mse_masked": mse(truth, baseline),
                "mae_masked": mae(truth, baseline),
                "pearson_masked": pearson(truth, baseline),
            }
        details = {
            "mask_id": mask.mask_id,
            "n_masked": int(mask.rows.size),
            "space": "log1p(count) on masked entries; model returns raw counts",
            "cached_at": str(mask.path) if mask.path is not None else None,
        }
        return TaskResult(metrics=metrics, details=details, controls=controls)
