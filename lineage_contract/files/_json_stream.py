"""JSON documents and sequences, decoded value by value from a buffered byte stream.

A JSON array is judged element by element without loading the file whole; a
syntax error is placed at the line and column where the decoder gave up. No
more text is held than one event's limit and a read: blanks are passed over
and dropped as they are read, and an event that goes on past the limit is a
violation at its start, read through to its end without being kept.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

import orjson

from ..validation._report import Kind, Violation
from ..validation._validator import Validator
from ._locate import json_offset, line_col
from ._outcome import (
    Outcome,
    Placed,
    Tracing,
    empty_file,
    json_violation,
    judge_value,
    keeps_contract,
)

READ_BYTES = 1024 * 1024


class _Reject(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _Reject(f"not valid JSON: {name} (RFC 8259 has no NaN or Infinity)")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def _refused_at(buf: str, at: int) -> int:
    """Where the constant the decoder refused stands (it cannot say itself); orjson can."""
    try:
        orjson.loads(buf[at:])
    except orjson.JSONDecodeError as exc:
        return at + exc.pos
    return at


_WS = re.compile(r"[ \t\n\r]*")
# A syntax error this far before the end of what was read cannot be cured by reading more.
_TRUNCATION_MARGIN = 16


class _Text:
    """Text decoded from a byte stream on demand, with line numbers for offsets in it."""

    def __init__(self, stream: IO[bytes], tick: Callable[[], None] | None) -> None:
        self.stream = stream
        self.tick = tick
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.eof = False
        self.bytes_read = 0
        self.mark = 0
        self.line = 1
        self.line_start = 0
        """Offset in ``buf`` where line ``line`` starts (negative once that part is dropped)."""

    def more(self, want: int = 0) -> bool:
        """Append at least one more piece of text; False at the end of the stream."""
        while not self.eof:
            data = self.stream.read(max(want, READ_BYTES))
            pending = self.decoder.getstate()[0]
            try:
                text = self.decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                # The decoder's error positions count the bytes it held back from the last read.
                self.buf += (pending + data)[: exc.start].decode("utf-8", "replace")
                where = self.bytes_read - len(pending) + exc.start
                raise _BadText(
                    f"invalid UTF-8 at byte {where} (JSON must be UTF-8)", len(self.buf)
                ) from None
            self.bytes_read += len(data)
            self.eof = not data
            if self.tick is not None:
                self.tick()
            if text:
                self.buf += text
                return True
        return False

    def skip_ws(self, at: int) -> int:
        """Offset of the next non-blank character from ``at``, or ``len(buf)`` at the end.

        Text before ``at`` may be dropped: offsets taken earlier do not hold after this.
        """
        while True:
            match = _WS.match(self.buf, at)
            at = match.end() if match else at
            if at < len(self.buf):
                return at
            at = self.drop_before(at)
            if not self.more():
                return at

    def position(self, at: int) -> tuple[int, int]:
        """1-based line and column of offset ``at`` (never before the previous one asked)."""
        buf = self.buf
        newlines = buf.count("\n", self.mark, at)
        if newlines:
            self.line += newlines
            self.line_start = buf.rfind("\n", self.mark, at) + 1
        self.mark = at
        return self.line, at - self.line_start + 1

    def drop_before(self, at: int) -> int:
        """Forget text before ``at`` once plenty is behind us; return ``at``'s new offset."""
        if at < READ_BYTES or at < len(self.buf) // 2:
            return at
        self.position(at)
        self.buf = self.buf[at:]
        self.mark -= at
        self.line_start -= at
        return 0


