"""Serving the mock: what ``lineage-contract serve`` runs, and the WSGI factory.

One process serves with werkzeug's threaded server. ``--workers N`` runs N
worker processes under granian, whose Rust HTTP core serves the mock
faster than gunicorn's workers do (``bench/serve.py`` measures both); the
workers share one SQLite journal, a temporary file unless ``--journal`` names
one. Either way ``listening on http://HOST:PORT`` is printed on stdout once
connections are accepted (the real port, also for ``--port 0``), one line per
request goes to stderr, and SIGINT or SIGTERM stops the server with status 0.

Either server keeps answering with many idle or slow clients: it closes a
connection whose request line and headers take longer than ``header_timeout``
(also a kept-alive one idle that long) and holds at most ``max_connections``
(per worker under granian, where more wait in the listen backlog; the threaded
server answers them 503). The threaded server also times out a body read after
``read_timeout``; granian 2.8 has no such setting for WSGI. A worker that dies
is started again, and granian says so on stderr.

The application is also a factory any WSGI server can import. It reads its
options from the environment: ``LINEAGE_CONTRACT_SPEC``,
``LINEAGE_CONTRACT_TOKENS`` (comma-separated), ``LINEAGE_CONTRACT_JOURNAL``,
``LINEAGE_CONTRACT_INVALID_STATUS``, ``LINEAGE_CONTRACT_MAX_DELAY``, and for forwarding
``LINEAGE_CONTRACT_FORWARD`` (the upstream URL), ``LINEAGE_CONTRACT_FORWARD_TOKEN``,
``LINEAGE_CONTRACT_FORWARD_TIMEOUT`` and ``LINEAGE_CONTRACT_FORWARD_INVALID``::

    gunicorn -w 2 'lineage_contract.mock:app_from_env()'
    granian --interface wsgi --factory lineage_contract.mock:app_from_env
    waitress-serve --call lineage_contract.mock:app_from_env

Several processes share what they record only through a journal file.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from ..contract._document import Contract
from ..errors import LineageContractError
from ..spec import OFFLINE_ENV, SCHEMAS_ENV, Settings, mirror_from_env, offline_from_env
from ..validation._render import printable
from ._faults import DEFAULT_MAX_DELAY, MAX_DELAY
from ._forward import DEFAULT_TIMEOUT, Forwarding
from ._server import (
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_READ_TIMEOUT,
    BoundedServer,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ._app import MockApp
    from ._journal import Record

ENV_SPEC = "LINEAGE_CONTRACT_SPEC"
ENV_TOKENS = "LINEAGE_CONTRACT_TOKENS"
ENV_ADMIN_TOKENS = "LINEAGE_CONTRACT_ADMIN_TOKENS"
ENV_CONFORMANCE = "LINEAGE_CONTRACT_CONFORMANCE"
ENV_JOURNAL = "LINEAGE_CONTRACT_JOURNAL"
ENV_INVALID_STATUS = "LINEAGE_CONTRACT_INVALID_STATUS"
ENV_MAX_DELAY = "LINEAGE_CONTRACT_MAX_DELAY"
ENV_FORWARD = "LINEAGE_CONTRACT_FORWARD"
ENV_FORWARD_TOKEN = "LINEAGE_CONTRACT_FORWARD_TOKEN"
ENV_FORWARD_TIMEOUT = "LINEAGE_CONTRACT_FORWARD_TIMEOUT"
ENV_FORWARD_INVALID = "LINEAGE_CONTRACT_FORWARD_INVALID"

_ENV_PARENT = "_LINEAGE_CONTRACT_SERVE_PID"
_PR_SET_PDEATHSIG = 1
_GC_THRESHOLD = 20_000
_STARTUP_TIMEOUT = 60.0
# Per granian worker, the most threads running the app: granian starts one only
# when a request finds every other busy, so under load they are as many as the
# requests in flight, and a request sleeping on a delay fault holds one.
_BLOCKING_THREADS = 32
# granian caps its header read timeout at 60 s.
MAX_HEADER_TIMEOUT = 60.0
# Open files beside the connections: the journal, its logs, the listening socket.
_SPARE_FILES = 64
# A worker that ignores SIGTERM (one that got it while still booting) is killed.
_WORKERS_KILL_TIMEOUT = 10


# -- the factory --------------------------------------------------------------


def app_from_env(environ: Mapping[str, str] | None = None) -> MockApp:
    """The mock WSGI app, configured from ``LINEAGE_CONTRACT_*`` environment variables."""
    return ServeOptions.from_env(os.environ if environ is None else environ).build_app()


def logged_app_from_env() -> RequestLog:
    """:func:`app_from_env` with one stderr line per request (what the workers serve)."""
    return RequestLog.around(ServeOptions.from_env(os.environ).build_app)


class ServeOptions:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: tuple[str, ...] = (),
        journal: Path | None = None,
        spec: Path | None = None,
        invalid_status: int = 422,
        max_delay: float = DEFAULT_MAX_DELAY,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        admin_tokens: tuple[str, ...] = (),
        conformance: Settings | None = None,
        forward: Forwarding | None = None,
    ) -> None:
        self.host = host
        self.forward = forward
        self.admin_tokens = admin_tokens
        self.conformance = conformance
        self.port = port
        self.tokens = tokens
        self.journal = journal
        self.spec = spec
        self.invalid_status = invalid_status
        self.max_delay = max_delay
        self.header_timeout = header_timeout
        self.read_timeout = read_timeout
        self.max_connections = max_connections

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ServeOptions:
        tokens = tuple(t.strip() for t in environ.get(ENV_TOKENS, "").split(",") if t.strip())
        journal = environ.get(ENV_JOURNAL) or None
        spec = environ.get(ENV_SPEC) or None
        status = environ.get(ENV_INVALID_STATUS) or None
        try:
            invalid_status = error_status(status) if status else 422
        except ValueError as exc:
            raise ValueError(f"{ENV_INVALID_STATUS}: {exc}") from None
        delay = environ.get(ENV_MAX_DELAY) or None
        try:
            max_delay = max_delay_seconds(delay) if delay else DEFAULT_MAX_DELAY
        except ValueError as exc:
            raise ValueError(f"{ENV_MAX_DELAY}: {exc}") from None
        admin = tuple(t.strip() for t in environ.get(ENV_ADMIN_TOKENS, "").split(",") if t.strip())
        # As serve does: on when asked, else when a mirror is named.
        conformance = None
        asked = environ.get(ENV_CONFORMANCE, "").strip().lower()
        mirror = mirror_from_env(environ)
        if asked in ("1", "true", "yes") or (not asked and mirror is not None):
            conformance = Settings(str(mirror) if mirror else None, offline_from_env(environ))
        return cls(
            forward=_forwarding_from_env(environ),
            tokens=tokens,
            admin_tokens=admin,
            conformance=conformance,
            journal=Path(journal) if journal else None,
            spec=Path(spec) if spec else None,
            invalid_status=invalid_status,
            max_delay=max_delay,
        )

    def to_env(self) -> dict[str, str]:
        return {
            ENV_TOKENS: ",".join(self.tokens),
            ENV_ADMIN_TOKENS: ",".join(self.admin_tokens),
            ENV_CONFORMANCE: "1" if self.conformance is not None else "0",
            SCHEMAS_ENV: (self.conformance.mirror or "") if self.conformance else "",
            OFFLINE_ENV: "1" if self.conformance is not None and self.conformance.offline else "",
            ENV_INVALID_STATUS: str(self.invalid_status),
            ENV_JOURNAL: str(self.journal) if self.journal else "",
            ENV_SPEC: str(self.spec) if self.spec else "",
            ENV_MAX_DELAY: repr(self.max_delay),
            ENV_FORWARD: self.forward.url if self.forward else "",
            ENV_FORWARD_TOKEN: (self.forward.token or "") if self.forward else "",
            ENV_FORWARD_TIMEOUT: repr(self.forward.timeout) if self.forward else "",
            ENV_FORWARD_INVALID: "1" if self.forward and self.forward.invalid else "",
        }

    def build_app(self, on_record: Callable[[Record], None] | None = None) -> MockApp:
        from ._app import create_app

        mirror = self.conformance.mirror if self.conformance else None
        contract = Contract.load(self.spec, mirror=mirror)
        return create_app(
            contract,
            tokens=self.tokens,
            journal=self.journal,
            invalid_status=self.invalid_status,
            on_record=on_record,
            max_delay=self.max_delay,
            admin_tokens=self.admin_tokens,
            conformance=(
                self.conformance.event_check(contract) if self.conformance is not None else None
            ),
            forward=self.forward,
        )

    def loop(self, port: int) -> str | None:
        """Why forwarding from ``port`` would loop back to this server, or None."""
        if self.forward is not None and self.forward.loops_to(self.host, port):
            return (
                f"--forward {self.forward.url} points at this server ({self.host}:{port}): "
                "it would forward to itself"
            )
        return None


def _forwarding_from_env(environ: Mapping[str, str]) -> Forwarding | None:
    url = environ.get(ENV_FORWARD) or None
    if url is None:
        return None
    timeout = environ.get(ENV_FORWARD_TIMEOUT) or None
    try:
        return Forwarding(
            url,
            token=environ.get(ENV_FORWARD_TOKEN) or None,
            timeout=float(timeout) if timeout else DEFAULT_TIMEOUT,
            invalid=environ.get(ENV_FORWARD_INVALID, "").strip().lower() in ("1", "true", "yes"),
        )
    except ValueError as exc:
        raise ValueError(f"{ENV_FORWARD}: {exc}") from None


# -- one line per request -----------------------------------------------------


class RequestLog:
    """WSGI middleware: ``METHOD PATH STATUS VERDICT TIME`` on stderr for every request.

    The verdict is the journal record's: ``valid``, or ``invalid:`` and the kinds
    of violation (``invalid:schema``, ``invalid:security``, ...); ``-`` for the
    mock's own ``/_lineage/`` routes. One ``write(2)`` per line, so lines from
    several worker processes never interleave. The method and path are the
    client's text, escaped (:func:`printable`): a ``%0a`` in a path cannot start
    a line of its own, nor an ESC reach the terminal.
    """

    def __init__(self, app: WSGIApplication | None = None, *, fd: int = 2) -> None:
        self.app = app
        self.fd = fd
        self._local = threading.local()

    @classmethod
    def around(cls, build: Callable[[Callable[[Record], None]], WSGIApplication]) -> RequestLog:
        """Log the app ``build(on_record)`` returns; it reports each record to the log."""
        log = cls()
        log.app = build(log.note)
        return log

    def note(self, record: Record) -> None:
        """The mock's ``on_record`` hook: it runs in the thread handling the request."""
        self._local.record = record

    def __getattr__(self, name: str) -> Any:
        # The mock's own methods (records, fail_next, close, ...) stay reachable.
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self.app is not None, "RequestLog has no app"
        started = time.perf_counter()
        status = ["-"]
        self._local.record = None

        def logging_start_response(
            code: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, exc_info)

        try:
            body = self.app(environ, logging_start_response)
        except BaseException:
            # A dropped connection (an injected fault) or a crash: logged all the same.
            self._write(environ, status[0], self._verdict(), started)
            raise
        return self._logged(body, environ, status, self._verdict(), started)

    def _logged(
        self,
        body: Iterable[bytes],
        environ: WSGIEnvironment,
        status: list[str],
        verdict: str,
        started: float,
    ) -> Iterator[bytes]:
        # Logged once the answer is out, so the time covers sending it too.
        try:
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            self._write(environ, status[0], verdict, started)

    def _verdict(self) -> str:
        record: Record | None = getattr(self._local, "record", None)
        if record is None:
            return "-"
        if record.valid:
            return "valid"
        kinds = dict.fromkeys(v.kind.value for v in record.violations)
        return "invalid:" + ",".join(kinds) if kinds else "invalid"

    def _write(self, environ: WSGIEnvironment, status: str, verdict: str, started: float) -> None:
        path = environ.get("PATH_INFO", "") or "/"
        query = environ.get("QUERY_STRING")
        if query:
            path = f"{path}?{query}"
        method = _client_text(environ.get("REQUEST_METHOD", "-"))
        ms = (time.perf_counter() - started) * 1000
        line = f"{method} {_client_text(path)} {status} {verdict} {ms:.1f}ms\n"
        with contextlib.suppress(OSError):
            os.write(self.fd, line.encode("utf-8", "backslashreplace"))


