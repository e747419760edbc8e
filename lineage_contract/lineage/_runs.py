"""Run lifecycles: each run's events together, in arrival order, against OpenLineage's rules.

Per run id: the first event is a START; at most one START; at most one
terminal event (COMPLETE, FAIL or ABORT) and only OTHER after it; the event
time never goes back; the job stays the same. Each broken rule is a warning
of kind ``lifecycle`` with its own keyword (:data:`RULES`), placed at the event
that broke it. A run without a terminal event is *open*: a finding only once
the caller says the input has ended (``findings(ended=True)``), since its
terminal event may still come; every other finding is final.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, NamedTuple

from ..contract._anatomy import OTHER, START, TERMINAL, Anatomy
from ..contract._formats import instant
from ..contract._pointers import pointer
from ..validation._report import Kind, Level, Violation
from ._finding import Finding, W
from ._trace import Trace

START_FIRST = "start-first"
START_ONCE = "start-once"
TERMINAL_ONCE = "terminal-once"
AFTER_TERMINAL = "after-terminal"
TIME_ORDER = "time-order"
SAME_JOB = "same-job"
OPEN = "open"
RULES = (START_FIRST, START_ONCE, TERMINAL_ONCE, AFTER_TERMINAL, TIME_ORDER, SAME_JOB, OPEN)
"""The lifecycle keywords, one per rule."""

_TERMINAL = frozenset(TERMINAL)
_AFTER_END = frozenset((OTHER, None))  # an event without a type counts as OTHER
_NOTHING: list[Any] = []  # shared, never appended to: most events raise nothing


class RunEvent(NamedTuple, Generic[W]):
    where: W
    event_type: str | None
    event_time: str | None
    at: str = ""
    """Where the event is in its payload (see :attr:`Trace.at`)."""


@dataclass(slots=True)
class Run(Generic[W]):
    """One run as its events tell it, in arrival order."""

    id: str
    job: tuple[str, ...] | None
    events: list[RunEvent[W]] = field(default_factory=list)
    findings: list[Finding[W]] = field(default_factory=list)
    """The final findings (an open run's is added only when asked, see :meth:`Runs.findings`)."""
    parent: str | None = None
    """The run id its ``parent`` facet names (seen or not, see :meth:`Runs.parent_of`)."""
    parent_job: tuple[str, ...] | None = None
    start: RunEvent[W] | None = None
    end: RunEvent[W] | None = None
    """The first terminal event."""
    latest: RunEvent[W] | None = None
    """The event with the latest time so far."""
    fingerprints: dict[tuple[str | None, int], RunEvent[W]] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """``open`` until a terminal event came, then that event's type in lower case."""
        end = self.end
        return OPEN if end is None or end.event_type is None else end.event_type.lower()

    @property
    def duration(self) -> float | None:
        """Seconds from the START to the terminal event, when both came with a time."""
        if self.start is None or self.end is None:
            return None
        began, ended = instant(self.start.event_time), instant(self.end.event_time)
        if began is None or ended is None:
            return None
        seconds = (ended[0] - began[0]) // timedelta(seconds=1)  # whole: fractions kept apart
        return float(seconds + ended[1] - began[1])


class Runs(Generic[W]):
    """Every run seen, fed :class:`Trace` s in arrival order."""

    def __init__(self, anatomy: Anatomy) -> None:
        anatomy.require_lifecycle("the contract")
        assert anatomy.event_type and anatomy.event_time and anatomy.run_id  # checked above
        self._type_at = pointer(anatomy.event_type)
        self._time_at = pointer(anatomy.event_time)
        self._run_at = pointer(anatomy.run_id)
        self._job_at = pointer(anatomy.job[0][:-1]) if anatomy.job else ""
        self._runs: dict[str, Run[W]] = {}
        self._children: dict[str, list[str]] = {}

    def __iter__(self) -> Iterator[Run[W]]:
        return iter(self._runs.values())

    def __len__(self) -> int:
        return len(self._runs)

    def get(self, run_id: str) -> Run[W] | None:
        return self._runs.get(run_id)

    def parent_of(self, run: Run[W]) -> Run[W] | None:
        """The parent run when it was seen; a parent named but not seen may live elsewhere."""
        return None if run.parent is None else self._runs.get(run.parent)

    def children(self, run: Run[W]) -> list[Run[W]]:
        """The runs whose ``parent`` facet names this one."""
        return [self._runs[child] for child in self._children.get(run.id, ())]

    def add(self, trace: Trace, where: W) -> list[Finding[W]]:
        """Take the next event; return the findings it raised (each also kept on its run)."""
        run_id = trace.run_id
        if run_id is None:
            return _NOTHING
        kind, time, at = trace.event_type, trace.event_time, trace.at
        event = RunEvent(where, kind, time, at)
        run = self._runs.get(run_id)
        found: list[Finding[W]] = _NOTHING
        if run is None:
            run = self._runs[run_id] = Run(run_id, trace.job)
            if kind != START:
                found = [
                    self._warn(
                        run,
                        where,
                        START_FIRST,
                        at + self._type_at,
                        f"run {run_id} begins with {_kind(kind)}, not {START}",
                    )
                ]
        elif (kind == START and run.start is not None) or (
            kind in _TERMINAL and run.end is not None
        ):
            found = [self._again(run, event, trace)]
        elif run.end is not None and kind not in _AFTER_END:
            found = [self._warn(
                run, where, AFTER_TERMINAL, at + self._type_at,
                f"run {run_id}: {_kind(kind)} after the terminal {_kind(run.end.event_type)} at "
                f"{run.end.where}; only {OTHER} may follow it",
            )]  # fmt: skip
        latest = run.latest
        if time is not None:
            back = None if latest is None else _before(time, latest.event_time)
            if back:
                assert latest is not None
                found = [*found, self._warn(
                    run, where, TIME_ORDER, at + self._time_at,
                    f"run {run_id}: {self._time_at} {time} goes back from "
                    f"{latest.event_time} at {latest.where}",
                )]  # fmt: skip
            elif back is False or latest is None:
                run.latest = event
        job = trace.job
        if job is not None and job != run.job:
            if run.job is None:
                run.job = job
            else:
                found = [*found, self._warn(
                    run, where, SAME_JOB, at + self._job_at,
                    f"run {run_id} changes job from {'/'.join(run.job)} to {'/'.join(job)}",
                )]  # fmt: skip
        if kind == START:
            if run.start is None:
                run.start = event
        elif kind in _TERMINAL and run.end is None:
            run.end = event
        if trace.fingerprint is not None:
            run.fingerprints.setdefault(trace.fingerprint, event)
        if trace.parent is not None and run.parent is None:
            run.parent, run.parent_job = trace.parent
            self._children.setdefault(run.parent, []).append(run_id)
        run.events.append(event)
        return found

    def _warn(self, run: Run[W], where: W, rule: str, at: str, message: str) -> Finding[W]:
        violation = Violation(Kind.LIFECYCLE, rule, message, at, level=Level.WARNING)
        finding = Finding(violation, where, run.id)
        run.findings.append(finding)
        return finding

    def _again(self, run: Run[W], event: RunEvent[W], trace: Trace) -> Finding[W]:
        """A second START, or a second terminal event: a retry when it repeats one."""
        first = run.start if event.event_type == START else run.end
        assert first is not None
        repeat = None if trace.fingerprint is None else run.fingerprints.get(trace.fingerprint)
        if repeat is not None:
            how = f", a client retry: it repeats the one at {repeat.where} (time and size)"
        else:
            how = f" (the first at {first.where})"
        if event.event_type == START:
            rule, what = START_ONCE, f"a second {START}"
        else:
            rule = TERMINAL_ONCE
            what = f"a second terminal event, {event.event_type} after {first.event_type}"
        at = event.at + self._type_at
        return self._warn(run, event.where, rule, at, f"run {run.id}: {what}{how}")

    def open_finding(self, run: Run[W]) -> Finding[W] | None:
        """The finding of a run still open at the end of the input, if it is open."""
        if run.end is not None or not run.events:
            return None
        last = run.events[-1]
        message = (
            f"run {run.id} never ended: no {', '.join(TERMINAL)} event "
            f"after {len(run.events)} event(s)"
        )
        at = last.at + self._run_at
        violation = Violation(Kind.LIFECYCLE, OPEN, message, at, level=Level.WARNING)
        return Finding(violation, last.where, run.id, final=False)

    def findings(self, *, ended: bool = False) -> list[Finding[W]]:
        """Every finding, run by run; with ``ended`` (no more events will come) open runs too."""
        found: list[Finding[W]] = []
        for run in self._runs.values():
            found.extend(run.findings)
            if ended and (still := self.open_finding(run)) is not None:
                found.append(still)
        return found

    def to_list(self, *, ended: bool = False) -> list[dict[str, Any]]:
        """The runs view, JSON-ready: each run's id, job, state, events, parent and findings."""
        return [self.describe(run, ended=ended) for run in self._runs.values()]

    def describe(self, run: Run[W], *, ended: bool = False) -> dict[str, Any]:
        findings = list(run.findings)
        if ended and (still := self.open_finding(run)) is not None:
            findings.append(still)
        parent = None
        if run.parent is not None:
            parent = {
                "id": run.parent,
                "job": None if run.parent_job is None else "/".join(run.parent_job),
                "seen": run.parent in self._runs,
            }
        return {
            "id": run.id,
            "job": None if run.job is None else "/".join(run.job),
            "state": run.state,
            "duration": run.duration,
            "parent": parent,
            "children": [child.id for child in self.children(run)],
            "events": [
                {"where": _json(e.where), "type": e.event_type, "time": e.event_time}
                for e in run.events
            ],
            "findings": [f.to_dict() for f in findings],
        }


def _before(time: str, latest: str | None) -> bool | None:
    """Whether ``time`` comes before ``latest``; None when either is not a date-time."""
    if latest is None:
        return None
    if (
        len(time) == len(latest)
        and time[10:11] == latest[10:11]
        and (time[-1:] == latest[-1:] in ("Z", "z") or time[-6:] == latest[-6:])
    ):
        # The same layout and offset: the text's order is the time's, with no parsing.
        return time < latest
    one, other = instant(time), instant(latest)
    return None if one is None or other is None else one < other


def _kind(value: str | None) -> str:
    return "an event without a type" if value is None else value


def _json(value: Any) -> Any:
    return value if isinstance(value, str | int | float) or value is None else str(value)
