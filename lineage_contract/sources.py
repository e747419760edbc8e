"""Read payload files and judge every event in them, placing each violation in its file.

What a path may hold: a JSON document (one event, or an array of events),
JSON Lines (``.jsonl``/``.ndjson``), YAML (``.yaml``/``.yml``, one event or a
list per document), any of them gzipped (``.gz``), a directory of those
(recursive, sorted), or ``-`` for standard input (JSON or JSON Lines,
gzipped or not).

Nothing is loaded whole that can be streamed. JSON Lines go line by line, each
line straight to :meth:`Validator.check` (one parse; positions are only worked
out for invalid lines). A JSON array is decoded element by element from a
buffered reader. A big plain JSON Lines file is cut into byte ranges at line
boundaries and judged by a process pool, the workers opening the file
themselves and sending back only what failed.

A file that cannot be read is an :class:`InputError`; a file that reads but is
not JSON (or YAML), is empty, truncated or corrupt gzip is an invalid event
with a positioned violation.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import gzip
import io
import itertools
import json
import os
import re
import stat
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from .contract import Contract
from .errors import LineageContractError
from .locate import json_offset, line_col, yaml_position
from .report import Kind, Violation
from .validator import Validator

JSON = "json"
JSON_LINES = "jsonl"
YAML = "yaml"
STREAM = "stream"
"""Standard input and unknown suffixes: a sequence of JSON values (JSON or JSON Lines)."""

SUFFIXES = {".json": JSON, ".jsonl": JSON_LINES, ".ndjson": JSON_LINES, ".yaml": YAML, ".yml": YAML}
STDIN = "-"

PARALLEL_MIN_BYTES = 32 * 1024 * 1024
"""Below this a JSON Lines file is judged in-process: starting workers costs more than it saves."""
CHUNK_BYTES = 8 * 1024 * 1024
"""Byte range handed to one worker at a time (cut forward to the next line boundary)."""
READ_BYTES = 1024 * 1024

Progress = Callable[[int], None]
"""Told the number of bytes of the current file read so far."""


class InputError(LineageContractError):
    """An input cannot be read at all (missing, no permission, not a file)."""


@dataclass(frozen=True, slots=True)
class Source:
    """One input, named as the user will see it."""

    name: str
    path: Path | None
    """None for standard input."""
    kind: str
    gzipped: bool = False

    @property
    def size(self) -> int | None:
        """Bytes on disk, when it is a regular file."""
        if self.path is None:
            return None
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_size if stat.S_ISREG(info.st_mode) else None


@dataclass(frozen=True, slots=True)
class Placed:
    """A violation and where it is in its file (None where that cannot be said)."""

    violation: Violation
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict on one event of a source."""

    source: str
    index: int
    """0-based rank of the event in its source."""
    line: int | None
    """Where the event starts (1-based)."""
    column: int | None = None
    problems: tuple[Placed, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems


# -- finding the inputs --------------------------------------------------------


def kind_of(name: str) -> tuple[str, bool]:
    """The kind of a file name and whether it is gzipped."""
    lowered = name.lower()
    gzipped = lowered.endswith(".gz")
    if gzipped:
        lowered = lowered[:-3]
    return SUFFIXES.get(os.path.splitext(lowered)[1], STREAM), gzipped


def expand(paths: Sequence[str]) -> list[Source]:
    """Every input named by ``paths``, directories walked in sorted order.

    Raises :class:`InputError` for the first path that does not exist, so that a
    typo fails before any work is done.
    """
    sources: list[Source] = []
    for given in paths:
        if given == STDIN:
            sources.append(Source("<stdin>", None, STREAM))
            continue
        path = Path(given)
        try:
            info = path.stat()
        except OSError as exc:
            raise InputError(f"cannot read {given}: {_reason(exc)}") from None
        if stat.S_ISDIR(info.st_mode):
            found = list(_walk(path, given))
            if not found:
                raise InputError(
                    f"no payload files under {given} (looked for "
                    f"{', '.join(sorted(SUFFIXES))}, optionally .gz)"
                )
            sources.extend(found)
        else:
            kind, gzipped = kind_of(path.name)
            sources.append(Source(given, path, kind, gzipped))
    return sources


def _walk(root: Path, shown: str) -> Iterator[Source]:
    def fail(exc: OSError) -> None:
        raise InputError(f"cannot read {exc.filename or shown}: {_reason(exc)}")

    for folder, dirs, files in os.walk(root, onerror=fail):
        dirs.sort()
        for name in sorted(files):
            kind, gzipped = kind_of(name)
            if kind == STREAM:
                continue
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            yield Source(f"{shown.rstrip('/')}/{relative}", path, kind, gzipped)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


# -- judging ---------------------------------------------------------------------


class Judge:
    """Judge every event of each source; owns the worker pool for big files.

    ``jobs`` worker processes are used for a plain JSON Lines file of at least
    ``parallel_min_bytes``; ``spec`` is the contract path the workers load.
    """

    def __init__(
        self,
        validator: Validator,
        *,
        spec: str | None = None,
        jobs: int | None = None,
        parallel_min_bytes: int | None = None,
        chunk_bytes: int | None = None,
    ) -> None:
        self.validator = validator
        self.spec = spec
        self.jobs = jobs if jobs is not None else _cpu_count()
        self.parallel_min_bytes = (
            parallel_min_bytes if parallel_min_bytes is not None else PARALLEL_MIN_BYTES
        )
        self.chunk_bytes = max(1, chunk_bytes if chunk_bytes is not None else CHUNK_BYTES)
        self._pool: Executor | None = None

    def __enter__(self) -> Judge:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def outcomes(self, source: Source, progress: Progress | None = None) -> Iterator[Outcome]:
        """Every event of ``source``, in order; raises :class:`InputError` if it cannot be read."""
        size = source.size
        if (
            source.kind == JSON_LINES
            and not source.gzipped
            and self.jobs > 1
            and size is not None
            and size >= self.parallel_min_bytes
        ):
            yield from self._parallel_lines(source, size, progress)
            return
        try:
            with _open(source) as (raw, tell):
                if source.gzipped:
                    stream = _gunzip_stream(raw)
                elif source.path is None:
                    stream = _maybe_gunzip(raw)
                else:
                    stream = raw
                yield from self._read(source, stream, _reporting(progress, tell))
        except OSError as exc:
            raise InputError(f"cannot read {source.name}: {_reason(exc)}") from None

    def _read(
        self, source: Source, stream: IO[bytes], tick: Callable[[], None]
    ) -> Iterator[Outcome]:
        name = source.name
        if source.kind == JSON_LINES:
            reader: Iterator[Outcome] = judge_lines(self.validator, name, stream, tick=tick)
        elif source.kind == YAML:
            reader = judge_yaml(self.validator, name, stream)
        else:
            reader = judge_json(
                self.validator, name, stream, sequence=source.kind == STREAM, tick=tick
            )
        rank = 0
        try:
            for outcome in reader:
                rank = outcome.index + 1
                yield outcome
        except _Corrupt as exc:
            yield Outcome(name, rank, None, None, (Placed(exc.violation),))
        tick()

    def _parallel_lines(
        self, source: Source, size: int, progress: Progress | None
    ) -> Iterator[Outcome]:
        assert source.path is not None
        path = str(source.path)
        try:
            ranges = line_ranges(path, size, self.chunk_bytes)
        except OSError as exc:
            raise InputError(f"cannot read {source.name}: {_reason(exc)}") from None
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, initializer=_start_worker, initargs=(self.spec,)
            )
        pool = self._pool
        futures = [
            pool.submit(_judge_range, path, source.name, start, end) for start, end in ranges
        ]
        line_base = index_base = 0
        try:
            for (_, end), future in zip(ranges, futures, strict=True):
                try:
                    part = future.result()
                except OSError as exc:
                    raise InputError(f"cannot read {source.name}: {_reason(exc)}") from None
                yield from part.outcomes(source.name, line_base, index_base)
                line_base += part.lines
                index_base += part.events
                if progress is not None:
                    progress(end)
        finally:
            for future in futures:
                future.cancel()
        if not index_base:
            yield _empty(source.name, line_base)


