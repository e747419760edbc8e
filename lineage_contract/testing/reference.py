"""An independent judge: openapi-core's verdict on a request or a response.

The validator's own verdict comes from jsonschema-rs and its explanations from
jsonschema; this module asks a third party, openapi-core, that reads the OpenAPI
document by itself (its own ``$ref`` resolution, OAS 3.0 dialect, media types
and security). Tests compare the three; nothing on the hot path uses it.

Two adjustments keep the comparison about the contract rather than the plumbing:

* The request is sent to the contract's first server, whatever host it named,
  so that ``127.0.0.1`` never ends in openapi-core's ``ServerNotFound``.
* ``Content-Encoding: gzip`` is undone first (OpenAPI describes bodies after
  transport decoding); undecodable gzip is reported as such.

openapi-core folds every body error into one ``oneOf`` error; its
``schema_errors`` and their ``context`` are unfolded here into one message per
leaf, placed by the RFC 6901 pointer of the offending value (for a missing
property, the pointer the property should have had).

Where openapi-core is laxer than this kit by design (it accepts an empty bearer
token and ``NaN``; its ``date-time`` and ``uri`` checkers let a trailing newline
through), its verdict is reported as it is: the tests list those differences.
``strict_formats=True`` swaps in this kit's format checkers for the formats the
contract uses, for comparisons that should only be about structure.
"""

from __future__ import annotations

import functools
import gzip
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import Headers, ImmutableMultiDict

try:
    from openapi_core import Config, OpenAPI
    from openapi_core.datatypes import RequestParameters
except ImportError as exc:  # an extra: the rest of the kit works without it
    raise ImportError(
        "lineage_contract.testing.reference needs openapi-core: "
        "pip install 'lineage-contract[reference]'"
    ) from exc

from ..contract._document import Contract
from ..contract._formats import CHECKERS
from ..contract._pointers import pointer

HeadersLike = Mapping[str, str] | Iterable[tuple[str, str]] | Headers


class Finding(NamedTuple):
    """One thing openapi-core objected to."""

    pointer: str
    """RFC 6901 pointer into the body ("" for the root or for non-body problems)."""
    keyword: str
    """The schema keyword for body problems, else openapi-core's error class name."""
    message: str

    def __str__(self) -> str:
        where = f"{self.pointer}: " if self.pointer else ""
        return f"{where}{self.message} [{self.keyword}]"


@dataclass
class _Request:
    """openapi-core's ``Request`` protocol, built from plain values."""

    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: Any = field(default=None)


@dataclass
class _Response:
    """openapi-core's ``Response`` protocol, built from plain values."""

    status_code: int
    headers: Headers
    data: bytes | None
    content_type: str


class Reference:
    """openapi-core's verdict on requests and responses for one :class:`Contract`.

    ``check_request`` and ``check_response`` return messages, an empty list when
    valid; ``request_findings`` and ``response_findings`` the same as
    :class:`Finding` tuples.
    """

    def __init__(self, contract: Contract | None = None, *, strict_formats: bool = False) -> None:
        self.contract = contract if contract is not None else Contract.load()
        self.strict_formats = strict_formats
        self.format_validators = self._format_validators()
        server = self.contract.servers[0]
        parts = urlsplit(server)
        if parts.scheme and parts.netloc:
            self.host_url = f"{parts.scheme}://{parts.netloc}"
        else:
            # A relative server URL ("/" or "/base") is relative to wherever the
            # document was served from; any host will do.
            self.host_url = "http://localhost"

    def _format_validators(self) -> dict[str, Any]:
        # jsonschema silently skips a format it has no checker for: hand
        # openapi-core ours for every format of the contract it lacks (for all
        # of them with strict_formats). Contract has already refused formats
        # that have no checker here either.
        from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

        known = set(OAS30WriteValidator.FORMAT_CHECKER.checkers) & set(
            OAS30ReadValidator.FORMAT_CHECKER.checkers
        )
        return {
            f: CHECKERS[f] for f in self.contract.formats if self.strict_formats or f not in known
        }

    @functools.cached_property
    def openapi(self) -> Any:
        """openapi-core's ``OpenAPI`` for the contract's document (built once)."""
        config = Config(extra_format_validators=self.format_validators or None)
        return OpenAPI.from_dict(_plain(self.contract.document), config=config)

    # -- requests -----------------------------------------------------------

    def request(self, method: str, path: str, headers: HeadersLike, body: bytes | None) -> _Request:
        """The openapi-core request for these values (host rewritten to the contract's server)."""
        header_map = Headers(headers)
        if "://" in path:
            # An absolute URL: only its path counts, the host is the contract's.
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        path, _, query = path.partition("?")
        return _Request(
            host_url=self.host_url,
            path=path,
            method=method.lower(),
            body=body,
            content_type=(header_map.get("content-type") or "application/octet-stream").lower(),
            parameters=_parameters(header_map, query),
        )

    def request_findings(
        self, method: str, path: str, headers: HeadersLike, body: bytes | None
    ) -> list[Finding]:
        header_map = Headers(headers)
        try:
            body = _decode(header_map, body)
        except ValueError as exc:
            return [Finding("", "contentEncoding", str(exc))]
        request = self.request(method, path, header_map, body)
        return _findings(self.openapi.iter_request_errors(request))

    def check_request(
        self, method: str, path: str, headers: HeadersLike, body: bytes | None
    ) -> list[str]:
        """openapi-core's objections to a request; empty when it is valid."""
        return [str(f) for f in self.request_findings(method, path, headers, body)]

    # -- responses ----------------------------------------------------------

    def response_findings(
        self,
        method: str,
        path: str,
        status: int,
        headers: HeadersLike,
        body: bytes | None,
        *,
        request_headers: HeadersLike | None = None,
        request_body: bytes | None = None,
    ) -> list[Finding]:
        request = self.request(method, path, request_headers or {}, request_body)
        header_map = Headers(headers)
        response = _Response(
            status_code=int(status),
            headers=header_map,
            data=body,
            content_type=(header_map.get("content-type") or "application/octet-stream").lower(),
        )
        return _findings(self.openapi.iter_response_errors(request, response))

    def check_response(
        self,
        method: str,
        path: str,
        status: int,
        headers: HeadersLike,
        body: bytes | None,
        *,
        request_headers: HeadersLike | None = None,
        request_body: bytes | None = None,
    ) -> list[str]:
        """openapi-core's objections to a response to ``method path``; empty when valid."""
        return [
            str(f)
            for f in self.response_findings(
                method,
                path,
                status,
                headers,
                body,
                request_headers=request_headers,
                request_body=request_body,
            )
        ]

    def __repr__(self) -> str:
        return f"<Reference {self.contract!r}>"