class _BadText(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def judge_json(
    validator: Validator,
    name: str,
    stream: IO[bytes],
    *,
    limit: int,
    sequence: bool = False,
    tick: Callable[[], None] | None = None,
    trace: Tracing | None = None,
) -> Iterator[Outcome]:
    """A JSON document: one event, or an array whose elements are the events.

    With ``sequence``, any number of JSON values may follow each other (JSON
    Lines, concatenated JSON), each an event or an array of events. An event
    of more than ``limit`` bytes is a violation. For a batch operation an array
    is one batch, judged whole.
    """
    batch = validator.contract.batch
    text = _Text(stream, tick)
    index = 0
    at = 0
    in_array = False
    expect_comma = False
    values = 0
    try:
        while True:
            at = text.skip_ws(at)
            if in_array:
                if at >= len(text.buf):
                    yield _syntax(name, index, text, at, "Expecting ',' delimiter or ']'")
                    return
                char = text.buf[at]
                if char == "]":
                    in_array = False
                    expect_comma = False
                    at += 1
                    continue
                if expect_comma:
                    if char != ",":
                        yield _syntax(name, index, text, at, "Expecting ',' delimiter")
                        return
                    at = text.skip_ws(at + 1)
                    if at < len(text.buf) and text.buf[at] == "]":
                        yield _syntax(name, index, text, at, "Expecting value (trailing comma)")
                        return
            else:
                if at >= len(text.buf):
                    if not values:
                        yield empty_file(name, 0)
                    return
                if values and not sequence:
                    yield _syntax(
                        name,
                        index,
                        text,
                        at,
                        "Extra data after the JSON value (for one event per line, "
                        "name the file .jsonl)",
                    )
                    return
                values += 1
                if text.buf[at] == "[" and not batch:
                    in_array = True
                    expect_comma = False
                    at += 1
                    continue
            at = text.drop_before(at)
            outcome, end = _decode_event(validator, name, index, text, at, limit, trace)
            yield outcome
            if end is None:
                return
            at = end
            index += 1
            expect_comma = in_array
    except _BadText as exc:
        line, column = text.position(max(text.mark, exc.offset))
        yield Outcome(
            name, index, line, column, (Placed(json_violation(exc.message), line, column),)
        )


def _decode_event(
    validator: Validator,
    name: str,
    index: int,
    text: _Text,
    at: int,
    limit: int,
    trace: Tracing | None = None,
) -> tuple[Outcome, int | None]:
    """The outcome of the event at ``at`` and where it ends; None where reading must stop."""
    want = READ_BYTES
    while True:
        buf = text.buf
        try:
            value, end = _DECODER.raw_decode(buf, at)
        except json.JSONDecodeError as exc:
            cut_short = exc.pos >= len(buf) - _TRUNCATION_MARGIN or exc.msg.startswith(
                "Unterminated string"
            )
            if not cut_short or text.eof:
                return _syntax(name, index, text, exc.pos, exc.msg, start=at), None
        except _Reject as exc:
            return _syntax(
                name, index, text, _refused_at(buf, at), str(exc), start=at, prefix=False
            ), None
        except RecursionError:
            message = "nested too deeply to parse (more than about 1,000 levels)"
            return _syntax(name, index, text, at, message, prefix=False), None
        except ValueError as exc:
            # A number of more digits than int() converts (sys.get_int_max_str_digits).
            return _syntax(name, index, text, at, str(exc), start=at, prefix=False), None
        else:
            if end < len(buf) or text.eof:
                break
            # else a number may go on in the next read: decode it again with more text.
        if len(buf) - at > limit:
            # Each character is at least one byte: this one is over the limit already.
            return _too_large(name, index, text, at, limit)
        text.more(want)
        want = min(2 * want, max(limit, READ_BYTES))
    if _over(buf, at, end, limit):
        return _too_large(name, index, text, at, limit)
    line, column = text.position(at)
    violations = judge_value(validator, value)
    # An event with warnings only keeps the contract: the checks across events see it.
    traced = trace(value, None) if trace is not None and keeps_contract(violations) else None
    if not violations:
        return Outcome(name, index, line, column, trace=traced), end
    body = buf[at:end]
    problems = tuple(
        Placed(v, *line_col(body, json_offset(body, v.pointer), line, column)) for v in violations
    )
    return Outcome(name, index, line, column, problems, traced), end


def _over(buf: str, start: int, end: int, limit: int) -> bool:
    """Whether ``buf[start:end]`` is over ``limit`` bytes in UTF-8 (only encoded when it may be)."""
    if (end - start) * 4 <= limit:
        return False
    return (end - start) > limit or len(buf[start:end].encode("utf-8", "surrogatepass")) > limit


def _too_large(
    name: str, index: int, text: _Text, at: int, limit: int
) -> tuple[Outcome, int | None]:
    """The violation of the value at ``at``, and where it ends (None: where the text does)."""
    line, column = text.position(at)
    message = f"JSON value longer than the limit of {limit:,} bytes for one event"
    end = _skip_value(text, at)
    if end is None:
        message += " (the file ends inside it)"
    violation = Violation(Kind.TOO_LARGE, "maxEventBytes", message)
    return Outcome(name, index, line, column, (Placed(violation, line, column),)), end


_IN_STRING = re.compile(r'["\\]')
_IN_CONTAINER = re.compile(r'["\[\]{}]')
_SCALAR_END = re.compile(r"[,\]}\s]")


def _skip_value(text: _Text, at: int) -> int | None:
    """Offset just past the JSON value at ``at``, read through and dropped as it goes.

    None when the text ends inside it. Only strings and brackets are followed:
    the value is not parsed, only its end found.
    """
    in_string = text.buf[at] == '"'
    if in_string:
        at += 1
    elif text.buf[at] not in "[{":
        while (match := _SCALAR_END.search(text.buf, at)) is None:
            at = text.drop_before(len(text.buf))
            if not text.more():
                return len(text.buf)
        return match.start()
    depth = 0
    while True:
        buf = text.buf
        match = (_IN_STRING if in_string else _IN_CONTAINER).search(buf, at)
        if match is None:
            at = len(buf)
        elif match.group() == "\\":
            if match.end() < len(buf):
                at = match.end() + 1
                continue
            at = match.start()  # what it escapes is in the next read
        else:
            at = match.end()
            char = match.group()
            if char == '"':
                in_string = not in_string
            elif char in "[{":
                depth += 1
            else:
                depth -= 1
            if not in_string and depth <= 0:
                return at
            continue
        at = text.drop_before(at)
        if not text.more():
            return None


def _syntax(
    name: str,
    index: int,
    text: _Text,
    at: int,
    message: str,
    *,
    start: int | None = None,
    prefix: bool = True,
) -> Outcome:
    event_line, event_column = text.position(start if start is not None else at)
    line, column = text.position(max(at, text.mark))
    # json's messages end in "... at" for the position it reports separately.
    message = message.removesuffix(" starting at").removesuffix(" at")
    if at >= len(text.buf) and text.eof:
        message = f"{message} (the file ends here)"
    violation = Violation(Kind.JSON, "json", f"not valid JSON: {message}" if prefix else message)
    return Outcome(name, index, event_line, event_column, (Placed(violation, line, column),))
