"""Run the mock on werkzeug's threaded server from a background thread, for tests.

The server is werkzeug's threaded one with limits (:class:`BoundedServer`), so
that idle or slow clients cannot stop it answering others: a request's line
and headers must arrive within ``header_timeout`` seconds (a kept-alive
connection idle that long is closed), a body read waits at most
``read_timeout`` seconds for the next bytes, and past ``max_connections``
connections at once a new one is answered 503 and closed.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from ..contract import Contract
from ._app import MockApp, create_app
from ._journal import Journal, Record

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from _typeshed.wsgi import WSGIApplication

    from ._faults import Faults

DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 1000
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 34\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\ntoo many connections, retry later\n"
)


class MockServer:
    """A :class:`MockApp` served by werkzeug's threaded server from a background thread.

    Use as a context manager, or ``start()``/``stop()``. ``port=0`` picks a free
    port; ``url`` is the base URL and ``endpoint`` the lineage operation's URL.
    ``header_timeout``, ``read_timeout`` and ``max_connections`` are the
    server's limits (see :class:`BoundedServer`); other keyword options go to
    :func:`create_app`.
    """

    def __init__(
        self,
        app: MockApp | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        **create_app_options: Any,
    ) -> None:
        if app is not None and create_app_options:
            raise TypeError("give either an app or options to build one, not both")
        if app is not None and not isinstance(app, MockApp):
            raise TypeError(
                f"MockServer takes a MockApp, not {type(app).__name__}: "
                "pass a contract as contract=..."
            )
        self.app = app if app is not None else create_app(**create_app_options)
        self.host = host
        self._requested_port = port
        self.header_timeout = header_timeout
        self.read_timeout = read_timeout
        self.max_connections = max_connections
        self._server: BoundedServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> MockServer:
        if self._server is not None:
            return self
        server = BoundedServer(
            self.host,
            self._requested_port,
            self.app,
            header_timeout=self.header_timeout,
            read_timeout=self.read_timeout,
            max_connections=self.max_connections,
        )
        self.app._stopping.clear()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"lineage-mock:{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self.app._stopping.set()  # wake requests sleeping on a delay fault
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(5)
        self._server = self._thread = None

    def close(self) -> None:
        """Stop and release the app's journal."""
        self.stop()
        self.app.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running; call start()")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.url + self.app.contract.path

    @property
    def contract(self) -> Contract:
        return self.app.contract

    @property
    def journal(self) -> Journal:
        return self.app.journal

    @property
    def faults(self) -> Faults:
        return self.app.faults

    def records(
        self, *, valid: bool | None = None, run_id: str | None = None, job: str | None = None
    ) -> list[Record]:
        return self.app.records(valid=valid, run_id=run_id, job=job)

    def events(self) -> list[Any]:
        return self.app.events()

    def clear(self) -> None:
        self.app.clear()

    def wait_for(
        self, count: int, timeout: float = 5.0, *, valid: bool | None = None
    ) -> list[Record]:
        return self.app.wait_for(count, timeout, valid=valid)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records())

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"<MockServer {where}>"


class BoundedServer(ThreadedWSGIServer):
    """werkzeug's threaded server, with read timeouts and a bound on connections.

    Each connection still has a thread, blocked in reads while the client is
    silent: the timeouts end the silent ones, and the bound keeps the threads
    (and open files) in check.
    """

    def __init__(
        self,
        host: str,
        port: int,
        app: WSGIApplication,
        *,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        for name, value in (("header_timeout", header_timeout), ("read_timeout", read_timeout)):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if max_connections < 1:
            raise ValueError(f"max_connections must be 1 or more, got {max_connections!r}")
        self.header_timeout = header_timeout
        self.read_timeout = read_timeout
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(host, port, app, handler=QuietHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            _refuse(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def _refuse(sock: socket.socket) -> None:
    """Say 503 without waiting on the client: this runs on the thread that accepts."""
    try:
        sock.setblocking(False)
        sock.send(_BUSY)
    except OSError:
        pass


class _TimedSocketReader(io.RawIOBase):
    """The client socket as a raw stream whose reads time out as the handler says.

    With a ``deadline`` every read waits only for what is left of it, so a
    client sending its headers a byte at a time still runs out of time; without
    one each read waits at most ``timeout`` seconds.
    """

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        super().__init__()
        self.sock = sock
        self.timeout = timeout
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        wait = self.timeout
        if self.deadline is not None:
            wait = self.deadline - time.monotonic()
            if wait <= 0:
                raise TimeoutError("the request's headers took too long")
        self.sock.settimeout(wait)
        return self.sock.recv_into(buffer)


class QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without its access log line per request; errors are still logged.

    It also applies :class:`BoundedServer`'s timeouts (with another server,
    none): the request line and headers get ``header_timeout`` seconds in all,
    from when the server starts waiting for them; each read of the body (and
    each write of the answer) ``read_timeout``.
    """

    server: Any
    _reader: _TimedSocketReader | None = None

    def setup(self) -> None:
        super().setup()
        read_timeout = getattr(self.server, "read_timeout", None)
        if read_timeout is not None:
            self._reader = _TimedSocketReader(self.connection, read_timeout)
            self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        if self._reader is not None:
            self._reader.deadline = time.monotonic() + self.server.header_timeout
        super().handle_one_request()

    def run_wsgi(self) -> None:
        if self._reader is not None:
            self._reader.deadline = None  # the headers are in: the body's reads now
        super().run_wsgi()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:
        # A silent client timing out is how an idle connection ends: not an error.
        if not format.startswith("Request timed out"):
            super().log_error(format, *args)
