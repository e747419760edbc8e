"""A mock of the contract's endpoint: a WSGI app that answers like it, records, and fails on demand.

:func:`create_app` builds the :class:`MockApp` (a WSGI callable any server can
run: ``gunicorn 'lineage_contract.mock:create_app()'``); :class:`MockServer`
runs one on werkzeug's threaded server in a background thread, for tests.

What the lineage operation answers (statuses and bodies from the contract):

* 200 with the contract's success body for a valid request;
* 401 with the contract's 401 body and ``WWW-Authenticate`` when the
  credentials the contract asks for are missing (or not among ``tokens``),
  whatever the body (a body past the limit is not even read then);
* 422 (``invalid_status``) for a schema violation, 400 (``malformed_status``)
  for a body that is not JSON or not valid gzip, as ``application/problem+json``;
* 404, 405 with ``Allow``, 413 (checked on ``Content-Length`` before reading,
  and again after gzip decoding), 415 for another media type or an unknown
  ``Content-Encoding``.

Beside it, under ``/_lineage/``: ``GET``/``DELETE events`` (the journal,
filtered by ``valid``, ``runId``, ``job``, ``since``), ``GET healthz``,
``GET``/``POST``/``DELETE faults``, and the console (``GET ui`` and its files,
also ``GET /``; see :mod:`._console`). A call that changes state (``POST``,
``DELETE``) must say ``Content-Type: application/json``, which no page on
another origin can send without the browser asking first (415 otherwise).

A ``drop`` fault needs the server to hand over the client socket (werkzeug's
development server and gunicorn do); elsewhere (granian, waitress) the request
is aborted with an exception and the server answers it, typically with a 500:
the record says 500 there, and None only where the connection was closed.

With ``forward`` (``serve --forward URL``), what the mock accepts is also sent on to a
real backend, and the client gets that backend's answer (or a 502/504 problem when there
is none); the record keeps both verdicts. See :mod:`._forward`.

Every operation of the contract's document that takes JSON is served (routes and
allowed methods from the document). A batch operation (an array of events)
answers its documented success when every element is valid (a bodiless 2xx such
as ``204`` first); when some elements break the contract, ``200`` (the 2xx whose
body the document describes) with ``status: partial_success``, a ``summary`` and
``failed_events`` (``index``, ``reason``, ``retriable: false``); a body that is
not an array, or not JSON, is a problem as for one event. Each element is
recorded as its own event (``batch``, ``index``); a fault applies to the whole
request.

The lineage request path is kept lean: the contract is compiled once, the
success answer is pre-rendered and sent without a response object, and the
journal append is O(1) in memory (one INSERT with SQLite).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson
from werkzeug.exceptions import ClientDisconnected, HTTPException, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request, Response

from ..contract import Contract
from ..errors import LineageContractError
from ..validation import (
    DEFAULT_MAX_BODY,
    Credentials,
    EventCheck,
    Kind,
    Level,
    PayloadError,
    Report,
    Validator,
    Violation,
    environ_header,
    judge_request,
    too_large,
)
from ..validation._request import fold_slashes, target_path
from . import _console
from ._console import Views
from ._faults import DEFAULT_MAX_DELAY, Fault, FaultError, Faults, SharedFaults, parse_fault
from ._forward import Forwarded, Forwarder, Forwarding
from ._headers import HeaderKeeper
from ._journal import (
    DEFAULT_BYTES,
    DEFAULT_LIMIT,
    DEFAULT_PAGE_BYTES,
    DEFAULT_PAGE_SIZE,
    Journal,
    Record,
    SqliteJournal,
    open_journal,
    records_json,
)
from ._live import LiveViews
from ._problems import Answers, MethodNotAllowed, Problem, Unauthorized, problem_class

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from ..lineage import Lineage

__all__ = ["ADMIN_PREFIX", "MockApp", "create_app"]

ADMIN_PREFIX = "/_lineage/"
DEFAULT_MAX_ADMIN_BODY = 1 << 20
"""Bytes of body the ``/_lineage/`` endpoints read at most (a list of faults)."""
_CRASH = "the mock server failed on this request; see its log"
log = logging.getLogger(__name__)

# The server environ keys under which the client socket is exposed, for dropping
# a connection: werkzeug's development server, then gunicorn.
_SOCKET_KEYS = ("werkzeug.socket", "gunicorn.socket")


def create_app(
    contract: Contract | None = None,
    *,
    tokens: Iterable[str] = (),
    journal: Journal | str | os.PathLike[str] | None = None,
    invalid_status: int = 422,
    malformed_status: int = 400,
    max_body_size: int = DEFAULT_MAX_BODY,
    journal_limit: int = DEFAULT_LIMIT,
    journal_bytes: int = DEFAULT_BYTES,
    page_size: int = DEFAULT_PAGE_SIZE,
    page_bytes: int = DEFAULT_PAGE_BYTES,
    max_admin_body_size: int = DEFAULT_MAX_ADMIN_BODY,
    on_record: Callable[[Record], None] | None = None,
    max_delay: float = DEFAULT_MAX_DELAY,
    admin_tokens: Iterable[str] = (),
    conformance: EventCheck | None = None,
    forward: Forwarding | None = None,
) -> MockApp:
    """Build the mock for ``contract`` (default: the bundled one).

    ``tokens``: when given, only these bearer tokens are accepted (compared in
    constant time); otherwise any credentials of the contract's scheme are.
    ``journal``: a :class:`Journal`, a file path for an SQLite journal, or None
    for one in memory holding at most ``journal_limit`` records and
    ``journal_bytes`` of their bodies. With an SQLite journal the faults are
    kept in the same file, so that every worker process sees them.
    ``GET /_lineage/events`` answers ``page_size`` records a page by default,
    fewer once their bodies pass ``page_bytes``; the ``/_lineage/`` endpoints
    read at most ``max_admin_body_size`` bytes of body.
    ``on_record`` is called with each record once it is stored (for logging).
    ``max_delay``: the longest delay a fault may ask for, in seconds.
    ``admin_tokens``: when given, the ``/_lineage/`` endpoints want one of them
    as a bearer token (for a mock bound to an address others can reach).
    ``conformance``: a check beyond the contract (``Settings.event_check`` of
    :mod:`lineage_contract.spec`); its warnings are recorded, never answered.
    ``forward``: send each request the mock accepts on to a real backend and
    answer with what it says (see :mod:`._forward`).
    """
    contract = contract if contract is not None else Contract.load()
    store = open_journal(journal, limit=journal_limit, max_bytes=journal_bytes)
    faults = (
        SharedFaults(store, max_delay=max_delay)
        if isinstance(store, SqliteJournal)
        else Faults(max_delay=max_delay)
    )
    return MockApp(
        contract,
        validator=Validator(contract, max_body_size=max_body_size, conformance=conformance),
        journal=store,
        faults=faults,
        tokens=tokens,
        invalid_status=invalid_status,
        malformed_status=malformed_status,
        on_record=on_record,
        page_size=page_size,
        page_bytes=page_bytes,
        max_admin_body_size=max_admin_body_size,
        admin_tokens=admin_tokens,
        forward=forward,
    )


class MockApp:
    """The mock as a WSGI application; see :func:`create_app`."""

    def __init__(
        self,
        contract: Contract,
        *,
        validator: Validator,
        journal: Journal,
        faults: Faults,
        tokens: Iterable[str] = (),
        invalid_status: int = 422,
        malformed_status: int = 400,
        on_record: Callable[[Record], None] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_bytes: int = DEFAULT_PAGE_BYTES,
        max_admin_body_size: int = DEFAULT_MAX_ADMIN_BODY,
        admin_tokens: Iterable[str] = (),
        forward: Forwarding | None = None,
    ) -> None:
        admin = tuple(admin_tokens)
        self.admin: Credentials | None = Credentials(None, admin) if admin else None
        """Who may use ``/_lineage/``: None when anyone may (the default, on loopback)."""
        for name, value in (
            ("invalid_status", invalid_status),
            ("malformed_status", malformed_status),
        ):
            if not 400 <= value <= 599:
                raise ValueError(f"{name} must be an HTTP error status (400-599), got {value}")
        for name, value in (
            ("page_size", page_size),
            ("page_bytes", page_bytes),
            ("max_admin_body_size", max_admin_body_size),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        self.contract = contract
        self.validator = validator
        self.journal = journal
        self.faults = faults
        self.on_record = on_record
        self.answers = Answers(contract)
        self.anatomy = contract.anatomy
        self.credentials = Credentials(contract, tokens)
        self._tokens = tuple(tokens)
        self._credentials = {(contract.path, contract.method): self.credentials}
        self.headers = HeaderKeeper(self.credentials.key_headers)
        """What a record keeps of a request's headers."""
        # Which status the kind that decides a verdict (Report.kind) gets.
        self.status_by_kind: dict[Kind, int] = {
            Kind.PATH: 404,
            Kind.METHOD: 405,
            Kind.SECURITY: 401,
            Kind.TOO_LARGE: 413,
            Kind.MEDIA_TYPE: 415,
            Kind.UNSUPPORTED_ENCODING: 415,
            Kind.BAD_ENCODING: 400,
            Kind.JSON: malformed_status,
            Kind.SCHEMA: invalid_status,
            Kind.INTERNAL: 500,
        }
        self.paths = frozenset(validator.routes)
        """Every request path an operation of the document is served at."""
        self.method = contract.method
        self.allowed_methods = validator.allowed_methods or (contract.method,)
        self._stopping = threading.Event()
        self._successes = {(op.path, op.method): _Success(op) for op in contract.operations}
        main = self._successes[contract.path, contract.method]
        self.success_status = main.status
        self._ok_status, self._ok_body, self._ok_headers = main.line, main.body, main.headers
        self.page_size = page_size
        self.page_bytes = page_bytes
        self.max_admin_body_size = max_admin_body_size
        self.forwarder = Forwarder(forward, path=contract.path) if forward is not None else None
        self.live = LiveViews(contract, journal)
        """The runs and the graph of the journal, folded as records arrive."""

    # -- WSGI -----------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = request_path(environ)
        if path.startswith(ADMIN_PREFIX):
            return self._admin(environ, start_response, path[len(ADMIN_PREFIX) - 1 :])
        if path == "/" and path not in self.paths and environ.get("REQUEST_METHOD") in _READS:
            return self._admin(environ, start_response, "/ui")
        return self._lineage(environ, start_response, path)

    def _lineage(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> Iterable[bytes]:
        """Faults, then the judge, then the journal, then the answer."""
        arrived = time.time()
        method: str = environ.get("REQUEST_METHOD", "GET")
        fault = self.faults.take() if self.faults.pending and path in self.paths else None
        # Its place in the journal's order is taken now, before any wait.
        place = self.journal.arrive(arrived, held=fault is not None and fault.delay > 0)
        try:
            return self._judged(environ, start_response, path, method, fault, arrived, place)
        except BaseException:
            if place is not None:
                self.journal.abandon(place)  # a no-op once the place is filled
            raise

    def _judged(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        path: str,
        method: str,
        fault: Fault | None,
        arrived: float,
        place: Any,
    ) -> Iterable[bytes]:
        if fault is not None and fault.delay and not self.faults.sleep(fault.delay, self._stopping):
            fault = None  # the faults were cleared while it slept: answer normally
        body = WSGIBody(environ) if self.forwarder is None else _KeptBody(environ)
        try:
            report = judge_request(
                self.validator,
                method,
                path,
                environ_header(environ),
                body,
                credentials=self._credentials_for,
            )
        except Exception:  # a bug of the mock: answer as the contract says, and say so
            log.exception("mock failed on %s %s", method, path)
            report = Report((Violation(Kind.INTERNAL, "internal", _CRASH),))
        operation = report.operation or self.contract
        success = self._successes[operation.path, operation.method]
        failed = _failed_elements(report) if operation.batch else None
        partial = failed is not None and success.partial_status is not None
        if report.kind is None:
            status = success.status
        elif partial:
            status = success.partial_status or 200
        else:
            status = self.status_by_kind[report.kind]
        answered: int | None = status
        if fault is not None:
            answered = _drop_answer(environ) if fault.drop else (fault.status or status)
        forwarded = self._forward(environ, body, report, fault, operation)
        if forwarded is not None:
            answered = forwarded.status
        query = environ.get("QUERY_STRING")
        record = Record(
            method=method,
            path=f"{path}?{query}" if query else path,
            status=answered,
            valid=report.valid,
            upstream=forwarded.upstream if forwarded is not None else None,
            time=arrived,
            answered=time.time(),
            headers=self.headers.keep(environ),
        )
        records = self._records(report, operation, record, failed)
        try:
            self.journal.extend(records, place)
        except Exception:
            # Never acknowledge what was not recorded.
            log.exception("journal append failed")
            if place is not None:
                self.journal.abandon(place)
            problem = problem_class(500)("the mock could not record the request")
            return self._answer(problem, environ, start_response, success.answers)
        if self.on_record is not None:
            for done in records:
                self.on_record(done)
        if fault is not None:
            if fault.drop:
                _drop_connection(environ)
            if fault.status:
                problem = problem_class(fault.status)(f"fault injected on demand ({fault.status})")
                return self._answer(problem, environ, start_response, success.answers)
        if forwarded is not None:
            if forwarded.problem is not None:
                return self._answer(forwarded.problem, environ, start_response, success.answers)
            return forwarded.answer(environ, start_response)
        if report.kind is None:
            start_response(success.line, list(success.headers))
            return [] if method == "HEAD" else [success.body]
        if partial and failed is not None:
            answer_body = _partial_body(report.event, failed)
            start_response(
                _status_line(status),
                [("Content-Type", success.media_type), ("Content-Length", str(len(answer_body)))],
            )
            return [] if method == "HEAD" else [answer_body]
        problem = self.problem(status, report.violations, path=path)
        answer = self._answer(problem, environ, start_response, success.answers)
        return [] if method == "HEAD" else answer  # HEAD: the same headers, no body

    def _forward(
        self,
        environ: WSGIEnvironment,
        body: WSGIBody,
        report: Report,
        fault: Fault | None,
        operation: Contract,
    ) -> Forwarded | None:
        """The upstream's answer, for a request to forward; None for one the mock answers.

        Forwarded: what the mock accepts, or with ``invalid`` what it refuses too, once
        its body was read whole; never one an injected fault answers or drops, nor, when
        a token stands in for the client's credentials, one whose credentials failed.
        """
        forwarder = self.forwarder
        if forwarder is None or not isinstance(body, _KeptBody) or body.raw is None:
            return None
        if fault is not None and (fault.status or fault.drop):
            return None
        if not report.valid and (
            not forwarder.invalid or (forwarder.token is not None and Kind.SECURITY in report.kinds)
        ):
            return None
        return forwarder.send(environ, body.raw, operation.path)

    def _credentials_for(self, operation: Contract) -> Credentials:
        key = operation.path, operation.method
        found = self._credentials.get(key)
        if found is None:
            found = self._credentials[key] = Credentials(operation, self._tokens)
        return found

    def _records(
        self,
        report: Report,
        operation: Contract,
        base: Record,
        failed: dict[int, list[Violation]] | None,
    ) -> list[Record]:
        """What the journal keeps of a request (``base`` says how it came and was
        answered): one record, or one per element of a batch."""
        event, parsed = report.event, report.parsed
        anatomy = operation.anatomy
        if failed is None or not isinstance(event, list) or not event:
            return [
                dataclasses.replace(
                    base,
                    violations=list(report.violations),
                    body=report.body or b"",
                    parsed=parsed,
                    run_id=anatomy.run_of(event) if parsed else None,
                    job=anatomy.job_of(event) if parsed else None,
                )
            ]
        batch = uuid.uuid4().hex
        # Built field by field, not by dataclasses.replace: this runs once per element.
        method, path, status, upstream = base.method, base.path, base.status, base.upstream
        arrived, answered, headers = base.time, base.answered, base.headers
        out = []
        for index, element in enumerate(event):
            found = failed.get(index, [])
            out.append(
                Record(
                    method=method,
                    path=path,
                    status=status,
                    valid=not any(v.level is Level.ERROR for v in found),
                    violations=found,
                    body=orjson.dumps(element),
                    parsed=True,
                    run_id=anatomy.run_of(element),
                    job=anatomy.job_of(element),
                    upstream=upstream,
                    time=arrived,
                    answered=answered,
                    headers=headers,
                    batch=batch,
                    index=index,
                    _event=element,
                )
            )
        return out

    def problem(
        self, status: int, violations: Iterable[Violation] = (), *, path: str | None = None
    ) -> Problem:
        """The error answer for ``status``, its detail and ``errors`` from ``violations``
        (``path``: the request's, whose allowed methods a 405 names)."""
        found = tuple(violations)
        detail = "; ".join(v.message for v in found) or None
        if status == 401:
            return Unauthorized(
                detail,
                challenges=self.credentials.challenges,
                violations=found,
                answers=self.answers,
            )
        if status == 405:
            return MethodNotAllowed(
                detail,
                valid_methods=(self.validator.allowed_at(path) if path else ())
                or self.allowed_methods,
                violations=found,
                answers=self.answers,
            )
        return problem_class(status)(detail, violations=found, answers=self.answers)

    def _answer(
        self,
        problem: HTTPException,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        answers: Answers | None = None,
    ) -> Iterable[bytes]:
        """Send ``problem``, laid over the bodies ``answers`` (the operation's) documents."""
        if isinstance(problem, Problem):
            problem.answers = answers if answers is not None else self.answers
        response: Iterable[bytes] = problem(environ, start_response)
        return response

    # -- /_lineage/ ----------------------------------------------------------

    def _admin(
        self, environ: WSGIEnvironment, start_response: StartResponse, route: str
    ) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = self.max_admin_body_size
        methods = _ADMIN_ROUTES.get(route)
        try:
            if methods is None:
                raise problem_class(404)(
                    f"no such mock endpoint: {ADMIN_PREFIX}{route.lstrip('/')}"
                )
            if self.admin is not None and route not in _PUBLIC:
                refused = self.admin.violation(environ_header(environ))
                if refused is not None:
                    raise Unauthorized(
                        "the mock's admin API wants an admin token: " + refused.message
                    )
            name = methods.get(request.method)
            if name is None:
                raise MethodNotAllowed(valid_methods=sorted(methods))
            if request.method not in _READS and request.mimetype != "application/json":
                # A cross-origin page can POST text/plain or a form without asking first.
                raise problem_class(415)(
                    f"{request.method} {ADMIN_PREFIX}{route.lstrip('/')} needs "
                    "Content-Type: application/json"
                )
            try:
                response: Response = getattr(self, name)(request)
            except RequestEntityTooLarge:
                raise problem_class(413)(
                    f"body is over the limit of {self.max_admin_body_size:,} bytes"
                ) from None
            except HTTPException:
                raise
            except (LineageContractError, sqlite3.Error, OSError) as exc:
                log.exception("mock failed on %s %s", request.method, request.path)
                raise problem_class(500)(f"the journal failed: {exc}") from None
        except HTTPException as problem:
            response = problem.get_response()
        return response(environ, start_response)

    def _get_events(self, request: Request) -> Response:
        """A page of records; ``X-Lineage-Next-Cursor`` says where the next one starts."""
        query = _Query(request, _EVENTS_QUERY)
        since = max(query.id("since"), query.id("cursor"))
        page = self.journal.page(
            valid=_parse_bool(query.text("valid"), "valid"),
            warned=_parse_bool(query.text("warnings"), "warnings"),
            run_id=query.text("runId"),
            job=query.text("job"),
            since=since,
            limit=query.count("limit", self.page_size),
            max_bytes=self.page_bytes,
        )
        headers = {
            "X-Lineage-Count": str(len(page.records)),
            "X-Lineage-Dropped": str(self.journal.dropped),
        }
        if page.next_cursor is not None:
            headers["X-Lineage-Next-Cursor"] = str(page.next_cursor)
        return _json_response(records_json(page.records), headers=headers)

    def _delete_events(self, request: Request) -> Response:
        self.journal.clear()
        return Response(status=204)

    def lineage(self) -> Lineage[int]:
        """Runs and the lineage graph of the events accepted (valid and answered with
        success: one answered with an injected 503 was not taken), in arrival order:
        the caller's own, from what :attr:`live` keeps of each record (see :mod:`._live`).

        Read from the journal on each call, so that every worker process sees
        what the others recorded.
        """
        found: Lineage[int] = self.live.snapshot().lineage
        return found

    def _get_runs(self, request: Request) -> Response:
        query = _Query(request, ("job", "state"))
        job, state = query.text("job"), query.text("state")
        runs = [
            run
            for run in self.live.view(Views.runs)
            if (job is None or run["job"] == job or str(run["job"]).endswith("/" + job))
            and (state is None or run["state"] == state)
        ]
        return _json_response(orjson.dumps(runs))

    def _get_graph(self, request: Request) -> Response:
        """The lineage graph of the events accepted (as the runs), each node with its
        findings (the events' own, whether accepted or not, and those across events) and
        each dataset with its facets."""
        _Query(request, ())
        return _json_response(self.live.view(lambda views: orjson.dumps(views.graph())))

    def _get_ui(self, request: Request) -> Response:
        return _console.page_response()

    def _get_ui_css(self, request: Request) -> Response:
        return _console.asset_response("console.css")

    def _get_ui_js(self, request: Request) -> Response:
        return _console.asset_response("console.js")

    def _get_ui_requests(self, request: Request) -> Response:
        """The console's rows, newest first: ``before`` pages back, ``since`` polls for new ones."""
        query = _Query(request, _UI_REQUESTS_QUERY)
        before = query.id("before")
        return _console.json_response(
            _console.requests_page(
                self.journal,
                self.anatomy,
                limit=min(query.count("limit", _console.PAGE_SIZE), self.page_size),
                before=before or None,
                since=query.id("since"),
                valid=_parse_bool(query.text("valid"), "valid"),
                warned=_parse_bool(query.text("warnings"), "warnings"),
                run_id=query.text("runId"),
                job=query.text("job"),
            )
        )

    def _get_ui_record(self, request: Request) -> Response:
        """One record, whole, for the console's detail pane (404 once it is gone)."""
        wanted = _Query(request, ("id",)).id("id")
        found = self.journal.latest(limit=1, before=wanted + 1, since=wanted - 1)
        if not found:
            raise problem_class(404)(f"no record {wanted} in the journal")
        return _console.json_response(found[0].to_dict())

    def _get_healthz(self, request: Request) -> Response:
        return _json_response(
            orjson.dumps(
                {
                    "status": "ok",
                    "records": self.journal.count,
                    "dropped": self.journal.dropped,
                    "faults": self.faults.pending,
                    "operation": f"{self.method} {self.contract.path}",
                    "operations": [f"{op.method} {op.path}" for op in self.contract.operations],
                }
            )
        )

    def _get_faults(self, request: Request) -> Response:
        return _json_response(orjson.dumps(self.faults.to_list()))

    def _post_faults(self, request: Request) -> Response:
        try:
            data = orjson.loads(request.get_data(cache=False))
        except orjson.JSONDecodeError as exc:
            raise problem_class(400)(f"a fault is a JSON object: {exc}") from None
        try:
            parsed = [parse_fault(item) for item in (data if isinstance(data, list) else [data])]
            for fault, _ in parsed:
                self.faults.check(fault)
        except FaultError as exc:
            raise problem_class(400)(str(exc)) from None
        for fault, times in parsed:
            self.faults.add(fault, times)
        return _json_response(orjson.dumps(self.faults.to_list()), status=201)

    def _delete_faults(self, request: Request) -> Response:
        self.faults.clear()
        return Response(status=204)

    # -- from Python ---------------------------------------------------------

    def records(
        self, *, valid: bool | None = None, run_id: str | None = None, job: str | None = None
    ) -> list[Record]:
        """Every request answered, in order (``job``: ``namespace/name`` or a bare name)."""
        return self.journal.records(valid=valid, run_id=run_id, job=job)

    def events(self) -> list[Any]:
        """The events the mock accepted (valid and answered with success), in order."""
        return [r.event for r in self.journal.records(valid=True) if r.accepted]

    def clear(self) -> None:
        """Empty the journal and forget the faults."""
        self.journal.clear()
        self.faults.clear()

    def wait_for(
        self, count: int, timeout: float = 5.0, *, valid: bool | None = None
    ) -> list[Record]:
        """The records once ``count`` (of that verdict) are held; raises ``TimeoutError`` with
        what arrived (:class:`~lineage_contract.mock._journal.JournalTimeout`, ``.records``)."""
        return self.journal.wait_for(count, timeout, valid=valid)

    def close(self) -> None:
        """Wake delayed requests and release the journal."""
        self._stopping.set()
        self.journal.close()
        self.faults.close()
        if self.forwarder is not None:
            self.forwarder.close()

    def __repr__(self) -> str:
        return f"<MockApp {self.method} {self.contract.path} journal={self.journal!r}>"


_READS = frozenset(("GET", "HEAD", "OPTIONS"))
# The console's page and files hold no data: a browser gets them without the admin token,
# and the page asks for it when the data wants it.
_PUBLIC = frozenset(("/ui", "/ui/", "/ui/console.css", "/ui/console.js"))
_ADMIN_ROUTES: dict[str, dict[str, str]] = {
    "/ui": {"GET": "_get_ui", "HEAD": "_get_ui"},
    "/ui/": {"GET": "_get_ui", "HEAD": "_get_ui"},
    "/ui/console.css": {"GET": "_get_ui_css", "HEAD": "_get_ui_css"},
    "/ui/console.js": {"GET": "_get_ui_js", "HEAD": "_get_ui_js"},
    "/ui/requests": {"GET": "_get_ui_requests", "HEAD": "_get_ui_requests"},
    "/ui/record": {"GET": "_get_ui_record", "HEAD": "_get_ui_record"},
    "/events": {"GET": "_get_events", "HEAD": "_get_events", "DELETE": "_delete_events"},
    "/healthz": {"GET": "_get_healthz", "HEAD": "_get_healthz"},
    "/runs": {"GET": "_get_runs", "HEAD": "_get_runs"},
    "/graph": {"GET": "_get_graph", "HEAD": "_get_graph"},
    "/faults": {
        "GET": "_get_faults",
        "HEAD": "_get_faults",
        "POST": "_post_faults",
        "DELETE": "_delete_faults",
    },
}


class _Success:
    """How an operation answers success (its first 2xx, a bodiless one first for a batch),
    and, for a batch, the 2xx whose JSON body can tell a partial success."""

    def __init__(self, operation: Contract) -> None:
        self.answers = answers = Answers(operation)
        """The bodies the operation documents, which its problems are laid over."""
        found = sorted(int(s) for s in operation.responses if s.isdigit() and s.startswith("2"))
        bodiless = [s for s in found if not operation.responses[str(s)].media_types]
        self.status = (bodiless or found)[0] if operation.batch and found else min(found or [200])
        self.partial_status: int | None = None
        self.media_type = "application/json"
        if operation.batch:
            with_body = [s for s in found if operation.responses[str(s)].schema is not None]
            if with_body:
                self.partial_status = with_body[0]
                spec = operation.responses[str(with_body[0])]
                self.media_type = next(iter(spec.media_types), self.media_type)
        media_type, body = answers.encoded(self.status) or ("", b"")
        self.line = _status_line(self.status)
        self.body = body
        self.headers = [("Content-Length", str(len(body)))]
        if media_type:
            self.headers.insert(0, ("Content-Type", media_type))


def _failed_elements(report: Report) -> dict[int, list[Violation]] | None:
    """The violations of each element of a parsed batch (pointers from the element), or
    None when the request fails as a whole (not an array, not JSON, refused before)."""
    if not report.parsed or not isinstance(report.event, list):
        return None
    if report.kind not in (None, Kind.SCHEMA):
        return None
    failed: dict[int, list[Violation]] = {}
    for violation in report.violations:
        head, _, rest = violation.pointer[1:].partition("/")
        if not violation.pointer or not head.isdigit():
            if violation.level is Level.ERROR:
                return None  # the array itself breaks the contract (its size, say)
            continue
        moved = dataclasses.replace(violation, pointer=f"/{rest}" if rest else "")
        failed.setdefault(int(head), []).append(moved)
    return failed


def _partial_body(batch: list[Any], failed: dict[int, list[Violation]]) -> bytes:
    errors = {
        index: [v for v in found if v.level is Level.ERROR] for index, found in failed.items()
    }
    bad = sorted(index for index, found in errors.items() if found)
    return orjson.dumps(
        {
            "status": "partial_success" if bad else "success",
            "summary": {
                "received": len(batch),
                "successful": len(batch) - len(bad),
                "failed": len(bad),
                "retriable": 0,
                "non_retriable": len(bad),
            },
            "failed_events": [
                {
                    "index": index,
                    "reason": "; ".join(str(v) for v in errors[index]),
                    "retriable": False,
                }
                for index in bad
            ],
        }
    )


def _json_response(
    body: bytes, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(body, status=status, headers=headers, content_type="application/json")


def _parse_bool(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise problem_class(400)(f"{name} must be true or false, got {_shown(value)}")


_EVENTS_QUERY = ("valid", "warnings", "runId", "job", "since", "cursor", "limit")
_UI_REQUESTS_QUERY = ("valid", "warnings", "runId", "job", "since", "before", "limit")
_MAX_ID = (1 << 63) - 1  # SQLite's largest integer


class _Query:
    """An admin request's query: every value it holds understood, or a 400 problem."""

    def __init__(self, request: Request, known: tuple[str, ...]) -> None:
        self.args = request.args
        unknown = sorted(set(self.args) - set(known))
        if unknown:
            raise problem_class(400)(
                f"unknown query parameter(s) {', '.join(map(_shown, unknown))};"
                f" known: {', '.join(known)}"
            )

    def text(self, name: str) -> str | None:
        values = self.args.getlist(name)
        if len(values) > 1:
            raise problem_class(400)(f"{name} is given {len(values)} times; give it once")
        return values[0] if values else None

    def id(self, name: str) -> int:
        """A record id (0 when absent)."""
        return self._integer(name, 0, 0)

    def count(self, name: str, default: int) -> int:
        return self._integer(name, default, 1)

    def _integer(self, name: str, default: int, minimum: int) -> int:
        value = self.text(name)
        if value is None:
            return default
        # ASCII digits only (int() also takes "+1", " 1" and other scripts digits),
        # and no more than SQLite holds.
        if value.isascii() and value.isdigit() and len(value) <= 19:
            number = int(value)
            if minimum <= number <= _MAX_ID:
                return number
        raise problem_class(400)(
            f"{name} must be an integer from {minimum} to {_MAX_ID}, got {_shown(value)}"
        )


def _shown(value: str) -> str:
    """A query value for a problem's detail, cut short."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def request_path(environ: WSGIEnvironment) -> str:
    """The request's path, decoded, as the client sent it: one route rule under every server.

    The raw target when the server gives it (werkzeug's ``REQUEST_URI``,
    gunicorn's ``RAW_URI``), else ``PATH_INFO``: servers differ in how they
    clean a path (``//api`` becomes ``/api`` under one, stays under another).
    """
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw:
        return target_path(raw)
    return fold_slashes(environ.get("PATH_INFO") or "/")


class WSGIBody:
    """A WSGI request's body: refused on ``Content-Length`` before reading when too large,
    and refused when it ends before the length it declared."""

    __slots__ = ("_environ", "length")

    def __init__(self, environ: WSGIEnvironment) -> None:
        self._environ = environ
        declared = environ.get("CONTENT_LENGTH")
        try:
            length = int(declared) if declared else None
        except ValueError:
            length = None
        self.length: int | None = length if length is None or length >= 0 else None

    def read(self, limit: int) -> bytes:
        stream = self._environ["wsgi.input"]
        length = self.length
        try:
            if length is not None:
                if length > limit:
                    raise PayloadError(too_large(length, limit))
                data: bytes = stream.read(length) if length else b""
                if len(data) < length:
                    raise PayloadError(_unread(f"it ended after {len(data):,} of {length:,} bytes"))
                return data
            if not self._environ.get("wsgi.input_terminated"):
                return b""  # no length and no server-side framing: WSGI says there is no body
            # Chunked: read at most one byte past the limit, to tell "at" from "over" it.
            wanted = limit + 1
            parts: list[bytes] = []
            while wanted > 0:
                chunk = stream.read(wanted)
                if not chunk:
                    break
                parts.append(chunk)
                wanted -= len(chunk)
        except (ClientDisconnected, OSError) as exc:
            # The body ended early or its chunked framing broke (servers raise OSErrors).
            raise PayloadError(_unread(str(exc))) from None
        if wanted <= 0:
            raise PayloadError(too_large(None, limit))
        return b"".join(parts)


class _KeptBody(WSGIBody):
    """The body, kept as it was read (gzip and all), to be forwarded byte for byte."""

    __slots__ = ("raw",)

    def __init__(self, environ: WSGIEnvironment) -> None:
        super().__init__(environ)
        self.raw: bytes | None = None
        """None until the body was read whole."""

    def read(self, limit: int) -> bytes:
        self.raw = super().read(limit)
        return self.raw


def _unread(why: str) -> Violation:
    return Violation(Kind.JSON, "json", f"could not read the request body: {why}")


def _status_line(code: int) -> str:
    return f"{code} {HTTP_STATUS_CODES.get(code, 'Unknown')}"


def _client_socket(environ: WSGIEnvironment) -> socket.socket | None:
    for key in _SOCKET_KEYS:
        sock = environ.get(key)
        if isinstance(sock, socket.socket):
            return sock
    return None


def _drop_answer(environ: WSGIEnvironment) -> int | None:
    """What the client gets for a drop: nothing (None) where the socket can be closed,
    else the 500 a server answers to an aborted request."""
    return None if _client_socket(environ) is not None else 500


def _drop_connection(environ: WSGIEnvironment) -> None:
    """Close the client connection without an answer, then abort the request.

    The socket is shut down so that the client sees the connection end, and a
    ``ConnectionResetError`` tells the server not to answer: werkzeug and
    gunicorn both treat it as a connection the client dropped, without a 500.
    """
    sock = _client_socket(environ)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    else:
        log.warning("this WSGI server exposes no client socket: it may answer the drop with a 500")
    raise ConnectionResetError(errno.ECONNRESET, "connection dropped by an injected fault")