def judge_value(validator: Validator, value: Any) -> tuple[Violation, ...]:
    """Violations of an already parsed event."""
    if isinstance(value, str | bytes | bytearray | memoryview):
        # check() would take these for JSON text still to be parsed.
        return tuple(validator.explain(value))
    return validator.check(value).violations


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
        yield _empty(name, lineno)


def _placed_line(
    name: str, index: int, lineno: int, raw: bytes, violations: Sequence[Violation]
) -> Outcome:
    text, bad_byte = _decode(raw)
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


def _decode(raw: bytes) -> tuple[str, int | None]:
    """The text of a line and, if it is not UTF-8, the character where it stops being so."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", "replace"), len(raw[: exc.start].decode("utf-8", "replace"))


def _empty(name: str, lines: int) -> Outcome:
    message = "empty file: expected at least one event" if lines else "empty file: expected JSON"
    return Outcome(name, 0, 1, 1, (Placed(_json_error(message), 1, 1),))


def _json_error(message: str) -> Violation:
    return Violation(Kind.JSON, "json", message)


# -- JSON documents and sequences ---------------------------------------------------


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


_WS = " \t\n\r"
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
        """Offset of the next non-blank character from ``at``, or ``len(buf)`` at the end."""
        while True:
            buf = self.buf
            while at < len(buf) and buf[at] in _WS:
                at += 1
            if at < len(buf) or not self.more():
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


class _Corrupt(Exception):
    """The bytes stop making sense mid-stream (bad gzip); what was read so far stands."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


