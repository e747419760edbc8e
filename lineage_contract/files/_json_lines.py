"""JSON Lines: one event per line, each line straight to :meth:`Validator.check`.

One parse per line; positions are only worked out for the lines that fail. The
lines are cut from blocks read here rather than by ``readline``: a run of blank
lines is skipped in one step, and a line longer than the limit is dropped as it
is read, so that no input holds more than a block and one line in memory.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from ..validation._report import Kind, Violation
from ..validation._validator import Validator
from ._locate import json_offset
from ._outcome import Outcome, Placed, Tracing, empty_file

BLOCK_BYTES = 1024 * 1024

# bytes.isspace()'s characters: what makes a line blank.
_BLANK = re.compile(rb"[ \t\n\r\x0b\x0c]*")


class Lines:
    """The lines of a byte stream, numbered from 1, none held longer than ``limit`` bytes.

    Iterating gives each non-blank line with its number, and None in place of a
    line longer than ``limit`` (its newline not counted), which is never held
    whole. ``length`` stops reading after that many bytes.
    """

    def __init__(self, stream: IO[bytes], limit: int, length: int | None = None) -> None:
        self.stream = stream
        self.limit = limit
        self.left = length
        self.count = 0
        """Lines seen so far, blank ones included."""

    def __iter__(self) -> Iterator[tuple[int, bytes | None]]:
        limit = self.limit
        block, at = self._read(), 0
        while block:
            match = _BLANK.match(block, at)
            last = block.rfind(b"\n", at, match.end() if match else at)
            if last >= 0:
                # A run of blank lines, counted and passed over in one step.
                self.count += block.count(b"\n", at, last + 1)
                at = last + 1
            end = block.find(b"\n", at)
            line: bytes | None
            if end >= 0:
                line = block[at : end + 1] if end - at <= limit else None
                at = end + 1
            elif at < len(block):
                line, block, at = self._rest(block[at:])
            else:
                block, at = self._read(), 0
                continue
            self.count += 1
            if line is None or not line.isspace():
                yield self.count, line
            if at >= len(block):
                block, at = self._read(), 0

    def _rest(self, start: bytes) -> tuple[bytes | None, bytes, int]:
        """The line ``start`` begins, read on into the next blocks; the block and offset after it.

        None for a line over the limit, whose bytes are dropped as they are read;
        a blank line over the limit comes back as a bare newline.
        """
        parts = [start]
        held = len(start)
        while held <= self.limit:
            block = self._read()
            if not block:
                return b"".join(parts), block, 0
            end = block.find(b"\n")
            if end >= 0:
                parts.append(block[: end + 1])
                line = b"".join(parts)
                held += end
                return (line if held <= self.limit or line.isspace() else None), block, end + 1
            parts.append(block)
            held += len(block)
        blank = all(part.isspace() for part in parts)
        parts.clear()
        while True:
            block = self._read()
            end = block.find(b"\n")
            if end >= 0 or not block:
                blank = blank and (end <= 0 or block[:end].isspace())
                return (b"\n" if blank else None), block, end + 1
            blank = blank and block.isspace()

    def _read(self) -> bytes:
        if self.left is None:
            return self.stream.read(BLOCK_BYTES)
        data = self.stream.read(min(BLOCK_BYTES, self.left))
        self.left -= len(data)
        return data


def judge_lines(
    validator: Validator,
    name: str,
    lines: Lines,
    *,
    whole: bool = True,
    tick: Callable[[], None] | None = None,
    trace: Tracing | None = None,
) -> Iterator[Outcome]:
    """JSON Lines: each non-blank line is one event, checked straight from its bytes.

    ``whole`` says the lines are a whole file, so that none at all is an empty file.
    """
    check = validator.check
    index = 0
    for lineno, raw in lines:
        if raw is None:
            yield _too_long(name, index, lineno, lines.limit)
        else:
            report = check(raw)
            violations = report.violations
            # An event with warnings only keeps the contract: the checks across events see it.
            traced = trace(report.event, raw) if trace is not None and report.valid else None
            if violations:
                yield _placed_line(name, index, lineno, raw, violations, traced)
            else:
                yield Outcome(name, index, lineno, trace=traced)
        index += 1
        if tick is not None and not index & 0x3FF:
            tick()
    if whole and not index:
        yield empty_file(name, lines.count)


def _too_long(name: str, index: int, lineno: int, limit: int) -> Outcome:
    message = f"line longer than the limit of {limit:,} bytes for one event; not read"
    placed = Placed(Violation(Kind.TOO_LARGE, "maxEventBytes", message), lineno, 1)
    return Outcome(name, index, lineno, 1, (placed,))


def _placed_line(
    name: str,
    index: int,
    lineno: int,
    raw: bytes,
    violations: Sequence[Violation],
    trace: Any = None,
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
    return Outcome(name, index, lineno, start + 1, tuple(problems), trace)


_AT_LINE = re.compile(r" at line \d+ column \d+$")


def decode_utf8(raw: bytes) -> tuple[str, int | None]:
    """The text of a line and, if it is not UTF-8, the character where it stops being so."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", "replace"), len(raw[: exc.start].decode("utf-8", "replace"))
