"""The worker side of big JSON Lines files: byte ranges cut at line boundaries.

Each worker process opens the file itself, judges its range and sends back only
what failed, with the lines where the valid events were.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..contract._document import Contract
from ..spec import Settings
from ..validation._validator import Validator
from ._json_lines import BLOCK_BYTES, Lines, judge_lines
from ._outcome import Outcome, Tracing


def line_ranges(path: str, size: int, chunk: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``chunk`` bytes covering the file, each starting a line."""
    bounds = [0]
    with open(path, "rb") as file:
        at = chunk
        while at < size:
            at = _next_line(file, at - 1)
            if at >= size:
                break
            bounds.append(at)
            at += chunk
    bounds.append(size)
    return list(itertools.pairwise(bounds))


def _next_line(file: IO[bytes], at: int) -> int:
    """Where the line after the one holding byte ``at`` starts (a long line is not held)."""
    file.seek(at)
    while block := file.read(BLOCK_BYTES):
        end = block.find(b"\n")
        if end >= 0:
            return at + end + 1
        at += len(block)
    return at


@dataclass(frozen=True, slots=True)
class Part:
    """What a worker sends back for a byte range: counts, failures, where the valid events were."""

    lines: int
    events: int
    failed: tuple[Outcome, ...]
    """The events with findings (errors or warnings), each with its trace if it has one."""
    valid_lines: array[int]
    traces: tuple[Any, ...] = ()
    """The clean events' traces, in order, when the worker traces."""

    def outcomes(self, name: str, line_base: int, index_base: int) -> Iterator[Outcome]:
        failed = {outcome.index: outcome for outcome in self.failed}
        valid = iter(self.valid_lines)
        traces = iter(self.traces)
        for index in range(self.events):
            outcome = failed.get(index)
            if outcome is None:
                line = next(valid) + line_base
                yield Outcome(name, index_base + index, line, trace=next(traces, None))
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
_worker_trace: Tracing | None = None


def start_worker(
    spec: str | None,
    tracing: bool = False,
    conformance: Settings | None = None,
    operation: str | None = None,
    mirror: Path | None = None,
) -> None:
    global _worker_validator, _worker_trace
    contract = Contract.load(spec, operation=operation, mirror=mirror)
    check = conformance.event_check(contract) if conformance is not None else None
    _worker_validator = Validator(contract, conformance=check)
    if tracing:
        from ..lineage import Tracer

        _worker_trace = Tracer(contract.anatomy).tracing(batch=contract.batch)


def judge_range(path: str, name: str, start: int, end: int, limit: int) -> Part:
    """The events of bytes ``start`` to ``end``, none longer than ``limit``."""
    validator = _worker_validator if _worker_validator is not None else Validator()
    failed: list[Outcome] = []
    valid_lines = array("q")
    traces: list[Any] = []
    events = 0
    with open(path, "rb") as file:
        file.seek(start)
        lines = Lines(file, limit, end - start)
        for outcome in judge_lines(validator, name, lines, whole=False, trace=_worker_trace):
            events += 1
            # Only a clean event goes as its line alone: warnings travel with their outcome.
            if not outcome.problems:
                assert outcome.line is not None
                valid_lines.append(outcome.line)
                if _worker_trace is not None:
                    traces.append(outcome.trace)
            else:
                failed.append(outcome)
    return Part(lines.count, events, tuple(failed), valid_lines, tuple(traces))


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