def judge_json(
    validator: Validator,
    name: str,
    stream: IO[bytes],
    *,
    sequence: bool = False,
    tick: Callable[[], None] | None = None,
) -> Iterator[Outcome]:
    """A JSON document: one event, or an array whose elements are the events.

    With ``sequence``, any number of JSON values may follow each other (JSON
    Lines, concatenated JSON), each an event or an array of events.
    """
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
                        yield _empty(name, 0)
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
                if text.buf[at] == "[":
                    in_array = True
                    expect_comma = False
                    at += 1
                    continue
            at = text.drop_before(at)
            outcome, at = _decode_event(validator, name, index, text, at)
            yield outcome
            if not outcome.valid and outcome.problems[0].violation.kind is Kind.JSON:
                return
            index += 1
            expect_comma = in_array
    except _BadText as exc:
        line, column = text.position(max(text.mark, exc.offset))
        yield Outcome(name, index, line, column, (Placed(_json_error(exc.message), line, column),))


def _decode_event(
    validator: Validator, name: str, index: int, text: _Text, at: int
) -> tuple[Outcome, int]:
    want = READ_BYTES
    while True:
        buf = text.buf
        try:
            value, end = _DECODER.raw_decode(buf, at)
        except json.JSONDecodeError as exc:
            cut_short = exc.pos >= len(buf) - _TRUNCATION_MARGIN or exc.msg.startswith(
                "Unterminated string"
            )
            if cut_short and not text.eof and text.more(want):
                want *= 2
                continue
            return _syntax(name, index, text, exc.pos, exc.msg, start=at), len(buf)
        except _Reject as exc:
            return _syntax(
                name, index, text, _refused_at(buf, at), str(exc), start=at, prefix=False
            ), len(buf)
        except RecursionError:
            message = "nested too deeply to parse (more than about 1,000 levels)"
            return _syntax(name, index, text, at, message, prefix=False), len(buf)
        if end == len(buf) and not text.eof and text.more(want):
            # A number may go on in the next read; decode it again with more text.
            continue
        break
    line, column = text.position(at)
    violations = judge_value(validator, value)
    if not violations:
        return Outcome(name, index, line, column), end
    body = buf[at:end]
    problems = tuple(
        Placed(v, *line_col(body, json_offset(body, v.pointer), line, column)) for v in violations
    )
    return Outcome(name, index, line, column, problems), end


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


# -- YAML ---------------------------------------------------------------------------


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML whose timestamps stay the strings they were written as (JSON has no dates)."""


_YamlLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def judge_yaml(validator: Validator, name: str, stream: IO[bytes]) -> Iterator[Outcome]:
    """Each YAML document is an event, or a sequence of events."""
    data = stream.read()
    text, bad = _decode(data)
    if bad is not None:
        line, column = line_col(text, bad)
        message = f"invalid UTF-8 at character {bad} (YAML here must be UTF-8)"
        yield Outcome(name, 0, line, column, (Placed(_json_error(message), line, column),))
        return
    loader = _YamlLoader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            value = loader.construct_document(node)
            if isinstance(node, yaml.SequenceNode) and isinstance(value, list):
                pairs = list(zip(node.value, value, strict=True))
            else:
                pairs = [(node, value)]
            for event_node, event in pairs:
                yield _yaml_outcome(validator, name, index, event_node, event)
                index += 1
    except yaml.YAMLError as exc:
        yield _yaml_error(name, index, exc)
        return
    finally:
        loader.dispose()
    if not index:
        message = "empty file: expected at least one event"
        yield Outcome(name, 0, 1, 1, (Placed(Violation(Kind.JSON, "yaml", message), 1, 1),))


def _yaml_error(name: str, index: int, exc: yaml.YAMLError) -> Outcome:
    mark = None
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
    message = f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
    if mark is None:
        return Outcome(name, index, None, None, (Placed(Violation(Kind.JSON, "yaml", message)),))
    line, column = mark.line + 1, mark.column + 1
    violation = Violation(Kind.JSON, "yaml", message)
    return Outcome(name, index, line, column, (Placed(violation, line, column),))


def _yaml_outcome(
    validator: Validator, name: str, index: int, node: yaml.Node, event: Any
) -> Outcome:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    violations = judge_value(validator, event)
    problems = tuple(Placed(v, *yaml_position(node, v.pointer)) for v in violations)
    return Outcome(name, index, line, column, problems)


# -- opening --------------------------------------------------------------------------


@contextlib.contextmanager
def _open(source: Source) -> Iterator[tuple[IO[bytes], Callable[[], int]]]:
    """The byte stream of a source, and how far into it reading has got."""
    if source.path is None:
        count = _Counting(sys.stdin.buffer)
        yield io.BufferedReader(count, READ_BYTES), count.tell
        return
    with open(source.path, "rb") as file:
        yield file, file.tell


class _Counting(io.RawIOBase):
    """Standard input, counting the bytes read (it cannot tell where it is)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # read1: hand over what the pipe has now rather than wait for a full buffer.
        read = getattr(self.stream, "read1", self.stream.read)
        data = read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)

    def tell(self) -> int:
        return self.count


