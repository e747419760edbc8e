"""The one judge of a whole HTTP request: route, credentials, media type, encoding, body.

:meth:`Validator.check_request` and the mock both call :func:`judge_request`;
what they differ in is only how the body is read (:class:`Body`). The plain
request, as clients mostly send it (accepted credentials, the media type as the
contract spells it, no ``Content-Encoding``, a declared length within the
limit), is the first step: its body's verdict is the request's, so a valid one
is answered without building a report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from ._credentials import Credentials, Header
from ._payload import REFUSED, PayloadError, gunzip
from ._report import Kind, Report, Violation

if TYPE_CHECKING:
    from ..contract import Contract
    from ._validator import Validator

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


class Body(Protocol):
    """A request body, read at most once."""

    @property
    def length(self) -> int | None:
        """The declared length (``Content-Length``), None when not declared."""

    def read(self, limit: int) -> bytes:
        """The whole body; :class:`PayloadError` when it is over ``limit`` or ends early."""


@dataclass(frozen=True, slots=True)
class BytesBody:
    """A body already in hand."""

    data: bytes

    @property
    def length(self) -> int:
        return len(self.data)

    def read(self, limit: int) -> bytes:
        if len(self.data) > limit:
            raise PayloadError(too_large(len(self.data), limit))
        return self.data


def judge_request(
    validator: Validator,
    method: str,
    path: str,
    header: Header,
    body: Body,
    *,
    credentials: Credentials | Callable[[Contract], Credentials] | None = None,
) -> Report:
    """The verdict on one request; ``path`` is the decoded path, without the query.

    The request is judged by the operation of the document it reaches (the
    report's ``operation``). ``credentials``: which ones are accepted (default:
    any the operation's schemes describe), or how to find them for an operation.
    A request whose credentials fail is still read and judged, unless its body
    is over the limit; its verdict is then ``security``.
    """
    routed = validator.route(method, path)
    if isinstance(routed, Violation):
        return Report((routed,))
    validator = routed
    operation = validator.contract
    if callable(credentials):
        credentials = credentials(operation)
    limit = validator.max_body_size
    security = (credentials or validator.credentials).violation(header)
    length = body.length
    if security is None and length and validator.is_plain_request(header, length):
        try:
            raw = body.read(limit)
        except PayloadError as exc:
            return Report((exc.violation,), operation=operation)
        event = validator.accepted_event(raw)
        if event is not REFUSED:
            return Report(
                validator.warnings(event), event=event, parsed=True, body=raw, operation=operation
            )
        violations, event, parsed = validator._judge(raw)
        return Report(violations, event=event, parsed=parsed, body=raw, operation=operation)
    found = (security,) if security is not None else ()
    try:
        raw = body.read(limit)
    except PayloadError as exc:
        if security is not None and exc.violation.kind is Kind.TOO_LARGE:
            return Report(
                found, operation=operation
            )  # credentials first: a body that big is not read for them
        return Report((*found, exc.violation), operation=operation)
    try:
        decoded = _decode(validator, header, raw)
    except PayloadError as exc:
        return Report((*found, exc.violation), operation=operation)
    if decoded is None:
        return Report(found, operation=operation)
    violations, event, parsed = validator._judge(decoded)
    return Report(
        (*found, *violations), event=event, parsed=parsed, body=decoded, operation=operation
    )


def route_violations(validator: Validator, method: str, path: str) -> list[Violation]:
    """A PATH or METHOD violation when the request reaches no operation of the document
    (see :meth:`Validator.route`)."""
    routed = validator.route(method, path)
    return [routed] if isinstance(routed, Violation) else []


def target_path(target: str) -> str:
    """The decoded path of a request target: origin-form or absolute-form, query dropped.

    Leading slashes count as one: Python's ``http.server`` (under werkzeug's
    server) folds them before any application sees the request, so every
    server must, for one route rule.
    """
    if "://" in target:
        # An absolute-form target (RFC 9112 3.2.2): whatever the host, only the path counts.
        target = urlsplit(target).path or "/"
    return fold_slashes(unquote(target.split("?", 1)[0]))


def fold_slashes(path: str) -> str:
    """``//a/b`` as ``/a/b``; see :func:`target_path`."""
    return "/" + path.lstrip("/") if path.startswith("//") else path


def too_large(size: int | None, limit: int) -> Violation:
    got = f"body of {size:,} bytes is" if size is not None else "body is"
    return Violation(Kind.TOO_LARGE, "maxBodySize", f"{got} over the limit of {limit:,}")


def environ_header(environ: Mapping[str, Any]) -> Header:
    """A header by name from a WSGI environ, as werkzeug's ``EnvironHeaders`` finds it."""

    def header(name: str) -> str | None:
        key = name.upper().replace("-", "_")
        found: str | None = environ.get(key if key in _UNPREFIXED else f"HTTP_{key}")
        return found

    return header


_UNPREFIXED = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def header_getter(headers: Headers) -> Header:
    """A case-insensitive lookup over any usual shape of headers."""
    environ = getattr(headers, "environ", None)
    if isinstance(environ, dict):  # werkzeug's EnvironHeaders, without its per-call wrapping
        return environ_header(environ)
    if hasattr(headers, "getlist") or hasattr(headers, "get_all"):
        # werkzeug and email.message headers already look up case-insensitively.
        get: Callable[[str], str | None] = headers.get  # type: ignore[union-attr]
        return get
    items = headers.items() if isinstance(headers, Mapping) else headers
    lowered = {k.lower(): v for k, v in items}
    return lowered.get


def _decode(validator: Validator, header: Header, body: bytes) -> bytes | None:
    """The request body ready for JSON parsing, or None when there is none to judge."""
    media_type = header("content-type")
    if not body and not media_type:
        if validator.contract.body_required:
            raise PayloadError(
                Violation(Kind.JSON, "json", "empty body: the contract requires a JSON body")
            )
        return None
    _check_media_type(validator, media_type)
    for coding in reversed(_codings(header("content-encoding"))):
        if coding in ("gzip", "x-gzip"):
            body = gunzip(body, validator.max_body_size)
        elif coding != "identity":
            raise PayloadError(
                Violation(
                    Kind.UNSUPPORTED_ENCODING,
                    "contentEncoding",
                    f"Content-Encoding {coding!r} is not supported (use gzip or none)",
                )
            )
    return body


def _check_media_type(validator: Validator, media_type: str | None) -> None:
    if media_type in validator.media_types:
        return
    base, _, params = (media_type or "").partition(";")
    base = base.strip().lower()
    if base not in validator.media_types:
        got = f"{media_type!r}" if media_type else "no Content-Type"
        raise PayloadError(
            Violation(
                Kind.MEDIA_TYPE,
                "contentType",
                f"{got} is not accepted; send {' or '.join(validator.contract.media_types)}",
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


def _codings(value: str | None) -> list[str]:
    return [c.strip().lower() for c in (value or "").split(",") if c.strip()]
