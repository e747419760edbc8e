"""Payload files of every kind, read and judged event by event, each violation placed in its file.

JSON documents (one event or an array), JSON Lines, YAML, any of them gzipped,
directories and standard input. Big JSON Lines files are split across worker
processes; every outcome carries the ``line:col`` of each violation.
:class:`EventReader` gives each event's JSON bytes with its outcome, for sending.
"""

from ._events import EventReader, Read
from ._outcome import Outcome, Placed
from ._sources import InputError, Judge, Progress, Source, expand, kind_of

__all__ = [
    "EventReader",
    "InputError",
    "Judge",
    "Outcome",
    "Placed",
    "Progress",
    "Read",
    "Source",
    "expand",
    "kind_of",
]
