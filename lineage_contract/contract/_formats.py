"""Strict checkers for the ``format`` values an OpenAPI 3.0 contract may use.

Written here rather than taken from rfc3339-validator / rfc3986-validator because
those anchor their patterns with ``$``, which lets a trailing newline through
(``"2020-01-01T00:00:00Z\\n"`` passes both). Every pattern below is applied with
``fullmatch`` and uses ``[0-9]`` rather than ``\\d`` so that non-ASCII digits
never count.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

FormatCheck = Callable[[Any], bool]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

_DATE = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]++)?([Zz]|[+-]([0-9]{2}):([0-9]{2}))"
_DATE_RE = re.compile(_DATE)
_TIME_RE = re.compile(_TIME)
# RFC 3339 section 5.6 allows a lower-case "t" and "z".
_DATE_TIME_RE = re.compile(_DATE + "[Tt]" + _TIME)

# RFC 3986 appendix A, absolute URI: scheme ":" hier-part [ "?" query ] [ "#" fragment ]
# Each component is one character class repeated (which the re module runs as a
# tight loop) rather than ``(?:class|%XX)*`` alternations (seconds per 50 MB).
# "%" is admitted by the classes and every "%" is then checked for its two hex
# digits separately (_BAD_PERCENT). The repeats are possessive (``*+``): what
# follows each one (a delimiter such as "/", "?", "#", "@", ":" or "]") is never in
# its class, so giving characters back cannot help, and refusing to try keeps a
# failing 50 MB value linear instead of backtracking through every position.
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCHAR = rf"[{_UNRESERVED}{_SUB_DELIMS}:@%]"
_SEGMENT = rf"{_PCHAR}*+"
_SEGMENT_NZ = rf"{_PCHAR}++"
_SEGMENTS = rf"(?:/{_SEGMENT})*+"
_USERINFO = rf"[{_UNRESERVED}{_SUB_DELIMS}:%]*+"
_REG_NAME = rf"[{_UNRESERVED}{_SUB_DELIMS}%]*+"
_IP_LITERAL = (
    r"\[(?P<ip>[0-9A-Fa-f:.]++|[vV][0-9A-Fa-f]++\.[" + _UNRESERVED + _SUB_DELIMS + r":]++)\]"
)
_AUTHORITY = rf"(?:{_USERINFO}@)?(?:{_IP_LITERAL}|{_REG_NAME})(?::[0-9]*+)?"
_HIER_PART = (
    rf"(?://{_AUTHORITY}{_SEGMENTS}"
    rf"|/(?:{_SEGMENT_NZ}{_SEGMENTS})?"
    rf"|{_SEGMENT_NZ}{_SEGMENTS}"
    r"|)"
)
_QUERY = rf"[{_UNRESERVED}{_SUB_DELIMS}:@%/?]*+"
_SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*+"
_URI_RE = re.compile(rf"{_SCHEME}:{_HIER_PART}(?:\?{_QUERY})?(?:#{_QUERY})?")
# A relative reference's first segment has no ":" (it would read as a scheme).
_RELATIVE_PART = (
    rf"(?://{_AUTHORITY}{_SEGMENTS}"
    rf"|/(?:{_SEGMENT_NZ}{_SEGMENTS})?"
    rf"|[{_UNRESERVED}{_SUB_DELIMS}@%]++{_SEGMENTS}"
    r"|)"
)
_RELATIVE_REF_RE = re.compile(rf"{_RELATIVE_PART}(?:\?{_QUERY})?(?:#{_QUERY})?")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BASE64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")

_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _valid_date(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    if month == 2 and not _is_leap(year):
        return day <= 28
    return day <= _DAYS[month - 1]


def _valid_time(match: re.Match[str], first: int) -> bool:
    hour, minute, second = (int(match.group(first + i)) for i in range(3))
    zone = match.group(first + 3)
    if hour > 23 or minute > 59 or second > 60:
        return False
    offset = 0
    if zone not in ("Z", "z"):
        off_h, off_m = int(match.group(first + 4)), int(match.group(first + 5))
        if off_h > 23 or off_m > 59:
            return False
        offset = (off_h * 60 + off_m) * (1 if zone[0] == "+" else -1)
    if second == 60:
        # A leap second is only ever inserted at 23:59:60 UTC.
        utc_minutes = (hour * 60 + minute - offset) % (24 * 60)
        return utc_minutes == 23 * 60 + 59
    return True


def is_uuid(value: Any) -> bool:
    return not isinstance(value, str) or _UUID.fullmatch(value) is not None


def is_date_time(value: Any) -> bool:
    """RFC 3339 ``date-time``: the offset is required, leap seconds only at 23:59:60 UTC."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME_RE.fullmatch(value)
    if match is None:
        return False
    year, month, day = (int(match.group(i)) for i in (1, 2, 3))
    return _valid_date(year, month, day) and _valid_time(match, 4)


