"""Event and request text made safe to show: on a terminal, in a CI log, in XML or JSON.

Keys, values, file names and request paths come from whoever wrote them. Shown
raw, a newline starts a line of its own (``::error::`` is then a GitHub
workflow command, a forged log line a request that never came), ESC drives the
terminal, and XML 1.0 cannot hold most control characters at all. Every
output goes through here.
"""

from __future__ import annotations

import re

# C0 controls (newline and tab among them), DEL, C1 controls, the Unicode line
# and paragraph separators, lone surrogates (no UTF-8 output can hold them) and
# the two noncharacters XML 1.0 leaves out: what is left is one line, any
# terminal shows it as text, and XML 1.0 and UTF-8 can hold it.
_PAST_C0 = "\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff"
_UNPRINTABLE = re.compile(f"[\x00-\x1f{_PAST_C0}]")
_RAW_IN_JSON = re.compile(f"[{_PAST_C0}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` on one line with every control character shown as an escape (``\\n``, ``\\x1b``).

    For people, not for parsing back: a backslash already in the text stays as it is.
    """
    return _UNPRINTABLE.sub(_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_printable(document: str) -> str:
    """JSON text with the characters :func:`printable` escapes written as ``\\uXXXX``.

    The encoder escapes C0 controls itself but, with ``ensure_ascii=False``, writes
    DEL, C1, the line separators and lone surrogates raw. Outside strings JSON
    text is ASCII, so each such character is inside a string, where its escape
    means the same: the document parses to the same value.
    """
    return _RAW_IN_JSON.sub(_json_escape, document)
