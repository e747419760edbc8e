"""The mock's journal: every request it answered, with its verdict.

Two stores behind one interface, :class:`Journal`:

* :class:`MemoryJournal` (the default): a bounded deque, O(1) appends, the
  oldest records go first and ``dropped`` counts them.
* :class:`SqliteJournal`: one SQLite file in WAL mode. :meth:`~Journal.append`
  returns once the record is committed, so the server answers only after that:
  a ``kill -9`` loses no acknowledged request. A committed record is in the
  kernel's page cache, which outlives the process; only a power cut could lose
  it, so ``synchronous=OFF`` spares every commit an fsync a mock does not need.
  Several processes may share the file (each opens its own connections); they
  take turns to write through an ``flock`` on ``PATH.lock``, which hands over in
  microseconds where SQLite's busy handler sleeps for milliseconds.

A record keeps the decoded request body; the event is parsed from it on first
access, so that a full journal costs its bodies' bytes, not their parsed trees.
Which values name a record's run and job comes from the contract (see
:mod:`.anatomy`), never from field names written here.
"""

from __future__ import annotations

import abc
import contextlib
import fcntl
import itertools
import logging
import os
import secrets
import sqlite3
import stat
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ..errors import LineageContractError
from ..validation import Level, Violation, parse_json
from ._commit_log import LOG_LIMIT, LogWriter, log_paths, read_tail
from ._headers import Headers

log = logging.getLogger(__name__)

_UNSET: Any = object()
DEFAULT_LIMIT = 10_000
DEFAULT_BYTES = 256 << 20
"""Body bytes a memory journal holds before it lets the oldest records go."""
DEFAULT_PAGE_SIZE = 1_000
DEFAULT_PAGE_BYTES = 16 << 20
"""Body bytes after which a page of records ends (it always holds at least one)."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """What the upstream said to a request the mock forwarded (``serve --forward``)."""

    status: int | None
    """Its answer's status; None when it could not be reached or did not answer in time."""
    detail: str = ""
    """The start of its answer's body when that is not 2xx, or why there was no answer."""

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: Any) -> Upstream | None:
        return None if data is None else cls(data["status"], data.get("detail", ""))


