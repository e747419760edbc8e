"""``lineage-contract run -- COMMAND``: run a pipeline against a mock: fail on wrong lineage.

The mock listens on 127.0.0.1 (a free port, a fresh token) and the command's
environment points every OpenLineage client at it (see
:mod:`lineage_contract.mock._client`); the command's standard streams pass
through and signals sent to this process are forwarded to it. Once it exits,
late events get ``--settle`` seconds, then a summary says what arrived.

Runs and the lineage graph are checked across events (:mod:`lineage_contract.lineage`):
their findings are warnings, a run left open among them.

Exit status: the command's own when it failed; else 1 when an event broke the
contract, when warnings count (``--fail-on warning``: an open run is one only
there, or with ``--require-complete``); else 0. 2 is a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from ._conformance import add_arguments as add_conformance_arguments
from ._conformance import conformance
from ._errors import PROG, fail
from ._options import add_spec

_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_POLL = 0.05


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]", help="what to run"
    )
    add_spec(parser, purpose="serve")
    parser.add_argument(
        "--settle",
        type=_seconds,
        default=1.0,
        metavar="SECONDS",
        help="after the command exits, wait this long for late events (default 1)",
    )
    parser.add_argument(
        "--journal", type=Path, metavar="FILE", help="keep the records in this SQLite file"
    )
    parser.add_argument(
        "-f", "--format", choices=("text", "json"), default="text", help="summary format"
    )
    parser.add_argument(
        "-o", "--output", metavar="PATH", help="write the summary here (default: stderr)"
    )
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="error",
        help="warning: an event with warnings fails the step too (default: error)",
    )
    parser.add_argument(
        "--require-complete",
        action="store_true",
        help="fail when a run has no terminal event (COMPLETE, FAIL or ABORT)",
    )
    parser.add_argument("--gzip", action="store_true", help="ask the client to gzip its requests")
    add_conformance_arguments(parser, always=False)
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="also write the console's views of what the command sent as one HTML file",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    command: list[str] = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        return fail("run needs a command after --, e.g. lineage-contract run -- dbt-ol build")
    from ..contract import Contract
    from ..errors import LineageContractError
    from ..mock import MockServer

    try:
        contract = Contract.load(args.spec, mirror=args.schemas)
        token = secrets.token_urlsafe(18)
        server = MockServer(
            contract=contract,
            tokens=[token],
            journal=args.journal,
            conformance=conformance(args, contract),
        )
    except (LineageContractError, OSError, ValueError) as exc:
        return fail(str(exc))
    with server, tempfile.TemporaryDirectory(prefix="lineage-contract-run-") as scratch:
        try:
            status = _run_command(command, _environment(server, token, Path(scratch), args.gzip))
        except OSError as exc:
            return fail(f"cannot run {command[0]}: {exc.strerror or exc}")
        _settle(server, args.settle)
        records = server.records()
        summary = Summary.of(records, contract)
    out_path: str | None = args.output
    try:
        with _output(out_path, json_format=args.format == "json") as out:
            if args.format == "json":
                out.write(json.dumps(summary.to_dict(status), indent=2) + "\n")
            else:
                out.write(summary.text(status))
    except OSError as exc:
        return fail(f"cannot write {out_path}: {exc.strerror or exc}")
    if args.report:
        from ._report import record_items, write_report

        title = f"{PROG} run: {' '.join(command)} (exited {status})"
        try:
            write_report(args.report, record_items(records, contract), contract, title=title)
        except OSError as exc:
            return fail(f"cannot write {args.report}: {exc.strerror or exc}")
    if status != 0:
        return status
    return summary.exit_code(fail_on=args.fail_on, require_complete=args.require_complete)


def _environment(server: Any, token: str, scratch: Path, gzip: bool) -> dict[str, str]:
    from ..mock._client import client_environment, without_openlineage, write_config

    config = write_config(server, token, scratch / "openlineage.yml", gzip=gzip)
    return {
        **without_openlineage(os.environ),
        **client_environment(server, token, config, gzip=gzip),
    }


def _run_command(command: Sequence[str], env: dict[str, str]) -> int:
    """The command's exit status (128 + N when a signal N ended it, as shells say)."""
    process = subprocess.Popen(list(command), env=env)

    def forward(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in _FORWARDED}
    try:
        code = process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code


