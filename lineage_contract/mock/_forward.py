"""Forwarding: the mock judges each request, then sends it on to a real backend and answers
with what that backend said (``serve --forward URL``).

:class:`Forwarding` is the setting (the upstream's URL, a token to send instead of the
client's, the timeout, whether requests that break the contract go too); :class:`Forwarder`
is the mechanism, one urllib3 ``PoolManager`` per app. What is sent is the client's request:
its method, its body byte for byte as it came (gzip kept, with its ``Content-Encoding``), its
headers minus the hop-by-hop ones and ``Host``, and ``Authorization: Bearer TOKEN`` instead
of the client's when a token is given.

Where requests go: the URL names the upstream's endpoint for the contract's path. When the
URL's path ends with that path (``https://api.example/api/v1/lineage`` for
``/api/v1/lineage``), a request to another path of the document goes to the same base with
that path; otherwise every request goes to the URL as given. The client's query string is
not sent on.

Nothing is retried here (the client retries, not the proxy): an upstream that cannot be
reached, breaks off or answers more than :data:`MAX_ANSWER` bytes is a 502
(:class:`~._problems.BadGateway`), one that has not answered when the timeout passes a 504
(:class:`~._problems.GatewayTimeout`). The timeout bounds the whole exchange: connecting,
the wait for the answer's head (urllib3's ``total``), and each read of its body, which
gets what is left of it.
"""

from __future__ import annotations

import ipaddress
import math
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import urllib3
from urllib3.exceptions import HTTPError, LocationParseError, NewConnectionError
from urllib3.exceptions import TimeoutError as UpstreamTimeout
from werkzeug.http import HTTP_STATUS_CODES

from ..contract import url_beside
from ._journal import Upstream
from ._problems import BadGateway, GatewayTimeout, Problem

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["DEFAULT_TIMEOUT", "MAX_ANSWER", "POOL_SIZE", "Forwarded", "Forwarder", "Forwarding"]

