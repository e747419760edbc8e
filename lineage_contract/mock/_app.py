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
``GET``/``POST``/``DELETE faults``.

A ``drop`` fault needs the server to hand over the client socket (werkzeug's
development server and gunicorn do); elsewhere (granian, waitress) the request
is aborted with an exception and the server decides what the client sees,
typically a 500.

The lineage request path is kept lean: the contract is compiled once, the
success answer is pre-rendered and sent without a response object, and the
journal append is O(1) in memory (one INSERT with SQLite).
"""

from __future__ import annotations

import contextlib
import errno
import hmac
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson
from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_content_length

from ..contract._document import Contract
from ..validation._report import Kind, Report, Violation
from ..validation._validator import (
    DEFAULT_MAX_BODY,
    REFUSED,
    Validator,
    bearer_token,
    environ_header,
)
from ._faults import Fault, FaultError, Faults, SharedFaults, parse_fault
from ._journal import (
    DEFAULT_LIMIT,
    Journal,
    Record,
    SqliteJournal,
    open_journal,
    records_json,
)
from ._problems import (
    Answers,
    HTTPProblem,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
    problem_class,
    problem_error,
    status_line,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["ADMIN_PREFIX", "MockApp", "create_app"]

ADMIN_PREFIX = "/_lineage/"
_CRASH = "the mock server failed on this request; see its log"
log = logging.getLogger(__name__)

# The server environ keys under which the client socket is exposed, for dropping
# a connection: werkzeug's development server, then gunicorn.
_SOCKET_KEYS = ("werkzeug.socket", "gunicorn.socket")


_STATUS_LINES = {code: status_line(code) for code in range(100, 600)}


def create_app(
    contract: Contract | None = None,
    *,
    tokens: Iterable[str] = (),
    journal: Journal | str | os.PathLike[str] | None = None,
    invalid_status: int = 422,
    malformed_status: int = 400,
    max_body_size: int = DEFAULT_MAX_BODY,
    journal_limit: int = DEFAULT_LIMIT,
    on_record: Callable[[Record], None] | None = None,
) -> MockApp:
    """Build the mock for ``contract`` (default: the bundled one).

    ``tokens``: when given, only these bearer tokens are accepted (compared in
    constant time); otherwise any credentials of the contract's scheme are.
    ``journal``: a :class:`Journal`, a file path for an SQLite journal, or None
    for one in memory holding ``journal_limit`` records. With an SQLite journal
    the faults are kept in the same file, so that every worker process sees them.
    ``on_record`` is called with each record once it is stored (for logging).
    """
    contract = contract if contract is not None else Contract.load()
    store = open_journal(journal, limit=journal_limit)
    faults = SharedFaults(store) if isinstance(store, SqliteJournal) else Faults()
    return MockApp(
        contract,
        validator=Validator(contract, max_body_size=max_body_size),
        journal=store,
        faults=faults,
        tokens=tokens,
        invalid_status=invalid_status,
        malformed_status=malformed_status,
        on_record=on_record,
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
    ) -> None:
        for name, value in (
            ("invalid_status", invalid_status),
            ("malformed_status", malformed_status),
        ):
            if not 400 <= value <= 599:
                raise ValueError(f"{name} must be an HTTP error status (400-599), got {value}")
        self.contract = contract
        self.validator = validator
        self.journal = journal
        self.faults = faults
        self.on_record = on_record
        self.answers = Answers(contract)
        self.anatomy = contract.anatomy
        self.tokens: tuple[bytes, ...] = tuple(t.encode() for t in tokens)
        self.max_body_size = validator.max_body_size
        # Which status each kind of violation gets; the first kind listed wins.
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
        }
        self.paths = validator.paths
        self.method = contract.method
        self.allowed_methods = validator.allowed_methods or (contract.method,)
        self.challenges = _challenges(contract)
        self._stopping = threading.Event()
        # Success is the contract's first 2xx response, answered with its documented body.
        self.success_status = min(
            (int(s) for s in contract.responses if s.isdigit() and s.startswith("2")), default=200
        )
        media_type, body = self.answers.encoded(self.success_status) or ("", b"")
        self._ok_status = status_line(self.success_status)
        self._ok_body = body
        self._ok_headers = [("Content-Length", str(len(body)))]
        if media_type:
            self._ok_headers.insert(0, ("Content-Type", media_type))

    # -- WSGI -----------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO") or "/"
        if path.startswith(ADMIN_PREFIX):
            return self._admin(environ, start_response, path[len(ADMIN_PREFIX) - 1 :])
        return self._lineage(environ, start_response, path)

    def _lineage(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> Iterable[bytes]:
        method: str = environ.get("REQUEST_METHOD", "GET").upper()
        fault = self.faults.take() if self.faults.pending and path in self.paths else None
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        try:
            status, violations, body, event, parsed = self._judge(environ, method, path)
            found = [v.to_dict() for v in violations] if violations else []
        except Exception:  # a bug of the mock: answer as the contract says, and say so
            log.exception("mock failed on %s %s", method, path)
            status, violations, body, event, parsed = 500, [], b"", None, False
            found = [{"kind": "internal", "keyword": "internal", "message": _CRASH, "pointer": ""}]
        answered: int | None = status
        if fault is not None:
            answered = None if fault.drop else (fault.status or status)
        query = environ.get("QUERY_STRING")
        record = Record(
            method=method,
            path=f"{path}?{query}" if query else path,
            status=answered,
            valid=not found,
            violations=found,
            body=body,
            parsed=parsed,
            run_id=self.anatomy.run_of(event) if parsed else None,
            job=self.anatomy.job_of(event) if parsed else None,
        )
        try:
            self.journal.append(record)
        except Exception:
            # Never acknowledge what was not recorded.
            log.exception("journal append failed")
            return self._problem(start_response, 500, "the mock could not record the request", ())
        if self.on_record is not None:
            self.on_record(record)
        if fault is not None:
            if fault.drop:
                _drop_connection(environ)
            if fault.status:
                return self._problem(
                    start_response, fault.status, f"fault injected on demand ({fault.status})", ()
                )
        if status == self.success_status:
            start_response(self._ok_status, list(self._ok_headers))
            return [] if method == "HEAD" else [self._ok_body]
        answer = self._problem(start_response, status, None, violations)
        return [] if method == "HEAD" else answer  # HEAD: the same headers, no body

    def _judge(
        self, environ: WSGIEnvironment, method: str, path: str
    ) -> tuple[int, list[Violation], bytes, Any, bool]:
        """(status, violations, body, parsed event, parsed?) for one lineage-path request."""
        if method == self.method and path in self.paths and not self.tokens:
            raw = self._plain_body(environ)
            if raw is not None:
                event = self.validator.accepted_event(raw)
                if event is not REFUSED:
                    return self.success_status, [], raw, event, True
                # The headers passed, so the body alone is at fault: only say why.
                return self._verdict(self.validator.check(raw), raw)
        else:
            route = self.validator.route_violations(method, path)
            if route:
                return self.status_by_kind[route[0].kind], route, b"", None, False
        # The full judgement, which says what is wrong.
        headers = EnvironHeaders(environ)
        if self.tokens and not self._token_accepted(headers):
            return 401, [self._security_violation(headers)], b"", None, False
        try:
            body = self._read_body(environ)
        except RequestEntityTooLarge:
            security = self.validator.security_violation(headers.get)
            if security is not None:  # credentials come first: 401 without reading
                return 401, [security], b"", None, False
            detail = f"body is over the limit of {self.max_body_size:,} bytes"
            return 413, [Violation(Kind.TOO_LARGE, "maxBodySize", detail)], b"", None, False
        except (ClientDisconnected, OSError) as exc:
            # The body ended early or its chunked framing broke (servers raise OSErrors).
            detail = f"could not read the request body: {exc}"
            return self.status_by_kind[Kind.JSON], [_violation(Kind.JSON, detail)], b"", None, False
        # One pass judges credentials and body; the status table puts a SECURITY
        # violation first, so credentials still decide before anything in the body.
        report = self.validator.check_request(method, path, headers, body)
        return self._verdict(report, report.body if report.body is not None else body)

    def _verdict(
        self, report: Report, body: bytes
    ) -> tuple[int, list[Violation], bytes, Any, bool]:
        if report.valid:
            return self.success_status, [], body, report.event, report.parsed
        kinds = report.kinds
        status = next(s for k, s in self.status_by_kind.items() if k in kinds)
        return status, list(report.violations), body, report.event, report.parsed

    def _plain_body(self, environ: WSGIEnvironment) -> bytes | None:
        """The body of a request as clients mostly send it, else None (nothing read).

        See :meth:`Validator.is_plain_request`; anything else takes the full
        judgement, which would pass such a request's headers unchanged, so
        the verdicts agree.
        """
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if not self.validator.is_plain_request(environ_header(environ), size):
            return None
        data: bytes = environ["wsgi.input"].read(size)
        return data

    def _read_body(self, environ: WSGIEnvironment) -> bytes:
        """At most ``max_body_size`` bytes of body, refused on ``Content-Length`` before reading."""
        length = get_content_length(environ)
        if length is not None:
            if length > self.max_body_size:
                raise RequestEntityTooLarge()
            # The common case, read straight from the server's stream (no wrapper).
            data: bytes = environ["wsgi.input"].read(length) if length else b""
            return data
        if not environ.get("wsgi.input_terminated"):
            return b""  # no length and no server-side framing: WSGI says there is no body
        # Chunked: read at most one byte past the limit, to tell "at" from "over" it.
        stream = environ["wsgi.input"]
        wanted = self.max_body_size + 1
        parts: list[bytes] = []
        while wanted > 0:
            chunk = stream.read(wanted)
            if not chunk:
                break
            parts.append(chunk)
            wanted -= len(chunk)
        if wanted <= 0:
            raise RequestEntityTooLarge()
        return b"".join(parts)

    def _security_violation(self, headers: EnvironHeaders) -> Violation:
        found = self.validator.security_violation(headers.get)
        if found is not None:
            return found
        return Violation(Kind.SECURITY, "security", "credentials not among the accepted tokens")

    def _token_accepted(self, headers: EnvironHeaders) -> bool:
        given = _credential(self.contract, headers)
        if given is None:
            return False
        candidate = given.encode()
        accepted = False
        for token in self.tokens:  # every token compared: the time does not tell which matched
            accepted |= hmac.compare_digest(candidate, token)
        return accepted

    def _problem(
        self,
        start_response: StartResponse,
        status: int,
        detail: str | None,
        violations: Iterable[Violation],
    ) -> Iterable[bytes]:
        found = list(violations)
        cls = problem_class(status)
        problem: HTTPProblem
        if cls is Unauthorized:
            problem = Unauthorized(detail, challenges=self.challenges)
        elif cls is MethodNotAllowed:
            problem = MethodNotAllowed(detail, valid_methods=self.allowed_methods)
        else:
            problem = cls(detail)
        if found and detail is None:
            problem.description = "; ".join(v.message for v in found)
            problem.errors = [problem_error(v) for v in found]
        code, headers, body = self.answers.render(problem)
        headers.append(("Content-Length", str(len(body))))
        start_response(_STATUS_LINES.get(code) or status_line(code), headers)
        return [body]

    # -- /_lineage/ ----------------------------------------------------------

    def _admin(
        self, environ: WSGIEnvironment, start_response: StartResponse, route: str
    ) -> Iterable[bytes]:
        request = Request(environ)
        methods = _ADMIN_ROUTES.get(route)
        try:
            if methods is None:
                raise NotFound(f"no such mock endpoint: {ADMIN_PREFIX}{route.lstrip('/')}")
            name = methods.get(request.method)
            if name is None:
                raise MethodNotAllowed(valid_methods=sorted(methods))
            response: Response = getattr(self, name)(request)
        except HTTPProblem as problem:
            response = problem.get_response()
        return response(environ, start_response)

    def _get_events(self, request: Request) -> Response:
        args = request.args
        valid = _parse_bool(args.get("valid"), "valid")
        try:
            since = int(args.get("since", "0"))
        except ValueError:
            raise problem_class(400)("since must be a record id (an integer)") from None
        records = self.journal.records(
            valid=valid, run_id=args.get("runId"), job=args.get("job"), since=since
        )
        return _json_response(
            records_json(records),
            headers={
                "X-Lineage-Count": str(len(records)),
                "X-Lineage-Dropped": str(self.journal.dropped),
            },
        )

    def _delete_events(self, request: Request) -> Response:
        self.journal.clear()
        return Response(status=204)

    def _get_healthz(self, request: Request) -> Response:
        return _json_response(
            orjson.dumps(
                {
                    "status": "ok",
                    "records": self.journal.count,
                    "dropped": self.journal.dropped,
                    "faults": self.faults.pending,
                    "operation": f"{self.method} {self.contract.path}",
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

    def fail_next(self, status: int, times: int = 1) -> None:
        self.faults.add(Fault(status=status), times)

    def delay_next(self, seconds: float, times: int = 1) -> None:
        self.faults.add(Fault(delay=seconds), times)

    def drop_next(self, times: int = 1) -> None:
        self.faults.add(Fault(drop=True), times)

    def close(self) -> None:
        """Wake delayed requests and release the journal."""
        self._stopping.set()
        self.journal.close()
        self.faults.close()

    def __repr__(self) -> str:
        return f"<MockApp {self.method} {self.contract.path} journal={self.journal!r}>"


_ADMIN_ROUTES: dict[str, dict[str, str]] = {
    "/events": {"GET": "_get_events", "HEAD": "_get_events", "DELETE": "_delete_events"},
    "/healthz": {"GET": "_get_healthz", "HEAD": "_get_healthz"},
    "/faults": {
        "GET": "_get_faults",
        "HEAD": "_get_faults",
        "POST": "_post_faults",
        "DELETE": "_delete_faults",
    },
}


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
    raise problem_class(400)(f"{name} must be true or false, got {value!r}")


def _violation(kind: Kind, message: str) -> Violation:
    return Violation(kind, kind.value, message)


def _challenges(contract: Contract) -> tuple[str, ...]:
    """``WWW-Authenticate`` challenges for the contract's HTTP auth schemes (``Bearer`` if none)."""
    found: list[str] = []
    for group in contract.security:
        for scheme in group:
            if scheme.type == "http" and scheme.scheme:
                challenge = scheme.scheme.capitalize()
                if challenge not in found:
                    found.append(challenge)
    return tuple(found) or ("Bearer",)


def _credential(contract: Contract, headers: EnvironHeaders) -> str | None:
    """The credential the contract's schemes carry (a bearer token by default)."""
    for group in contract.security:
        for scheme in group:
            if scheme.type == "apiKey" and scheme.location == "header":
                value = headers.get(scheme.parameter)
                if value:
                    return value
    return bearer_token(headers)


def _drop_connection(environ: WSGIEnvironment) -> None:
    """Close the client connection without an answer, then abort the request.

    The socket is shut down so that the client sees the connection end, and a
    ``ConnectionResetError`` tells the server not to answer: werkzeug and
    gunicorn both treat it as a connection the client dropped, without a 500.
    """
    for key in _SOCKET_KEYS:
        sock = environ.get(key)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            break
    else:
        log.warning("this WSGI server exposes no client socket: it may answer the drop with a 500")
    raise ConnectionResetError(errno.ECONNRESET, "connection dropped by an injected fault")
