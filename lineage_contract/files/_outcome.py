"""The verdict on each event of a source, and where in the file its violations are."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..validation._report import Kind, Level, Violation
from ..validation._validator import Validator

Tracing = Callable[[Any, bytes | None], Any]
"""Takes a valid event (parsed, and its bytes when known) for the checks across events;
what it answers rides on the event's :class:`Outcome` (``trace``), from worker processes too
(for a batch, a list: one trace per element)."""


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
    trace: Any = field(default=None, compare=False, repr=False)
    """What the checks across events need of a valid event, when the reader was asked
    (see :data:`Tracing`)."""

    @property
    def valid(self) -> bool:
        """No error: the event keeps the contract (it may have warnings)."""
        return all(p.violation.level is Level.WARNING for p in self.problems)

    @property
    def warned(self) -> bool:
        return any(p.violation.level is Level.WARNING for p in self.problems)

    def fails(self, fail_on: str = "error") -> bool:
        """Whether the event counts as failing: an error, or any finding with ``warning``."""
        return not self.valid or (fail_on == "warning" and self.warned)


def keeps_contract(violations: Iterable[Violation]) -> bool:
    """No error among them: warnings only, or nothing."""
    return all(v.level is Level.WARNING for v in violations)


def judge_value(validator: Validator, value: Any) -> tuple[Violation, ...]:
    """Violations of an already parsed event."""
    if isinstance(value, str | bytes | bytearray | memoryview):
        # check() would take these for JSON text still to be parsed.
        return tuple(validator.explain(value))
    return validator.check(value).violations


def empty_file(name: str, lines: int) -> Outcome:
    message = "empty file: expected at least one event" if lines else "empty file: expected JSON"
    return Outcome(name, 0, 1, 1, (Placed(json_violation(message), 1, 1),))


def json_violation(message: str) -> Violation:
    return Violation(Kind.JSON, "json", message)