@dataclass(slots=True, eq=False)
class Record:
    """One request the mock answered.

    ``status`` is what was answered (None for a dropped connection); ``valid``
    is the contract's verdict on the request, whatever was answered;
    ``violations`` are the validator's; ``body`` is the request
    body after transport decoding (gzip undone), byte for byte; ``event`` is that
    body parsed, or None when it was not JSON. ``time`` is when the request
    arrived (before its body was read), ``answered`` when its answer went out or
    its connection was dropped (None in journals written before it was kept);
    ``headers`` are the request's as received, bounded and with credentials
    redacted (see :mod:`._headers`).
    """

    method: str
    path: str
    status: int | None
    valid: bool
    violations: list[Violation] = field(default_factory=list)
    body: bytes = b""
    parsed: bool = False
    """Whether ``body`` parsed as JSON."""
    run_id: str | None = None
    job: str | None = None
    """``namespace/name`` (the contract's job identifiers joined by ``/``)."""
    upstream: Upstream | None = None
    """The upstream's answer when the request was forwarded (``status`` is then what the
    client got: the upstream's status, or the mock's 502/504); None when it was not."""
    time: float = field(default_factory=time.time)
    answered: float | None = None
    headers: Headers = ()
    id: int = 0
    batch: str | None = None
    """For an element of a batch request: the batch's id, the same for all its elements."""
    index: int | None = None
    """For an element of a batch request: its index in the batch (``body`` is that element)."""
    _event: Any = field(default=_UNSET, repr=False)

    @property
    def event(self) -> Any:
        if self._event is _UNSET:
            # Parsed the way the validator parsed it when the record was made.
            self._event = parse_json(self.body) if self.parsed else None
        return self._event

    def parse(self) -> Any:
        """The event, without keeping it on the record (for a reader that keeps only
        what it needs of it: a held journal then costs its bodies, not their trees)."""
        if self._event is not _UNSET:
            return self._event
        return parse_json(self.body) if self.parsed else None

    @property
    def text(self) -> str:
        """The body as text (invalid UTF-8 replaced)."""
        return self.body.decode("utf-8", "replace")

    @property
    def iso_time(self) -> str:
        """When the request arrived, in ISO 8601."""
        return _iso(self.time)

    @property
    def iso_answered(self) -> str | None:
        return None if self.answered is None else _iso(self.answered)

    @property
    def warned(self) -> bool:
        """Whether a finding of the record is a warning."""
        return any(v.level is Level.WARNING for v in self.violations)

    @property
    def accepted(self) -> bool:
        """Valid and answered with a success status."""
        return self.valid and self.status is not None and 200 <= self.status < 300

    def matches(
        self, *, valid: bool | None = None, run_id: str | None = None, job: str | None = None
    ) -> bool:
        if valid is not None and self.valid != valid:
            return False
        if run_id is not None and self.run_id != run_id:
            return False
        return job is None or (
            self.job is not None and (self.job == job or self.job.endswith("/" + job))
        )

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready values (``time`` as ISO 8601; ``event`` embedded as sent)."""
        return {
            "id": self.id,
            "time": self.iso_time,
            "answered": self.iso_answered,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "valid": self.valid,
            "violations": [v.to_dict() for v in self.violations],
            "runId": self.run_id,
            "job": self.job,
            "upstream": self.upstream.to_dict() if self.upstream else None,
            "batch": self.batch,
            "index": self.index,
            # Embedded without a parse/serialise round trip: a parsed body is valid JSON.
            "event": orjson.Fragment(self.body) if self.parsed else None,
            "body": self.text,
            "headers": [list(pair) for pair in self.headers],
        }

    def __repr__(self) -> str:
        verdict = "valid" if self.valid else f"{len(self.violations)} violation(s)"
        return f"<Record #{self.id} {self.method} {self.path} -> {self.status} {verdict}>"


def _iso(stamp: float) -> str:
    return (
        datetime.fromtimestamp(stamp, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    )


def _warned(records: Iterable[Record], warned: bool | None) -> Iterable[Record]:
    return records if warned is None else (r for r in records if r.warned == warned)


def records_json(records: list[Record]) -> bytes:
    """A JSON array of the records, each body once: ``event`` if it parsed, else ``body``."""
    return orjson.dumps([_listed(r) for r in records])


def _listed(record: Record) -> dict[str, Any]:
    data = record.to_dict()
    if record.parsed:
        data["body"] = None  # ``event`` holds the body, byte for byte
    return data


@dataclass(frozen=True, slots=True)
class Page:
    """Records in arrival order, and where the next page starts (None after the last)."""

    records: list[Record]
    next_cursor: int | None


def _paged(found: Iterable[Record], limit: int, max_bytes: int) -> Page:
    """The first ``limit`` records of ``found``, fewer once their bodies pass ``max_bytes``."""
    taken: list[Record] = []
    size = 0
    for record in found:
        if taken and (len(taken) >= limit or size + len(record.body) > max_bytes):
            return Page(taken, taken[-1].id)
        taken.append(record)
        size += len(record.body)
    return Page(taken, None)


class JournalTimeout(LineageContractError, TimeoutError):
    """``wait_for`` ran out of time; ``records`` holds what had arrived."""

    def __init__(self, message: str, records: list[Record]) -> None:
        super().__init__(message)
        self.records = records


# -- journals -------------------------------------------------------------


class Journal(abc.ABC):
    """Where records go. ``append`` assigns the record's ``id`` and returns it.

    Records are listed in the order their requests arrived: a request takes its
    place with :meth:`arrive` before its body is read (or its answer is
    delayed), and :meth:`append` fills that place once it is answered. Until
    then it has no record, and :meth:`page` ends before it (see :meth:`settled`),
    so that a client following the cursor never passes a place that is still
    to be filled.
    """

    def arrive(self, at: float, *, held: bool = False) -> Any:
        """A place in arrival order for a request that came at ``at`` (``time.time()``),
        for :meth:`append` or :meth:`abandon`; ``held``: its answer will wait (a delay).
        None where arrival order needs no place (the record's ``time`` orders it)."""
        return None

    @abc.abstractmethod
    def append(self, record: Record, place: Any = None) -> Record:
        """Record ``record`` at ``place`` (from :meth:`arrive`), else after every other."""

    def extend(self, records: Sequence[Record], place: Any = None) -> None:
        """Record the records of one request (a batch's elements) together, the first
        at ``place``."""
        for index, record in enumerate(records):
            self.append(record, place if index == 0 else None)

    def abandon(self, place: Any) -> None:  # noqa: B027 - journals without places do nothing
        """Give up a place :meth:`arrive` gave: that request will have no record."""

    def settled(self) -> int:
        """The id up to which the listing is final: no request still being answered
        will get a record with this id or a lower one."""
        newest = self.latest(limit=1)
        return newest[0].id if newest else 0

    @abc.abstractmethod
    def records(
        self,
        *,
        valid: bool | None = None,
        run_id: str | None = None,
        job: str | None = None,
        since: int = 0,
    ) -> list[Record]:
        """Records in arrival order; ``job`` is ``namespace/name`` or a bare name;
        ``since`` keeps the ids above it."""

    def page(
        self,
        *,
        valid: bool | None = None,
        run_id: str | None = None,
        job: str | None = None,
        since: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        max_bytes: int = DEFAULT_PAGE_BYTES,
        warned: bool | None = None,
    ) -> Page:
        """The records :meth:`records` would list after ``since``, a page at a time.

        A page holds at most ``limit`` records, and stops before the one whose
        body would take it past ``max_bytes`` (the first is always in); the next
        page is ``since=page.next_cursor``. ``warned`` keeps only the records with
        (True) or without (False) warnings. A page ends before any record with an id
        above :meth:`settled`: one still being answered may yet take a lower id.
        """
        until = self.settled()  # first: a record landing meanwhile is above it
        found = self.records(valid=valid, run_id=run_id, job=job, since=since)
        return _paged(_warned((r for r in found if r.id <= until), warned), limit, max_bytes)

    def latest(
        self,
        *,
        limit: int,
        before: int | None = None,
        since: int = 0,
        valid: bool | None = None,
        warned: bool | None = None,
        run_id: str | None = None,
        job: str | None = None,
    ) -> list[Record]:
        """Newest first: at most ``limit`` records with ids above ``since`` and below ``before``,
        filtered as :meth:`page` filters."""
        found = self.records(valid=valid, run_id=run_id, job=job, since=since)
        newest = (r for r in reversed(found) if before is None or r.id < before)
        return list(itertools.islice(_warned(newest, warned), limit))

    @abc.abstractmethod
    def clear(self) -> None: ...

    @abc.abstractmethod
    def tally(self, *, valid: bool | None = None) -> int:
        """How many records are held (of that verdict)."""

    @property
    def count(self) -> int:
        return self.tally()

    @property
    def dropped(self) -> int:
        """Records let go to respect a size limit since the last clear."""
        return 0

    def wait_for(
        self, count: int, timeout: float = 5.0, *, valid: bool | None = None
    ) -> list[Record]:
        """The records once at least ``count`` (of that verdict) are held.

        Raises :class:`JournalTimeout` (a :class:`TimeoutError`) with those that
        arrived when ``timeout`` seconds pass first.
        """
        deadline = time.monotonic() + timeout
        pause = 0.005
        while self.tally(valid=valid) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _timeout(count, timeout, valid, self.records(valid=valid))
            self._wait_change(min(pause, left))
            pause = min(pause * 2, 0.1)
        return self.records(valid=valid)

    def _wait_change(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:  # noqa: B027 - most journals hold nothing open
        """Release what the journal holds open (it may still be used afterwards)."""

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records())


def _timeout(count: int, timeout: float, valid: bool | None, got: list[Record]) -> JournalTimeout:
    what = {None: "record(s)", True: "valid record(s)", False: "invalid record(s)"}[valid]
    return JournalTimeout(
        f"waited {timeout:g}s for {count} {what}, got {len(got)}"
        + "".join(f"\n  {r!r}" for r in got[-10:]),
        got,
    )


class MemoryJournal(Journal):
    """Records in memory: at most ``limit`` of them, and their bodies at most
    ``max_bytes`` (the newest record is kept whatever its size). The oldest go first."""

    def __init__(self, limit: int = DEFAULT_LIMIT, max_bytes: int = DEFAULT_BYTES) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, got {max_bytes}")
        self.limit = limit
        self.max_bytes = max_bytes
        self._bytes = 0
        self._records: deque[Record] = deque()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._next_id = 1
        self._held: set[int] = set()
        """Places taken by requests that have no record yet."""
        self._valid = 0
        self._dropped = 0
        self._waiting = 0

    def arrive(self, at: float, *, held: bool = False) -> int:
        with self._lock:
            place = self._next_id
            self._next_id += 1
            self._held.add(place)
        return place

    def abandon(self, place: Any) -> None:
        with self._lock:
            self._held.discard(place)

    def settled(self) -> int:
        with self._lock:
            return (min(self._held) if self._held else self._next_id) - 1

    def append(self, record: Record, place: Any = None) -> Record:
        with self._lock:  # the condition's own lock, without its Python-level wrapper
            records = self._records
            if place in self._held:
                self._held.discard(place)
                record.id = place
            else:
                record.id = self._next_id
                self._next_id += 1
            if not records or records[-1].id < record.id:
                records.append(record)
            else:  # answered after requests that arrived later: it goes before them
                index = len(records)
                while index and records[index - 1].id > record.id:
                    index -= 1
                records.insert(index, record)
            self._valid += record.valid
            self._bytes += len(record.body)
            while len(self._records) > self.limit or (
                self._bytes > self.max_bytes and len(self._records) > 1
            ):
                old = self._records.popleft()
                self._valid -= old.valid
                self._bytes -= len(old.body)
                self._dropped += 1
            if self._waiting:  # notify_all costs more than the rest of the append
                self._cond.notify_all()
        return record

    def records(
        self,
        *,
        valid: bool | None = None,
        run_id: str | None = None,
        job: str | None = None,
        since: int = 0,
    ) -> list[Record]:
        with self._cond:
            held = list(self._records)
        if since:
            held = [r for r in held if r.id > since]
        if valid is None and run_id is None and job is None:
            return held
        return [r for r in held if r.matches(valid=valid, run_id=run_id, job=job)]

    def clear(self) -> None:
        with self._cond:
            self._records.clear()
            self._valid = 0
            self._bytes = 0
            self._dropped = 0
            self._cond.notify_all()

    def tally(self, *, valid: bool | None = None) -> int:
        held = len(self._records)
        if valid is None:
            return held
        return self._valid if valid else held - self._valid

    @property
    def dropped(self) -> int:
        return self._dropped

    def _wait_change(self, seconds: float) -> None:
        with self._cond:
            self._waiting += 1
            try:
                self._cond.wait(seconds)
            finally:
                self._waiting -= 1

    def __repr__(self) -> str:
        return (
            f"<MemoryJournal {len(self._records)}/{self.limit}"
            f" {self._bytes:,}/{self.max_bytes:,} bytes dropped={self._dropped}>"
        )


_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER,
    valid INTEGER NOT NULL,
    parsed INTEGER NOT NULL,
    violations BLOB NOT NULL,
    body BLOB NOT NULL,
    run_id TEXT,
    job TEXT,
    upstream BLOB
);
CREATE TABLE IF NOT EXISTS logs (
    name TEXT PRIMARY KEY,
    offset INTEGER NOT NULL
);
"""
# Added since the first journals were written: a file without them gets them when opened
# (its records then have no headers and no answer time).
_ADDED = {
    "upstream": "BLOB",
    "answered": "REAL",
    "headers": "BLOB",
    "pending": "INTEGER NOT NULL DEFAULT 0",
    "ticket": "TEXT",
    "batch": "TEXT",
    "batch_index": "INTEGER",
}
# A place held for a delayed request: few at a time, looked up on every read.
_PENDING_INDEX = "CREATE INDEX IF NOT EXISTS records_pending ON records (ticket) WHERE pending = 1"
_FIELDS = (
    "time, method, path, status, valid, parsed, violations, body, run_id, job, upstream,"
    " answered, headers, batch, batch_index"
)
_COLUMNS = f"id, {_FIELDS}"
_INSERT = f"INSERT INTO records ({_FIELDS}, pending, ticket) VALUES ({', '.join('?' * 17)})"
_FILL = (
    f"UPDATE records SET ({_FIELDS}, pending, ticket) = ({', '.join('?' * 17)})"
    " WHERE pending = 1 AND ticket = ?"
)
# What a log frame says: a record; a place taken for a delayed request; a place given up.
_RECORD, _HELD, _ABANDONED = 0, 1, 2
# A 6 KB body fits one page: a batch of records costs about half what 4 KB
# pages (SQLite's default) cost, each record spilling into overflow pages.
_PAGE_SIZE = 32768
# Inherited connections must never be used or closed in a forked child (SQLite's
# rule); they are parked here so that garbage collection does not close them.
_ORPHANS: list[sqlite3.Connection] = []


def _payload(record: Record, ticket: str | None = None, kind: int = _RECORD) -> bytes:
    """A record as a log frame's payload: metadata, violations, body (newline-separated).

    orjson never writes a raw newline, so the first two split the payload.
    """
    meta = orjson.dumps(
        [
            record.time,
            record.method,
            record.path,
            record.status,
            record.valid,
            record.parsed,
            record.run_id,
            record.job,
            record.upstream.to_dict() if record.upstream else None,
            record.answered,
            record.headers,
            ticket,
            kind,
            record.batch,
            record.index,
        ]
    )
    violations = orjson.dumps([v.to_dict() for v in record.violations])
    return b"\n".join((meta, violations, record.body))


def _row(payload: bytes) -> tuple[int, str | None, tuple[Any, ...]]:
    """A frame's kind, ticket and the row it inserts (frames of older versions included)."""
    meta, violations, body = payload.split(b"\n", 2)
    fields = orjson.loads(meta)
    at, method, path, status, valid, parsed, run_id, job = fields[:8]
    # Older versions logged 8 fields, then 9 (the upstream).
    upstream, answered, headers, ticket, kind = (*fields[8:], None, None, None, None, _RECORD)[:5]
    batch, index = (*fields[13:], None, None)[:2]  # logged before batches: none
    row = (
        at,
        method,
        path,
        status,
        int(valid),
        int(parsed),
        violations,
        body,
        run_id,
        job,
        orjson.dumps(upstream) if upstream is not None else None,
        answered,
        orjson.dumps(headers) if headers else None,
        batch,
        index,
        int(kind == _HELD),
        ticket,
    )
    return kind, ticket, row


