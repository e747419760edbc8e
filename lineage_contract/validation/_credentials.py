"""Credentials: what a request must carry, read and compared in one place.

The contract's security requirements say where credentials go (``Authorization:
Bearer``, an API key header, ...). Without ``tokens`` any credentials of the
required shape are accepted; with them, the credential must be one of them,
compared as the bytes the client sent and in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable

from ..contract import Contract, SecurityScheme
from ._report import Kind, Violation

Header = Callable[[str], str | None]
"""A request header by (case-insensitive) name, None when absent."""


_BEARER = ((SecurityScheme(name="bearer", type="http", scheme="bearer"),),)


class Credentials:
    """The credentials ``contract`` asks for, limited to ``tokens`` when any are given.

    Without a contract: an ``Authorization: Bearer`` token (the mock's admin API).
    """

    def __init__(self, contract: Contract | None, tokens: Iterable[str] = ()) -> None:
        self.requirements = contract.security if contract is not None else _BEARER
        self.tokens: tuple[str, ...] = tuple(tokens)
        self._accepted = tuple(t.encode() for t in self.tokens)
        self.challenges: tuple[str, ...] = _challenges(self.requirements)
        """``WWW-Authenticate`` challenges for a 401 (``Bearer`` when the contract names none)."""
        wanted = " or ".join(
            " and ".join(_describe(s) for s in group) or "nothing" for group in self.requirements
        )
        self._missing = Violation(
            Kind.SECURITY, "security", f"missing or malformed credentials: expected {wanted}"
        )
        self._unknown = Violation(
            Kind.SECURITY, "security", "credentials not among the accepted tokens"
        )
        self.key_headers: tuple[str, ...] = tuple(
            scheme.parameter
            for group in self.requirements
            for scheme in group
            if scheme.type == "apiKey" and scheme.location == "header"
        )
        """The headers that carry an API key of the contract's schemes."""

    def violation(self, header: Header) -> Violation | None:
        """None when the request's credentials are accepted, else why not."""
        if self.requirements and not any(
            all(_carries(header, scheme) for scheme in group) for group in self.requirements
        ):
            return self._missing
        if not self._accepted:
            return None
        given = self.credential(header)
        if given is None:
            return self._missing
        accepted = False
        for candidate in _as_sent(given):
            for token in self._accepted:  # all compared: the time does not tell which matched
                accepted |= hmac.compare_digest(candidate, token)
        return None if accepted else self._unknown

    def credential(self, header: Header) -> str | None:
        """The credential the contract's schemes carry: an API key header, else a bearer token."""
        for group in self.requirements:
            for scheme in group:
                if scheme.type == "apiKey" and scheme.location == "header":
                    value = header(scheme.parameter.lower())
                    if value:
                        return value
        return bearer_token(header)

    def headers(self, token: str) -> dict[str, str]:
        """The headers that carry ``token`` where the contract's first requirement wants it."""
        for group in self.requirements[:1]:
            for scheme in group:
                if scheme.type == "apiKey" and scheme.location == "header":
                    return {scheme.parameter: token}
        return {"Authorization": f"Bearer {token}"}


def _as_sent(value: str) -> tuple[bytes, ...]:
    """The bytes a header value was sent as. WSGI servers decode headers as latin-1
    (PEP 3333), which encoding gives the bytes back; some decode UTF-8 instead."""
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        return (value.encode(),)
    return (raw, value.encode()) if not raw.isascii() else (raw,)


def bearer_token(header: Header) -> str | None:
    """The token of an ``Authorization: Bearer`` header (scheme case-insensitive)."""
    return _scheme_credentials(header("authorization"), "bearer")


def _scheme_credentials(value: str | None, scheme: str) -> str | None:
    if not value:
        return None
    given, _, token = value.strip().partition(" ")
    token = token.strip()
    if given.lower() != scheme or not token:
        return None
    return token


def _carries(header: Header, scheme: SecurityScheme) -> bool:
    if scheme.type == "http":
        return _scheme_credentials(header("authorization"), scheme.scheme) is not None
    if scheme.type == "apiKey" and scheme.location == "header":
        return bool(header(scheme.parameter.lower()))
    # Query and cookie keys, OAuth2 and OpenID Connect all arrive as a bearer
    # token or a parameter not seen here; accept what could carry them.
    return bool(header("authorization"))


def _describe(scheme: SecurityScheme) -> str:
    if scheme.type == "http":
        return f"'Authorization: {scheme.scheme.capitalize()} <credentials>'"
    if scheme.type == "apiKey":
        return f"{scheme.location} {scheme.parameter!r}"
    return scheme.type


def _challenges(requirements: tuple[tuple[SecurityScheme, ...], ...]) -> tuple[str, ...]:
    found: list[str] = []
    for group in requirements:
        for scheme in group:
            if scheme.type == "http" and scheme.scheme:
                challenge = scheme.scheme.capitalize()
                if challenge not in found:
                    found.append(challenge)
    return tuple(found) or ("Bearer",)
