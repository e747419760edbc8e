from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

MIRROR = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "corpus"
    / "openlineage-spec"
    / "versions"
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def pytest_sessionstart(session: pytest.Session) -> None:
    # The corpus and the spec mirror are what many tests judge against: without them
    # those tests would prove nothing, so the run stops here rather than skip them.
    missing = [p for p in (SHARED / "corpus", SHARED / "seed") if not p.is_dir()]
    if missing:
        raise pytest.UsageError(
            f"{', '.join(map(str, missing))} not found: the tests read the shared corpus "
            "from ../shared beside the checkout (as CI lays it out)"
        )


# No test reaches the network for a schema: the kit reads the mirror (beside the
# checkout in CI), and anything not there is a finding, never a fetch. Subprocesses
# inherit both; tests of the fetch path give their own store a loopback base URL.
os.environ.setdefault("LINEAGE_CONTRACT_SCHEMAS", str(MIRROR))
os.environ.setdefault("LINEAGE_CONTRACT_OFFLINE", "1")


@dataclass
class SchemaServer:
    """A loopback HTTP server: the mirror under ``/spec/``, and ``routes`` as set by a test."""

    url: str
    requests: list[str] = field(default_factory=list)
    routes: dict[str, tuple[int, bytes, float]] = field(default_factory=dict)
    """path -> (status, body, seconds to wait before answering)."""

    @property
    def spec(self) -> str:
        return self.url + "spec/"


@pytest.fixture
def schema_server() -> Iterator[SchemaServer]:
    """Serve the mirror (port 0 on 127.0.0.1), counting requests; stopped at the end."""
    box: list[SchemaServer] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served = box[0]
            served.requests.append(self.path)
            status, body, delay = served.routes.get(self.path, (404, b"not found", 0.0))
            if self.path not in served.routes and self.path.startswith("/spec/"):
                file = MIRROR / self.path.removeprefix("/spec/")
                if file.is_file() and ".." not in self.path:
                    status, body = 200, file.read_bytes()
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.append(SchemaServer(f"http://127.0.0.1:{server.server_address[1]}/"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
