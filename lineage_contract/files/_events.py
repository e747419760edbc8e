"""Each event of a source with the JSON bytes to send it as, for commands that pass events on.

The readers judge events and keep nothing of them; :class:`EventReader` keeps
what the validator was last given, so that each outcome comes with its event:
a JSON Lines line as it was written, any other event (a JSON value, a YAML
node) serialised as compact JSON. An event the reader could not parse (not
JSON, over the size limit, cut short) comes with no bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from ..validation._report import Kind, Report, Violation
from ..validation._validator import Validator
from ._outcome import Outcome
from ._sources import MAX_EVENT_BYTES, Judge, Progress, Source

if TYPE_CHECKING:
    from ..contract import Contract


@dataclass(frozen=True, slots=True)
class Read:
    """One event of a source: the reader's verdict and the event as JSON bytes (None: unparsed)."""

    outcome: Outcome
    body: bytes | None


class EventReader:
    """Read sources as ``validate`` does (errors only, in process), each event with its bytes."""

    def __init__(self, contract: Contract, *, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._validator = _Keeping(contract)
        # In process (jobs=1), so that each outcome comes right after the check of its event.
        self._judge = Judge(self._validator, jobs=1, max_event_bytes=max_event_bytes)

    def __enter__(self) -> EventReader:
        return self

    def __exit__(self, *_: object) -> None:
        self._judge.close()

    def events(self, source: Source, progress: Progress | None = None) -> Iterator[Read]:
        """Every event of ``source`` in order; raises :class:`InputError` if it cannot be read."""
        for outcome in self._judge.outcomes(source, progress):
            yield Read(outcome, self._validator.take())


class _Keeping(Validator):
    """A validator that keeps the JSON bytes of the last event it was asked to judge."""

    _kept: bytes | None = None
    _inside = False

    def check(self, payload: Any) -> Report:
        self._inside = True
        try:
            report = super().check(payload)
        finally:
            self._inside = False
        if not report.parsed or any(v.kind is Kind.JSON for v in report.violations):
            self._kept = None  # not strict JSON (NaN, a set, a lone surrogate): nothing to send
        elif isinstance(payload, bytes | bytearray | memoryview):
            self._kept = bytes(payload).strip()
        else:
            self._kept = _dumps(report.event)
        return report

    def explain(self, event: Any) -> list[Violation]:
        # Readers call this directly for an event that is a JSON string.
        if not self._inside:
            self._kept = _dumps(event)
        return super().explain(event)

    def take(self) -> bytes | None:
        kept, self._kept = self._kept, None
        return kept


def _dumps(value: Any) -> bytes | None:
    """Compact JSON for a value the validator found to be JSON, or None when it is not."""
    try:
        return orjson.dumps(value)
    except TypeError:
        pass  # an integer past 64 bits (json writes those), or a lone surrogate
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8"
        )
    except (TypeError, ValueError, RecursionError):
        return None
