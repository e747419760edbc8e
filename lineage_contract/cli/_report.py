"""``lineage-contract report PATH... -o report.html``: the console's views as one HTML file.

The inputs are those of ``validate`` (read by :mod:`lineage_contract.files`), and
SQLite journals a mock kept (``serve --journal``), told by their first bytes.
The file is the console's page with its style, script and data inlined: it
opens from disk and fetches nothing, so a CI job can keep it as an artifact.
``lineage-contract run --report`` writes the same for what its command sent.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..validation import Report, Validator
from ._errors import PROG, fail, one_line
from ._options import add_max_event_bytes, add_spec

if TYPE_CHECKING:
    from ..contract import Contract
    from ..files import Outcome
    from ..mock import Record

SQLITE_MAGIC = b"SQLite format 3\x00"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="payload files or directories (as for validate), or a mock's SQLite journal",
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the HTML file to write"
    )
    add_spec(parser, purpose="judge against")
    add_max_event_bytes(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..contract import Contract
    from ..errors import LineageContractError
    from ..files import InputError

    try:
        contract = Contract.load(args.spec)
        items = list(read_inputs(args.paths, contract, max_event_bytes=args.max_event_bytes))
    except (InputError, LineageContractError) as exc:
        return fail(str(exc))
    title = f"{PROG} report: {len(items)} event(s) from {', '.join(args.paths)}"
    try:
        write_report(args.output, items, contract, title=title)
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    sys.stderr.write(f"{PROG}: wrote {one_line(args.output)} ({len(items)} event(s))\n")
    return 0


def write_report(
    path: str | os.PathLike[str], items: Sequence[dict[str, Any]], contract: Contract, *, title: str
) -> None:
    """Number the items in order, draw their runs and lineage, and write the page to ``path``."""
    from ..mock._console import lineage_views, report_html

    for number, item in enumerate(items, 1):
        item["id"] = number
    entries = (
        (item["id"], item["event"], None, item["violations"], _draws(item))
        for item in items
        if item["event"] is not None
    )
    runs, graph = lineage_views(entries, contract, ended=True)
    Path(path).write_text(report_html(items, runs=runs, graph=graph, title=title), "utf-8")


def _draws(item: dict[str, Any]) -> bool:
    """Whether an item draws lineage: it keeps the contract and, when it is a request a
    mock answered (a file's event has no method), that answer was a success, as the
    mock's own views take it (:attr:`Record.accepted`)."""
    status = item["status"]
    return bool(item["valid"]) and (
        not item["method"] or (status is not None and 200 <= status < 300)
    )


def record_items(records: Iterable[Record], contract: Contract) -> list[dict[str, Any]]:
    """What a mock recorded, as the report lists it."""
    from ..mock._console import report_item

    return [report_item(record, contract.anatomy) for record in records]


def read_inputs(
    paths: Sequence[str], contract: Contract, *, max_event_bytes: int
) -> Iterator[dict[str, Any]]:
    """The items of every input in order: a journal's records, a payload file's events.

    Every path is looked at before any is read, so that a typo fails first.
    """
    from ..files import Judge, Source, expand
    from ..mock import SqliteJournal

    inputs: list[str | Source] = []
    for given in paths:
        inputs.extend([given] if is_journal(given) else expand([given]))
    validator = _Keeping(contract)
    # In-process (jobs=1), so that each outcome comes right after the check of its event.
    with Judge(validator, jobs=1, max_event_bytes=max_event_bytes) as judge:
        for source in inputs:
            if isinstance(source, str):
                journal = SqliteJournal(source)
                try:
                    yield from record_items(journal.records(), contract)
                finally:
                    journal.close()
                continue
            for outcome in judge.outcomes(source):
                yield _outcome_item(outcome, validator.take(), contract)


def is_journal(path: str) -> bool:
    try:
        with open(path, "rb") as file:
            return os.path.isfile(path) and file.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False  # the payload reader says why it cannot be read


def _outcome_item(outcome: Outcome, checked: Report | None, contract: Contract) -> dict[str, Any]:
    from ..contract import get

    anatomy = contract.anatomy
    event = checked.event if checked is not None and checked.parsed else None
    kind = get(event, anatomy.event_type) if event is not None else None
    violations = []
    for placed in outcome.problems:
        data = placed.violation.to_dict()
        data["line"], data["column"] = placed.line, placed.column
        violations.append(data)
    errors = sum(1 for p in outcome.problems if p.violation.level.value == "error")
    return {
        "time": None,
        "method": "",
        "path": f"{outcome.source}:{outcome.line or '?'}",
        "status": None,
        "valid": outcome.valid,
        "warned": outcome.warned,
        "errors": errors,
        "warnings": len(outcome.problems) - errors,
        "violations": violations,
        "eventType": kind if isinstance(kind, str) else None,
        "job": anatomy.job_of(event) if event is not None else None,
        "runId": anatomy.run_of(event) if event is not None else None,
        "event": event,
        "body": None,
    }


class _Keeping(Validator):
    """A validator that remembers the last event it checked, for the item of its outcome."""

    _last: Report | None = None

    def check(self, payload: Any) -> Report:
        report = super().check(payload)
        self._last = report
        return report

    def take(self) -> Report | None:
        last, self._last = self._last, None
        return last
