"""``lineage-contract serve`` as a user runs it: a subprocess, its listening line, its log."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lineage_contract.mock import app_from_env

ROOT = Path(__file__).resolve().parents[1]
LISTENING = re.compile(r"^listening on http://(\[[0-9a-fA-F:]+\]|[\w.\-]+):(\d+)$")
PATH = "/api/v1/lineage"
REQUEST_LINE = re.compile(r"^[A-Z]+ /\S* \d{3} ")
STARTUP = 60.0
JSON_TYPE = {"Content-Type": "application/json"}


def event(run_id: str | None = None, event_type: str = "START") -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": "2024-05-01T12:00:00.000Z",
        "producer": "https://example.com/tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id or str(uuid.uuid4())},
        "job": {"namespace": "tests", "name": "serve"},
    }


class Served:
    """A ``serve`` subprocess: its URL, its stderr lines, and how it ended."""

    def __init__(self, process: subprocess.Popen[str], host: str, port: int) -> None:
        self.process = process
        self.host = host
        self.port = port
        self.log: queue.Queue[str] = queue.Queue()
        self.lines: list[str] = []
        self.notes: list[str] = []

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, dict[str, str], bytes]:
        host = self.host.strip("[]")
        conn = http.client.HTTPConnection(host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body, headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def post(self, payload: Any, token: str | None = "t") -> int:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", PATH, body, headers)[0]

    def events(self, query: str = "") -> list[dict[str, Any]]:
        """Every record listed for ``query`` (``?valid=true``...), page by page."""
        records: list[dict[str, Any]] = []
        url: str | None = f"/_lineage/events{query}"
        while url is not None:
            status, headers, body = self.request("GET", url)
            assert status == 200
            page = json.loads(body)
            assert isinstance(page, list)
            records += page
            cursor = headers.get("X-Lineage-Next-Cursor")
            url = f"/_lineage/events?{query.lstrip('?')}&cursor={cursor}" if cursor else None
        return records

    def log_lines(self, count: int, timeout: float = 10) -> list[str]:
        """Wait until at least ``count`` request lines were logged; all of them."""
        while len(self.lines) < count:
            self.lines.append(self.log.get(timeout=timeout))
        return self.lines

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=30)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "lineage_contract", "serve", *args]


@contextmanager
def serve(
    *args: str, env: dict[str, str] | None = None, preexec_fn: Callable[[], None] | None = None
) -> Iterator[Served]:
    process = subprocess.Popen(
        command(*args),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
        preexec_fn=preexec_fn,
    )
    assert process.stdout is not None and process.stderr is not None
    first: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: first.put(process.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        line = first.get(timeout=STARTUP).rstrip("\n")
    except queue.Empty:
        _kill_group(process)
        pytest.fail(f"no listening line within {STARTUP:.0f}s")
    match = LISTENING.match(line)
    if match is None:
        _kill_group(process)
        pytest.fail(f"not a listening line: {line!r}; stderr: {process.stderr.read()[-2000:]}")
    served = Served(process, match.group(1), int(match.group(2)))

    def pump() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.rstrip("\n")
            # Request lines start with the method; anything else is a note.
            if REQUEST_LINE.match(line):
                served.log.put(line)
            else:
                served.notes.append(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield served
    finally:
        _kill_group(process)
        process.stdout.close()


def _kill_group(process: subprocess.Popen[Any]) -> None:
    """SIGKILL what this test started: the server and, in its own session, its workers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def port_closed(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return False
    except OSError:
        return True


# -- one process ----------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_prints_the_real_port_answers_logs_and_stops_cleanly(signum: int) -> None:
    with serve("--port", "0") as served:
        assert served.host == "127.0.0.1"
        assert served.port != 0
        assert served.post(event()) == 200
        assert served.post({"eventType": "START"}) == 422
        assert served.post(event(), token=None) == 401
        assert served.post(b"{not json") == 400
        assert served.request("GET", "/_lineage/healthz")[0] == 200
        lines = served.log_lines(5)
        assert served.stop(signum) == 0
    assert port_closed(served.port)
    # Each request is logged once its answer is sent, so lines may swap places.
    expected = [
        r"POST /api/v1/lineage 200 valid \d+\.\dms",
        r"POST /api/v1/lineage 422 invalid:schema ",
        r"POST /api/v1/lineage 200 valid ",
        r"POST /api/v1/lineage 400 invalid:json ",
        r"GET /_lineage/healthz 200 - ",
    ]
    for pattern in expected:
        assert sum(1 for ln in lines if re.match(pattern, ln)) == 1, (pattern, lines)


def _raw_request(served: Served, head: bytes) -> bytes:
    """Send ``head`` as it is (http.client refuses control characters in a path) and read back."""
    with socket.create_connection((served.host, served.port), timeout=10) as conn:
        conn.sendall(head)
        return conn.recv(65536)


def test_the_request_log_shows_client_text_escaped() -> None:
    with serve() as served:
        assert served.request("GET", "/%0a::error::forged%1b[31m")[0] == 404
        assert served.request("GET", "/caf%C3%A9%c2%85%e2%80%a8")[0] == 404
        evil = {"Content-Type": "application/json", "Authorization": "Bearer \x1b]0;t\x07"}
        assert served.request("POST", PATH, json.dumps(event()), evil)[0] == 200  # any token
        answer = _raw_request(served, b"GET /\x1b[2Jraw\x9b HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 404")
        lines = served.log_lines(4)
    assert not any("\x1b" in line or line.startswith("::") for line in lines + served.notes)
    assert [line for line in served.notes if "::" in line] == []
    for pattern in [
        r"GET /\\n::error::forged\\x1b\[31m 404 ",
        r"GET /café\\x85\\u2028 404 ",
        r"POST /api/v1/lineage 200 valid ",
        r"GET /\\x1b\[2Jraw\\x9b 404 ",
    ]:
        assert sum(1 for line in lines if re.match(pattern, line)) == 1, (pattern, lines)


def test_records_what_it_answered() -> None:
    run_id = str(uuid.uuid4())
    with serve() as served:
        assert served.post(event(run_id)) == 200
        assert served.post({"eventType": "START"}) == 422
        assert len(served.events()) == 2
        assert len(served.events("?valid=false")) == 1
        assert len(served.events(f"?runId={run_id}")) == 1
        assert served.request("DELETE", "/_lineage/events", headers=JSON_TYPE)[0] in (200, 204)
        assert served.events() == []
        assert served.stop() == 0


@pytest.mark.parametrize(
    ("tokens", "sent", "expected"),
    [
        (["secret"], "secret", 200),
        (["secret"], "Secret", 401),
        (["secret"], "secret-and-more", 401),
        (["one", "two"], "two", 200),
        (["one", "two"], "three", 401),
    ],
)
def test_token_accepts_only_the_named_ones(tokens: list[str], sent: str, expected: int) -> None:
    args = [a for t in tokens for a in ("--token", t)]
    with serve(*args) as served:
        assert served.post(event(), token=sent) == expected
        status, headers, _ = served.request("POST", PATH, json.dumps(event()), {})
        assert status == 401
        assert headers.get("WWW-Authenticate", "").lower().startswith("bearer")
        assert served.stop() == 0


def test_invalid_status_and_spec(tmp_path: Path) -> None:
    document = json.loads((ROOT / "openapi.json").read_text())
    document["paths"] = {"/v2/events": document["paths"][PATH]}
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    with serve("--spec", str(spec), "--invalid-status", "400") as served:
        assert served.request("POST", "/v2/events", json.dumps(event()), _auth())[0] == 200
        assert served.request("POST", "/v2/events", b'{"eventType":1}', _auth())[0] == 400
        assert served.request("POST", PATH, json.dumps(event()), _auth())[0] == 404
        assert served.stop() == 0


def test_journal_file_survives_a_restart(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    with serve("--journal", str(journal)) as served:
        assert served.post(event(first)) == 200
        assert served.stop() == 0
    with serve("--journal", str(journal)) as served:
        assert served.post(event(second)) == 200
        run_ids = {r["event"]["run"]["runId"] for r in served.events("?valid=true")}
        assert served.stop() == 0
    assert run_ids == {first, second}
    assert journal.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spec", "/nonexistent/openapi.json"], "openapi.json"),
        (["--token", "has space"], "token"),
        (["--workers", "-1"], "workers"),
        (["--workers", "2", "--token", "café"], "ASCII"),
        (["--invalid-status", "200"], "status"),
        (["--max-delay", "0"], "seconds"),
        (["--max-delay", "601"], "600"),
        (["--header-timeout", "61"], "60"),
        (["--read-timeout", "nan"], "seconds"),
        (["--max-connections", "0"], "1 or more"),
        (["--host", "0.0.0.0"], "--admin-token"),
        (["--host", "example.internal"], "--admin-token"),
        (["--host", "127.0.0.1", "--admin-token", "a b"], "token"),
    ],
)
def test_bad_options_fail_before_listening(args: list[str], message: str) -> None:
    done = subprocess.run(command(*args), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "listening on" not in done.stdout
    assert message in done.stderr


WORKERS = ("--workers", "2")


def _unusable_journal(tmp_path: Path, kind: str) -> Path:
    if kind == "device":
        return Path("/dev/null")
    if kind == "directory":
        return tmp_path
    if kind == "missing directory":
        return tmp_path / "nope" / "journal.db"
    garbage = tmp_path / "journal.db"
    garbage.write_bytes(b"not a database, not even close" * 10)
    return garbage


@pytest.mark.parametrize(
    ("kind", "workers", "reason"),
    [
        ("device", (), "not a regular file"),
        ("directory", (), "not a regular file"),
        ("missing directory", (), "unable to open database file"),
        ("not sqlite", (), "file is not a database"),
        ("device", WORKERS, "not a regular file"),
        ("not sqlite", WORKERS, "file is not a database"),
    ],
)
def test_an_unusable_journal_is_refused_at_start(
    tmp_path: Path, kind: str, workers: tuple[str, ...], reason: str
) -> None:
    journal = _unusable_journal(tmp_path, kind)
    done = subprocess.run(
        command("--journal", str(journal), *workers), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert "listening on" not in done.stdout
    assert "Traceback" not in done.stderr
    assert f"cannot open journal {journal}: {reason}" in done.stderr


def test_a_taken_port_is_an_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            command("--port", str(port)), capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1
    assert "listening on" not in done.stdout
    assert str(port) in done.stderr


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_binds_ipv6_loopback_when_told() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no ::1 here")
    with serve("--host", "::1") as served:
        assert served.host == "[::1]"
        assert served.post(event()) == 200
        assert served.stop() == 0


# -- workers --------------------------------------------------------------------


def test_workers_share_one_journal_file(tmp_path: Path) -> None:
    journal = tmp_path / "shared.sqlite"
    run_ids = [str(uuid.uuid4()) for _ in range(24)]
    with serve("--workers", "2", "--journal", str(journal), "--port", "0") as served:
        assert served.port != 0
        statuses: list[int] = []

        def send(chunk: list[str]) -> None:
            statuses.extend(served.post(event(r)) for r in chunk)

        threads = [threading.Thread(target=send, args=(run_ids[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * len(run_ids)
        # Several reads, so both workers answer some: each sees every record.
        seen = [{r["event"]["run"]["runId"] for r in served.events()} for _ in range(6)]
        lines = served.log_lines(len(run_ids))
        assert served.stop() == 0
    assert all(s == set(run_ids) for s in seen)
    assert sum(1 for ln in lines if ln.startswith("POST /api/v1/lineage 200 valid")) == len(run_ids)
    assert journal.exists()


def test_workers_without_journal_use_a_temporary_file_and_remove_it() -> None:
    with serve("--workers", "2", "--token", "w") as served:
        assert served.post(event(), token="w") == 200
        assert served.post(event(), token="nope") == 401
        assert len(served.events()) == 2
        _drain(served)
        announced = [ln for ln in served.notes if "journal" in ln]
        assert served.stop() == 0
    assert announced, "the temporary journal's path is announced on stderr"
    path = Path(announced[0].split()[-1].strip("()"))
    assert not path.exists()
    assert not path.parent.exists()


def test_workers_record_what_a_drop_answered() -> None:
    # granian hands the app no socket to close: the client gets a 500, and so says the record.
    with serve("--workers", "2", "--quiet") as served:
        assert served.request("POST", "/_lineage/faults", '{"drop": true}', JSON_TYPE)[0] == 201
        answered = served.post(event())
        (record,) = served.events()
        assert served.stop() == 0
    assert answered == record["status"] == 500


def test_workers_stop_on_sigint_and_free_the_port() -> None:
    with serve("--workers", "2") as served:
        assert served.post(event()) == 200
        assert served.stop(signal.SIGINT) == 0
    assert port_closed(served.port)


# -- the factory ------------------------------------------------------------------


def test_factory_reads_its_options_from_the_environment(tmp_path: Path) -> None:
    from werkzeug.test import Client

    app = app_from_env(
        {
            "LINEAGE_CONTRACT_TOKENS": "alpha,beta",
            "LINEAGE_CONTRACT_INVALID_STATUS": "400",
            "LINEAGE_CONTRACT_JOURNAL": str(tmp_path / "env.sqlite"),
        }
    )
    client = Client(app)
    ok = client.post(PATH, json=event(), headers={"Authorization": "Bearer beta"})
    denied = client.post(PATH, json=event(), headers={"Authorization": "Bearer gamma"})
    invalid = client.post(PATH, json={"eventType": 1}, headers={"Authorization": "Bearer alpha"})
    assert (ok.status_code, denied.status_code, invalid.status_code) == (200, 401, 400)
    assert (tmp_path / "env.sqlite").exists()


def test_gunicorn_runs_the_factory(tmp_path: Path) -> None:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    assert gunicorn.exists(), "gunicorn comes with the [test] extra"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            str(gunicorn),
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "lineage_contract.mock:app_from_env()",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LINEAGE_CONTRACT_TOKENS": "g"},
    )
    try:
        served = Served(process, "127.0.0.1", port)
        status = _retry_until_up(lambda: served.post(event(), token="g"))
        assert status == 200
        assert served.post(event(), token="x") == 401
    finally:
        process.terminate()
        process.wait(timeout=30)


def _retry_until_up(call: Any, timeout: float = STARTUP) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _drain(served: Served) -> list[str]:
    while True:
        try:
            served.lines.append(served.log.get(timeout=0.5))
        except queue.Empty:
            return served.lines


def _auth() -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": "Bearer t"}


@pytest.mark.parametrize("workers", ["0", ("2")])
def test_quiet_logs_no_request(workers: str) -> None:
    with serve("--quiet", "--workers", workers) as served:
        assert served.post(event()) == 200
        assert served.request("GET", "/_lineage/healthz")[0] == 200
        assert served.stop() == 0
        lines = _drain(served)
    assert lines == []


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid and fields[0] != "Z":
                    found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_workers_do_not_outlive_a_killed_server(tmp_path: Path) -> None:
    import time

    # A journal of its own: a killed server leaves its temporary one behind.
    with serve("--workers", "2", "--quiet", "--journal", str(tmp_path / "j.sqlite")) as served:
        workers = _children(served.process.pid)
        assert len(workers) == 2
        os.kill(served.process.pid, signal.SIGKILL)
        served.process.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [w for w in workers if _alive(w)]
        for w in survivors:
            os.kill(w, signal.SIGKILL)
    assert survivors == []
    assert port_closed(served.port)


# -- one judgement under every server --------------------------------------------


def _raw(served: Served, request: bytes, *, half_close: bool = False) -> int | None:
    """Send bytes as they are; the status answered, None when the connection closed unanswered."""
    with socket.create_connection((served.host.strip("[]"), served.port), timeout=10) as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    if not answer:
        return None
    return int(answer.split(b" ", 2)[1])


def _post_bytes(
    target: str, body: bytes, *, token: bytes = b"t", length: int | None = None
) -> bytes:
    size = len(body) if length is None else length
    return (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\nConnection: close\r\n".encode()
        + b"Authorization: Bearer "
        + token
        + b"\r\n\r\n"
        + body
    )


def _chunked(target: str, body: bytes, *, token: bytes) -> bytes:
    """A chunked body whose last (empty) chunk never comes."""
    head = _post_bytes(target, b"", token=token).replace(
        b"Content-Length: 0", b"Transfer-Encoding: chunked"
    )
    return head + f"{len(body):x}\r\n".encode() + body + b"\r\n"


@pytest.mark.parametrize("workers", ["0", ("2")])
def test_every_server_routes_reads_and_authenticates_alike(workers: str) -> None:
    body = json.dumps(event()).encode()
    # granian blanks a header value that is not ASCII, so only one server can take café.
    name = "café" if workers == "0" else "cafe"
    with serve("--workers", workers, "--quiet", "--token", name) as served:
        token = name.encode()
        rows = [
            # (what, request, half-close, status)
            ("the token as UTF-8 bytes", _post_bytes(PATH, body, token=token), False, 200),
            ("another token", _post_bytes(PATH, body, token=b"caff"), False, 401),
            ("encoded '?'", _post_bytes(f"{PATH}%3Fzzz", body, token=token), False, 404),
            ("double slash", _post_bytes(f"/{PATH}", body, token=token), False, 200),
            (
                "lower-case method",
                _post_bytes(PATH, body, token=token).replace(b"POST", b"post", 1),
                False,
                405,
            ),
            ("short body", _post_bytes(PATH, body, token=token, length=len(body) + 100), True, 400),
        ]
        if workers == "0":
            # granian hands the app a chunked body that lacks its last chunk as if complete.
            rows.append(("no last chunk", _chunked(PATH, body, token=token), True, 400))
        got = {what: _raw(served, request, half_close=half) for what, request, half, _ in rows}
        assert got == {what: status for what, _, _, status in rows}
        records = served.events()
    short = [r for r in records if r["status"] == 400]
    assert len(short) == sum(row[3] == 400 for row in rows) and not any(r["valid"] for r in short)


# -- idle and slow clients, delays, a dead worker -------------------------------

MODES = ["0", ("2")]
PROBE = b"GET /_lineage/healthz HTTP/1.1\r\nHost: x\r\n"


def _few_open_files() -> None:
    """In the server: a soft limit of 256 open files (the hard one unchanged)."""
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))


@contextmanager
def slowloris(port: int, count: int, every: float = 1.0) -> Iterator[list[socket.socket]]:
    """``count`` connections sending a request's headers one byte every ``every`` seconds."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    stop = threading.Event()
    headers = PROBE + b"X-Slow: yes\r\n" * 100

    def trickle() -> None:
        for byte in headers:
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.send(bytes([byte]))
            if stop.wait(every):
                return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield socks
    finally:
        stop.set()
        thread.join(5)
        for sock in socks:
            sock.close()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
@pytest.mark.parametrize("workers", MODES)
def test_idle_and_slow_clients_do_not_stop_it_answering(workers: str) -> None:
    import time

    # 256 open files at first: the server raises its soft limit to hold 500 connections.
    with serve("--quiet", "--workers", workers, preexec_fn=_few_open_files) as served:
        idle = [socket.create_connection(("127.0.0.1", served.port), 5) for _ in range(500)]
        try:
            with slowloris(served.port, 10):
                times = []
                for _ in range(20):
                    started = time.monotonic()
                    status, _, _ = served.request("GET", "/_lineage/healthz", timeout=5)
                    assert status == 200
                    times.append(time.monotonic() - started)
                    time.sleep(0.1)  # so the probes span a couple of the trickle's bytes
        finally:
            for sock in idle:
                sock.close()
        assert served.stop() == 0
    assert max(times) < 5


@pytest.mark.parametrize("workers", MODES)
def test_header_timeout_closes_slow_and_idle_kept_alive_connections(workers: str) -> None:
    import time

    with serve("--quiet", "--workers", workers, "--header-timeout", "1") as served:
        client = http.client.HTTPConnection("127.0.0.1", served.port, timeout=5)
        client.request("GET", "/_lineage/healthz")
        assert client.getresponse().read()
        # granian keeps the connection alive, idle from here on; werkzeug closes each one.
        kept = [client.sock] if client.sock is not None else []
        assert len(kept) == (workers != "0")
        partial = socket.create_connection(("127.0.0.1", served.port))
        partial.sendall(PROBE)
        started = time.monotonic()
        with slowloris(served.port, 3, every=0.2) as loris:
            for sock in (*kept, partial, *loris):
                sock.settimeout(5)
                with contextlib.suppress(ConnectionError):
                    assert sock.recv(4096) == b""  # closed, no answer
        assert time.monotonic() - started < 4
        client.close()
        partial.close()
        assert served.request("GET", "/_lineage/healthz")[0] == 200


@pytest.mark.slow
def test_delays_hold_only_the_delayed_requests_and_clearing_wakes_them() -> None:
    import time

    with serve("--quiet", "--workers", "2") as served:
        status, _, _ = served.request(
            "POST", "/_lineage/faults", json.dumps({"delay": 15, "times": 8}), _auth()
        )
        assert status == 201
        statuses: list[int] = []
        delayed = [
            threading.Thread(target=lambda: statuses.append(served.post(event()))) for _ in range(8)
        ]
        for thread in delayed:
            thread.start()
        deadline = time.monotonic() + 10
        while _pending_faults(served) and time.monotonic() < deadline:
            time.sleep(0.05)  # every request in flight has taken its delay
        assert _pending_faults(served) == 0
        for _ in range(3):
            started = time.monotonic()
            assert served.request("GET", "/_lineage/healthz", timeout=5)[0] == 200
            assert time.monotonic() - started < 2
        assert statuses == []  # still sleeping
        started = time.monotonic()
        assert served.request("DELETE", "/_lineage/faults", headers=JSON_TYPE, timeout=5)[0] == 204
        for thread in delayed:
            thread.join(10)
        woken_after = time.monotonic() - started
    assert statuses == [200] * 8
    assert woken_after < 3


def test_a_delay_over_max_delay_is_refused() -> None:
    with serve("--quiet", "--max-delay", "2") as served:
        status, headers, body = served.request(
            "POST", "/_lineage/faults", json.dumps({"delay": 2.5}), _auth()
        )
        assert status == 400
        assert headers["Content-Type"] == "application/problem+json"
        assert "cap of 2 s" in json.loads(body)["detail"]
        assert served.request("GET", "/_lineage/faults")[2] == b"[]"


def _pending_faults(served: Served) -> int:
    status, _, body = served.request("GET", "/_lineage/healthz", timeout=5)
    assert status == 200
    pending: int = json.loads(body)["faults"]
    return pending


def _retried(call: Any, attempts: int = 3) -> Any:
    """``call()``, again after a connection reset (at most ``attempts`` times in all)."""
    for attempt in range(attempts):
        try:
            return call()
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)
    return None


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_killed_worker_is_replaced_and_said_so_on_stderr(tmp_path: Path) -> None:
    import time

    with serve("--workers", "2", "--quiet", "--journal", str(tmp_path / "j.sqlite")) as served:
        workers = _children(served.process.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        # What was in flight or queued on the dead worker's socket is lost; once
        # it is gone every connection goes to a live one.
        while _alive(workers[0]) and time.monotonic() < deadline:
            time.sleep(0.02)
        answered = []
        while time.monotonic() < deadline:
            # A connection the kernel had queued for the dead worker's socket is reset:
            # the server's duty is the next one.
            answered.append(
                _retried(lambda: served.request("GET", "/_lineage/healthz", timeout=5)[0])
            )
            now = _children(served.process.pid)
            if len(now) == 2 and workers[0] not in now:
                break
            time.sleep(0.1)
        assert len(now) == 2 and workers[0] not in now and workers[1] in now
        assert served.process.poll() is None
        assert set(answered) == {200}
        for _ in range(10):  # the new worker's share of connections is answered too
            assert _retried(lambda: served.post(event())) == 200
        assert served.stop() == 0
    notes = "\n".join(served.notes)
    assert "Unexpected exit from worker-1" in notes
    assert "Respawning worker-1" in notes


@pytest.mark.parametrize("workers", ["0", ("2")])
def test_an_admin_token_guards_the_admin_api_and_only_it(workers: str) -> None:
    with serve("--workers", workers, "--quiet", "--admin-token", "adm") as served:
        assert served.request("GET", "/_lineage/healthz")[0] == 401
        wrong = {"Authorization": "Bearer nope"}
        assert served.request("DELETE", "/_lineage/events", None, wrong)[0] == 401
        status, _, body = served.request(
            "GET", "/_lineage/events", None, {"Authorization": "Bearer adm"}
        )
        assert status == 200 and json.loads(body) == []
        assert served.post(event()) == 200  # the lineage endpoint keeps its own credentials


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("example.internal", False),
    ],
)
def test_which_hosts_need_an_admin_token(host: str, loopback: bool) -> None:
    # No server binds here: only loopback is ever served in tests.
    from lineage_contract.cli._serve import _loopback

    assert _loopback(host) is loopback


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_delayed_request_is_listed_where_it_arrived(workers: str) -> None:
    import time

    delayed, fast = str(uuid.uuid4()), str(uuid.uuid4())
    with serve("--quiet", "--workers", workers) as served:
        status, _, _ = served.request(
            "POST", "/_lineage/faults", json.dumps({"delay": 1.5}), _auth()
        )
        assert status == 201
        slow = threading.Thread(target=served.post, args=(event(delayed),))
        slow.start()
        deadline = time.monotonic() + 10
        while _pending_faults(served) and time.monotonic() < deadline:
            time.sleep(0.02)  # the slow request has taken its delay
        assert served.post(event(fast)) == 200
        # A client following the cursor during the delay, then after it.
        seen: list[dict[str, Any]] = []
        cursor = 0
        for _ in range(2):
            status, headers, body = served.request("GET", f"/_lineage/events?cursor={cursor}")
            assert status == 200 and "X-Lineage-Next-Cursor" not in headers
            page = json.loads(body)
            seen += page
            cursor = page[-1]["id"] if page else cursor
            if not page:
                slow.join(10)
        listed = served.events()
    assert [r["runId"] for r in listed] == [delayed, fast]
    assert [r["id"] for r in seen] == [r["id"] for r in listed]  # each once
    assert listed[0]["answered"] > listed[1]["time"] > listed[0]["time"]
