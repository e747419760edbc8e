"""Judge payloads and whole requests against the contract.

The verdict comes from jsonschema-rs, compiled once from the contract (a valid
6 KB event costs a few microseconds). When it says no, jsonschema, with this
package's own format checkers, explains why: the detailed violations always
come from that one place. The test suite cross-checks both engines and
openapi-core on every corpus file, fixture and generated event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import jsonschema_rs
import orjson

from ..contract._document import Contract, SecurityScheme
from ..contract._formats import CHECKERS
from ..contract._pointers import pointer, unpointer
from ..errors import InvalidEvent
from ._explain import violations
from ._payload import PayloadError, gunzip, parse_json
from ._report import Kind, Report, Violation

DEFAULT_MAX_BODY = 10 * 1024 * 1024

REFUSED: Any = object()
"""What :meth:`Validator.accepted_event` answers for a body it does not accept."""

# jsonschema-rs's own checkers for these agree with ours on the edge cases
# tested in tests/test_formats.py; the rest are ours, called from Rust.
_RS_BUILTIN_FORMATS = frozenset({"uuid", "date-time", "date", "time", "uri", "uri-reference"})

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


class Validator:
    """Validate lineage payloads and requests against a :class:`Contract`.

    ``max_body_size`` caps a request body, before and after gzip decoding.
    """

    def __init__(
        self, contract: Contract | None = None, *, max_body_size: int = DEFAULT_MAX_BODY
    ) -> None:
        self.contract = contract if contract is not None else Contract.load()
        self.max_body_size = max_body_size
        self._fast = jsonschema_rs.validator_for(
            self.contract.fast_request_schema,
            validate_formats=True,
            ignore_unknown_formats=False,
            formats={f: CHECKERS[f] for f in self.contract.formats if f not in _RS_BUILTIN_FORMATS},
        )
        checker = jsonschema.FormatChecker(formats=())
        for name, check in CHECKERS.items():
            checker.checks(name)(check)
        self._reference = jsonschema.Draft202012Validator(
            self.contract.request_schema, format_checker=checker
        )
        self.paths: frozenset[str] = operation_paths(self.contract)
        """The request paths that reach the operation: bare, and under each server's base."""
        allowed = [m.upper() for m in _path_methods(self.contract)]
        self.allowed_methods: tuple[str, ...] = tuple(allowed)
        self.media_types = frozenset(m.lower() for m in self.contract.media_types)
        """The request media types the operation takes, lower-cased."""

    # -- payloads -----------------------------------------------------------

    def accepted_event(self, body: bytes) -> Any:
        """``body`` parsed when it is JSON the schema accepts, else :data:`REFUSED`.

        The shortcut for a server's common case, a valid event: it builds no
        report and says nothing of why a body was refused (:meth:`check` does).
        """
        try:
            event = orjson.loads(body)
            if self._fast.is_valid(event):
                return event
        except (ValueError, TypeError):  # not JSON, or nothing JSON could hold
            pass
        return REFUSED

    def check(self, payload: bytes | str | Any) -> Report:
        """Judge one payload: bytes or text are parsed as strict JSON first."""
        found, event, parsed = self._judge(payload)
        return Report(found, event=event, parsed=parsed)

    def _judge(self, payload: bytes | str | Any) -> tuple[tuple[Violation, ...], Any, bool]:
        # check() without the Report, so that check_request builds only one.
        if isinstance(payload, bytes | bytearray | memoryview | str):
            raw = bytes(payload) if not isinstance(payload, str) else payload
            try:
                event = parse_json(raw)
            except PayloadError as exc:
                return (exc.violation,), None, False
        else:
            event = payload
        try:
            valid = self._fast.is_valid(event)
        except (ValueError, TypeError) as exc:
            # Only a parsed object gets here: it holds something JSON cannot (a
            # datetime from YAML, a set, a non-string key, a lone surrogate).
            return (_not_json(exc),), event, True
        if valid:
            return (), event, True
        return tuple(self.explain(event)), event, True

    def explain(self, event: Any) -> list[Violation]:
        """Every schema violation of a parsed event (empty when it is valid)."""
        try:
            found = violations(
                self._reference.iter_errors(event),
                self.contract.request_schema,
                self.contract.request_pointer,
                self._document_node,
                event,
            )
        except RecursionError:
            found = [
                Violation(Kind.SCHEMA, "depth", "value nested too deeply to validate", pointer="")
            ]
        if found:
            return found
        try:
            fast_valid = self._fast.is_valid(event)
        except (ValueError, TypeError) as exc:
            return [_not_json(exc)]
        if not fast_valid:
            # The engines disagree: never call it valid; report what the fast one saw.
            try:
                found = [
                    Violation(
                        Kind.SCHEMA,
                        str(list(e.schema_path)[-1]) if list(e.schema_path) else "schema",
                        _clip(e.message),
                        pointer=pointer(list(e.instance_path)),
                    )
                    for e in self._fast.iter_errors(event)
                ]
            except ValueError as exc:
                found = [Violation(Kind.SCHEMA, "schema", f"invalid ({exc})")]
        return found

    def iter_errors(self, payload: bytes | str | Any) -> Iterator[Violation]:
        yield from self.check(payload).violations

    def is_valid(self, payload: bytes | str | Any) -> bool:
        return self.check(payload).valid

    def validate(self, payload: bytes | str | Any) -> Any:
        """Return the parsed event, or raise :class:`InvalidEvent` with the report."""
        report = self.check(payload)
        if not report.valid:
            raise InvalidEvent(report)
        return report.event

    # -- requests -----------------------------------------------------------

    def check_request(
        self,
        method: str,
        path: str,
        headers: Headers,
        body: bytes | None,
    ) -> Report:
        """Judge a whole HTTP request: route, credentials, media type, encoding, body."""
        header = _header_getter(headers)
        route = self.route_violations(method, path)
        if route:
            return Report(tuple(route))
        if body and self.is_plain_request(header, len(body)):
            violations, event, parsed = self._judge(body)
            return Report(violations, event=event, parsed=parsed, body=body)
        found: list[Violation] = []
        security = self.security_violation(header)
        if security is not None:
            found.append(security)
        body = body or b""
        try:
            decoded = self._decode(header, body)
        except PayloadError as exc:
            return Report((*found, exc.violation))
        if decoded is None:
            return Report(tuple(found))
        violations, event, parsed = self._judge(decoded)
        if found:
            violations = (*found, *violations)
        return Report(violations, event=event, parsed=parsed, body=decoded)

    def is_plain_request(self, header: Callable[[str], str | None], size: int) -> bool:
        """Whether a request's headers leave only its body of ``size`` bytes to judge.

        Plain: credentials the contract accepts, an accepted media type as is,
        no ``Content-Encoding``, a body within the limit. That is how clients
        mostly send, and the body's verdict is then the request's: the full
        judgement would pass such headers through unchanged.
        """
        return (
            0 < size <= self.max_body_size
            and header("content-type") in self.media_types
            and not header("content-encoding")
            and self.security_violation(header) is None
        )

    def security_violation(self, header: Any) -> Violation | None:
        """None when one of the contract's security requirements is met."""
        requirements = self.contract.security
        if not requirements:
            return None
        # Plain loops: this runs on every request of the mock server.
        for group in requirements:
            for scheme in group:
                if not _satisfies(header, scheme):
                    break
            else:
                return None
        wanted = " or ".join(
            " and ".join(_describe_scheme(s) for s in group) or "nothing" for group in requirements
        )
        return Violation(
            Kind.SECURITY, "security", f"missing or malformed credentials: expected {wanted}"
        )

    def route_violations(self, method: str, path: str) -> list[Violation]:
        """A PATH or METHOD violation when the request does not reach the operation."""
        if "://" in path:
            # An absolute-form target (RFC 9112 3.2.2): whatever the host, only the path counts.
            path = urlsplit(path).path or "/"
        path = path.split("?", 1)[0]
        if path not in self.paths:
            return [
                Violation(
                    Kind.PATH,
                    "path",
                    f"no operation at {path}: the contract serves "
                    f"{self.contract.method} {self.contract.path}",
                )
            ]
        if method.upper() != self.contract.method:
            return [
                Violation(
                    Kind.METHOD,
                    "method",
                    f"method {method.upper()} is not allowed on {self.contract.path}; "
                    f"allowed: {', '.join(self.allowed_methods)}",
                )
            ]
        return []

    def _decode(self, header: Any, body: bytes) -> bytes | None:
        """The request body ready for JSON parsing, or None when there is none to judge."""
        limit = self.max_body_size
        if len(body) > limit:
            raise PayloadError(
                Violation(
                    Kind.TOO_LARGE,
                    "maxBodySize",
                    f"body of {len(body):,} bytes is over the limit of {limit:,}",
                )
            )
        media_type = header("content-type")
        if not body and not media_type:
            if self.contract.body_required:
                raise PayloadError(
                    Violation(Kind.JSON, "json", "empty body: the contract requires a JSON body")
                )
            return None
        self._check_media_type(media_type)
        for coding in reversed(_codings(header("content-encoding"))):
            if coding in ("gzip", "x-gzip"):
                body = gunzip(body, limit)
            elif coding != "identity":
                raise PayloadError(
                    Violation(
                        Kind.UNSUPPORTED_ENCODING,
                        "contentEncoding",
                        f"Content-Encoding {coding!r} is not supported (use gzip or none)",
                    )
                )
        return body

    def _check_media_type(self, media_type: str | None) -> None:
        if media_type in self.media_types:
            return
        base, _, params = (media_type or "").partition(";")
        base = base.strip().lower()
        if base not in self.media_types:
            got = f"{media_type!r}" if media_type else "no Content-Type"
            raise PayloadError(
                Violation(
                    Kind.MEDIA_TYPE,
                    "contentType",
                    f"{got} is not accepted; send {' or '.join(self.contract.media_types)}",
                )
            )
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
                "utf-8",
                "utf8",
            ):
                raise PayloadError(
                    Violation(
                        Kind.MEDIA_TYPE,
                        "contentType",
                        f"charset {value.strip()!r} is not accepted: JSON is UTF-8",
                    )
                )

    def _document_node(self, ptr: str) -> Any:
        node: Any = self.contract.document
        for part in unpointer(ptr):
            if isinstance(node, Mapping):
                node = node.get(part)
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node