DEFAULT_TIMEOUT = 10.0
POOL_SIZE = 32
"""Connections to the upstream kept open per process; more are opened when requests
outnumber them, and closed after use."""
MAX_ANSWER = 1 << 20
"""Bytes of an upstream answer passed on; a longer one is a 502."""
SNIPPET = 200
"""Characters of a non-2xx answer's body kept in the journal."""
_CHUNK = 64 << 10
# RFC 9110 7.6.1: headers for one connection only; Host names the mock, not the upstream.
# Content-Length and Transfer-Encoding describe the client's framing: urllib3 frames the
# body it sends itself. Expect is answered by the mock's server, not passed on.
_NOT_SENT = frozenset(
    {
        "connection",
        "content-length",
        "expect",
        "host",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# What of the upstream's answer the client gets beside its status and body.
_PASSED_BACK = ("Content-Type", "Content-Encoding", "Retry-After", "WWW-Authenticate")


@dataclass(frozen=True, slots=True)
class Forwarding:
    """Where and how the mock forwards what it accepts.

    ``url``: the upstream's endpoint (http or https); ``token``: sent as
    ``Authorization: Bearer TOKEN`` instead of the client's credentials;
    ``timeout``: seconds the client waits for the upstream at most; ``invalid``:
    forward requests that break the contract too (their record still says so).
    """

    url: str
    token: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    invalid: bool = False

    def __post_init__(self) -> None:
        try:
            parsed = urllib3.util.parse_url(self.url)
        except LocationParseError as exc:
            raise ValueError(f"forward URL {self.url!r} is not a URL: {exc}") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(
                f"forward URL {self.url!r} must be http:// or https:// with a host, "
                "e.g. https://api.example/api/v1/lineage"
            )
        if (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, int | float)
            or not math.isfinite(self.timeout)
            or self.timeout <= 0
        ):
            raise ValueError(
                f"forward timeout must be a positive number of seconds: {self.timeout!r}"
            )
        if self.token is not None and (
            not self.token or not self.token.isprintable() or any(c.isspace() for c in self.token)
        ):
            raise ValueError("forward token cannot be empty nor hold spaces or control characters")

    @property
    def host(self) -> str:
        return str(urllib3.util.parse_url(self.url).host).strip("[]").lower()

    @property
    def port(self) -> int:
        parsed = urllib3.util.parse_url(self.url)
        return parsed.port or (443 if parsed.scheme == "https" else 80)

    def loops_to(self, host: str, port: int) -> bool:
        """Whether the URL points at a server bound to ``host``:``port`` (it would forward to
        itself): the same port, and the same host, or a loopback one when it is bound to
        loopback or every address."""
        if port != self.port:
            return False
        bound = host.strip("[]").lower()
        return bound == self.host or (_loopback(self.host) and (_loopback(bound) or _any(bound)))


class Forwarded:
    """The upstream's answer to a forwarded request, as the client gets it; or, when there
    was none, the problem (502, 504) the mock answers instead."""

    __slots__ = ("body", "headers", "problem", "status", "upstream")

    def __init__(
        self,
        status: int,
        upstream: Upstream,
        *,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        problem: Problem | None = None,
    ) -> None:
        self.status = status
        self.upstream = upstream
        self.headers = headers or []
        self.body = body
        self.problem = problem

    @classmethod
    def failed(cls, problem: Problem) -> Forwarded:
        return cls(problem.code or 502, Upstream(None, problem.description or ""), problem=problem)

    def answer(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        """Pass the upstream's answer on (not for a problem: the app renders those)."""
        line = f"{self.status} {HTTP_STATUS_CODES.get(self.status, 'Unknown')}"
        start_response(line, [*self.headers, ("Content-Length", str(len(self.body)))])
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.body]


class Forwarder:
    """Sends requests on to the upstream :class:`Forwarding` names, through one pool."""

    def __init__(self, forwarding: Forwarding, *, path: str) -> None:
        self.forwarding = forwarding
        self.url = forwarding.url
        self.path = path
        parsed = urllib3.util.parse_url(forwarding.url)
        # In answers and the journal: without credentials the URL may carry.
        self.shown = parsed._replace(auth=None).url
        # retries=False: the client decides whether to try again, and when.
        self._pool = urllib3.PoolManager(
            num_pools=2,
            maxsize=POOL_SIZE,
            block=False,
            retries=False,
            timeout=urllib3.Timeout(total=forwarding.timeout),
        )

    @property
    def invalid(self) -> bool:
        return self.forwarding.invalid

    @property
    def token(self) -> str | None:
        return self.forwarding.token

    def url_for(self, path: str) -> str:
        """The upstream URL for a request to ``path`` (see the module's docstring)."""
        if path == self.path:
            return self.url
        return url_beside(self.url, self.path, path) or self.url

    def headers(self, environ: Mapping[str, Any]) -> dict[str, str]:
        """The client's headers as they are sent on (names as WSGI spells them)."""
        listed = environ.get("HTTP_CONNECTION", "")
        dropped = _NOT_SENT | {name.strip().lower() for name in listed.split(",")}
        if self.forwarding.token is not None:
            dropped |= {"authorization"}
        out: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").title()
            elif key == "CONTENT_TYPE":
                name = "Content-Type"
            else:
                continue
            if name.lower() not in dropped and value:
                out[name] = value
        if self.forwarding.token is not None:
            out["Authorization"] = f"Bearer {self.forwarding.token}"
        return out

    def send(self, environ: WSGIEnvironment, body: bytes, path: str) -> Forwarded:
        """The upstream's answer to the client's request, ``body`` as the client sent it."""
        deadline = time.monotonic() + self.forwarding.timeout
        url, shown = self.url_for(path), self.shown
        try:
            response = self._pool.request(
                environ.get("REQUEST_METHOD", "POST"),
                url,
                body=body,
                headers=self.headers(environ),
                redirect=False,
                preload_content=False,
                decode_content=False,
            )
        except NewConnectionError as exc:  # before TimeoutError: urllib3 makes it one
            return Forwarded.failed(
                BadGateway(f"the upstream {shown} cannot be reached: {_why(exc)}")
            )
        except UpstreamTimeout:
            return Forwarded.failed(self._late())
        except HTTPError as exc:
            return Forwarded.failed(BadGateway(f"the upstream {shown} failed: {_why(exc)}"))
        try:
            data = self._read(response, deadline)
        except Problem as problem:
            response.close()
            return Forwarded.failed(problem)
        finally:
            response.release_conn()
        headers = [
            (name, response.headers[name]) for name in _PASSED_BACK if name in response.headers
        ]
        status = response.status
        detail = (
            "" if 200 <= status < 300 else _snippet(data, response.headers.get("Content-Encoding"))
        )
        return Forwarded(status, Upstream(status, detail), headers=headers, body=data)

    def _read(self, response: urllib3.BaseHTTPResponse, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_ANSWER:
            raise BadGateway(f"the upstream {self.shown} answered more than {MAX_ANSWER:,} bytes")
        parts: list[bytes] = []
        size = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._late()
            sock = getattr(response.connection, "sock", None)
            if sock is not None:
                sock.settimeout(left)  # each read gets what is left, not a fresh timeout
            try:
                # read1: one read of the socket, where read() would wait for all of _CHUNK.
                chunk = response.read1(_CHUNK, decode_content=False)
            except UpstreamTimeout:
                raise self._late() from None
            except (HTTPError, OSError) as exc:
                raise BadGateway(
                    f"the upstream {self.shown} broke off its answer: {_why(exc)}"
                ) from None
            if not chunk:
                return b"".join(parts)
            size += len(chunk)
            if size > MAX_ANSWER:
                raise BadGateway(
                    f"the upstream {self.shown} answered more than {MAX_ANSWER:,} bytes"
                )
            parts.append(chunk)

    def _late(self) -> GatewayTimeout:
        return GatewayTimeout(
            f"the upstream {self.shown} did not answer within {self.forwarding.timeout:g}s"
        )

    def close(self) -> None:
        self._pool.clear()

    def __repr__(self) -> str:
        return f"<Forwarder {self.url} timeout={self.forwarding.timeout:g}s>"


def _why(exc: BaseException) -> str:
    """The innermost reason urllib3 gives (its messages nest the pool and the URL)."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        return _why(reason)
    text = str(exc)
    return text.split(": ", 1)[1] if isinstance(exc, NewConnectionError) and ": " in text else text


def _snippet(body: bytes, encoding: str | None) -> str:
    """The start of an answer's body as text, gzip undone when it is gzipped."""
    if encoding and encoding.strip().lower() in ("gzip", "x-gzip", "deflate"):
        try:
            body = zlib.decompressobj(wbits=47).decompress(body, SNIPPET * 4)
        except zlib.error:
            return f"({len(body):,} bytes of {encoding} that do not decode)"
    text = body[: SNIPPET * 4].decode("utf-8", "replace")
    return text if len(text) <= SNIPPET else text[:SNIPPET] + "..."


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _any(host: str) -> bool:
    try:
        return ipaddress.ip_address(host or "0.0.0.0").is_unspecified
    except ValueError:
        return False