def _client_text(text: str) -> str:
    """A WSGI string (request bytes as latin-1, PEP 3333) as the UTF-8 it mostly is, escaped."""
    with contextlib.suppress(UnicodeEncodeError):
        text = text.encode("latin-1").decode("utf-8", "backslashreplace")
    return printable(text)


# -- stopping -----------------------------------------------------------------


class Stopped(Exception):
    """A signal arrived before the server was up: stop without serving."""


class Stop:
    """SIGINT and SIGTERM set an event; before ``serving()`` they raise :class:`Stopped`."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.serving = False

    @classmethod
    def on_signals(cls) -> Stop:
        stop = cls()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, stop.handle)
        return stop

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.event.set()
        if not self.serving:
            raise Stopped

    def wait(self) -> None:
        self.serving = True
        # A short timeout keeps the main thread coming back to the interpreter,
        # where signal handlers run.
        while not self.event.wait(0.2):
            pass


# -- one process, werkzeug ----------------------------------------------------


def serve_threaded(options: ServeOptions, stop: Stop, *, quiet: bool) -> int:
    try:
        served: WSGIApplication
        if quiet:
            app = served = options.build_app()
        else:
            log = RequestLog.around(options.build_app)
            app, served = log.app, log  # type: ignore[assignment]
    except (LineageContractError, OSError, ValueError) as exc:
        return _fail(str(exc))
    settle_heap()
    allow_open_files(options.max_connections)
    try:
        server = BoundedServer(
            options.host,
            options.port,
            served,
            header_timeout=options.header_timeout,
            read_timeout=options.read_timeout,
            max_connections=options.max_connections,
        )
    except OSError as exc:
        app.close()
        return _fail(f"cannot listen on {options.host}:{options.port}: {exc}", 1)
    loop = options.loop(server.server_port)
    if loop is not None:
        app.close()
        server.server_close()
        return _fail(loop)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="lineage-contract-serve"
    )
    thread.start()
    try:
        # The server has bound and listened: connections are accepted from here on.
        _announce(options.host, server.server_port)
        stop.wait()
    finally:
        app.close()  # first, to wake requests sleeping on a delay fault
        server.shutdown()
        thread.join()
        server.server_close()
    return 0


# -- N processes, granian -----------------------------------------------------


def serve_workers(options: ServeOptions, workers: int, *, quiet: bool) -> int:
    try:
        from granian.constants import Interfaces
        from granian.http import HTTP1Settings
        from granian.log import LogLevels
        from granian.server import Server
    except ImportError:
        return _fail("--workers needs granian: pip install 'lineage-contract[serve]'")
    scratch: str | None = None
    if options.journal is None:
        scratch = tempfile.mkdtemp(prefix="lineage-contract-")
        options.journal = Path(scratch) / "journal.sqlite"
        print(f"journal (temporary): {options.journal}", file=sys.stderr, flush=True)
    try:
        # Load the contract and create the journal's tables before forking: a bad
        # option fails here, once, and workers never race to make the schema.
        try:
            options.build_app().close()
        except (LineageContractError, OSError, ValueError) as exc:
            return _fail(str(exc))
        os.environ.update(options.to_env())
        # granian binds one SO_REUSEPORT socket per worker (on Linux); holding the
        # port with one more, bound but never listening, makes port 0 one port.
        try:
            reserve = _reserve_port(options.host, options.port)
        except OSError as exc:
            return _fail(f"cannot listen on {options.host}:{options.port}: {exc}", 1)
        port = int(reserve.getsockname()[1])
        loop = options.loop(port)
        if loop is not None:
            reserve.close()
            return _fail(loop)
        os.environ[_ENV_PARENT] = str(os.getpid())
        allow_open_files(options.max_connections)  # the workers inherit the limit
        target = "_quiet_worker" if quiet else "_logged_worker"
        server = Server(
            f"lineage_contract.mock._serving:{target}",
            address=options.host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            factory=True,
            blocking_threads=_BLOCKING_THREADS,
            # granian's backpressure bounds the connections a worker holds at once.
            backpressure=options.max_connections,
            http1_settings=HTTP1Settings(
                header_read_timeout=max(1, round(options.header_timeout * 1000))
            ),
            log_level=LogLevels.info,
            log_dictconfig=_GRANIAN_LOG,
            log_access=False,
            respawn_failed_workers=True,
            workers_kill_timeout=_WORKERS_KILL_TIMEOUT,
        )
        announcer = _Announcer(options.host, port, workers, reserve)
        announcer.start()
        try:
            server.serve()  # granian takes SIGINT/SIGTERM over until it returns
        finally:
            announcer.stop()
        if not announcer.announced:
            return _fail("the workers never accepted connections", 1)
        return 0
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


class GranianNotes(logging.Filter):
    """granian's log lines worth showing: warnings and errors, and its respawns.

    The warning about many threads is dropped: ``_BLOCKING_THREADS`` is many on
    purpose, for requests sleeping on a delay fault.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Configuration allows spawning up to"):
            return False
        return record.levelno >= logging.WARNING or message.startswith("Respawning worker")


