"""Faults on demand: answer the next N lineage requests with an error, late, or not at all.

Faults queue up in the order they were asked for; each applies to the next
``times`` lineage requests, then the next fault takes over, then the server is
back to normal. One fault may combine a delay with a status or a drop (the delay
comes first). :meth:`Faults.take` is the only call on the request path: a read
of an int when nothing is queued, a short lock otherwise.
"""

from __future__ import annotations

import contextlib
import math
import mmap
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import LineageContractError

if TYPE_CHECKING:
    from ._journal import SqliteJournal

MAX_DELAY = 600.0
DEFAULT_MAX_DELAY = 60.0
MAX_TIMES = 1_000_000
_KEYS = frozenset({"status", "delay", "drop", "times"})
# How often a request sleeping on a delay looks whether the faults were cleared:
# another worker process may have cleared them, and it has no way to wake us.
_WAKE_POLL = 0.05


class FaultError(LineageContractError, ValueError):
    """A fault description that makes no sense."""


@dataclass(frozen=True, slots=True)
class Fault:
    """What to do to one request: wait ``delay`` seconds, then answer ``status`` or drop it."""

    status: int | None = None
    delay: float = 0.0
    drop: bool = False

    def __post_init__(self) -> None:
        if self.status is not None and (
            isinstance(self.status, bool)
            or not isinstance(self.status, int)
            or not 400 <= self.status <= 599
        ):
            raise FaultError(f"status must be an HTTP error status (400-599), got {self.status!r}")
        if (
            isinstance(self.delay, bool)
            or not isinstance(self.delay, int | float)
            or not math.isfinite(self.delay)
            or not 0 <= self.delay <= MAX_DELAY
        ):
            raise FaultError(
                f"delay must be a number of seconds in [0, {MAX_DELAY:g}], got {self.delay!r}"
            )
        if not isinstance(self.drop, bool):
            raise FaultError(f"drop must be true or false, got {self.drop!r}")
        if self.drop and self.status is not None:
            raise FaultError("a fault either drops the connection or answers a status, not both")
        if not self.drop and self.status is None and not self.delay:
            raise FaultError("a fault needs a status, a delay or drop: true")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.status is not None:
            out["status"] = self.status
        if self.delay:
            out["delay"] = self.delay
        if self.drop:
            out["drop"] = True
        return out


def parse_fault(data: Any) -> tuple[Fault, int]:
    """``(fault, times)`` from a JSON body such as ``{"status": 503, "times": 2}``."""
    if not isinstance(data, Mapping):
        raise FaultError('a fault is a JSON object such as {"status": 503, "times": 2}')
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise FaultError(
            f"unknown fault field(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(_KEYS))}"
        )
    times = data.get("times", 1)
    _check_times(times)
    return Fault(
        status=data.get("status"), delay=data.get("delay", 0.0), drop=data.get("drop", False)
    ), times


class _SharedCount:
    """A non-negative int in an 8-byte file, mapped shared: every process sees each write.

    Written only under the journal's write lock; read without one, which is
    what makes it a cheap guard in front of the database.
    """

    def __init__(self, path: str) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            if os.fstat(fd).st_size < 8:
                os.ftruncate(fd, 8)
            self._map = mmap.mmap(fd, 8)
        finally:
            os.close(fd)

    @property
    def value(self) -> int:
        return int.from_bytes(self._map[:8], "little")

    @value.setter
    def value(self, count: int) -> None:
        self._map[:8] = count.to_bytes(8, "little")


def _check_times(times: Any) -> None:
    if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= MAX_TIMES:
        raise FaultError(f"times must be an integer in [1, {MAX_TIMES:,}], got {times!r}")


