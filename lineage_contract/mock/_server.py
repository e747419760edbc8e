"""Run the mock on werkzeug's threaded server from a background thread, for tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.serving import WSGIRequestHandler, make_server

from ..contract import Contract
from ._app import MockApp, create_app
from ._journal import Journal, Record

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

    from ._faults import Faults


class MockServer:
    """A :class:`MockApp` served by werkzeug's threaded server from a background thread.

    Use as a context manager, or ``start()``/``stop()``. ``port=0`` picks a free
    port; ``url`` is the base URL and ``endpoint`` the lineage operation's URL.
    Keyword options other than ``host`` and ``port`` go to :func:`create_app`.
    """

    def __init__(
        self,
        app: MockApp | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        **create_app_options: Any,
    ) -> None:
        if app is not None and create_app_options:
            raise TypeError("give either an app or options to build one, not both")
        self.app = app if app is not None else create_app(**create_app_options)
        self.host = host
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> MockServer:
        if self._server is not None:
            return self
        server = make_server(
            self.host, self._requested_port, self.app, threaded=True, request_handler=QuietHandler
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


class QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without its access log line per request; errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass
