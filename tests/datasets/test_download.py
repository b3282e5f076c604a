"""The download path against a real HTTP server on 127.0.0.1 (no mocks, no outside network)."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest

from pytest_scbench.datasets.download import LOCK_FILE, fetch, recorded_sha256
from pytest_scbench.errors import DatasetError

BODY = bytes(range(256)) * 4096  # 1 MiB: several read chunks
SHA = hashlib.sha256(BODY).hexdigest()


@pytest.fixture
def server(http_server):
    return http_server


def _fetch(server, tmp_path: Path, path: str = "/data.h5ad", **kw) -> Path:
    dest = tmp_path / "ds" / "raw" / "data.h5ad"
    kw.setdefault("progress", False)
    return fetch(server.url(path), dest, dataset="ds", data_dir=tmp_path, **kw)


def test_good_file_with_known_checksum(server, tmp_path: Path, capsys) -> None:
    server.serve("/data.h5ad", BODY)
    dest = _fetch(server, tmp_path, sha256=SHA, size=len(BODY))
    assert dest.read_bytes() == BODY
    assert not dest.with_name("data.h5ad.part").exists()
    err = capsys.readouterr().err
    assert "scbench: dataset 'ds': downloading http://127.0.0.1" in err and "sha256 verified" in err
    # A second call uses the verified file and does not touch the network.
    _fetch(server, tmp_path, sha256=SHA)
    assert len(server.requests) == 1


def test_unknown_checksum_is_recorded_then_enforced(server, tmp_path: Path) -> None:
    server.serve("/data.h5ad", BODY)
    dest = _fetch(server, tmp_path)
    lock = json.loads((tmp_path / LOCK_FILE).read_text())
    assert lock["ds/raw/data.h5ad"]["sha256"] == SHA
    assert recorded_sha256(tmp_path / LOCK_FILE, "ds/raw/data.h5ad") == SHA
    # The cached file is damaged later: it is detected, deleted and fetched again.
    dest.write_bytes(b"garbage" + BODY[7:])
    _fetch(server, tmp_path)
    assert dest.read_bytes() == BODY and len(server.requests) == 2


def test_wrong_checksum_is_never_used(server, tmp_path: Path) -> None:
    server.serve("/data.h5ad", BODY)
    wrong = "0" * 64
    with pytest.raises(DatasetError) as info:
        _fetch(server, tmp_path, sha256=wrong)
    message = str(info.value)
    assert f"has sha256 {SHA}, expected {wrong}, twice" in message
    assert server.url("/data.h5ad") in message and "dataset 'ds'" in message
    raw = tmp_path / "ds" / "raw"
    assert not (raw / "data.h5ad").exists() and not (raw / "data.h5ad.part").exists()
    assert len(server.requests) == 2  # fetched again once before giving up


def test_truncated_transfer_is_resumed(server, tmp_path: Path, capsys) -> None:
    server.serve("/data.h5ad", BODY, truncate_first=1)
    dest = _fetch(server, tmp_path, sha256=SHA)
    assert dest.read_bytes() == BODY
    assert server.requests[0] == ("/data.h5ad", None)
    assert server.requests[1] == ("/data.h5ad", f"bytes={len(BODY) // 2}-")
    assert "resuming" in capsys.readouterr().err


def test_transfer_that_keeps_failing_is_an_error_and_keeps_the_part(server, tmp_path: Path) -> None:
    server.serve("/data.h5ad", BODY, truncate_first=10)
    with pytest.raises(DatasetError, match=r"ended early 2 times .* next run resumes it"):
        _fetch(server, tmp_path, sha256=SHA, retries=1)
    part = tmp_path / "ds" / "raw" / "data.h5ad.part"
    assert part.exists() and 0 < part.stat().st_size < len(BODY)
    assert not (tmp_path / "ds" / "raw" / "data.h5ad").exists()


def test_interrupted_download_resumes_from_the_part_file(server, tmp_path: Path) -> None:
    server.serve("/data.h5ad", BODY)
    part = tmp_path / "ds" / "raw" / "data.h5ad.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(BODY[:300_000])
    dest = _fetch(server, tmp_path, sha256=SHA)
    assert dest.read_bytes() == BODY
    assert server.requests == [("/data.h5ad", "bytes=300000-")]


def test_server_ignoring_range_restarts_cleanly(server, tmp_path: Path) -> None:
    server.serve("/data.h5ad", BODY, ignore_range=True)
    part = tmp_path / "ds" / "raw" / "data.h5ad.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(BODY[:1000])
    assert _fetch(server, tmp_path, sha256=SHA).read_bytes() == BODY


def test_corrupt_part_file_is_replaced(server, tmp_path: Path) -> None:
    """A .part that is not a prefix of the file resumes into garbage: caught by the checksum."""
    server.serve("/data.h5ad", BODY)
    part = tmp_path / "ds" / "raw" / "data.h5ad.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 5000)
    assert _fetch(server, tmp_path, sha256=SHA).read_bytes() == BODY


def test_size_mismatch_is_an_error(server, tmp_path: Path) -> None:
    server.serve("/data.h5ad", BODY)
    with pytest.raises(DatasetError, match=f"served {len(BODY)} bytes, the registry says 10"):
        _fetch(server, tmp_path, size=10)


def test_http_error_names_dataset_url_and_path(server, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"cannot download .*/missing.h5ad: HTTP 404") as info:
        _fetch(server, tmp_path, path="/missing.h5ad")
    assert str(tmp_path / "ds" / "raw" / "data.h5ad") in str(info.value)


def test_no_network_message(tmp_path: Path) -> None:
    # A port on loopback nobody listens on: connection refused, as without network.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    url = f"http://127.0.0.1:{port}/tsv2_liver.h5ad"
    dest = tmp_path / "tsv2_liver" / "raw" / "data.h5ad"
    with pytest.raises(DatasetError) as info:
        fetch(url, dest, dataset="tsv2_liver", data_dir=tmp_path, progress=False, timeout=5)
    message = str(info.value)
    assert message.startswith("dataset 'tsv2_liver': cannot download " + url)
    assert "Connection refused" in message and f"place it at {dest}" in message


def test_manually_placed_file_is_verified(server, tmp_path: Path) -> None:
    dest = tmp_path / "ds" / "raw" / "data.h5ad"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(BODY)
    assert _fetch(server, tmp_path, sha256=SHA) == dest
    assert server.requests == []  # never contacted


def test_progress_bar_on_a_terminal_and_lines_in_ci(
    server, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.serve("/data.h5ad", BODY)
    _fetch(server, tmp_path, sha256=SHA, progress=True)  # forced bar mode: tqdm on stderr
    err = capsys.readouterr().err
    assert "MB" in err or "KB" in err or "B/s" in err  # tqdm's byte counter
    from pytest_scbench.datasets.download import Progress

    monkeypatch.setenv("CI", "true")
    assert Progress("x").bar_mode is False
