"""JSON Lines: one event per line, each line straight to :meth:`Validator.check`.

One parse per line; positions are only worked out for the lines that fail.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from ..validation._report import Kind, Violation
from ..validation._validator import Validator
from ._locate import json_offset
from ._outcome import Outcome, Placed, empty_file


def judge_lines(
    validator: Validator,
    name: str,
    lines: Iterable[bytes],
    *,
    whole: bool = True,
    tick: Callable[[], None] | None = None,
) -> Iterator[Outcome]:
    """JSON Lines: each non-blank line is one event, checked straight from its bytes.

    ``whole`` says the lines are a whole file, so that none at all is an empty file.
    """
    check = validator.check
    index = 0
    lineno = 0
    for lineno, raw in enumerate(lines, 1):
        if not raw or raw.isspace():
            continue
        violations = check(raw).violations
        if violations:
            yield _placed_line(name, index, lineno, raw, violations)
        else:
            yield Outcome(name, index, lineno)
        index += 1
        if tick is not None and not index & 0x3FF:
            tick()
    if whole and not index:
        yield empty_file(name, lineno)


def _placed_line(
    name: str, index: int, lineno: int, raw: bytes, violations: Sequence[Violation]
) -> Outcome:
    text, bad_byte = decode_utf8(raw)
    text = text.rstrip("\r\n")
    start = len(text) - len(text.lstrip())
    problems = []
    for v in violations:
        if v.kind is Kind.JSON:
            offset = v.position if v.position is not None else bad_byte
            # Without a position (NaN, nesting too deep) the event's start is the best place.
            column = (start if offset is None else min(offset, len(text))) + 1
            # The line and column are in front of the message already; the parser's
            # own "at line 2 column 1" counts from the start of this line only.
            v = dataclasses.replace(v, message=_AT_LINE.sub("", v.message))
        else:
            column = json_offset(text, v.pointer, start) + 1
        problems.append(Placed(v, lineno, column))
    return Outcome(name, index, lineno, start + 1, tuple(problems))


_AT_LINE = re.compile(r" at line \d+ column \d+$")


def decode_utf8(raw: bytes) -> tuple[str, int | None]:
    """The text of a line and, if it is not UTF-8, the character where it stops being so."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", "replace"), len(raw[: exc.start].decode("utf-8", "replace"))
