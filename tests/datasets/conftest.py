"""Shared fixtures for the data set tests.

A small HTTP server on 127.0.0.1 for the download tests: serves bytes, honours Range.

Each served path maps to a :class:`Served` entry; ``truncate_first`` makes the first
``n`` responses stop half-way (the connection is closed after half the promised bytes),
``ignore_range`` makes it answer 200 with the whole body to a Range request. Requests
(path, Range header) are recorded so tests can assert what the client asked for.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass
class Served:
    body: bytes
    truncate_first: int = 0
    ignore_range: bool = False
    status: int = 200


@dataclass
class LocalServer:
    files: dict[str, Served] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes, **options: object) -> None:
        """Serve ``body`` at ``path`` (options: truncate_first, ignore_range, status)."""
        self.files[path] = Served(body, **options)


def start(state: LocalServer) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            rng = self.headers.get("Range")
            state.requests.append((self.path, rng))
            served = state.files.get(self.path)
            if served is None:
                self.send_error(404, "Not Found")
                return
            if served.status != 200:
                self.send_error(served.status)
                return
            body, start = served.body, 0
            match = re.fullmatch(r"bytes=(\d+)-", rng or "")
            if match and not served.ignore_range:
                start = int(match.group(1))
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            chunk = body[start:]
            self.send_header("Content-Length", str(len(chunk)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if served.truncate_first > 0:
                served.truncate_first -= 1
                self.wfile.write(chunk[: len(chunk) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(chunk)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A running loopback HTTP server; ``http_server.serve(path, body)`` adds a file."""
    state = LocalServer()
    httpd = start(state)
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder shared by the whole session, so each generated set is built once."""
    return tmp_path_factory.mktemp("scbench-data")
