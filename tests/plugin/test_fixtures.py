"""Fixtures for hand-written benchmark tests."""

from __future__ import annotations

import pytest


def test_hand_written_benchmark_with_fixtures(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_custom="""
        import numpy as np
        import pytest

        def test_pca_separates_cell_types_better_than_random(
            scbench_dataset, scbench_model, scbench_outputs, scbench_device
        ):
            assert scbench_device in ("cpu", "cuda")
            data = scbench_dataset("pbmc68k")
            labels = data.column("label")
            assert data.n_obs == len(labels) == 700
            spread = {}
            for name in ("random", "pca"):
                emb = scbench_outputs(scbench_model(name), data).embedding()
                centroids = np.stack([emb[labels == l].mean(0) for l in np.unique(labels)])
                spread[name] = np.linalg.norm(centroids - centroids.mean(0), axis=1).mean() / emb.std()
            assert spread["pca"] > spread["random"]

        @pytest.mark.parametrize("scbench_dataset", ["pbmc68k"], indirect=True)
        @pytest.mark.parametrize("scbench_model", ["pca"], indirect=True)
        def test_indirect(scbench_dataset, scbench_model, scbench_outputs):
            emb = scbench_outputs(scbench_model, scbench_dataset, seed=1).embedding()
            assert emb.shape[0] == scbench_dataset.n_obs
        """
    )
    result = project.runpytest("test_custom.py")
    result.assert_outcomes(passed=2)
