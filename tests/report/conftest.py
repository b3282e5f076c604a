"""A small but complete JSON report, built from real CaseResult records."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_scbench.baselines import judge
from pytest_scbench.gating import apply_gate
from pytest_scbench.report.json_report import build_report
from pytest_scbench.results import CaseResult

ENVIRONMENT = {
    "python": "3.11.7",
    "platform": "Linux-test",
    "packages": {"pytest-scbench": "0.1.0", "numpy": "2.0.0", "torch": None},
    "device": {"cuda_devices": 0, "cpu_count": 2},
    "git": {"commit": "0123456789abcdef", "dirty": True},
}


def case(
    model: str,
    dataset: str,
    task: str,
    metrics: dict[str, tuple[float, str, float, float | None]],
    outcome: str = "passed",
    gated: list[str] | None = None,
    headline: str = "",
    aggregates: tuple[str, ...] = (),
) -> CaseResult:
    """An item; ``metrics``: name -> (value, direction, control, baseline or None); ``gated``: all by default."""
    verdicts: dict[str, dict[str, Any]] = {}
    for name, (value, direction, _, baseline) in metrics.items():
        status = "missing" if baseline is None else judge(value, baseline, direction, 0.02)
        verdicts[name] = {
            "status": status,
            "value": value,
            "baseline": baseline,
            "difference": None if baseline is None else value - baseline,
            "tolerance": None if baseline is None else 0.02,
            "direction": direction,
        }
    gated = list(metrics) if gated is None else gated
    return CaseResult(
        id=f"demo[{model}-{dataset}-{task}]",
        suite="demo",
        model=model,
        dataset=dataset,
        task=task,
        metrics={name: {"value": v, "direction": d} for name, (v, d, _, _) in metrics.items()},
        verdicts=apply_gate(verdicts, gated),
        gated=gated,
        headline=headline,
        aggregates=list(aggregates),
        tolerances={name: 0.02 for name in metrics},
        controls={name: c for name, (_, _, c, _) in metrics.items()},
        completed=outcome != "skipped",
        outcome=outcome,
    )


def sample_results() -> list[CaseResult]:
    scib = ("bio_conservation", "batch_correction", "total")
    return [
        # pca: ari regressed (0.40 vs baseline 0.60); nmi dropped too (0.6 vs 0.7) but only ari gates
        case(
            "pca",
            "pbmc",
            "clustering",
            {"ari": (0.4, "higher", 0.0, 0.6), "nmi": (0.6, "higher", 0.2, 0.7)},
            gated=["ari"],
            headline="ari",
        ),
        case("pca", "pbmc", "embedding", {"asw_label": (0.6, "higher", 0.5, 0.6)}, headline="asw_label"),
        # random: ari improved (0.1 vs baseline 0.0); no baseline for nmi
        case(
            "random",
            "pbmc",
            "clustering",
            {"ari": (0.1, "higher", 0.0, 0.0), "nmi": (0.2, "higher", 0.2, None)},
            headline="ari",
        ),
        case("random", "pbmc", "embedding", {}, outcome="skipped"),
        # a lower-is-better metric on a second data set
        case("mean", "perturb", "reconstruction", {"mse_masked": (0.5, "lower", 2.0, 0.5)}),
        # scib-metrics' aggregate scores, as a scib task reports them
        *(
            case(
                model,
                "atlas",
                "scib",
                {
                    "ari": (ari, "higher", 0.0, ari),
                    **{name: (v, "higher", 0.3, v) for name, v in zip(scib, values, strict=True)},
                },
                headline="total",
                aggregates=scib,
            )
            for model, ari, values in (("pca", 0.5, (0.7, 0.4, 0.58)), ("random", 0.0, (0.3, 0.9, 0.54)))
        ),
    ]


def sample_report() -> dict[str, Any]:
    report = build_report(sample_results(), ENVIRONMENT, {"demo": {"baselines": "b.json"}}, {"device": "auto"})
    report["created"] = "2026-01-01T00:00:00+00:00"
    return report


@pytest.fixture
def report() -> dict[str, Any]:
    return sample_report()
