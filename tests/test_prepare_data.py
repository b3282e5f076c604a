"""scbench prepare-data: the cached files are exactly those a reconstruction item reads."""

from __future__ import annotations

import json
from pathlib import Path

import anndata as ad
import numpy as np
import pytest

from pytest_scbench.cli import main
from pytest_scbench.masking import MASK_VALUE

SUITE = """
name: recon
seeds: [42]
models: [mean]
datasets: [pbmc68k]
tasks: [reconstruction]
"""


def test_prepare_data_writes_what_a_reconstruction_item_reads(
    pytester: pytest.Pytester, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "cache"
    args = ["prepare-data", "--dataset", "pbmc68k", "--mask-percentage", "0.15", "--seed", "42"]
    assert main([*args, "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    raw, masked = data_dir / "pbmc68k" / "raw" / "data.h5ad", data_dir / "pbmc68k" / "masked" / "mask_15_seed_42.h5ad"
    assert f"raw:    {raw}" in out and f"masked: {masked}" in out
    holes = np.asarray(ad.read_h5ad(masked).X) == MASK_VALUE
    assert holes.sum() == round(0.15 * holes.size)
    stamps = raw.stat().st_mtime_ns, masked.stat().st_mtime_ns

    # A second call reuses both files.
    monkeypatch.setenv("SCBENCH_DATA_DIR", str(data_dir))
    assert main(args) == 0
    assert (raw.stat().st_mtime_ns, masked.stat().st_mtime_ns) == stamps

    # A suite item on the same data set and seed reads the same mask from the same path.
    (pytester.path / "suites").mkdir()
    (pytester.path / "suites" / "recon.yaml").write_text(SUITE)
    pytester.runpytest("suites", "-p", "no:cacheprovider", "--scbench-json", "r.json").assert_outcomes(passed=1)
    item = json.loads((pytester.path / "r.json").read_text())["items"][0]
    details = item["details"]["42"]
    assert details["cached_at"] == str(masked) and details["mask_id"] == "mask_15_seed_42"
    assert details["n_masked"] == int(holes.sum())
    assert (raw.stat().st_mtime_ns, masked.stat().st_mtime_ns) == stamps


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "pbmc86k"], "scbench: --dataset: unknown dataset 'pbmc86k' (did you mean 'pbmc68k'?)"),
        (["--dataset", "pbmc68k", "--mask-percentage", "15"], "--mask-percentage: expected a fraction between 0 and 1"),
        (["--dataset", "pbmc68k", "--mask-percentage", "0"], "--mask-percentage: expected a fraction between 0 and 1"),
        (["--dataset", "pbmc68k?n_cells=5"], "scbench: --dataset: dataset 'pbmc68k' has no parameter 'n_cells'"),
    ],
)
def test_prepare_data_rejects_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["prepare-data", *args, "--data-dir", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
