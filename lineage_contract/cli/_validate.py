"""``lineage-contract validate``: judge every event in payload files."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, NamedTuple, TextIO

from ..errors import ContractError
from ..files import Outcome, Placed
from ..validation import Violation
from ._conformance import add_arguments as add_conformance_arguments
from ._conformance import settings as conformance_settings
from ._errors import PROG, fail, one_line
from ._options import add_max_event_bytes, add_operation, add_spec, whole_number

if TYPE_CHECKING:
    from ..contract import Contract
    from ..lineage import Lineage

FORMATS = ("text", "json", "junit", "github")

_DESCRIPTION = (
    "Validate every event in the given files against the contract.\n\n"
    "  .json           one event, or an array of events\n"
    "  .jsonl .ndjson  one event per line\n"
    "  .yaml .yml      one event (or a list of events) per document\n"
    "  *.gz            any of the above, gzipped\n"
    "  DIRECTORY       every such file under it, in sorted order (regular files only)\n"
    "  -               standard input (JSON or JSON Lines, gzipped or not)\n\n"
    "Each violation is shown as file:line:col, its JSON pointer and a message; the\n"
    "findings across events (runs, graph, naming) come after, at the event that broke\n"
    "the rule.\n"
    "An event (a line, a JSON value, a whole YAML file) over --max-event-bytes is\n"
    "an invalid one, and is not read whole.\n"
    "Exit status: 0 all valid, 1 some invalid (or with warnings, under --fail-on warning),\n"
    "2 usage error or unreadable input."
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = _DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="payload files or directories; - reads standard input",
    )
    parser.add_argument(
        "-f", "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    add_spec(parser, purpose="validate against")
    add_operation(parser, "validate against; a JSON array given to a batch operation is one batch")
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="error",
        help="what makes an event fail: an error (a broken contract, the default) or also "
        "a warning (a broken OpenLineage specification)",
    )
    add_conformance_arguments(parser)
    parser.add_argument(
        "--lineage",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="check the events together too: run lifecycles, the lineage graph, dataset "
        "naming (warnings; default: on)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=0,
        help="text: no summary line; twice: no output at all, only the exit status",
    )
    parser.add_argument(
        "-o", "--output", metavar="PATH", help="write the report to PATH instead of stdout"
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=whole_number(1),
        metavar="N",
        help="worker processes for big JSON Lines files (default: one per CPU)",
    )
    add_max_event_bytes(parser)
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress line, even on a terminal"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..contract._document import Contract
    from ..files._sources import InputError, Judge, expand
    from ..validation._validator import Validator
    from ._reporters import REPORTERS, ProgressLine, Summary

    spec_settings = conformance_settings(args)
    try:
        contract = Contract.load(args.spec, operation=args.operation, mirror=args.schemas)
        check = spec_settings.event_check(contract) if spec_settings is not None else None
        validator = Validator(contract, conformance=check)
    except ContractError as exc:
        return fail(str(exc))
    try:
        sources = expand(args.paths, on_skip=_skipped)
    except InputError as exc:
        return fail(str(exc))
    try:
        out: TextIO = (
            open(args.output, "w", encoding="utf-8")  # noqa: SIM115 - closed below
            if args.output
            else sys.stdout
        )
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    reporter = REPORTERS[args.format](out, quiet=args.quiet, fail_on=args.fail_on)
    progress = None
    if not args.quiet and not args.no_progress and sys.stderr.isatty():
        sizes = [s.size for s in sources]
        total = None if None in sizes else sum(s or 0 for s in sizes)
        progress = ProgressLine(sys.stderr, total)
    summary = Summary(fail_on=args.fail_on)
    try:
        lineage = _lineage(validator.contract) if args.lineage else None
        with Judge(
            validator,
            spec=args.spec,
            jobs=args.jobs,
            max_event_bytes=args.max_event_bytes,
            trace=lineage is not None,
            conformance=spec_settings,
        ) as judge:
            for source in sources:
                summary.files += 1
                reporter.begin(source.name)
                if progress is not None:
                    progress.start(source.name, source.size)
                try:
                    for outcome in judge.outcomes(source, progress):
                        summary.add(outcome)
                        reporter.outcome(outcome)
                        if lineage is not None and outcome.trace is not None:
                            lineage.add_trace(outcome.trace, _Where.of(outcome))
                except InputError as exc:
                    summary.unreadable += 1
                    if progress is not None:
                        progress.close()
                    sys.stderr.write(f"{PROG}: error: {one_line(str(exc))}\n")
                    reporter.unreadable(source.name, str(exc))
                reporter.end(source.name)
        if progress is not None:
            progress.close()
        if lineage is not None:
            across = [f.where.placed(f.violation) for f in lineage.findings(ended=True)]
            summary.across += len(across)
            reporter.across(across, lineage.runs.to_list(ended=True) if reporter.shows_runs else [])
        reporter.finish(summary)
    finally:
        if out is not sys.stdout:
            out.close()
    return summary.exit_code


class _Where(NamedTuple):
    """Where an event is, for a finding across events placed at it (one per event read:
    a tuple is the cheapest to make)."""

    source: str
    number: int
    """The event's index in its source (``index`` is the tuple's method)."""
    line: int | None
    column: int | None

    @classmethod
    def of(cls, outcome: Outcome) -> _Where:
        return cls(outcome.source, outcome.index, outcome.line, outcome.column)

    def placed(self, violation: Violation) -> Outcome:
        problem = Placed(violation, self.line, self.column)
        return Outcome(self.source, self.number, self.line, self.column, (problem,))

    def __str__(self) -> str:
        return ":".join(str(p) for p in (self.source, self.line, self.column) if p is not None)


def _lineage(contract: Contract) -> Lineage[_Where] | None:
    """The checks across events, where the contract says how to follow a run."""
    from ..lineage import Lineage

    try:
        return Lineage(contract)
    except ContractError:
        return None


def _skipped(name: str, reason: str) -> None:
    sys.stderr.write(f"{PROG}: warning: skipped {one_line(name)}: {reason}\n")
