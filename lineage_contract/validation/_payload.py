"""Turn bytes into a JSON value, strictly, or say exactly why not.

orjson parses the common case fast and is already strict (no NaN or Infinity,
UTF-8 only, no lone surrogates, no number that overflows to infinity, at most
1,024 levels of nesting). When it refuses, the standard library reads the
document again only to word the refusal the same way every time, with a
character position: what orjson refuses stays refused.

orjson reads an integer past 64 bits as a float (exact below 2**53, rounded
above); the verdict never depends on it for this contract, and spending a scan
of every payload to keep such integers exact would weigh on the hot path
(``bench/validate.py``).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import orjson

from ._report import Kind, Violation

_MAX_DEPTH_HINT = "nested too deeply to parse (more than about 1,000 levels)"


REFUSED: Any = object()
"""What :meth:`Validator.accepted_event` answers for a body it does not accept."""


class PayloadError(ValueError):
    """Raised internally with the violation that explains the refusal."""

    def __init__(self, violation: Violation) -> None:
        self.violation = violation
        super().__init__(violation.message)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (RFC 8259 has no NaN or Infinity)")


def parse_json(data: bytes | str) -> Any:
    """Parse strict JSON, raising :class:`PayloadError` with a positioned violation."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        refusal = exc
    _parse_slow(data, refusal.pos)
    # The standard library took what orjson refused (a lone surrogate, 1e999,
    # nesting past orjson's limit): orjson's word stands.
    where = f"line {refusal.lineno} column {refusal.colno}"
    raise PayloadError(_json_violation(f"not valid JSON: {refusal.msg} at {where}", refusal.pos))


def _parse_slow(data: bytes | str, position: int) -> Any:
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PayloadError(
                _json_violation(f"invalid UTF-8 at byte {exc.start} (JSON must be UTF-8)", None)
            ) from None
    else:
        text = data
    if not text.strip():
        raise PayloadError(_json_violation("empty body: expected a JSON value", 0))
    if text.startswith("\ufeff"):
        raise PayloadError(_json_violation("a byte order mark is not allowed before JSON", 0))
    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise PayloadError(
            _json_violation(
                f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", exc.pos
            )
        ) from None
    except RecursionError:
        raise PayloadError(_json_violation(_MAX_DEPTH_HINT, position)) from None
    except ValueError as exc:
        # Raised by _no_constants, which cannot see where it is: orjson stopped there.
        raise PayloadError(_json_violation(str(exc), position)) from None


def _json_violation(message: str, position: int | None) -> Violation:
    return Violation(Kind.JSON, "json", message, position=position)


def gunzip(data: bytes, limit: int) -> bytes:
    """Inflate gzip data, stopping as soon as the output would pass ``limit`` bytes.

    A gzip bomb is refused after inflating at most ``limit + 1`` bytes of it.
    """
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = data
    try:
        while pending:
            out += inflater.decompress(pending, limit + 1 - len(out))
            if len(out) > limit:
                raise PayloadError(
                    Violation(
                        Kind.TOO_LARGE,
                        "maxBodySize",
                        f"body inflates past the limit of {limit:,} bytes",
                    )
                )
            pending = inflater.unconsumed_tail
            if inflater.eof:
                # Concatenated gzip members are one stream (RFC 1952 section 2.2).
                pending = inflater.unused_data
                if pending:
                    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        if not inflater.eof:
            raise zlib.error("truncated gzip stream")
    except zlib.error as exc:
        raise PayloadError(
            Violation(
                Kind.BAD_ENCODING,
                "contentEncoding",
                f"body is labelled gzip but is not valid gzip data ({exc})",
            )
        ) from None
    return bytes(out)