def _settle(server: Any, seconds: float) -> None:
    """Wait ``seconds`` for late events, less when requests stop arriving for that long."""
    deadline = time.monotonic() + seconds
    seen = server.journal.count
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(_POLL)
        count = server.journal.count
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since >= seconds:
            return


@contextlib.contextmanager
def _output(path: str | None, *, json_format: bool) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout if json_format else sys.stderr
        return
    with open(path, "w", encoding="utf-8") as out:
        yield out


@dataclass
class Summary:
    """What the command sent: counts, runs (from :class:`~lineage_contract.lineage.Lineage`)
    and every finding, per request and across events."""

    events: int = 0
    valid: int = 0
    invalid: int = 0
    warned: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)
    findings: list[tuple[int, str, Any]] = field(default_factory=list)
    """(record id, request line, violation): what each request broke."""
    across: list[Any] = field(default_factory=list)
    """Findings across events (:class:`~lineage_contract.lineage.Finding`, at record ids)."""

    @classmethod
    def of(cls, records: Sequence[Any], contract: Any) -> Summary:
        from ..lineage import Lineage

        lineage: Lineage[int] = Lineage(contract)
        summary = cls()
        for record in records:
            summary.events += 1
            summary.valid += record.valid
            summary.invalid += not record.valid
            summary.warned += record.warned
            for violation in record.violations:
                summary.findings.append((record.id, f"{record.method} {record.path}", violation))
            if record.parsed and record.valid:
                lineage.add(record.event, record.id, body=record.body)
        summary.across = lineage.findings(ended=True)
        summary.runs = lineage.runs.to_list(ended=True)
        return summary

    @property
    def open_runs(self) -> list[dict[str, Any]]:
        return [r for r in self.runs if r["state"] == "open"]

    def exit_code(self, *, fail_on: str, require_complete: bool) -> int:
        if self.invalid:
            return 1
        if fail_on == "warning" and (self.warned or self.across):
            return 1
        return 1 if require_complete and self.open_runs else 0

    def text(self, status: int) -> str:
        from ..validation import table

        complete = len(self.runs) - len(self.open_runs)
        lines = [
            f"{PROG} run: command exited {status}; {self.events} event(s): {self.valid} valid, "
            f"{self.invalid} invalid, {self.warned} with warnings; {len(self.runs)} run(s): "
            f"{complete} complete, {len(self.open_runs)} open; "
            f"{len(self.across)} finding(s) across events"
        ]
        by_record: dict[int, list[Any]] = {}
        requests: dict[int, str] = {}
        for record_id, request, violation in self.findings:
            by_record.setdefault(record_id, []).append(violation)
            requests[record_id] = request
        for record_id, violations in by_record.items():
            lines.append(f"  request #{record_id} {requests[record_id]}")
            lines.extend(table(violations, indent="    "))
        for finding in self.across:
            lines.append(f"  request #{finding.where}: {finding.violation}")
        return "\n".join(lines) + "\n"

    def to_dict(self, status: int) -> dict[str, Any]:
        return {
            "command": {"status": status},
            "events": self.events,
            "valid": self.valid,
            "invalid": self.invalid,
            "warnings": self.warned,
            "runs": self.runs,
            "findings": [
                {"record": record_id, "request": request, **violation.to_dict()}
                for record_id, request, violation in self.findings
            ],
            "across": [finding.to_dict() for finding in self.across],
        }


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be between 0 and 3600 seconds, got {value}")
    return value
