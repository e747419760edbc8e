"""Read payload files and judge every event in them, placing each violation in its file.

What a path may hold: a JSON document (one event, or an array of events),
JSON Lines (``.jsonl``/``.ndjson``), YAML (``.yaml``/``.yml``, one event or a
list per document), any of them gzipped (``.gz``), a directory of those
(recursive, sorted), or ``-`` for standard input (JSON or JSON Lines,
gzipped or not).

This module finds the inputs, opens them (standard input, gzip) and hands
each to its reader by kind: :mod:`.json_lines`, :mod:`.json_stream`,
:mod:`.yaml_documents`, or, for a big plain JSON Lines file, a process pool
of :mod:`.parallel` workers.

A file that cannot be read is an :class:`InputError`; a file that reads but is
not JSON (or YAML), is empty, truncated or corrupt gzip is an invalid event
with a positioned violation, and so is an event over ``max_event_bytes``:
whatever the input, memory stays within a few times that limit.

Only regular files are payload files. A named pipe given by name is read like
standard input (``<(zcat events.gz)``); a device or socket given by name is
refused, as it may never end; in a directory, whatever is not a regular file
is skipped and reported to ``on_skip``.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import LineageContractError
from ..spec import Settings
from ..validation._report import Kind, Violation
from ..validation._validator import DEFAULT_MAX_BODY, Validator
from ._json_lines import Lines, judge_lines
from ._json_stream import READ_BYTES, judge_json
from ._outcome import Outcome, Placed, Tracing, empty_file
from ._parallel import cpu_count, judge_range, line_ranges, start_worker
from ._yaml import judge_yaml

__all__ = [
    "CHUNK_BYTES",
    "JSON",
    "JSON_LINES",
    "MAX_EVENT_BYTES",
    "PARALLEL_MIN_BYTES",
    "STDIN",
    "STREAM",
    "SUFFIXES",
    "YAML",
    "InputError",
    "Judge",
    "Outcome",
    "Placed",
    "Progress",
    "Source",
    "expand",
    "kind_of",
]

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

MAX_EVENT_BYTES = DEFAULT_MAX_BODY
"""The largest event read (a JSON Lines line, a JSON value, a YAML file): the mock's body limit."""

Progress = Callable[[int], None]
"""Told the number of bytes of the current file read so far."""

Skipped = Callable[[str, str], None]
"""Told the name of a file a directory walk passes over, and why."""


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


# -- finding the inputs --------------------------------------------------------


def kind_of(name: str) -> tuple[str, bool]:
    """The kind of a file name and whether it is gzipped."""
    lowered = name.lower()
    gzipped = lowered.endswith(".gz")
    if gzipped:
        lowered = lowered[:-3]
    return SUFFIXES.get(os.path.splitext(lowered)[1], STREAM), gzipped


def expand(paths: Sequence[str], *, on_skip: Skipped | None = None) -> list[Source]:
    """Every input named by ``paths``, directories walked in sorted order.

    Raises :class:`InputError` for the first path that does not exist or is a
    device, so that a typo fails before any work is done. What a directory holds
    that is not a regular file (a FIFO, a link to a device) is told to ``on_skip``.
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
        refused = _not_readable(info.st_mode)
        if refused:
            raise InputError(f"cannot read {given}: {refused}")
        if stat.S_ISDIR(info.st_mode):
            found = list(_walk(path, given, on_skip or _ignore))
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


def _walk(root: Path, shown: str, on_skip: Skipped) -> Iterator[Source]:
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
            source = Source(f"{shown.rstrip('/')}/{relative}", path, kind, gzipped)
            try:
                mode = path.stat().st_mode
            except OSError:
                mode = stat.S_IFREG  # a broken link: reading it will say why
            if stat.S_ISREG(mode):
                yield source
            else:
                on_skip(source.name, f"not a regular file ({_file_type(mode)})")


_FILE_TYPES = [
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
]


def _file_type(mode: int) -> str:
    return next((name for test, name in _FILE_TYPES if test(mode)), "an unknown kind of file")


def _not_readable(mode: int) -> str | None:
    """Why a path named by the user is not read, or None: devices and sockets may never end."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISFIFO(mode):
        return None
    return f"not a regular file ({_file_type(mode)})"


def _ignore(name: str, reason: str) -> None:
    pass


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


# -- judging ---------------------------------------------------------------------


class Judge:
    """Judge every event of each source; owns the worker pool for big files.

    ``jobs`` worker processes are used for a plain JSON Lines file of at least
    ``parallel_min_bytes``; ``spec`` is the contract path the workers load. An
    event of more than ``max_event_bytes`` is an invalid one, never held whole.
    With ``trace``, each valid event's outcome carries its trace for the checks
    across events (:class:`lineage_contract.lineage.Tracer`); ``conformance`` says
    how the workers check events against the OpenLineage spec, as ``validator`` does.
    """

    def __init__(
        self,
        validator: Validator,
        *,
        spec: str | None = None,
        jobs: int | None = None,
        parallel_min_bytes: int | None = None,
        chunk_bytes: int | None = None,
        max_event_bytes: int = MAX_EVENT_BYTES,
        trace: bool = False,
        conformance: Settings | None = None,
    ) -> None:
        self.validator = validator
        self.conformance = conformance
        self.tracing = trace
        self._trace: Tracing | None = None
        if trace:
            from ..lineage import Tracer

            contract = validator.contract
            self._trace = Tracer(contract.anatomy).tracing(batch=contract.batch)
        self.max_event_bytes = max_event_bytes
        self.spec = spec
        self.operation = validator.contract.operation_id
        self.jobs = jobs if jobs is not None else cpu_count()
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
                elif size is None:
                    # Standard input or a named pipe: gzipped or not, as it comes.
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
        limit = self.max_event_bytes
        if source.kind == JSON_LINES:
            lines = Lines(stream, limit)
            reader: Iterator[Outcome] = judge_lines(
                self.validator, name, lines, tick=tick, trace=self._trace
            )
        elif source.kind == YAML:
            reader = judge_yaml(self.validator, name, stream, limit=limit, trace=self._trace)
        else:
            sequence = source.kind == STREAM
            reader = judge_json(
                self.validator,
                name,
                stream,
                limit=limit,
                sequence=sequence,
                tick=tick,
                trace=self._trace,
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
                max_workers=self.jobs,
                initializer=start_worker,
                initargs=(
                    self.spec,
                    self.tracing,
                    self.conformance,
                    self.operation,
                    # The workers read published schemas from where this process did.
                    self.validator.contract.copies.mirror,
                ),
            )
        pool = self._pool
        futures = [
            pool.submit(judge_range, path, source.name, start, end, self.max_event_bytes)
            for start, end in ranges
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
            yield empty_file(source.name, line_base)


class _Corrupt(Exception):
    """The bytes stop making sense mid-stream (bad gzip); what was read so far stands."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


# -- opening --------------------------------------------------------------------------


@contextlib.contextmanager
def _open(source: Source) -> Iterator[tuple[IO[bytes], Callable[[], int]]]:
    """The byte stream of a source, and how far into it reading has got."""
    if source.path is None:
        count = _Counting(sys.stdin.buffer)
        yield io.BufferedReader(count, READ_BYTES), count.tell
        return
    refused = _not_readable(os.stat(source.path).st_mode)
    if refused:
        raise InputError(f"cannot read {source.name}: {refused}")
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
