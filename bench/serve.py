"""Throughput of the mock server against its baselines, side by side in one run.

    .venv/bin/python bench/serve.py [--duration 10] [--connections 16] [--only NAME ...]
    .venv/bin/python bench/serve.py --load 20000      # also the journal-vs-200s count

Every server is started here on 127.0.0.1 with port 0 (or a port picked and
released just before), loaded with the same 6 KB valid RunEvent by ``wrk``
(Debian package ``wrk``; a Python load generator stands in when it is missing),
then stopped by its PID. All run at once, idle but for the one being loaded:
each gets ``--duration`` seconds in ``--rounds`` slices taken in turn, and the
table shows the median slice, so that the machine's other work weighs on
every server alike. Stoplight Prism comes from the npm registry into a
cache directory outside the repository (``$LINEAGE_BENCH_CACHE`` or
``~/.cache/lineage-contract-bench``); set ``PRISM`` to use another binary.

Targets (from the issues): validation costs the default server under 10% of its
bare throughput, and so does the whole mock as the pytest plugin runs it (a
token configured, no request log; its median sequential round trip is shown
beside the bare server's); ``--workers 2`` with validation and journal serves
at least 3x Prism's requests per second with a lower p99; on OpenLineage's own
document, batches of 100 events carry at least 3x the events per second of one
event a request (``--only ol-single ol-batch``). The first compares, as the
issue's own figures do, werkzeug's threaded server with a trivial app and the
same with request validation (``Validator.check_request``); the whole mock,
which also keeps every body in its journal, is shown beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
TOKEN = "bench-token"
PATH = "/api/v1/lineage"
STARTUP_TIMEOUT = 90.0
CACHE = Path(
    os.environ.get("LINEAGE_BENCH_CACHE", Path.home() / ".cache" / "lineage-contract-bench")
)
PRISM_PACKAGE = "@stoplight/prism-cli@5"
SERVE = [PYTHON, "-m", "lineage_contract", "serve"]
BATCH = 100
"""Events in each batch request."""


# -- the event ----------------------------------------------------------------


def event(size: int = 6 * 1024, *, run_id: str | None = None) -> dict[str, Any]:
    """A valid RunEvent padded with schema-facet fields to about ``size`` bytes."""
    fields: list[dict[str, str]] = []
    ev: dict[str, Any] = {
        "eventType": "COMPLETE",
        "eventTime": "2024-05-01T12:00:00.000Z",
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id or str(uuid.uuid4()), "facets": {}},
        "job": {"namespace": "bench", "name": "bench.job", "facets": {}},
        "inputs": [
            {
                "namespace": "postgres://db:5432",
                "name": "public.orders",
                "facets": {
                    "schema": {
                        "_producer": "https://example.com/bench",
                        "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/"
                        "SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                        "fields": fields,
                    }
                },
            }
        ],
        "outputs": [],
    }
    while len(json.dumps(ev)) < size:
        fields.append({"name": f"column_{len(fields):04d}", "type": "VARCHAR"})
    return ev


def trivial_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """What a server costs with no work to do: read the body, answer 200."""
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    return _answer(start_response, "200 OK", b'{"status":200}')


def _answer(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def parsing_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The trivial app plus ``orjson.loads``: the floor of any validator that judges objects."""
    import orjson

    orjson.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    return _answer(start_response, "200 OK", b'{"status":200}')


def validating_app() -> Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]:
    """The trivial app plus the kit's request validation: route, credentials, media type, body.

    The issue's "the same with openapi-core request validation", with our
    validator: what validation alone costs the server, without the mock's
    journal or anything else it does.
    """
    from werkzeug.datastructures import EnvironHeaders

    from lineage_contract import Validator

    check = Validator().check_request

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        report = check(
            environ["REQUEST_METHOD"], environ["PATH_INFO"], EnvironHeaders(environ), body
        )
        if report:
            return _answer(start_response, "200 OK", b'{"status":200}')
        return _answer(start_response, "422 Unprocessable Content", b"{}")

    return app