Instant = tuple[datetime, Decimal]
"""A date-time as a comparable (whole second in UTC, fraction) pair, to the nanosecond."""


def instant(value: Any) -> Instant | None:
    """An RFC 3339 date-time as an :data:`Instant`; None for anything else.

    The fraction is kept apart because ``datetime`` stops at microseconds and
    OpenLineage producers send nanoseconds.
    """
    if not (isinstance(value, str) and is_date_time(value)):
        return None
    text = value.upper()
    head, dot, rest = text.partition(".")
    fraction = Decimal(0)
    if dot:
        digits = re.match(r"[0-9]+", rest)
        assert digits is not None
        fraction = Decimal("0." + digits.group())
        text = head + rest[digits.end() :]
    # A leap second compares as the last instant of its minute.
    leap = text[17:19] == "60"
    if leap:
        text = text[:17] + "59" + text[19:]
        fraction += 1
    return datetime.fromisoformat(text).astimezone(UTC), fraction


def is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    match = _DATE_RE.fullmatch(value)
    return match is not None and _valid_date(*(int(g) for g in match.groups()))


def is_time(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    match = _TIME_RE.fullmatch(value)
    return match is not None and _valid_time(match, 1)


def _ip_literal_ok(match: re.Match[str]) -> bool:
    literal = match.group("ip")
    if literal is None or literal[:1] in ("v", "V"):
        return True
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return True


def is_uri(value: Any) -> bool:
    """RFC 3986 absolute ``URI`` (a scheme is required; relative references fail)."""
    if not isinstance(value, str):
        return True
    match = _URI_RE.fullmatch(value)
    return match is not None and _ip_literal_ok(match) and _BAD_PERCENT.search(value) is None


def is_uri_reference(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    match = _URI_RE.fullmatch(value) or _RELATIVE_REF_RE.fullmatch(value)
    return match is not None and _ip_literal_ok(match) and _BAD_PERCENT.search(value) is None


def _integer_range(bits: int) -> FormatCheck:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def check(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return True
        return bool(low <= value <= high)

    check.__name__ = f"is_int{bits}"
    return check


def is_byte(value: Any) -> bool:
    return not isinstance(value, str) or _BASE64_RE.fullmatch(value) is not None


def _annotation(value: Any) -> bool:
    # OAS 3.0 defines these formats as hints for tools (``password`` masks input,
    # ``binary`` is raw octets, ``float``/``double`` are JSON numbers): nothing to reject.
    return True


INTEGER_RANGES: Mapping[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}

CHECKERS: Mapping[str, FormatCheck] = {
    "uuid": is_uuid,
    "date-time": is_date_time,
    "date": is_date,
    "time": is_time,
    "uri": is_uri,
    "uri-reference": is_uri_reference,
    "int32": _integer_range(32),
    "int64": _integer_range(64),
    "byte": is_byte,
    "float": _annotation,
    "double": _annotation,
    "binary": _annotation,
    "password": _annotation,
}
"""Every format this kit can enforce; a contract using any other is refused at load."""