def _not_json(exc: Exception) -> Violation:
    if isinstance(exc, UnicodeEncodeError):
        bad = exc.object[exc.start : exc.end].encode("unicode_escape").decode()
        message = f"a string holds {bad}, a lone surrogate, which is not Unicode text"
    else:
        message = f"not a JSON value: {exc}"
    return Violation(Kind.JSON, "json", message)


def _clip(message: str, limit: int = 200) -> str:
    # jsonschema-rs puts the whole offending value in its messages.
    return message if len(message) <= limit else message[:limit] + "…"


def bearer_token(headers: Headers) -> str | None:
    """The token of an ``Authorization: Bearer`` header (scheme case-insensitive)."""
    return _credentials(_header_getter(headers)("authorization"), "bearer")


def environ_header(environ: Mapping[str, Any]) -> Callable[[str], str | None]:
    """A header by name from a WSGI environ, as werkzeug's ``EnvironHeaders`` finds it."""

    def header(name: str) -> str | None:
        key = name.upper().replace("-", "_")
        found: str | None = environ.get(key if key in _UNPREFIXED else f"HTTP_{key}")
        return found

    return header


_UNPREFIXED = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def _header_getter(headers: Headers) -> Any:
    environ = getattr(headers, "environ", None)
    if isinstance(environ, dict):  # werkzeug's EnvironHeaders, without its per-call wrapping
        return environ_header(environ)
    if hasattr(headers, "getlist") or hasattr(headers, "get_all"):
        # werkzeug and email.message headers already look up case-insensitively.
        return headers.get  # type: ignore[union-attr]
    items = headers.items() if isinstance(headers, Mapping) else headers
    lowered = {k.lower(): v for k, v in items}
    return lowered.get


