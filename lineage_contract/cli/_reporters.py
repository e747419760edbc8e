"""Output formats of ``lineage-contract validate``: text, json, junit, github; and a progress line.

A reporter is told, in order, when a file begins, each event's outcome, a file
that could not be read, and the summary at the end. Text and GitHub annotations
are written as they come (a big file shows its first problems at once); JSON and
JUnit need the totals, so they are written at the end. Every piece of text that
comes from an input (file names, pointers, messages) goes through
:func:`printable` first, or, in JSON, :func:`json_printable`.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, ClassVar, TextIO

from ..files._sources import Outcome, Placed
from ..validation._render import json_printable, printable


@dataclass(slots=True)
class Summary:
    """Running totals over every input."""

    files: int = 0
    events: int = 0
    valid: int = 0
    """Events without errors (they may have warnings)."""
    invalid: int = 0
    unreadable: int = 0
    warned: int = 0
    """Events with warnings."""
    across: int = 0
    """Findings across events (run lifecycles, the graph, naming): warnings."""
    fail_on: str = "error"
    """``warning``: an event with warnings fails too."""

    def add(self, outcome: Outcome) -> None:
        self.events += 1
        if outcome.valid:
            self.valid += 1
        else:
            self.invalid += 1
        self.warned += outcome.warned

    @property
    def exit_code(self) -> int:
        """0 nothing failing, 1 some event failing (see ``fail_on``), 2 an unreadable input."""
        if self.unreadable:
            return 2
        warned = self.warned or self.across
        return 1 if self.invalid or (self.fail_on == "warning" and warned) else 0

    def line(self) -> str:
        files = _plural(self.files, "file")
        text = (
            f"{_plural(self.events, 'event')}, {self.valid:,} valid, "
            f"{self.invalid:,} invalid in {files}"
        )
        if self.warned:
            text += f", {self.warned:,} with warnings"
        if self.across:
            text += f", {_plural(self.across, 'finding')} across events"
        if self.unreadable:
            text += f", {self.unreadable:,} unreadable"
        return text

    def to_dict(self) -> dict[str, int]:
        return {
            "files": self.files,
            "events": self.events,
            "valid": self.valid,
            "invalid": self.invalid,
            "warnings": self.warned,
            "across": self.across,
            "unreadable": self.unreadable,
        }


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def where(name: str, placed: Placed) -> str:
    """``file:line:col`` as far as it is known."""
    parts = [name]
    if placed.line is not None:
        parts.append(str(placed.line))
        if placed.column is not None:
            parts.append(str(placed.column))
    return ":".join(parts)


def describe(placed: Placed) -> str:
    """``pointer: message [keyword]`` (see :class:`Violation`)."""
    return str(placed.violation)


class Reporter:
    """Base reporter: ignores everything. ``quiet`` counts ``-q`` flags; ``fail_on``
    says whether warnings make an event fail (``warning``) or only errors do."""

    name: ClassVar[str] = ""
    shows_runs: ClassVar[bool] = False
    """Whether :meth:`across` shows the runs (else it gets none: describing them costs)."""

    def __init__(self, out: TextIO, *, quiet: int = 0, fail_on: str = "error") -> None:
        self.out = out
        self.quiet = quiet
        self.fail_on = fail_on

    def begin(self, source: str) -> None:
        """A file starts."""

    def outcome(self, outcome: Outcome) -> None:
        """One event was judged."""

    def unreadable(self, source: str, message: str) -> None:
        """A file could not be read at all (the message also goes to stderr)."""

    def end(self, source: str) -> None:
        """A file is done."""

    def across(self, findings: list[Outcome], runs: list[dict[str, Any]]) -> None:
        """Every file is read: the findings across events, each placed at its event
        (an outcome of one problem), and the runs the events made."""
        for finding in findings:
            self.outcome(finding)

    def finish(self, summary: Summary) -> None:
        """Every file is done."""


class TextReporter(Reporter):
    """``file:line:col: pointer: message [keyword]`` per violation, then a summary line.

    ``-q`` drops the summary, ``-qq`` prints nothing (the exit status says it all).
    """

    name = "text"

    def outcome(self, outcome: Outcome) -> None:
        if not outcome.problems or self.quiet >= 2:
            return
        for placed in outcome.problems:
            self.out.write(printable(f"{where(outcome.source, placed)}: {describe(placed)}") + "\n")

    def finish(self, summary: Summary) -> None:
        if not self.quiet:
            self.out.write(summary.line() + "\n")
        self.out.flush()


class GitHubReporter(Reporter):
    """GitHub Actions workflow commands: one ``::error`` annotation per violation."""

    name = "github"

    def outcome(self, outcome: Outcome) -> None:
        for placed in outcome.problems:
            properties = {"file": printable(outcome.source)}
            if placed.line is not None:
                properties["line"] = str(placed.line)
                if placed.column is not None:
                    properties["col"] = str(placed.column)
            properties["title"] = printable(f"lineage contract: {placed.violation.keyword}")
            level = placed.violation.level.value
            self.out.write(annotation(level, printable(describe(placed)), properties) + "\n")

    def unreadable(self, source: str, message: str) -> None:
        self.out.write(annotation("error", printable(message), {"file": printable(source)}) + "\n")

    def finish(self, summary: Summary) -> None:
        if not self.quiet:
            self.out.write(summary.line() + "\n")
        self.out.flush()


def _lines(outcome: Outcome) -> str:
    return "\n".join(
        printable(f"{where(outcome.source, p)}: {describe(p)}") for p in outcome.problems
    )


def annotation(level: str, message: str, properties: dict[str, str]) -> str:
    """A workflow command line, escaped as the Actions runner unescapes it."""
    props = ",".join(f"{k}={_escape_property(v)}" for k, v in properties.items())
    head = f"{level} {props}" if props else level
    return f"::{head}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(slots=True)
class _FileResult:
    name: str
    events: int = 0
    invalid: int = 0
    warned: int = 0
    failing: int = 0
    failures: list[Outcome] = field(default_factory=list)
    """The events with findings (errors or warnings)."""
    error: str | None = None


class _Collecting(Reporter):
    """Keeps per-file counts and the failed events for a report written at the end."""

    def __init__(self, out: TextIO, *, quiet: int = 0, fail_on: str = "error") -> None:
        super().__init__(out, quiet=quiet, fail_on=fail_on)
        self.files: list[_FileResult] = []
        self.findings: list[Outcome] = []
        self.runs: list[dict[str, Any]] = []

    def across(self, findings: list[Outcome], runs: list[dict[str, Any]]) -> None:
        self.findings, self.runs = findings, runs

    def begin(self, source: str) -> None:
        self.files.append(_FileResult(source))

    def outcome(self, outcome: Outcome) -> None:
        current = self.files[-1]
        current.events += 1
        current.invalid += not outcome.valid
        current.warned += outcome.warned
        current.failing += outcome.fails(self.fail_on)
        if outcome.problems:
            current.failures.append(outcome)
        self.on_event(outcome)

    def on_event(self, outcome: Outcome) -> None:
        pass

    def unreadable(self, source: str, message: str) -> None:
        if not self.files or self.files[-1].name != source:
            self.begin(source)
        self.files[-1].error = message


class JsonReporter(_Collecting):
    """One JSON document: the summary, and per file its counts and failed events."""

    shows_runs = True

    name = "json"

    def finish(self, summary: Summary) -> None:
        document: dict[str, Any] = {
            "valid": summary.exit_code == 0,
            "summary": summary.to_dict(),
            "files": [self._file(f) for f in self.files],
            "across": [
                {
                    "file": o.source,
                    "index": o.index,
                    **p.violation.to_dict(),
                    "line": p.line,
                    "column": p.column,
                }
                for o in self.findings
                for p in o.problems
            ],
            "runs": self.runs,
        }
        self.out.write(json_printable(json.dumps(document, ensure_ascii=False, indent=2)))
        self.out.write("\n")
        self.out.flush()

    @staticmethod
    def _file(result: _FileResult) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file": result.name,
            "events": result.events,
            "valid": result.events - result.invalid,
            "invalid": result.invalid,
            "warnings": result.warned,
            "failures": [
                {
                    "index": o.index,
                    "line": o.line,
                    "column": o.column,
                    "violations": [
                        {**p.violation.to_dict(), "line": p.line, "column": p.column}
                        for p in o.problems
                    ],
                }
                for o in result.failures
            ],
        }
        if result.error is not None:
            data["error"] = result.error
        return data


ACROSS_SUITE = "across events"


class JUnitReporter(_Collecting):
    """JUnit XML: a test suite per file, a test case per event, a failure per invalid one."""

    name = "junit"

    def __init__(self, out: TextIO, *, quiet: int = 0, fail_on: str = "error") -> None:
        super().__init__(out, quiet=quiet, fail_on=fail_on)
        self._cases: list[ET.Element] = []
        self._suites: list[ET.Element] = []
        self._open = False

    def across(self, findings: list[Outcome], runs: list[dict[str, Any]]) -> None:
        """A test suite of its own: a test case per finding across events."""
        if not findings:
            return
        self.begin(ACROSS_SUITE)
        for finding in findings:
            self.outcome(finding)
        self.end(ACROSS_SUITE)

    def begin(self, source: str) -> None:
        self._close_suite()
        super().begin(source)
        self._open = True

    def on_event(self, outcome: Outcome) -> None:
        source = printable(outcome.source)
        case = ET.Element("testcase", classname=source, name=_case_name(outcome))
        if outcome.fails(self.fail_on):
            first = outcome.problems[0]
            failure = ET.SubElement(
                case,
                "failure",
                message=printable(describe(first)),
                type=printable(first.violation.keyword),
            )
            failure.text = _lines(outcome)
        elif outcome.problems:  # warnings that do not fail the event: shown, not counted
            ET.SubElement(case, "system-out").text = _lines(outcome)
        self._cases.append(case)

    def unreadable(self, source: str, message: str) -> None:
        if not self._open:
            self.begin(source)
        super().unreadable(source, message)
        case = ET.Element("testcase", classname=printable(source), name="read")
        ET.SubElement(case, "error", message=printable(message), type="unreadable")
        self._cases.append(case)

    def end(self, source: str) -> None:
        self._close_suite()

    def _close_suite(self) -> None:
        if not self._open:
            return
        self._open = False
        result = self.files[-1]
        suite = ET.Element(
            "testsuite",
            name=printable(result.name),
            tests=str(len(self._cases)),
            failures=str(result.failing),
            errors=str(int(result.error is not None)),
            skipped="0",
        )
        suite.extend(self._cases)
        self._suites.append(suite)
        self._cases = []

    def finish(self, summary: Summary) -> None:
        self._close_suite()
        root = ET.Element(
            "testsuites",
            name="lineage-contract validate",
            tests=str(summary.events + summary.unreadable),
            failures=str(summary.invalid),
            errors=str(summary.unreadable),
        )
        root.extend(self._suites)
        ET.indent(root)
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(ET.tostring(root, encoding="unicode"))
        self.out.write("\n")
        self.out.flush()


def _case_name(outcome: Outcome) -> str:
    name = f"event {outcome.index + 1}"
    return f"{name} (line {outcome.line})" if outcome.line is not None else name


REPORTERS: dict[str, type[Reporter]] = {
    r.name: r for r in (TextReporter, JsonReporter, JUnitReporter, GitHubReporter)
}


class ProgressLine:
    """A one-line progress display on a terminal: bytes done, share, speed, current file.

    Redrawn at most ten times a second, so that it costs nothing next to the work.
    """

    def __init__(self, stream: TextIO, total: int | None) -> None:
        self.stream = stream
        self.total = total
        self.base = 0
        self.done = 0
        self.name = ""
        self.started = time.monotonic()
        self.drawn = 0.0
        self.shown = False

    def start(self, name: str = "", size: int | None = None) -> None:
        self.base += self.done
        self.done = 0
        self.name = name

    def __call__(self, done: int) -> None:
        self.done = done
        self.redraw()

    def redraw(self) -> None:
        now = time.monotonic()
        if now - self.drawn < 0.1:
            return
        self.drawn = now
        self.stream.write("\r\x1b[K" + self.text(now))
        self.stream.flush()
        self.shown = True

    def text(self, now: float) -> str:
        """What the line says: MB read (of how many), MB a second, the current file."""
        read = self.base + self.done
        elapsed = max(now - self.started, 1e-6)
        parts = [f"{read / 1e6:,.1f}"]
        if self.total:
            parts[0] += f"/{self.total / 1e6:,.1f} MB {min(100, 100 * read // self.total):3d}%"
        else:
            parts[0] += " MB"
        parts.append(f"{read / 1e6 / elapsed:,.0f} MB/s")
        parts.append(printable(self.name)[-40:])
        return "  ".join(parts)

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