def _gunzip_stream(raw: IO[bytes]) -> IO[bytes]:
    return io.BufferedReader(_SafeGzip(gzip.GzipFile(fileobj=raw, mode="rb")), READ_BYTES)


def _maybe_gunzip(raw: IO[bytes]) -> IO[bytes]:
    peek = getattr(raw, "peek", None)
    if peek is not None and bytes(peek(2))[:2] == b"\x1f\x8b":
        return _gunzip_stream(raw)
    return raw


class _SafeGzip(io.RawIOBase):
    """A gzip stream whose corruption is a violation of the payload, not an unreadable file."""

    def __init__(self, inner: gzip.GzipFile) -> None:
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return self.inner.readinto(buffer)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise _Corrupt(
                Violation(Kind.BAD_ENCODING, "gzip", f"not valid gzip data: {exc}")
            ) from None

    def close(self) -> None:
        self.inner.close()
        super().close()


def _reporting(progress: Progress | None, tell: Callable[[], int]) -> Callable[[], None]:
    if progress is None:
        return _nothing

    def tick() -> None:
        progress(tell())

    return tick


def _nothing() -> None:
    pass


# -- the worker side of big JSON Lines files -------------------------------------------


def line_ranges(path: str, size: int, chunk: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``chunk`` bytes covering the file, each starting a line."""
    bounds = [0]
    with open(path, "rb") as file:
        at = chunk
        while at < size:
            file.seek(at - 1)
            file.readline()
            at = file.tell()
            if at >= size:
                break
            bounds.append(at)
            at += chunk
    bounds.append(size)
    return list(itertools.pairwise(bounds))


@dataclass(frozen=True, slots=True)
class _Part:
    """What a worker sends back for a byte range: counts, failures, where the valid events were."""

    lines: int
    events: int
    failed: tuple[Outcome, ...]
    valid_lines: array[int]

    def outcomes(self, name: str, line_base: int, index_base: int) -> Iterator[Outcome]:
        failed = {outcome.index: outcome for outcome in self.failed}
        valid = iter(self.valid_lines)
        for index in range(self.events):
            outcome = failed.get(index)
            if outcome is None:
                yield Outcome(name, index_base + index, next(valid) + line_base)
            else:
                yield _shifted(outcome, line_base, index_base)


def _shifted(outcome: Outcome, line_base: int, index_base: int) -> Outcome:
    problems = tuple(
        dataclasses.replace(p, line=None if p.line is None else p.line + line_base)
        for p in outcome.problems
    )
    return dataclasses.replace(
        outcome,
        index=outcome.index + index_base,
        line=None if outcome.line is None else outcome.line + line_base,
        problems=problems,
    )


_worker_validator: Validator | None = None


def _start_worker(spec: str | None) -> None:
    global _worker_validator
    _worker_validator = Validator(Contract.load(spec))


def _judge_range(path: str, name: str, start: int, end: int) -> _Part:
    validator = _worker_validator if _worker_validator is not None else Validator()
    failed: list[Outcome] = []
    valid_lines = array("q")
    lines = 0

    def ranged(file: IO[bytes]) -> Iterator[bytes]:
        nonlocal lines
        left = end - start
        for raw in file:
            lines += 1
            yield raw
            left -= len(raw)
            if left <= 0:
                return

    events = 0
    with open(path, "rb") as file:
        file.seek(start)
        for outcome in judge_lines(validator, name, ranged(file), whole=False):
            events += 1
            if outcome.valid:
                assert outcome.line is not None
                valid_lines.append(outcome.line)
            else:
                failed.append(outcome)
    return _Part(lines, events, tuple(failed), valid_lines)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
