"""Append-only log files: where a shared journal commits its records.

A process appends each record to a log of its own with one ``write`` and
answers once it returns: the bytes are then in the kernel's page cache, which
outlives a ``kill -9`` of the process. SQLite takes the records later, many
per transaction (see :class:`.journal.SqliteJournal`), where one transaction
per request cost more than the rest of the request.

A frame is a header (payload length, CRC-32 of the payload; little-endian
u32 each) and the payload. The writer holds a shared ``flock`` on its log for
as long as it may write to it; a log nobody holds is *sealed* (its writer
moved on to a new log, or died), so a torn frame at its end was never
acknowledged and is dropped.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HEADER = struct.Struct("<II")
LOG_LIMIT = 8 << 20
"""Bytes after which a writer seals its log and starts another."""


def log_paths(journal: Path) -> list[Path]:
    """The logs of the journal at ``journal``, in name order."""
    return sorted(journal.parent.glob(f"{_glob_escape(journal.name)}.*.log"))


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


class LogWriter:
    """This process's log: ``write`` returns once a frame is in the file."""

    def __init__(self, journal: Path) -> None:
        self.path = journal.with_name(f"{journal.name}.{os.getpid()}-{secrets.token_hex(4)}.log")
        # Made under a name readers do not list, locked, then renamed: a log
        # they can see is held from the start, never taken for a sealed empty
        # one and deleted under its writer.
        making = self.path.with_name(self.path.name + ".new")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
        fd = os.open(making, flags, 0o644)
        try:
            # Held until close: while it is, no reader takes the log for sealed.
            fcntl.flock(fd, fcntl.LOCK_SH)
            os.rename(making, self.path)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(making)
            raise
        self.fd: int | None = fd
        self.size = 0

    def write(self, *payloads: bytes) -> None:
        """Append one frame per payload, in one write: all are in the file, or none."""
        if self.fd is None:
            raise OSError(errno.EBADF, "log closed", str(self.path))
        frame = b"".join(HEADER.pack(len(p), zlib.crc32(p)) + p for p in payloads)
        view = memoryview(frame)
        written = 0
        try:
            while written < len(frame):
                written += os.write(self.fd, view[written:])
        except BaseException:
            # A torn frame must not stay in front of the next one.
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self.size)
            raise
        self.size += len(frame)

    def close(self) -> None:
        """Seal the log: closing the last descriptor of the open file releases the lock.

        In a forked child this drops only the child's copy: the parent still
        holds the open file, so its log stays unsealed.
        """
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)


@dataclass
class Tail:
    """What a log holds past ``start``: whole frames, and where they end."""

    path: Path
    sealed: bool
    start: int
    end: int
    payloads: list[bytes] = field(default_factory=list)


def read_tail(path: Path, start: int) -> Tail | None:
    """The whole frames of ``path`` from ``start``; None when the log is gone."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        sealed = _sealed(fd)
        size = os.fstat(fd).st_size
        data = os.pread(fd, max(size - start, 0), start) if size > start else b""
    finally:
        os.close(fd)
    tail = Tail(path, sealed, start, start)
    at = 0
    while at + HEADER.size <= len(data):
        length, crc = HEADER.unpack_from(data, at)
        stop = at + HEADER.size + length
        if stop > len(data):
            break  # being written (or torn, when sealed)
        payload = data[at + HEADER.size : stop]
        if zlib.crc32(payload) != crc:
            break  # damaged: nothing after it can be framed
        tail.payloads.append(payload)
        at = stop
    tail.end = start + at
    return tail


def _sealed(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True