def _serve_on_werkzeug(name: str) -> None:
    from werkzeug.serving import make_server

    from lineage_contract.mock import create_app
    from lineage_contract.mock._server import QuietHandler
    from lineage_contract.mock._serving import settle_heap

    apps: dict[str, Callable[[], Any]] = {
        "trivial": lambda: trivial_app,
        "parsing": lambda: parsing_app,
        "validating": validating_app,
        # As the pytest plugin builds its server: a token configured, no request log.
        "plugin": lambda: create_app(tokens=[TOKEN]),
    }
    app = apps[name]()
    settle_heap()  # as ``serve`` does, so that only the app differs
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()
    server.server_close()


# -- processes ----------------------------------------------------------------


@dataclass
class Running:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    body: Path | None = None
    """What each request sends, when not the shared event (a batch)."""
    events: int = 1
    """Events each request carries."""

    def stop(self) -> None:
        stop_process(self.process)
        for step in self.cleanup:
            step()


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM our child, then SIGKILL its process group (its own session) if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_line(process: subprocess.Popen[bytes], marker: str, timeout: float) -> str:
    """The first stdout line holding ``marker`` (read in a thread so the timeout holds)."""
    found: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode(errors="replace").strip()
            if marker in line and not found:
                found.append(line)
                done.set()
        done.set()

    threading.Thread(target=read, daemon=True).start()
    if not done.wait(timeout) or not found:
        raise RuntimeError(f"no {marker!r} line within {timeout:.0f}s")
    return found[0]


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} not open within {timeout:.0f}s")


def launch(
    name: str,
    argv: list[str],
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    path: str = PATH,
) -> Running:
    """Start ``argv``; its URL from a ``listening on`` line, or ``port`` once it opens."""
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.PIPE if port is None else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    try:
        if port is None:
            line = wait_for_line(process, "listening on ", STARTUP_TIMEOUT)
            base = line.split("listening on ", 1)[1].strip()
        else:
            wait_for_port(port, process, STARTUP_TIMEOUT)
            base = f"http://127.0.0.1:{port}"
    except BaseException:
        stop_process(process)
        raise
    return Running(name, process, base + path)


def prism_binary() -> Path | None:
    """Prism from $PRISM, the cache, or a bounded ``npm install`` into the cache."""
    if os.environ.get("PRISM"):
        return Path(os.environ["PRISM"])
    binary = CACHE / "prism" / "node_modules" / ".bin" / "prism"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        return None
    (CACHE / "prism").mkdir(parents=True, exist_ok=True)
    print(f"installing {PRISM_PACKAGE} into {CACHE / 'prism'} ...", flush=True)
    subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(CACHE / "prism"),
            PRISM_PACKAGE,
        ],
        check=False,
        timeout=600,
        stdout=subprocess.DEVNULL,
    )
    return binary if binary.exists() else None


# -- the servers ----------------------------------------------------------------