class SqliteJournal(Journal):
    """Records in an SQLite file (WAL), shared by every process that opens it.

    :meth:`append` commits a record to this process's log (see
    :mod:`.commit_log`) and returns once it is written, so the server answers
    only after that: a ``kill -9`` loses no acknowledged request. The written
    bytes are in the kernel's page cache, which outlives the process; only a
    power cut could lose them, so nothing is fsynced. Reads first move every
    process's logged records into SQLite, which gives them their ids in the
    order they arrived; so does sealing a full log, in the background.

    Reopening a file carries on: earlier records stay (those a killed process
    logged included) and ids keep growing, also across :meth:`clear`.
    ``busy_timeout`` is how long a writer waits for another process's
    transaction. Several processes take turns to write to SQLite through an
    ``flock`` on ``PATH.lock``, which hands over in microseconds where SQLite's
    busy handler sleeps for milliseconds.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 30.0,
        log_limit: int = LOG_LIMIT,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.log_limit = log_limit
        self._pid = os.getpid()
        self._pool: list[sqlite3.Connection] = []
        # One writer at a time inside a process: a Python lock hands over in
        # microseconds where SQLite's busy handler sleeps in milliseconds.
        self._write_lock = threading.Lock()
        self._lock_fd: int | None = None
        self._log_lock = threading.Lock()
        self._log: LogWriter | None = None
        self._sealing: threading.Thread | None = None
        try:
            self._check_path()
            self._init_file()
            self.refresh()  # what a process killed earlier logged
        except (OSError, sqlite3.Error) as exc:
            self._release()
            raise LineageContractError(f"cannot open journal {self.path}: {exc}") from exc

    def _check_path(self) -> None:
        """Refuse what SQLite would open but cannot keep a journal in (``/dev/null``, a FIFO)."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISREG(mode):
            raise LineageContractError(f"cannot open journal {self.path}: not a regular file")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute("PRAGMA synchronous=OFF")
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _init_file(self) -> None:
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                conn = self._connect()
                try:
                    conn.execute(f"PRAGMA page_size={_PAGE_SIZE}")  # a new file only
                    # Switching to WAL needs a moment alone with the file; it sticks to it.
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.executescript(_SCHEMA)
                    have = {row[1] for row in conn.execute("PRAGMA table_info(records)")}
                    for name, kind in _ADDED.items():
                        if name not in have:
                            _add_column(conn, name, kind)
                    conn.execute(_PENDING_INDEX)
                finally:
                    conn.close()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _after_fork(self) -> None:
        """In a forked child, start afresh: nothing of the parent's may be used."""
        if os.getpid() != self._pid:
            _ORPHANS.extend(self._pool)
            self._pool = []
            self._pid = os.getpid()
            self._write_lock = threading.Lock()
            self._log_lock = threading.Lock()
            if self._log is not None:
                self._log.close()  # the child's copy only: the parent's log stays its own
                self._log = None
            self._sealing = None
            # flock belongs to the open file: a forked child needs its own.
            self._lock_fd = None

    def _take(self) -> sqlite3.Connection:
        self._after_fork()
        try:
            return self._pool.pop()
        except IndexError:
            return self._connect()

    def _give(self, conn: sqlite3.Connection) -> None:
        if os.getpid() == self._pid:
            self._pool.append(conn)
        else:
            _ORPHANS.append(conn)

    @contextlib.contextmanager
    def _flocked(self) -> Iterator[None]:
        """The other processes' turn is over; the caller holds ``_write_lock``."""
        if self._lock_fd is None:
            self._lock_fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time: threads by a lock, processes by ``flock``."""
        with self._write_lock, self._flocked():
            yield

    @contextlib.contextmanager
    def connection(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection of this process's pool (autocommit); ``write`` serialises writers."""
        conn = self._take()
        try:
            if write:
                with self._writing():
                    yield conn
            else:
                yield conn
        finally:
            self._give(conn)

    def arrive(self, at: float, *, held: bool = False) -> str | None:
        """A held request's place, logged now so that it is listed where it arrived.

        Other requests need none: the logged records of every process are given
        their ids in the order of their ``time``, which is their arrival.
        """
        if not held:
            return None
        ticket = f"{os.getpid()}:{secrets.token_hex(8)}"
        self._log_payload(_payload(Record("", "", None, False, time=at), ticket, _HELD))
        return ticket

    def abandon(self, place: Any) -> None:
        if place is not None:
            self._log_payload(_payload(Record("", "", None, False), place, _ABANDONED))

    def settled(self) -> int:
        self.refresh()
        conn = self._take()
        try:
            held, newest = conn.execute(
                "SELECT (SELECT MIN(id) FROM records WHERE pending = 1),"
                " (SELECT MAX(id) FROM records)"
            ).fetchone()
        finally:
            self._give(conn)
        return int(held - 1 if held is not None else newest or 0)

    def append(self, record: Record, place: Any = None) -> Record:
        """Commit ``record`` to this process's log; it gets its ``id`` on the next read."""
        self._log_payload(_payload(record, place))
        return record

    def extend(self, records: Sequence[Record], place: Any = None) -> None:
        # One write for the whole request: a batch costs one system call, and a
        # failed write is cut off whole, so that no element is kept without the rest.
        self._log_payload(
            *(
                _payload(record, place if index == 0 else None)
                for index, record in enumerate(records)
            )
        )

    def _log_payload(self, *payloads: bytes) -> None:
        self._after_fork()
        with self._log_lock:
            try:
                if self._log is None:
                    self._log = LogWriter(self.path)
                self._log.write(*payloads)
            except OSError as exc:
                raise LineageContractError(f"journal {self.path}: {exc}") from exc
            if self._log.size >= self.log_limit:
                self._log.close()
                self._log = None
                self._seal_in_background()

    def _seal_in_background(self) -> None:
        # A sealed log is moved into SQLite (and deleted) off the request path.
        if self._sealing is None or not self._sealing.is_alive():
            self._sealing = threading.Thread(
                target=self._refresh_quietly, name="lineage-journal-seal", daemon=True
            )
            self._sealing.start()

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except Exception:  # the next read tries again, and says why
            log.exception("journal %s: moving sealed logs into SQLite failed", self.path)

    def refresh(self) -> None:
        """Move every record logged so far, by any process, into SQLite."""
        with self.connection(write=True) as conn:
            self._move_logs(conn)

    def _move_logs(self, conn: sqlite3.Connection) -> None:
        """One transaction for every whole frame past its log's offset; the caller writes."""
        known = dict(conn.execute("SELECT name, offset FROM logs").fetchall())
        tails = [
            tail
            for path in log_paths(self.path)
            if (tail := read_tail(path, known.get(path.name, 0))) is not None
        ]
        moved = [tail for tail in tails if tail.end > tail.start]
        if moved:
            # Arrival order across processes: by the time each request arrived.
            frames = sorted(
                (_row(p) for tail in moved for p in tail.payloads), key=lambda f: f[2][0]
            )
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    _INSERT, [row for kind, ticket, row in frames if kind == _HELD or not ticket]
                )
                for kind, ticket, row in frames:
                    if ticket and kind == _RECORD:
                        # Fills the place its request took on arrival (one a clear
                        # removed is taken again, after the others).
                        if conn.execute(_FILL, (*row, ticket)).rowcount == 0:
                            conn.execute(_INSERT, row)
                    elif kind == _ABANDONED:
                        conn.execute(
                            "DELETE FROM records WHERE pending = 1 AND ticket = ?", (ticket,)
                        )
                conn.executemany(
                    "INSERT INTO logs (name, offset) VALUES (?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET offset = excluded.offset",
                    [(tail.path.name, tail.end) for tail in moved],
                )
                conn.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (a full disk does): the
                # error to report is the first one, not the ROLLBACK's.
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        # A sealed log is done once its records are committed (a torn end was
        # never acknowledged). Deleted before its offset, so that a crash in
        # between leaves an offset without a log, never a log read again.
        for tail in tails:
            if tail.sealed:
                with contextlib.suppress(FileNotFoundError):
                    tail.path.unlink()
        present = {tail.path.name for tail in tails if not tail.sealed}
        gone = [(name,) for name in known if name not in present]
        gone += [(tail.path.name,) for tail in tails if tail.sealed and tail.path.name not in known]
        if gone:
            conn.executemany("DELETE FROM logs WHERE name = ?", gone)
        # A place held by a process that died will never be filled: its request
        # was never answered.
        dead = [
            (ticket,)
            for (ticket,) in conn.execute("SELECT ticket FROM records WHERE pending = 1")
            if not _alive(int(str(ticket).partition(":")[0]))
        ]
        if dead:
            conn.executemany("DELETE FROM records WHERE pending = 1 AND ticket = ?", dead)

    def records(
        self,
        *,
        valid: bool | None = None,
        run_id: str | None = None,
        job: str | None = None,
        since: int = 0,
    ) -> list[Record]:
        sql, args = _select(valid, run_id, job, since)
        self.refresh()
        conn = self._take()
        try:
            rows = conn.execute(sql, args).fetchall()
        finally:
            self._give(conn)
        return [_record(row) for row in rows]

    def page(
        self,
        *,
        valid: bool | None = None,
        run_id: str | None = None,
        job: str | None = None,
        since: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        max_bytes: int = DEFAULT_PAGE_BYTES,
        warned: bool | None = None,
    ) -> Page:
        until = self.settled()  # first: a record landing meanwhile is above it
        sql, args = _select(valid, run_id, job, since, until=until)
        conn = self._take()
        try:
            # Rows come one at a time in id order: a page reads no further than it needs.
            rows = conn.execute(sql, args)
            try:
                return _paged(_warned(map(_record, rows), warned), limit, max_bytes)
            finally:
                rows.close()
        finally:
            self._give(conn)

    def latest(
        self,
        *,
        limit: int,
        before: int | None = None,
        since: int = 0,
        valid: bool | None = None,
        warned: bool | None = None,
        run_id: str | None = None,
        job: str | None = None,
    ) -> list[Record]:
        sql, args = _select(valid, run_id, job, since, before=before, newest_first=True)
        self.refresh()
        conn = self._take()
        try:
            rows = conn.execute(sql, args)  # read no further than the page needs
            try:
                return list(itertools.islice(_warned(map(_record, rows), warned), limit))
            finally:
                rows.close()
        finally:
            self._give(conn)

    def clear(self) -> None:
        with self.connection(write=True) as conn:
            self._move_logs(conn)  # what was logged before the clear goes with it
            conn.execute("DELETE FROM records WHERE pending = 0")  # held places stay theirs

    def tally(self, *, valid: bool | None = None) -> int:
        self.refresh()
        conn = self._take()
        try:
            # Held places (valid = 0) counted by their index, not by a scan.
            held = "(SELECT COUNT(*) FROM records WHERE pending = 1)"
            if valid is None:
                row = conn.execute(f"SELECT COUNT(*) - {held} FROM records").fetchone()
            elif valid:
                row = conn.execute("SELECT COUNT(*) FROM records WHERE valid = 1").fetchone()
            else:
                row = conn.execute(
                    f"SELECT COUNT(*) - {held} FROM records WHERE valid = 0"
                ).fetchone()
        finally:
            self._give(conn)
        return int(row[0])

    def close(self) -> None:
        if os.getpid() == self._pid:
            with self._log_lock:
                if self._log is not None:
                    self._log.close()
                    self._log = None
            with contextlib.suppress(LineageContractError, OSError, sqlite3.Error):
                self.refresh()  # a clean stop leaves no log behind
        self._release()

    def _release(self) -> None:
        """Close the connections and the lock file (a forked child parks its inherited ones)."""
        pool, self._pool = self._pool, []
        if os.getpid() != self._pid:
            _ORPHANS.extend(pool)
            return
        for conn in pool:
            conn.close()
        with self._write_lock:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def __repr__(self) -> str:
        return f"<SqliteJournal {self.path}>"


