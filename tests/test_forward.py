"""Forwarding: a mock in front of another mock on loopback, which records what it was sent."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
import urllib3
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.transport.http import HttpConfig, HttpTransport

from lineage_contract.mock import Forwarding, MockServer, Record, SqliteJournal, Upstream
from lineage_contract.mock._app import MockApp, create_app
from lineage_contract.mock._faults import parse_fault
from lineage_contract.mock._forward import Forwarder
from lineage_contract.mock._problems import problem_class
from lineage_contract.mock._server import BoundedServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

ROOT = Path(__file__).resolve().parents[1]
PATH = "/api/v1/lineage"
JSON = {"Content-Type": "application/json"}
LISTENING = re.compile(r"^listening on http://127\.0\.0\.1:(\d+)$")
# The upstream answers a schema violation with this, the mock in front with 422:
# which of them answered is then plain from the status alone.
UPSTREAM_INVALID = 409


def event(run_id: str | None = None) -> dict[str, Any]:
    return {
        "eventType": "START",
        "eventTime": "2024-05-01T12:00:00.000Z",
        "producer": "https://example.com/tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id or str(uuid.uuid4())},
        "job": {"namespace": "tests", "name": "forward"},
    }


@dataclass
class Seen:
    """One request as the upstream got it: its headers and its body as sent."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Upstreams:
    """A mock behind a middleware that keeps each request's headers and raw body."""

    app: MockApp
    server: BoundedServer
    seen: list[Seen] = field(default_factory=list)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {
            k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        self.seen.append(Seen(headers, body))
        return self.app(environ, start_response)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{PATH}"


@pytest.fixture(scope="module")
def running_upstream() -> Iterator[Upstreams]:
    app = create_app(invalid_status=UPSTREAM_INVALID)
    upstream = Upstreams(app, None)  # type: ignore[arg-type]
    upstream.server = BoundedServer("127.0.0.1", 0, upstream)
    thread = threading.Thread(target=upstream.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield upstream
    app._stopping.set()
    upstream.server.shutdown()
    upstream.server.server_close()
    thread.join(5)
    app.close()


@pytest.fixture
def upstream(running_upstream: Upstreams) -> Iterator[Upstreams]:
    running_upstream.app.clear()
    running_upstream.seen.clear()
    yield running_upstream
    running_upstream.app.clear()  # also wakes a request sleeping on a delay


@contextlib.contextmanager
def front(url: str, **options: Any) -> Iterator[MockServer]:
    server = MockServer(forward=Forwarding(url, **options))
    with server:
        yield server
    server.app.close()


HTTP = urllib3.PoolManager(retries=False, timeout=30)


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
    wanted = {**JSON, "Authorization": "Bearer client", **(headers or {})}
    return HTTP.request("POST", url, body=body, headers=wanted)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- what is sent -------------------------------------------------------------

PLAIN = orjson.dumps(event())
GZIPPED = gzip.compress(PLAIN, mtime=0)


@pytest.mark.parametrize(
    ("body", "headers", "token", "sent_auth", "sent_encoding"),
    [
        (PLAIN, {}, None, "Bearer client", None),
        (GZIPPED, {"Content-Encoding": "gzip"}, None, "Bearer client", "gzip"),
        (PLAIN, {}, "upstream-secret", "Bearer upstream-secret", None),
        (
            GZIPPED,
            {"Content-Encoding": "gzip"},
            "upstream-secret",
            "Bearer upstream-secret",
            "gzip",
        ),
    ],
    ids=["plain", "gzip", "token", "gzip+token"],
)
def test_the_upstream_gets_the_clients_request_byte_for_byte(
    upstream: Upstreams,
    body: bytes,
    headers: dict[str, str],
    token: str | None,
    sent_auth: str,
    sent_encoding: str | None,
) -> None:
    extra = {
        "X-Trace": "abc-123",
        "User-Agent": "tests/1",
        "Connection": "keep-alive, X-Hop",
        "X-Hop": "only for this connection",
        "Keep-Alive": "timeout=5",
    }
    with front(upstream.endpoint, token=token) as mock:
        answer = post(mock.endpoint, body, {**headers, **extra})
        assert answer.status == 200
        assert answer.data == b'{"status":200}'
        assert answer.headers["Content-Type"] == "application/json"
        (record,) = mock.records()
    (seen,) = upstream.seen
    assert seen.body == body  # gzip kept, byte for byte
    assert seen.headers.get("Content-Encoding") == sent_encoding
    assert seen.headers["Authorization"] == sent_auth
    assert seen.headers["X-Trace"] == "abc-123"
    assert seen.headers["User-Agent"] == "tests/1"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["Host"] == upstream.endpoint.split("/")[2]  # the upstream's, not ours
    for hop in ("X-Hop", "Keep-Alive"):
        assert hop not in seen.headers
    assert seen.headers.get("Connection", "keep-alive") == "keep-alive"  # urllib3's own
    # Both verdicts: the mock's and the upstream's.
    (theirs,) = upstream.app.records()
    assert theirs.body == record.body == PLAIN and theirs.valid
    assert record.valid and record.status == 200 and record.upstream == Upstream(200)
    assert record.to_dict()["upstream"] == {"status": 200, "detail": ""}


# -- what is answered ---------------------------------------------------------


@pytest.mark.parametrize("status", [503, 500, 429, 401])
def test_the_upstreams_refusal_is_passed_on_and_recorded(upstream: Upstreams, status: int) -> None:
    upstream.app.faults.fail_next(status)
    with front(upstream.endpoint) as mock:
        answer = post(mock.endpoint, PLAIN)
        (record,) = mock.records()
    # What the upstream answers to the fault, under its media type.
    media_type, body = upstream.app.answers.render(
        problem_class(status)(f"fault injected on demand ({status})")
    )
    assert (answer.status, answer.headers["Content-Type"], answer.data) == (
        status,
        media_type,
        body,
    )
    if status == 401:
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert record.valid and record.status == status and not record.accepted
    assert record.upstream is not None and record.upstream.status == status
    assert record.upstream.detail == body.decode()


@pytest.mark.parametrize(
    ("invalid", "body", "ours", "forwarded", "answered"),
    [
        (False, orjson.dumps({"eventType": "START"}), 422, False, 422),
        (False, b"{not json", 400, False, 400),
        (True, orjson.dumps({"eventType": "START"}), 422, True, UPSTREAM_INVALID),
        (True, b"{not json", 400, True, 400),
    ],
    ids=["schema", "json", "schema-forwarded", "json-forwarded"],
)
def test_a_request_that_breaks_the_contract_goes_on_only_with_invalid(
    upstream: Upstreams, invalid: bool, body: bytes, ours: int, forwarded: bool, answered: int
) -> None:
    with front(upstream.endpoint, invalid=invalid) as mock:
        answer = post(mock.endpoint, body)
        (record,) = mock.records()
    assert answer.status == answered
    assert [s.body for s in upstream.seen] == ([body] if forwarded else [])
    assert not record.valid and record.violations  # ours says it broke the contract
    assert record.status == answered
    assert (record.upstream is not None) == forwarded
    if not forwarded:
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.status == ours


def test_with_a_token_refused_credentials_never_go_on(upstream: Upstreams) -> None:
    # The token would stand in for credentials the client does not have.
    with front(upstream.endpoint, token="upstream-secret", invalid=True) as mock:
        answer = HTTP.request("POST", mock.endpoint, body=PLAIN, headers=JSON)
    assert answer.status == 401
    assert upstream.seen == []


@pytest.mark.parametrize(
    ("fault", "forwarded"),
    [({"status": 503}, False), ({"drop": True}, False), ({"delay": 0.05}, True)],
    ids=["status", "drop", "delay"],
)
def test_a_fault_of_the_front_mock_applies_before_forwarding(
    upstream: Upstreams, fault: dict[str, Any], forwarded: bool
) -> None:
    with front(upstream.endpoint) as mock:
        mock.faults.add(*parse_fault(fault))
        with contextlib.suppress(urllib3.exceptions.ProtocolError):
            post(mock.endpoint, PLAIN)
        (record,) = mock.wait_for(1)
    assert len(upstream.seen) == int(forwarded)
    assert (record.upstream is not None) == forwarded


def test_the_openlineage_clients_retries_go_through_a_503_upstream(upstream: Upstreams) -> None:
    upstream.app.faults.fail_next(503, times=2)
    with front(upstream.endpoint) as mock:
        config = HttpConfig.from_dict(
            {
                "url": mock.url,
                "auth": {"type": "api_key", "apiKey": "client"},
                "retry": {"backoff_factor": 0.01},
            }
        )
        client = OpenLineageClient(transport=HttpTransport(config))
        run_id = str(uuid.uuid4())
        client.emit(
            RunEvent(
                eventType=RunState.START,
                eventTime=datetime.now(UTC).isoformat(),
                run=Run(runId=run_id),
                job=Job(namespace="tests", name="forward"),
                producer="https://example.com/lineage-contract/tests",
            )
        )
        attempts = mock.wait_for(3, timeout=10)
    assert [r.status for r in attempts] == [503, 503, 200]
    assert [r.upstream.status for r in attempts if r.upstream] == [503, 503, 200]
    assert [r.status for r in upstream.app.records()] == [503, 503, 200]
    assert upstream.app.events()[0]["run"]["runId"] == run_id


# -- no answer ------------------------------------------------------------------


def test_a_dead_upstream_is_a_502_within_the_timeout() -> None:
    port = closed_port()
    url = f"http://user:secret@127.0.0.1:{port}{PATH}"
    with front(url, timeout=5) as mock:
        started = time.monotonic()
        answer = post(mock.endpoint, PLAIN)
        took = time.monotonic() - started
        (record,) = mock.records()
    assert answer.status == 502 and took < 5
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem = orjson.loads(answer.data)
    assert problem["status"] == 502
    # The reason, and the URL without the credentials it carries.
    assert problem["detail"].startswith(
        f"the upstream http://127.0.0.1:{port}{PATH} cannot be reached"
    )
    assert "refused" in problem["detail"] and "secret" not in problem["detail"]
    assert record.valid and record.status == 502
    assert record.upstream is not None and record.upstream.status is None
    assert "cannot be reached" in record.upstream.detail


def test_a_slow_upstream_is_a_504_once_the_timeout_passes(upstream: Upstreams) -> None:
    timeout = 0.5
    upstream.app.faults.delay_next(5)
    with front(upstream.endpoint, timeout=timeout) as mock:
        started = time.monotonic()
        answer = post(mock.endpoint, PLAIN)
        took = time.monotonic() - started
        (record,) = mock.records()
    assert answer.status == 504
    assert timeout <= took < timeout + 3  # noisy machines: a generous margin
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert "did not answer within 0.5s" in orjson.loads(answer.data)["detail"]
    assert record.status == 504 and record.upstream == Upstream(None, record.upstream.detail)
    assert "did not answer" in record.upstream.detail


@contextlib.contextmanager
def scripted(parts: list[bytes], pause: float) -> Iterator[str]:
    """An upstream that reads a request, then sends ``parts`` ``pause`` seconds apart and
    closes; its endpoint."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def answer() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                _read_request(conn)
                for part in parts:
                    conn.sendall(part)
                    if done.wait(pause):
                        return

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}{PATH}"
    finally:
        done.set()
        listener.close()
        thread.join(5)


def _read_request(conn: socket.socket) -> None:
    """All of the request, so that closing the socket after it sends no reset."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += conn.recv(65536)


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
HALF = b"%x\r\n%s\r\n" % (1 << 19, b"x" * (1 << 19))  # a chunk of half a MiB


@pytest.mark.parametrize(
    ("parts", "pause", "status", "detail"),
    [
        # a byte every 0.3 s: each read alone is within the timeout, the whole is not
        ([HEAD % 20, *[b"x"] * 20], 0.3, 504, "did not answer within 1s"),
        ([HEAD % 100, b"x" * 10], 0, 502, "broke off its answer"),
        ([], 0, 502, "failed"),
        ([HEAD % ((1 << 20) + 1), b"x" * ((1 << 20) + 1)], 0, 502, "more than 1,048,576 bytes"),
        ([CHUNKED, *[HALF] * 2, b"1\r\nx\r\n0\r\n\r\n"], 0, 502, "more than 1,048,576 bytes"),
    ],
    ids=["trickle", "cut-short", "no-answer", "too-long", "too-long-chunked"],
)
def test_an_upstream_that_answers_badly_is_a_gateway_problem(
    parts: list[bytes], pause: float, status: int, detail: str
) -> None:
    with scripted(parts, pause) as url, front(url, timeout=1) as mock:
        started = time.monotonic()
        answer = post(mock.endpoint, PLAIN)
        took = time.monotonic() - started
        (record,) = mock.records()
    assert answer.status == status and took < 1 + 3
    assert detail in orjson.loads(answer.data)["detail"]
    assert record.status == status and record.upstream is not None
    assert record.upstream.status is None and detail in record.upstream.detail


def test_the_pytest_plugin_forwards_with_its_options(
    upstream: Upstreams, pytester: pytest.Pytester
) -> None:
    pytester.makeconftest(
        f"""
import pytest
from lineage_contract.mock import Forwarding

@pytest.fixture(scope="session")
def lineage_server_options():
    return {{"forward": Forwarding({upstream.endpoint!r}, token="up")}}
"""
    )
    pytester.makepyfile(
        f"""
def test_forwarded(lineage_server):
    status, _ = lineage_server.post({event()!r})
    assert status == 200
    (record,) = lineage_server.records
    assert record.upstream.status == 200
"""
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert [s.headers["Authorization"] for s in upstream.seen] == ["Bearer up"]


# -- settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "ftp://api.example/lineage"}, "http:// or https://"),
        ({"url": "api.example/api/v1/lineage"}, "http:// or https://"),
        ({"url": "http:///api/v1/lineage"}, "with a host"),
        ({"url": "http://api.example:99999/x"}, "not a URL"),
        ({"url": "http://a.example", "timeout": 0}, "positive number"),
        ({"url": "http://a.example", "timeout": -1}, "positive number"),
        ({"url": "http://a.example", "timeout": float("inf")}, "positive number"),
        ({"url": "http://a.example", "timeout": float("nan")}, "positive number"),
        ({"url": "http://a.example", "token": "a b"}, "forward token"),
        ({"url": "http://a.example", "token": ""}, "forward token"),
    ],
)
def test_bad_settings_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Forwarding(**options)


@pytest.mark.parametrize(
    ("url", "host", "port", "loops"),
    [
        ("http://127.0.0.1:8080/api/v1/lineage", "127.0.0.1", 8080, True),
        ("http://localhost:8080/api/v1/lineage", "127.0.0.1", 8080, True),
        ("http://127.0.0.1:8080/x", "0.0.0.0", 8080, True),
        ("http://[::1]:8080/x", "::1", 8080, True),
        ("http://127.0.0.1/x", "127.0.0.1", 80, True),
        ("https://127.0.0.1/x", "127.0.0.1", 443, True),
        ("http://127.0.0.1:8081/x", "127.0.0.1", 8080, False),
        ("http://api.example:8080/x", "127.0.0.1", 8080, False),
        ("http://127.0.0.1:8080/x", "10.0.0.5", 8080, False),
    ],
)
def test_a_url_pointing_at_the_server_itself_is_a_loop(
    url: str, host: str, port: int, loops: bool
) -> None:
    assert Forwarding(url).loops_to(host, port) is loops


@pytest.mark.parametrize(
    ("url", "path", "sent_to"),
    [
        ("https://api.example/api/v1/lineage", PATH, "https://api.example/api/v1/lineage"),
        (
            "https://api.example/api/v1/lineage",
            "/api/v1/lineage/batch",
            "https://api.example/api/v1/lineage/batch",
        ),
        ("https://proxy.example/ingest", "/api/v1/lineage/batch", "https://proxy.example/ingest"),
        ("https://a.example/api/v1/lineage?k=1", "/other", "https://a.example/api/v1/lineage?k=1"),
    ],
)
def test_where_each_path_goes(url: str, path: str, sent_to: str) -> None:
    forwarder = Forwarder(Forwarding(url), path=PATH)
    assert forwarder.url_for(path) == sent_to
    forwarder.close()


def test_an_sqlite_journal_keeps_the_upstream_and_takes_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # the records table as the first release made it
        conn.execute(
            "CREATE TABLE records (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL,"
            " method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER, valid INTEGER NOT NULL,"
            " parsed INTEGER NOT NULL, violations BLOB NOT NULL, body BLOB NOT NULL,"
            " run_id TEXT, job TEXT)"
        )
        conn.execute(
            "INSERT INTO records (time, method, path, status, valid, parsed, violations, body)"
            " VALUES (1.0, 'POST', '/x', 200, 1, 0, '[]', x'')"
        )
    conn.close()
    journal = SqliteJournal(path)
    try:
        journal.append(Record("POST", PATH, 503, True, upstream=Upstream(503, "busy")))
        journal.append(Record("POST", PATH, 200, True))
        assert [r.upstream for r in journal.records()] == [None, Upstream(503, "busy"), None]
    finally:
        journal.close()


# -- the command line -----------------------------------------------------------


def run_serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage_contract", "serve", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--forward", "ftp://api.example/x"], "http:// or https://"),
        (["--forward", "http://api.example/x", "--forward-timeout", "0"], "positive number"),
        (["--forward", "http://api.example/x", "--forward-timeout", "-3"], "positive number"),
        (["--forward-token", "t"], "--forward-token needs --forward URL"),
        (["--forward-invalid", "--forward-timeout", "2"], "needs --forward URL"),
        (["--forward", "http://api.example/x", "--forward-token", "a b"], "forward token"),
        (["LOOP"], "points at this server"),
    ],
    ids=["scheme", "zero", "negative", "token-alone", "options-alone", "token", "loop"],
)
def test_serve_refuses_bad_forwarding_with_status_2(args: list[str], message: str) -> None:
    if args == ["LOOP"]:
        port = closed_port()
        args = ["--port", str(port), "--forward", f"http://localhost:{port}{PATH}"]
    result = run_serve(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "listening" not in result.stdout


@contextlib.contextmanager
def serving(*args: str) -> Iterator[int]:
    """``serve`` in a subprocess; its port. Stopped by its PID at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lineage_contract", "serve", "--quiet", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        match = LISTENING.match(lines.get(timeout=60).rstrip("\n"))
        assert match is not None, process.stderr.read() if process.stderr else ""
        yield int(match.group(1))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:  # its workers are in its session
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["threaded", "workers"])
def test_serve_forward_from_the_command_line(upstream: Upstreams, workers: list[str]) -> None:
    args = ["--forward", upstream.endpoint, "--forward-token", "up", "--forward-timeout", "1"]
    with serving(*workers, *args) as port:
        url = f"http://127.0.0.1:{port}{PATH}"
        answers = [post(url, orjson.dumps(event())).status for _ in range(4)]
        upstream.app.faults.fail_next(503)
        answers.append(post(url, GZIPPED, {"Content-Encoding": "gzip"}).status)
        upstream.app.faults.delay_next(5)
        started = time.monotonic()
        answers.append(post(url, PLAIN).status)
        took = time.monotonic() - started
        listed = orjson.loads(HTTP.request("GET", f"http://127.0.0.1:{port}/_lineage/events").data)
    assert answers == [200, 200, 200, 200, 503, 504]
    assert took < 1 + 3
    assert [s.headers["Authorization"] for s in upstream.seen] == ["Bearer up"] * 6
    assert upstream.seen[4].body == GZIPPED
    assert [r["upstream"]["status"] for r in listed] == [200, 200, 200, 200, 503, None]
    assert [r["status"] for r in listed] == answers