def scenarios(journal_dir: Path) -> dict[str, Callable[[], Running]]:
    serve = SERVE

    def werkzeug_trivial() -> Running:
        return launch("werkzeug, trivial app", [PYTHON, __file__, "--serve-app", "trivial"])

    def werkzeug_parsing() -> Running:
        return launch("werkzeug, JSON parse only", [PYTHON, __file__, "--serve-app", "parsing"])

    def werkzeug_validating() -> Running:
        return launch(
            "werkzeug, request validation only", [PYTHON, __file__, "--serve-app", "validating"]
        )

    def mock_plugin() -> Running:
        return launch(
            "mock as the pytest plugin runs it", [PYTHON, __file__, "--serve-app", "plugin"]
        )

    def mock() -> Running:
        return launch("mock (werkzeug, validating)", [*serve, "--port", "0", "--quiet"])

    def mock_logged() -> Running:
        return launch("mock (werkzeug, validating, request log)", [*serve, "--port", "0"])

    def mock_workers() -> Running:
        journal = journal_dir / "workers.sqlite"
        return launch(
            "mock --workers 2 (granian, journal)",
            [*serve, "--port", "0", "--workers", "2", "--journal", str(journal), "--quiet"],
        )

    def mock_workers_spec() -> Running:
        mirror = ROOT.parent / "shared" / "corpus" / "openlineage-spec" / "versions"
        if not mirror.is_dir():
            raise RuntimeError(f"no schema mirror at {mirror}")
        journal = journal_dir / "workers-spec.sqlite"
        return launch(
            "mock --workers 2, OpenLineage conformance",
            [
                *serve,
                "--port",
                "0",
                "--workers",
                "2",
                "--journal",
                str(journal),
                "--quiet",
                "--schemas",
                str(mirror),
                "--offline",
            ],
        )

    def openlineage(kind: str) -> Running:
        # OpenLineage's own document: POST /lineage and POST /lineage/batch.
        document = ROOT.parent / "shared" / "corpus" / "openlineage-spec" / "OpenLineage.yml"
        if not document.is_file():
            raise RuntimeError(f"no OpenLineage.yml at {document}")
        journal = journal_dir / f"openlineage-{kind}.sqlite"
        argv = [*serve, "--port", "0", "--workers", "2", "--journal", str(journal), "--quiet"]
        argv += ["--spec", str(document)]
        if kind == "single":
            return launch("OpenLineage.yml --workers 2, one event", argv, path="/lineage")
        running = launch(
            f"OpenLineage.yml --workers 2, batch of {BATCH}", argv, path="/lineage/batch"
        )
        batch = journal_dir / "batch.json"
        batch.write_text(json.dumps([event() for _ in range(BATCH)]))
        running.body, running.events = batch, BATCH
        return running

    def mock_gunicorn() -> Running:
        port = free_port()
        journal = journal_dir / "gunicorn.sqlite"
        return launch(
            "mock, gunicorn 2 gthread workers (journal)",
            [
                str(BIN / "gunicorn"),
                "-w",
                "2",
                "-k",
                "gthread",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "--no-control-socket",
                "--log-level",
                "warning",
                "lineage_contract.mock:app_from_env()",
            ],
            port=port,
            env={"LINEAGE_CONTRACT_JOURNAL": str(journal)},
        )

    def gunicorn_trivial() -> Running:
        port = free_port()
        return launch(
            "gunicorn 2 sync workers, trivial app",
            [
                str(BIN / "gunicorn"),
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--no-control-socket",
                "--log-level",
                "warning",
                "--pythonpath",
                str(Path(__file__).parent),
                "serve:trivial_app",
            ],
            port=port,
        )

    def granian_trivial() -> Running:
        port = free_port()
        return launch(
            "granian 2 workers, trivial app",
            [
                str(BIN / "granian"),
                "--interface",
                "wsgi",
                "--workers",
                "2",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--working-dir",
                str(Path(__file__).parent),
                "serve:trivial_app",
            ],
            port=port,
        )

    def prism() -> Running:
        binary = prism_binary()
        if binary is None:
            raise RuntimeError("Prism unavailable (no npm, or the install failed)")
        port = free_port()
        return launch(
            "Stoplight Prism mock",
            [
                str(binary),
                "mock",
                str(ROOT / "openapi.json"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-v",
                "silent",
            ],
            port=port,
        )

    return {
        "werkzeug": werkzeug_trivial,
        "parse": werkzeug_parsing,
        "validation": werkzeug_validating,
        "plugin": mock_plugin,
        "mock": mock,
        "mock-logged": mock_logged,
        "workers": mock_workers,
        "workers-spec": mock_workers_spec,
        "gunicorn-mock": mock_gunicorn,
        "gunicorn": gunicorn_trivial,
        "granian": granian_trivial,
        "prism": prism,
        "ol-single": lambda: openlineage("single"),
        "ol-batch": lambda: openlineage("batch"),
    }


# -- load -----------------------------------------------------------------------


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    """Requests answered (over every slice, for a median)."""
    non_2xx: int
    errors: int
    cpu_us: float = 0.0
    """CPU time (user + system) of the server's processes per request answered."""
    events: int = 1
    """Events each request carried."""

    @property
    def events_per_second(self) -> float:
        return self.rps * self.events


WRK_SCRIPT = """
local f = assert(io.open(os.getenv("LINEAGE_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("LINEAGE_BENCH_TOKEN")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"us":%d,"non2xx":%d,"errors":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_load(name: str, url: str, body: Path, connections: int, seconds: float) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(seconds))}s",  # wrk takes whole seconds
                "--timeout",
                "5s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            env={**os.environ, "LINEAGE_BENCH_BODY": str(body), "LINEAGE_BENCH_TOKEN": TOKEN},
        )
    finally:
        os.unlink(script.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk said: {out.stdout[-500:]} {out.stderr[-500:]}")
    data = json.loads(line.removeprefix("RESULT "))
    return Result(
        name,
        rps=data["requests"] / (data["us"] / 1e6),
        p50_ms=data["p50"] / 1000,
        p99_ms=data["p99"] / 1000,
        requests=data["requests"],
        non_2xx=data["non2xx"],
        errors=data["errors"],
    )


def python_load(name: str, url: str, body: Path, connections: int, seconds: float) -> Result:
    """A keep-alive load generator in threads, for machines without wrk (it is slower)."""
    payload = body.read_bytes()
    authority, path = url.split("//", 1)[1].split("/", 1)
    host, port = authority.rsplit(":", 1)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    latencies: list[list[float]] = [[] for _ in range(connections)]
    counts = [[0, 0, 0] for _ in range(connections)]  # ok, non-2xx, errors
    deadline = time.monotonic() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("POST", "/" + path, payload, headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                counts[i][2] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=5)
                continue
            latencies[i].append(time.perf_counter() - started)
            counts[i][0 if 200 <= response.status < 300 else 1] += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    every = sorted(x for lat in latencies for x in lat)
    p50, p99 = (every[int(len(every) * q)] * 1000 if every else 0.0 for q in (0.5, 0.99))
    done = sum(c[0] + c[1] for c in counts)
    return Result(
        name,
        rps=done / elapsed,
        p50_ms=p50,
        p99_ms=p99,
        requests=done,
        non_2xx=sum(c[1] for c in counts),
        errors=sum(c[2] for c in counts),
    )


def round_trip(url: str, body: Path, seconds: float) -> tuple[float, int]:
    """The median round trip (ms) of one keep-alive client sending for ``seconds``."""
    payload = body.read_bytes()
    authority, path = url.split("//", 1)[1].split("/", 1)
    host, port = authority.rsplit(":", 1)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    trips: list[float] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            conn.request("POST", "/" + path, payload, headers)
            conn.getresponse().read()
            trips.append(time.perf_counter() - started)
    finally:
        conn.close()
    return statistics.median(trips) * 1000, len(trips)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its descendants, from /proc (0 where unreadable)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, IndexError, ValueError):
            continue
        pending.extend(int(c) for c in children)
    return total


def timed_load(
    load: Callable[[str, str, Path, int, float], Result],
    running: Running,
    body: Path,
    connections: int,
    seconds: float,
) -> Result:
    # CPU per request is steadier than req/s on a shared machine: a neighbour's
    # burst slows the clock, not the work each request costs.
    before = cpu_seconds(running.process.pid)
    result = load(running.name, running.url, running.body or body, connections, seconds)
    spent = cpu_seconds(running.process.pid) - before
    result.cpu_us = spent / max(result.requests, 1) * 1e6
    result.events = running.events
    return result


def measure(
    servers: dict[str, Running], body: Path, connections: int, seconds: float, rounds: int
) -> dict[str, list[Result]]:
    """Load each server for ``seconds`` in all, in ``rounds`` slices taken in turn.

    Interleaving spreads the machine's other work over every server alike, and
    slices of one round, taken seconds apart, can be compared pairwise.
    """
    load = wrk_load if shutil.which("wrk") else python_load
    for running in servers.values():
        load(running.name, running.url, running.body or body, connections, 1.0)  # warm-up
    slices: dict[str, list[Result]] = {key: [] for key in servers}
    for _ in range(rounds):
        for key, running in servers.items():
            slices[key].append(timed_load(load, running, body, connections, seconds / rounds))
    return slices


def _median(parts: list[Result]) -> Result:
    return Result(
        parts[0].name,
        rps=statistics.median(p.rps for p in parts),
        p50_ms=statistics.median(p.p50_ms for p in parts),
        p99_ms=statistics.median(p.p99_ms for p in parts),
        requests=sum(p.requests for p in parts),
        non_2xx=sum(p.non_2xx for p in parts),
        errors=sum(p.errors for p in parts),
        cpu_us=statistics.median(p.cpu_us for p in parts),
        events=parts[0].events,
    )


# -- the journal under load -----------------------------------------------------------


def journal_count(journal: Path) -> int:
    from lineage_contract.mock._journal import SqliteJournal

    with SqliteJournal(journal) as records:
        return records.tally(valid=True)


def load_journal(total: int, clients: int, journal_dir: Path) -> None:
    """16 clients send ``total`` distinct events; the journal must hold one per 200."""
    journal = journal_dir / "load.sqlite"
    running = launch(
        "mock --workers 2",
        [*SERVE, "--port", "0", "--workers", "2", "--quiet", "--journal", str(journal)],
    )
    try:
        started = time.monotonic()
        ok = send_events(running.url, total, clients)
        elapsed = time.monotonic() - started
    finally:
        running.stop()
    held = journal_count(journal)
    verdict = "OK" if held == ok else "MISMATCH"
    print(
        f"\nload: {total:,} events from {clients} clients in {elapsed:.1f}s "
        f"({total / elapsed:,.0f}/s): {ok:,} answered 200, journal holds {held:,} -> {verdict}"
    )


def send_events(url: str, total: int, clients: int) -> int:
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    template = json.dumps(event(600, run_id="00000000-0000-4000-8000-000000000000"))
    oks = [0] * clients
    per = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        for _ in range(per[i]):
            body = template.replace("00000000-0000-4000-8000-000000000000", str(uuid.uuid4()))
            conn.request("POST", PATH, body, headers)
            response = conn.getresponse()
            response.read()
            oks[i] += response.status == 200
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(oks)


# -- the table --------------------------------------------------------------------


def table(results: Iterable[Result]) -> Iterator[str]:
    yield (
        f"{'server':<44} {'req/s':>9} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'CPU us/req':>10} {'requests':>9} {'non-2xx':>8} {'errors':>7}"
    )
    for r in results:
        yield (
            f"{r.name:<44} {r.rps:>9,.0f} {r.events_per_second:>9,.0f} {r.p50_ms:>8.2f}"
            f" {r.p99_ms:>8.2f} {r.cpu_us:>10,.0f} {r.requests:>9,} {r.non_2xx:>8} {r.errors:>7}"
        )


def _cpu(result: Result, bare: Result) -> str:
    """Extra CPU per request over ``bare``: the steadier figure on a shared machine."""
    if not (result.cpu_us and bare.cpu_us):
        return "n/a"
    return f"{result.cpu_us / bare.cpu_us - 1:+.1%}"


def paired_costs(slices: dict[str, list[Result]], key: str) -> list[float]:
    """The throughput ``key`` loses against the bare werkzeug server, round by round.

    A neighbour's burst on a shared VM moves both slices of a round alike, so
    the ratio within a round is steadier than the ratio of the medians.
    """
    pairs = zip(slices[key], slices["werkzeug"], strict=True)
    return sorted(1 - served.rps / bare.rps for served, bare in pairs)


def _spread(costs: list[float]) -> str:
    if len(costs) < 2:
        return f"{costs[0]:+.1%}"
    low, median, high = statistics.quantiles(costs, n=4, method="inclusive")
    under = sum(c < 0.10 for c in costs)
    return (
        f"{median:+.1%} (quartiles {low:+.1%} to {high:+.1%}, "
        f"under 10% in {under} of {len(costs)} rounds)"
    )


_COSTS = {
    "parse": "JSON parse alone (orjson, the floor of judging parsed objects)",
    "validation": "request validation on the default server (target < 10%)",
    "plugin": "the mock as the pytest plugin runs it (a token, no log; target < 10%)",
    "mock": "the whole mock on the default server (validation, journal, faults)",
}


def verdicts(slices: dict[str, list[Result]]) -> Iterator[str]:
    by_key = {key: _median(parts) for key, parts in slices.items()}
    bare = by_key.get("werkzeug")
    for key, label in _COSTS.items():
        if bare is None or key not in by_key:
            continue
        costs = paired_costs(slices, key)
        line = (
            f"{label}: {_spread(costs)} of bare throughput; "
            f"{_cpu(by_key[key], bare)} CPU per request"
        )
        if key in ("validation", "plugin"):
            line += f": {'met' if statistics.median(costs) < 0.10 else 'MISSED'}"
        yield line
    workers, prism = by_key.get("workers"), by_key.get("prism")
    if workers and prism:
        ratio = workers.rps / prism.rps
        lower = workers.p99_ms < prism.p99_ms
        yield (
            f"--workers 2 vs Prism: {ratio:.1f}x req/s (target >= 3x), p99 "
            f"{workers.p99_ms:.1f} vs {prism.p99_ms:.1f} ms: "
            f"{'met' if ratio >= 3 and lower else 'MISSED'}"
        )
    single, batch = by_key.get("ol-single"), by_key.get("ol-batch")
    if single and batch:
        ratio = batch.events_per_second / single.events_per_second
        yield (
            f"OpenLineage.yml --workers 2, batches of {BATCH} vs one event a request: "
            f"{ratio:.1f}x events/s (target >= 3x): {'met' if ratio >= 3 else 'MISSED'}"
        )
    for r in by_key.values():
        if r.non_2xx or r.errors:
            yield f"warning: {r.name} answered {r.non_2xx} non-2xx and had {r.errors} errors"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per server (10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (16)")
    parser.add_argument("--rounds", type=int, default=5, help="slices per server, in turn (5)")
    parser.add_argument("--only", nargs="*", help="run only these servers")
    parser.add_argument(
        "--load",
        type=int,
        default=0,
        metavar="N",
        help="also send N events from 16 clients and count the journal",
    )
    parser.add_argument(
        "--serve-app",
        choices=("trivial", "parsing", "validating", "plugin"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args(argv)
    if args.serve_app:
        _serve_on_werkzeug(args.serve_app)
        return 0

    from lineage_contract import Validator

    sample = event()
    assert Validator().is_valid(sample), "the bench event must be valid"
    print(
        f"{len(json.dumps(sample)):,} byte event, {args.connections} connections, "
        f"{args.duration:g}s each, load from {'wrk' if shutil.which('wrk') else 'Python threads'}"
    )
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as scratch:
        body = Path(scratch) / "event.json"
        body.write_text(json.dumps(sample))
        servers: dict[str, Running] = {}
        try:
            for key, start in scenarios(Path(scratch)).items():
                if args.only and key not in args.only:
                    continue
                try:
                    servers[key] = start()
                except (RuntimeError, OSError) as exc:
                    print(f"skipped {key}: {exc}", flush=True)
            print(f"{len(servers)} servers up; {args.rounds} rounds", flush=True)
            slices = measure(servers, body, args.connections, args.duration, args.rounds)
            trips = {
                servers[key].name: round_trip(servers[key].url, body, args.duration / 4)
                for key in ("werkzeug", "plugin")
                if key in servers
            }
        finally:
            for running in servers.values():
                running.stop()
        print()
        for line in table(_median(parts) for parts in slices.values()):
            print(line)
        print()
        for line in verdicts(slices):
            print(line)
        for name, (median_ms, count) in trips.items():
            print(
                f"one sequential client, {name}: median round trip {median_ms:.2f} ms ({count:,})"
            )
        if args.load:
            load_journal(args.load, 16, Path(scratch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