class Faults:
    """A thread-safe queue of faults, each counted down request by request.

    ``max_delay`` caps the delay a fault may ask for (``FaultError`` past it).
    """

    def __init__(self, *, max_delay: float = DEFAULT_MAX_DELAY) -> None:
        if not 0 < max_delay <= MAX_DELAY:
            raise ValueError(f"max_delay must be in (0, {MAX_DELAY:g}] seconds, got {max_delay!r}")
        self.max_delay = max_delay
        self._lock = threading.Lock()
        self._queue: deque[list[Any]] = deque()  # [fault, remaining]
        self._pending = 0
        self._generation = 0

    @property
    def pending(self) -> int:
        """Requests still to be faulted (read without the lock: a cheap guard)."""
        return self._pending

    @property
    def generation(self) -> int:
        """How many times the faults were cleared: a delay sleeps while it stays the same."""
        return self._generation

    def check(self, fault: Fault) -> None:
        """Raise ``FaultError`` if this server refuses ``fault`` (a delay over the cap)."""
        if fault.delay > self.max_delay:
            raise FaultError(
                f"delay {fault.delay:g} s is over this server's cap of {self.max_delay:g} s"
                " (lineage-contract serve --max-delay)"
            )

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Wait out a delay; False if the faults were cleared (here or in another
        process sharing them) or ``stop`` was set meanwhile."""
        generation = self.generation
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if stop.wait(min(left, _WAKE_POLL)) or self.generation != generation:
                return False
        return True

    def add(self, fault: Fault, times: int = 1) -> None:
        _check_times(times)
        self.check(fault)
        with self._lock:
            self._queue.append([fault, times])
            self._pending += times

    def fail_next(self, status: int = 503, times: int = 1) -> None:
        """Answer the next ``times`` lineage requests with ``status`` (still judged, recorded)."""
        self.add(Fault(status=status), times)

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` lineage requests ``seconds`` before judging them."""
        self.add(Fault(delay=seconds), times)

    def drop_next(self, times: int = 1) -> None:
        """Close the connection of the next ``times`` requests without an answer."""
        self.add(Fault(drop=True), times)

    def take(self) -> Fault | None:
        """The fault for the request being handled, counting it down; None when there is none."""
        if not self._pending:
            return None
        with self._lock:
            if not self._queue:
                return None
            entry = self._queue[0]
            entry[1] -= 1
            self._pending -= 1
            if entry[1] <= 0:
                self._queue.popleft()
            fault: Fault = entry[0]
            return fault

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._pending = 0
            self._generation += 1

    def to_list(self) -> list[dict[str, Any]]:
        """The queued faults, each with its remaining ``times``."""
        with self._lock:
            return [{**fault.to_dict(), "times": left} for fault, left in self._queue]

    def close(self) -> None:
        """Release what the store holds open."""

    def __len__(self) -> int:
        return self.pending

    def __repr__(self) -> str:
        return f"<{type(self).__name__} pending={self.pending}>"


_TABLE = """
CREATE TABLE IF NOT EXISTS faults (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    status INTEGER,
    delay REAL NOT NULL,
    drop_connection INTEGER NOT NULL,
    remaining INTEGER NOT NULL
)
"""
# One statement takes a countdown: two processes never take the same one. A
# spent fault is deleted at once, so the first row is the one to take and a
# take costs the same however many faults are queued.
_TAKE = (
    "UPDATE faults SET remaining = remaining - 1"
    " WHERE seq = (SELECT seq FROM faults WHERE remaining > 0 ORDER BY seq LIMIT 1)"
    " RETURNING seq, status, delay, drop_connection, remaining"
)
_PENDING = "SELECT TOTAL(remaining) FROM faults WHERE remaining > 0"


class SharedFaults(Faults):
    """Faults kept in an SQLite journal's file, seen and counted down by every process using it.

    This is what lets ``POST /_lineage/faults`` reach every worker of a
    multi-process server: the worker that takes a countdown takes it for all.
    Every change also writes the pending count to ``PATH.faults``, mapped into
    each process's memory, so the request path reads an int, not the database.
    """

    def __init__(self, journal: SqliteJournal, *, max_delay: float = DEFAULT_MAX_DELAY) -> None:
        super().__init__(max_delay=max_delay)
        self.journal = journal
        self._count = _SharedCount(f"{journal.path}.faults")
        self._cleared = _SharedCount(f"{journal.path}.faults-cleared")
        with journal.connection(write=True) as conn:
            conn.execute(_TABLE)
            conn.execute("DELETE FROM faults WHERE remaining <= 0")  # left by an older version
            self._count.value = int(conn.execute(_PENDING).fetchone()[0])

    @property
    def pending(self) -> int:
        return self._count.value

    @property
    def generation(self) -> int:
        return self._cleared.value

    # The pending count changes by what each call adds or takes, never by a
    # sum over the table: under the write lock, no other process changes it.

    def add(self, fault: Fault, times: int = 1) -> None:
        _check_times(times)
        self.check(fault)
        with self.journal.connection(write=True) as conn:
            conn.execute(
                "INSERT INTO faults (status, delay, drop_connection, remaining)"
                " VALUES (?, ?, ?, ?)",
                (fault.status, float(fault.delay), int(fault.drop), times),
            )
            self._count.value += times

    def take(self) -> Fault | None:
        with self.journal.connection(write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(_TAKE).fetchone()
                if row is not None and row[4] <= 0:
                    conn.execute("DELETE FROM faults WHERE seq = ?", (row[0],))
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            left = self._count.value - 1 if row is not None else 0
            if left <= 0:
                # Cheap once spent faults are gone, and it sets right a count
                # that a process killed between its two writes left wrong.
                left = int(conn.execute(_PENDING).fetchone()[0])
            self._count.value = left
        if row is None:
            return None
        _, status, delay, drop, _ = row
        return Fault(status=status, delay=delay, drop=bool(drop))

    def clear(self) -> None:
        with self.journal.connection(write=True) as conn:
            conn.execute("DELETE FROM faults")
            self._count.value = 0
            self._cleared.value += 1

    def to_list(self) -> list[dict[str, Any]]:
        with self.journal.connection() as conn:
            rows = conn.execute(
                "SELECT status, delay, drop_connection, remaining FROM faults"
                " WHERE remaining > 0 ORDER BY seq"
            ).fetchall()
        return [
            {**Fault(status=s, delay=d, drop=bool(x)).to_dict(), "times": n} for s, d, x, n in rows
        ]