def _add_column(conn: sqlite3.Connection, name: str, kind: str) -> None:
    try:
        conn.execute(f"ALTER TABLE records ADD COLUMN {name} {kind}")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):  # another process added it first
            raise


def _select(
    valid: bool | None,
    run_id: str | None,
    job: str | None,
    since: int,
    *,
    before: int | None = None,
    until: int | None = None,
    newest_first: bool = False,
) -> tuple[str, list[Any]]:
    where = ["id > ?", "pending = 0"]
    args: list[Any] = [since]
    if before is not None:
        where.append("id < ?")
        args.append(before)
    if until is not None:
        where.append("id <= ?")
        args.append(until)
    if valid is not None:
        where.append("valid = ?")
        args.append(int(valid))
    if run_id is not None:
        where.append("run_id = ?")
        args.append(run_id)
    if job is not None:
        where.append("(job = ? OR substr(job, -?) = ?)")
        args.extend([job, len(job) + 1, "/" + job])
    order = "id DESC" if newest_first else "id"
    return f"SELECT {_COLUMNS} FROM records WHERE {' AND '.join(where)} ORDER BY {order}", args


def _record(row: tuple[Any, ...]) -> Record:
    return Record(
        id=row[0],
        time=row[1],
        method=row[2],
        path=row[3],
        status=row[4],
        valid=bool(row[5]),
        parsed=bool(row[6]),
        violations=[Violation.from_dict(v) for v in orjson.loads(row[7])],
        body=bytes(row[8]),
        run_id=row[9],
        job=row[10],
        upstream=Upstream.from_dict(orjson.loads(row[11])) if row[11] is not None else None,
        answered=row[12],
        headers=tuple((str(n), str(v)) for n, v in orjson.loads(row[13])) if row[13] else (),
        batch=row[14],
        index=row[15],
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def open_journal(
    journal: Journal | str | os.PathLike[str] | None,
    *,
    limit: int = DEFAULT_LIMIT,
    max_bytes: int = DEFAULT_BYTES,
) -> Journal:
    """A journal from what ``create_app`` was given: one, a file path, or None for memory."""
    if journal is None:
        return MemoryJournal(limit, max_bytes)
    if isinstance(journal, Journal):
        return journal
    return SqliteJournal(journal)
