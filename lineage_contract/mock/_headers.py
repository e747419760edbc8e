"""The request headers a journal record keeps: as received, bounded, credentials redacted.

A WSGI server hands the headers over in its environ (``HTTP_*``, and
``CONTENT_TYPE``/``CONTENT_LENGTH``), in the order it put them there; it has
already folded a repeated header into one and lost the case of the names, so
the names are spelled as werkzeug's ``EnvironHeaders`` spells them
(``Content-Encoding``). Credentials never reach the journal: ``Authorization``
and ``Proxy-Authorization`` keep only their scheme word (``Bearer [redacted]``),
``Cookie`` and every API key header the contract's security schemes name get
``[redacted]``. A hostile client cannot grow a record without bound: past
``max_headers`` headers or ``max_bytes`` of names and values the rest is cut,
and a last pair named ``[cut]`` (no header can have that name) says how much.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CUT", "MAX_HEADERS", "MAX_HEADER_BYTES", "REDACTED", "HeaderKeeper", "Headers"]

Headers = tuple[tuple[str, str], ...]
REDACTED = "[redacted]"
CUT = "[cut]"
MAX_HEADERS = 64
MAX_HEADER_BYTES = 8192
"""Characters of names and values a record keeps."""

ALWAYS_SECRET = frozenset(("authorization", "proxy-authorization", "cookie"))
_SCHEMED = frozenset(("authorization", "proxy-authorization"))
_UNPREFIXED = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}


@functools.lru_cache(maxsize=1024)
def _name(key: str) -> str | None:
    """The header an environ key holds (None for a key that is not a header)."""
    if key.startswith("HTTP_"):
        return key[5:].replace("_", "-").title()
    return _UNPREFIXED.get(key)


def redacted(name: str, value: str) -> str:
    """``value`` with its credentials taken out (``name`` is lower-case)."""
    if name in _SCHEMED:
        scheme, space, rest = value.strip().partition(" ")
        # The scheme word only when it looks like one: a bare token stays hidden.
        if space and rest.strip() and scheme.isascii() and scheme.isalnum() and len(scheme) <= 32:
            return f"{scheme} {REDACTED}"
    return REDACTED


class HeaderKeeper:
    """Takes the headers a record keeps from a WSGI environ.

    ``secret``: header names (any case) whose values are credentials, beyond
    ``Authorization``, ``Proxy-Authorization`` and ``Cookie``.
    """

    def __init__(
        self,
        secret: Iterable[str] = (),
        *,
        max_headers: int = MAX_HEADERS,
        max_bytes: int = MAX_HEADER_BYTES,
    ) -> None:
        if max_headers < 1 or max_bytes < 1:
            raise ValueError("max_headers and max_bytes must be at least 1")
        self.secret = ALWAYS_SECRET | {name.lower() for name in secret}
        self.max_headers = max_headers
        self.max_bytes = max_bytes

    def keep(self, environ: Mapping[str, Any]) -> Headers:
        kept: list[tuple[str, str]] = []
        size = dropped = cut_bytes = 0
        full = False
        secret = self.secret
        for key, value in environ.items():
            name = _name(key)
            if name is None or not isinstance(value, str):
                continue
            if not value and key in _UNPREFIXED:
                continue  # servers set these empty when the client sent none
            lowered = name.lower()
            if lowered in secret:
                value = redacted(lowered, value)
            if full or len(kept) >= self.max_headers:
                dropped += 1
                cut_bytes += len(name) + len(value)
                continue
            room = self.max_bytes - size - len(name)
            if len(value) > room:
                full = True  # what follows would not fit either, or only in part
                if room > 0:
                    kept.append((name, value[:room]))
                    cut_bytes += len(value) - room
                else:
                    dropped += 1
                    cut_bytes += len(name) + len(value)
                continue
            kept.append((name, value))
            size += len(name) + len(value)
        if cut_bytes:
            what = f"{dropped} more header(s) and " if dropped else ""
            kept.append((CUT, f"{what}{cut_bytes:,} character(s) not kept"))
        return tuple(kept)