# On stderr: stdout carries only the listening line.
_GRANIAN_LOG: dict[str, Any] = {
    "filters": {"notes": {"()": f"{__name__}.GranianNotes"}},
    "handlers": {
        name: {
            "formatter": name if name == "access" else "generic",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "filters": ["notes"],
        }
        for name in ("console", "access")
    },
}


def _logged_worker() -> WSGIApplication:
    """What each granian worker serves (``--workers`` without ``--quiet``)."""
    _die_with_parent()
    app = logged_app_from_env()
    settle_heap()
    return app


def _quiet_worker() -> WSGIApplication:
    _die_with_parent()
    app = app_from_env()
    settle_heap()
    return app


def _die_with_parent() -> None:
    """Ask Linux for SIGTERM when the serving process dies, even by ``kill -9``.

    granian's workers would otherwise outlive it, still answering on the port.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if str(os.getppid()) != os.environ.get(_ENV_PARENT, str(os.getppid())):
        os.kill(os.getpid(), signal.SIGTERM)  # it died before we asked


def _reserve_port(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class _Announcer(threading.Thread):
    """Print the listening line once every worker listens (or, without /proc, once one does).

    Waiting for all of them means a signal sent after the line reaches booted
    workers only: one still loading the app would miss it.
    """

    def __init__(self, host: str, port: int, workers: int, reserve: socket.socket) -> None:
        super().__init__(name="lineage-contract-announce", daemon=True)
        self.host, self.port, self.workers, self.reserve = host, port, workers, reserve
        self.announced = False
        self._stop_event = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        try:
            while not self._stop_event.is_set() and time.monotonic() < deadline:
                if self._ready():
                    self.announced = True
                    _announce(self.host, self.port)
                    return
                self._stop_event.wait(0.02)
            if not self._stop_event.is_set():
                _fail("the workers did not listen in time", 1)
                os.kill(os.getpid(), signal.SIGTERM)
        finally:
            self.reserve.close()

    def _ready(self) -> bool:
        listening = _listeners(self.port)
        if listening is not None:
            return listening >= self.workers
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=2)


def _listeners(port: int) -> int | None:
    """How many TCP sockets listen on ``port`` here (Linux's /proc), None where unknown."""
    found: int | None = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        found = found or 0
        for row in rows:
            fields = row.split()
            # fields: slot, local "ADDR:PORT" in hex, remote, state ("0A" is LISTEN), ...
            if len(fields) > 3 and fields[3] == "0A":
                found += int(fields[1].rsplit(":", 1)[1], 16) == port
    return found


# -- shared bits --------------------------------------------------------------


def error_status(text: str) -> int:
    """An HTTP error status (400-599) from its text; ``ValueError`` otherwise."""
    value = int(text)
    if not 400 <= value <= 599:
        raise ValueError(f"not an error status: {value}")
    return value


def max_delay_seconds(text: str) -> float:
    """A cap on fault delays from its text: seconds in (0, 600]; ``ValueError`` otherwise."""
    value = float(text)
    if not 0 < value <= MAX_DELAY:
        raise ValueError(f"not a delay in (0, {MAX_DELAY:g}] seconds: {text}")
    return value


def allow_open_files(connections: int) -> None:
    """Raise this process's soft limit on open files, up to the hard one, to hold
    ``connections`` client sockets besides its own files (1024 is a common soft limit)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + _SPARE_FILES
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def settle_heap() -> None:
    """Keep the cyclic garbage collector off the request path of a serving process.

    A 6 KB event parses into a few hundred objects, so with the default
    thresholds the collector runs every other request and now and then walks
    the whole heap (contract, compiled schemas, modules). Freezing what startup
    built and collecting the young generation less often keeps that work off
    the request path (``bench/serve.py`` measures the difference). Only for
    processes ``serve`` runs, never for an app built into someone else's server.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(_GC_THRESHOLD, 50, 100)


def _announce(host: str, port: int) -> None:
    shown = f"[{host}]" if ":" in host else host
    print(f"listening on http://{shown}:{port}", flush=True)


def _fail(message: str, status: int = 2) -> int:
    """Say why on stderr; 2 for an unusable option or contract, 1 for a failure to serve."""
    print(f"lineage-contract serve: {message}", file=sys.stderr, flush=True)
    return status


__all__ = [
    "MAX_HEADER_TIMEOUT",
    "GranianNotes",
    "RequestLog",
    "ServeOptions",
    "Stop",
    "Stopped",
    "allow_open_files",
    "app_from_env",
    "error_status",
    "logged_app_from_env",
    "max_delay_seconds",
    "serve_threaded",
    "serve_workers",
    "settle_heap",
]