def _credentials(value: str | None, scheme: str) -> str | None:
    if not value:
        return None
    given, _, token = value.strip().partition(" ")
    token = token.strip()
    if given.lower() != scheme or not token:
        return None
    return token


def _satisfies(header: Any, scheme: SecurityScheme) -> bool:
    if scheme.type == "http":
        return _credentials(header("authorization"), scheme.scheme) is not None
    if scheme.type == "apiKey" and scheme.location == "header":
        return bool(header(scheme.parameter.lower()))
    # Query and cookie keys, OAuth2 and OpenID Connect all arrive as a bearer
    # token or a parameter we do not see here; accept what could carry them.
    return bool(header("authorization"))


def _describe_scheme(scheme: SecurityScheme) -> str:
    if scheme.type == "http":
        return f"'Authorization: {scheme.scheme.capitalize()} <credentials>'"
    if scheme.type == "apiKey":
        return f"{scheme.location} {scheme.parameter!r}"
    return scheme.type


def _codings(value: str | None) -> list[str]:
    return [c.strip().lower() for c in (value or "").split(",") if c.strip()]


def operation_paths(contract: Contract) -> frozenset[str]:
    """The request paths that reach the operation: bare, and under each server's base path."""
    paths = {contract.path}
    for url in contract.servers:
        base = urlsplit(url).path.rstrip("/") if "://" in url else url.rstrip("/")
        if base:
            paths.add(base + contract.path)
    return frozenset(paths)


def _path_methods(contract: Contract) -> list[str]:
    item = contract.document.get("paths", {}).get(contract.path, {})
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    return [m for m in methods if m in item]
