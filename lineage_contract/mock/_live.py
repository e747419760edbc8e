"""The runs and the lineage graph of a mock's journal, kept folded as records arrive.

:class:`LiveViews` folds the journal's records, in id order, into one
:class:`~._console.Views` (the console's runs and graph), reading each record
once: a view asked for after ``k`` new records costs those ``k`` (and drawing
the answer), not the whole journal. It folds on demand, when a view is asked
for, never on a request's path: a ``POST`` never waits on it.

Exact with the journal's arrival order: records are listed by arrival, and a
request still being answered has taken a lower id than some records already
listed (see :meth:`~._journal.Journal.settled`). Only records up to
``settled()`` are folded; while records above it exist, the answer is a
replay of every record's kept :class:`~._console.Fact` (no parsing) into fresh
views, never a fold out of order.

A clear (by this process or, on a shared SQLite journal, another worker) and
the memory journal's trimming of its oldest records both remove the oldest
record folded, and nothing else ever does (ids are never reused), so each call
checks that the oldest folded record is still there; when it is not, the views
are replayed from the facts of the records that remain.

Per record it keeps a :class:`~._console.Fact`: the record's trace, where its
findings land, and references to its datasets' facets; never the parsed event.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from ..contract import Contract
from . import _console
from ._console import Fact, Views
from ._journal import Journal, Record

T = TypeVar("T")


class LiveViews:
    """The views of ``journal``'s records; thread-safe (one fold at a time)."""

    def __init__(self, contract: Contract, journal: Journal) -> None:
        self.contract = contract
        self.journal = journal
        self._lock = threading.Lock()
        self._views: Views | None = None
        self._facts: dict[int, Fact] = {}
        """Of every record folded (parsed ones), in id order."""
        self._early: dict[int, Fact | None] = {}
        """Of the records above ``settled()``, read but not folded yet."""
        self._last = 0
        """The highest id folded."""

    def view(self, render: Callable[[Views], T]) -> T:
        """``render`` of the views of every record now in the journal, under the lock
        (whatever it returns must not refer to the views' own objects)."""
        with self._lock:
            return render(self._current())

    def snapshot(self) -> Views:
        """Views of every record now in the journal, the caller's own."""
        with self._lock:
            current = self._current()
            if current is not self._views:
                return current  # a replay already
            return self._replay(self._facts.values())

    def _current(self) -> Views:
        journal = self.journal
        settled = journal.settled()  # first: a record landing meanwhile is above it
        new = journal.records(since=self._last)
        if self._facts:
            oldest = next(iter(self._facts))
            if not journal.latest(limit=1, before=oldest + 1, since=oldest - 1):
                new = self._reset(journal.records(since=oldest))
        views = self._views
        if views is None:
            views = self._views = Views(self.contract)
        above: list[Record] = []
        for record in new:
            if record.id > settled:
                above.append(record)
                continue
            found = self._early.pop(record.id) if record.id in self._early else self._fact(record)
            if found is not None:
                self._facts[record.id] = found
                views.add(found)
            self._last = record.id
        early = self._early
        self._early = {r.id: early[r.id] if r.id in early else self._fact(r) for r in above}
        if not above:
            return views
        return self._replay([*self._facts.values(), *self._early.values()])

    def _reset(self, held: list[Record]) -> list[Record]:
        """The journal lost its oldest records (a clear, a trim): views of the ones ``held``
        (all that remain); answers those of them not folded yet."""
        self._facts = {r.id: self._facts[r.id] for r in held if r.id in self._facts}
        self._views = self._replay(self._facts.values())
        return [r for r in held if r.id > self._last]

    def _replay(self, facts: Iterable[Fact | None]) -> Views:
        views = Views(self.contract)
        for found in facts:
            if found is not None:
                views.add(found)
        return views

    def _fact(self, record: Record) -> Fact | None:
        if not record.parsed:
            return None
        assert self._views is not None
        return _console.fact(self._views.tracer, _console.record_entry(record, record.parse()))