def _plain(value: Any) -> Any:
    # openapi-core wants plain dicts; a document may hold other mappings.
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _parameters(headers: Headers, query: str) -> Any:
    cookies: dict[str, str] = {}
    for raw in headers.getlist("cookie"):
        for pair in raw.split(";"):
            name, sep, value = pair.strip().partition("=")
            if sep:
                cookies[name] = value
    return RequestParameters(
        query=ImmutableMultiDict(parse_qsl(query, keep_blank_values=True)),
        header=headers,
        cookie=ImmutableMultiDict(cookies),
    )


def _decode(headers: Headers, body: bytes | None) -> bytes | None:
    codings = [c.strip().lower() for c in (headers.get("content-encoding") or "").split(",")]
    for coding in reversed([c for c in codings if c]):
        if coding in ("gzip", "x-gzip"):
            try:
                body = gzip.decompress(body or b"")
            except (OSError, EOFError, zlib.error) as exc:
                raise ValueError(f"body is labelled gzip but is not gzip: {exc}") from None
        elif coding != "identity":
            raise ValueError(f"Content-Encoding {coding!r} is not supported")
    return body


def _findings(errors: Iterable[Exception]) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for error in errors:
        for finding in _unfold(error):
            key = (finding.pointer, finding.keyword, finding.message)
            if key not in seen:
                seen.add(key)
                out.append(finding)
    return out


def _unfold(error: BaseException) -> Iterator[Finding]:
    """The leaves under one openapi-core error."""
    cause: BaseException | None = error
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            for schema_error in schema_errors:
                yield from _schema_leaves(schema_error)
            return
        if cause.__cause__ is None:
            break
        cause = cause.__cause__
    yield Finding("", type(cause or error).__name__, _safe_str(cause or error))


def _schema_leaves(error: Any) -> Iterator[Finding]:
    """Descend through ``oneOf``/``anyOf`` whose every branch failed, to the closest branch."""
    context = list(getattr(error, "context", None) or ())
    if error.validator in ("oneOf", "anyOf") and context:
        branches: dict[Any, list[Any]] = {}
        for sub in context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        if len(branches) == len(error.validator_value):
            best = min(branches.values(), key=len)
            for sub in best:
                yield from _schema_leaves(sub)
            return
    path = list(error.absolute_path)
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        missing = [n for n in error.validator_value if n not in instance]
        name = next((n for n in missing if repr(n) in error.message), missing[0] if missing else "")
        path.append(name)
    yield Finding(pointer(path), str(error.validator), _short(error.message))


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[:limit] + "…"


def _safe_str(error: BaseException) -> str:
    # Some openapi-core errors decode the body in __str__ and fail on invalid UTF-8.
    try:
        return _short(str(error))
    except Exception as exc:
        return f"{type(error).__name__} ({type(exc).__name__}: {exc})"
