"""A download reports through the progress sink: lines in CI, nothing when quiet."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pytest_scbench import progress
from pytest_scbench.datasets.download import fetch

BODY = bytes(range(256)) * 4096
SHA = hashlib.sha256(BODY).hexdigest()


@pytest.mark.parametrize("mode", ["lines", "quiet"])
def test_download_progress_follows_the_sink(
    http_server, tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    http_server.serve("/data.h5ad", BODY)
    previous = progress.configure(mode)
    try:
        fetch(http_server.url("/data.h5ad"), tmp_path / "ds" / "data.h5ad", dataset="ds", data_dir=tmp_path, sha256=SHA)
    finally:
        progress.restore(previous)
    err = capsys.readouterr().err.splitlines()
    if mode == "quiet":
        assert err == []
        return
    assert err == [
        f"scbench: dataset 'ds': downloading {http_server.url('/data.h5ad')} -> {tmp_path / 'ds' / 'data.h5ad'} (1.0 MB)",
        f"scbench: dataset 'ds': done: {tmp_path / 'ds' / 'data.h5ad'} (sha256 verified)",
    ]
