"""``lineage-contract send PATH... --url URL``: replay recorded events to an endpoint.

The inputs are read as ``validate`` reads them (:class:`lineage_contract.files.EventReader`),
plus a mock's SQLite journal, whose accepted requests are sent again. Events go
in input order over one pooled keep-alive connection (urllib3), one a request
or, with ``--batch N``, N a request to the document's batch operation. A 429 or
a 5xx (500, 502, 503, 504) and a connection that fails are retried with
exponential backoff, honouring ``Retry-After``; any other answer is final.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import re
import sys
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from queue import Full, Queue
from typing import TYPE_CHECKING, Any, TextIO

from ._errors import PROG, fail, one_line
from ._options import add_max_event_bytes, add_spec, whole_number
from ._reporters import ProgressLine

if TYPE_CHECKING:
    from ..contract import Contract
    from ..files import EventReader, Source

FORMATS = ("text", "json")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_FACTOR = 0.25
"""Seconds before the second retry, doubled for each after it (the first is at once)."""
BACKOFF_MAX = 10.0
RETRY_AFTER_MAX = 30
"""The longest a server's ``Retry-After`` makes a retry wait, in seconds."""
DETAIL_CHARS = 200
PREFETCH = 1000
"""Events read ahead of the one being sent."""

_DESCRIPTION = (
    "Send every event in the given files to an endpoint, in order.\n\n"
    "Inputs are those of validate (JSON, JSON Lines, YAML, gzipped, directories, -)\n"
    "and a mock's SQLite journal (serve --journal), whose accepted requests are sent\n"
    "again. Every input is checked readable before anything is sent. An event that is\n"
    "not JSON is skipped; one that breaks the contract is sent (the endpoint judges).\n"
    "A 429 or 5xx answer and a failed connection are retried with backoff (--retries);\n"
    "when the retries run out, sending stops there.\n\n"
    "Exit status: 0 every event accepted, 1 some rejected, skipped or not delivered\n"
    "(--dry-run: some invalid), 2 usage error or unreadable input (nothing sent)."
)


def configure(parser: argparse.ArgumentParser) -> None:

    parser.description = _DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="payload files, directories, - or a mock journal"
    )
    parser.add_argument(
        "--url",
        required=True,
        help="the endpoint to POST each event to; a URL with no path gets the operation's path",
    )
    parser.add_argument("--token", help="send Authorization: Bearer TOKEN")
    add_spec(parser, purpose="send to and judge against")
    parser.add_argument(
        "--operation",
        metavar="ID|PATH",
        help="the document's operation for one event (an operationId, a path, 'POST /path')",
    )
    parser.add_argument(
        "--batch",
        type=whole_number(1),
        metavar="N",
        help="send arrays of up to N events to the document's batch operation",
    )
    parser.add_argument(
        "--batch-url",
        metavar="URL",
        help="where --batch sends (default: the batch operation's path beside --url's)",
    )
    parser.add_argument(
        "--rate", type=_positive, metavar="R", help="send at most R events a second"
    )
    parser.add_argument(
        "--gzip", action="store_true", help="compress each body (Content-Encoding: gzip)"
    )
    parser.add_argument(
        "--retries",
        type=whole_number(0),
        default=5,
        metavar="N",
        help="retries of one request after a 429, a 5xx or a failed connection (default: 5)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=10.0,
        metavar="S",
        help="seconds to connect, and to wait for an answer (default: 10)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate the events and say what would be sent; send nothing",
    )
    parser.add_argument(
        "-f", "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    add_max_event_bytes(parser)
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress line, even on a terminal"
    )
    parser.set_defaults(run=run)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


class _Usage(Exception):
    """A usage error found after parsing: exit 2, nothing sent."""


def run(args: argparse.Namespace) -> int:
    from ..errors import LineageContractError
    from ..files import EventReader, InputError

    try:
        from ..contract import Contract

        contract = Contract.load(args.spec, operation=args.operation)
        url = _endpoint(args.url, contract)
        batch_url = None
        if args.batch_url and args.batch is None:
            raise _Usage("--batch-url goes with --batch N")
        if args.batch is not None:
            batch_url = _checked_url(args.batch_url) if args.batch_url else None
            batch_url = batch_url or _batch_url(contract, url)
        inputs = _inputs(args.paths)
    except (_Usage, LineageContractError) as exc:
        return fail(str(exc))
    target = batch_url or url
    summary = _Summary(url=target, dry_run=args.dry_run)
    progress = None
    if args.format == "text" and not args.no_progress and sys.stderr.isatty():
        progress = _Progress(sys.stderr, _total_bytes(inputs))
    summary.progress = progress
    sender = None if args.dry_run else _Sender(contract, args)
    with EventReader(contract, max_event_bytes=args.max_event_bytes) as reader:
        try:
            items = _items(inputs, reader, progress)
            if sender is not None:
                items = _ahead(items, PREFETCH)
            _send_all(items, sender, target, args.batch, summary)
        except (InputError, LineageContractError) as exc:
            summary.stopped = f"cannot read on: {exc}"
            summary.unreadable = True
        finally:
            if progress is not None:
                progress.close()
            if sender is not None:
                sender.close()
    summary.seconds = time.monotonic() - summary.started
    _write(sys.stdout, summary, args.format)
    return summary.exit_code


# -- where to send -------------------------------------------------------------


def _checked_url(url: str) -> str:
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    try:
        parsed = parse_url(url)
    except LocationParseError as exc:
        raise _Usage(f"not a URL: {url!r} ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _Usage(f"not an http:// or https:// URL: {url!r}")
    return url


def _endpoint(url: str, contract: Contract) -> str:
    """The URL events are sent to: ``url``, or its origin and the operation's path."""
    from urllib3.util import parse_url

    parsed = parse_url(_checked_url(url))
    if parsed.path in (None, "", "/"):
        return parsed._replace(path=contract.path).url
    return url


def _batch_url(contract: Contract, url: str) -> str:
    """The URL of the document's batch operation, beside ``url`` (the single-event one's)."""
    from ..contract import url_beside

    batches = [op for op in contract.operations if op.batch]
    if not batches:
        raise _Usage(
            f"{contract.source} has no batch operation (one whose JSON body is an array of "
            "events); --batch needs one, or --batch-url"
        )
    if len(batches) > 1:
        listed = ", ".join(f"{op.method} {op.path}" for op in batches)
        raise _Usage(f"several batch operations ({listed}); give --batch-url")
    found = url_beside(url, contract.path, batches[0].path)
    if found is None:
        raise _Usage(
            f"cannot tell the batch URL: {url} does not end in {contract.path}; give --batch-url"
        )
    return found


# -- what to send --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    """One event to send: where it was read (``file:line``, ``file#index``) and its bytes."""

    where: str
    body: bytes | None
    """None: not JSON, so not sent."""
    errors: tuple[str, ...] = ()
    """The contract's errors, as ``pointer: message``."""


_Input = tuple[str, "Source | None"]
"""A journal (its path, None) or a payload source."""


def _inputs(paths: Sequence[str]) -> list[_Input]:
    """Every input, each opened once here: an unreadable one stops the command before it sends."""
    from ..errors import LineageContractError
    from ..files import expand
    from ..mock import SqliteJournal
    from ._report import is_journal

    inputs: list[_Input] = []
    try:
        for given in paths:
            if is_journal(given):
                SqliteJournal(given).close()
                inputs.append((given, None))
                continue
            for source in expand([given]):
                if source.path is not None:
                    with open(source.path, "rb"):
                        pass
                inputs.append((source.name, source))
    except LineageContractError as exc:  # InputError, or a journal that does not open
        raise _Usage(str(exc)) from None
    except OSError as exc:
        raise _Usage(f"cannot read {exc.filename}: {exc.strerror or exc}") from None
    return inputs


def _total_bytes(inputs: list[_Input]) -> int | None:
    sizes = [source.size if source is not None else None for _, source in inputs]
    return None if None in sizes else sum(s or 0 for s in sizes)


def _items(
    inputs: list[_Input], reader: EventReader, progress: _Progress | None
) -> Iterator[_Item]:
    for name, source in inputs:
        if source is None:
            yield from _journal_items(name)
            continue
        if progress is not None:
            progress.start()
        for read in reader.events(source, progress):
            outcome = read.outcome
            where = (
                f"{outcome.source}:{outcome.line}"
                if outcome.line is not None
                else f"{outcome.source}#{outcome.index}"
            )
            errors = tuple(
                f"{p.violation.pointer or '/'}: {p.violation.message}"
                for p in outcome.problems
                if p.violation.level.value == "error"
            )
            yield _Item(where, read.body, errors)


def _journal_items(path: str) -> Iterator[_Item]:
    """The events a mock accepted, in arrival order, each body as it was received (a batch's
    elements one by one: an element the batch's answer rejected was not accepted)."""
    from ..mock import SqliteJournal

    journal = SqliteJournal(path)
    try:
        records = journal.records(valid=True)
    finally:
        journal.close()
    for record in records:
        if record.method == "POST" and record.accepted:
            yield _Item(f"{path}#{record.id}", record.body if record.parsed else None, ())


def _ahead(items: Iterator[_Item], size: int) -> Iterator[_Item]:
    """``items`` read by a thread up to ``size`` ahead: the next events are read and judged
    while an answer is awaited. Whatever the reader raises is raised here, in its place."""
    queue: Queue[_Item | _End] = Queue(size)
    stop = threading.Event()

    def read() -> None:
        try:
            put()
        finally:
            if isinstance(items, Generator):
                items.close()  # the files it holds open

    def put() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    with contextlib.suppress(Full):
                        queue.put(item, timeout=0.1)
                        break
                if stop.is_set():
                    return
            end = _End(None)
        except BaseException as exc:  # handed to the consumer, which raises it
            end = _End(exc)
        while not stop.is_set():
            with contextlib.suppress(Full):
                queue.put(end, timeout=0.1)
                return

    thread = threading.Thread(target=read, name="send-reader", daemon=True)
    thread.start()
    try:
        while not isinstance(item := queue.get(), _End):
            yield item
        if item.error is not None:
            raise item.error
    finally:
        stop.set()
        thread.join()


@dataclass(frozen=True, slots=True)
class _End:
    error: BaseException | None


# -- sending -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    """What came back for one request: a status and body, or why none came."""

    status: int | None
    data: bytes = b""
    error: str = ""
    """Why the request is not delivered, when it is not."""
    retried: int = 0


class _Sender:
    """POSTs bodies over one pool of keep-alive connections, retrying what may be retried."""

    def __init__(self, contract: Contract, args: argparse.Namespace) -> None:
        import urllib3

        class Retry(urllib3.Retry):
            # urllib3 also retries a 413 that says Retry-After; here a 4xx but 429 is final.
            RETRY_AFTER_STATUS_CODES = frozenset({429, 503})

        self.retry = Retry(
            total=args.retries,
            redirect=0,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=None,  # POST too: a replayed event may arrive twice, never lost
            backoff_factor=BACKOFF_FACTOR,
            backoff_max=BACKOFF_MAX,
            raise_on_status=False,
            raise_on_redirect=False,
            retry_after_max=RETRY_AFTER_MAX,
        )
        self.pool = urllib3.PoolManager(
            maxsize=1,
            timeout=urllib3.Timeout(connect=args.timeout, read=args.timeout),
            retries=self.retry,
        )
        self.headers = {
            "Content-Type": contract.json_media_type,
            "Accept": "application/json, application/problem+json, */*",
            "User-Agent": f"{PROG} send",
        }
        if args.token:
            self.headers["Authorization"] = f"Bearer {args.token}"
        self.gzip = args.gzip
        if self.gzip:
            self.headers["Content-Encoding"] = "gzip"
        self.pace = _Pace(args.rate) if args.rate else None

    def post(self, url: str, body: bytes, events: int) -> _Answer:
        import urllib3

        if self.pace is not None:
            self.pace.wait(events)
        if self.gzip:
            body = gzip.compress(body, compresslevel=6, mtime=0)
        try:
            response = self.pool.request(
                "POST", url, body=body, headers=self.headers, preload_content=True
            )
        except urllib3.exceptions.MaxRetryError as exc:
            return _Answer(None, error=f"{_reason(exc.reason)} (after {self.retry.total} retries)")
        except urllib3.exceptions.HTTPError as exc:
            return _Answer(None, error=_reason(exc))
        retried = len(response.retries.history) if response.retries is not None else 0
        error = ""
        if response.status in RETRY_STATUSES:
            error = f"{response.status} {_problem(response.data)} (after {retried} retries)"
        return _Answer(response.status, response.data, error, retried)

    def close(self) -> None:
        self.pool.clear()


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "no answer"
    # urllib3 puts its connection's repr first: keep what the system said.
    return _CONNECTION_REPR.sub("", str(exc))


_CONNECTION_REPR = re.compile(r"^(<[^>]*>|HTTPS?Connection\([^)]*\)): ")


class _Pace:
    """At most ``rate`` events a second: each request waits for its events' share of time."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()

    def wait(self, events: int) -> None:
        now = time.monotonic()
        if self.next > now:
            time.sleep(self.next - now)
        else:
            self.next = now  # no catching up in a burst after a slow stretch
        self.next += events * self.interval


def _send_all(
    items: Iterator[_Item],
    sender: _Sender | None,
    url: str,
    batch: int | None,
    summary: _Summary,
) -> None:
    size = batch or 1
    pending: list[_Item] = []

    def flush() -> bool:
        body = pending[0].body if batch is None else b"[" + b",".join(_bodies(pending)) + b"]"
        assert body is not None
        summary.requests += 1
        if sender is None:
            summary.sent += len(pending)
            return True
        answer = sender.post(url, body, len(pending))
        return summary.settle(pending, answer, batch is not None)

    for item in items:
        summary.read += 1
        if item.errors:
            summary.invalid.append(item)
        if item.body is None:
            summary.skipped.append(item)
            continue
        pending.append(item)
        if len(pending) >= size:
            delivered = flush()
            pending = []
            if not delivered:
                return
        if summary.progress is not None:
            summary.progress.tick(summary)
    if pending:
        flush()


def _bodies(items: list[_Item]) -> Iterator[bytes]:
    for item in items:
        assert item.body is not None
        yield item.body


# -- the summary ---------------------------------------------------------------


@dataclass(slots=True)
class _Rejection:
    where: str
    status: int | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "status": self.status, "detail": self.detail}


@dataclass(slots=True)
class _Summary:
    url: str
    dry_run: bool
    read: int = 0
    requests: int = 0
    sent: int = 0
    retries: int = 0
    accepted: int = 0
    rejected: list[_Rejection] = field(default_factory=list)
    undelivered: list[_Rejection] = field(default_factory=list)
    skipped: list[_Item] = field(default_factory=list)
    invalid: list[_Item] = field(default_factory=list)
    stopped: str | None = None
    unreadable: bool = False
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    progress: _Progress | None = None

    def settle(self, items: list[_Item], answer: _Answer, batch: bool) -> bool:
        """Count the answer to one request; False when it never came (sending stops)."""
        status = answer.status
        self.retries += answer.retried
        if answer.error or status is None:
            detail = answer.error or "no answer"
            self.undelivered.extend(_Rejection(i.where, status, detail) for i in items)
            self.stopped = f"at {items[0].where}, not delivered"
            return False
        self.sent += len(items)
        if not 200 <= status < 300:
            detail = _problem(answer.data)
            self.rejected.extend(_Rejection(i.where, status, detail) for i in items)
            return True
        failed = _failed_events(answer.data) if batch else {}
        for index, item in enumerate(items):
            if index in failed:
                self.rejected.append(_Rejection(item.where, status, failed[index]))
            else:
                self.accepted += 1
        return True

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return 2
        if self.dry_run:
            return 1 if self.invalid or self.skipped else 0
        return 1 if self.rejected or self.undelivered or self.skipped else 0

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url,
            "dry_run": self.dry_run,
            "read": self.read,
            "requests": self.requests,
            "sent": self.sent,
            "retries": self.retries,
            "accepted": self.accepted,
            "rejected": [r.to_dict() for r in self.rejected],
            "undelivered": [r.to_dict() for r in self.undelivered],
            "skipped": [i.where for i in self.skipped],
            "invalid": [{"where": i.where, "errors": list(i.errors)} for i in self.invalid],
            "stopped": self.stopped,
            "seconds": round(self.seconds, 3),
        }
        if self.dry_run:
            del data["accepted"], data["rejected"], data["undelivered"]
        return data


def _problem(data: bytes) -> str:
    """An answer's problem in a line: ``title: detail`` of problem details, else its text."""
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("title", "detail", "error", "message") if body.get(k)]
        text = ": ".join(parts) if parts else data.decode("utf-8", "replace")
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            # The mock's problems list each violation with its pointer.
            text += f" (at {errors[0].get('pointer') or '/'}"
            text += f", and {len(errors) - 1} more)" if len(errors) > 1 else ")"
    else:
        text = data.decode("utf-8", "replace")
    text = one_line(text)
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def _failed_events(data: bytes) -> dict[int, str]:
    """The elements a batch answer says failed (OpenLineage's ``failed_events``), by index."""
    try:
        body = json.loads(data)
    except ValueError:
        return {}
    failed = body.get("failed_events") if isinstance(body, dict) else None
    out: dict[int, str] = {}
    for entry in failed if isinstance(failed, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("index"), int):
            reason = one_line(str(entry.get("reason") or "failed"))[:DETAIL_CHARS]
            retriable = " (retriable)" if entry.get("retriable") else ""
            out[entry["index"]] = f"{reason}{retriable}"
    return out


def _write(out: TextIO, summary: _Summary, fmt: str) -> None:
    if fmt == "json":
        out.write(json.dumps(summary.to_dict(), ensure_ascii=False) + "\n")
        return
    for item in summary.invalid if summary.dry_run else ():
        for error in item.errors:
            out.write(f"{one_line(item.where)}: invalid: {one_line(error)}\n")
    for item in summary.skipped:
        why = item.errors[0] if item.errors else "not JSON"
        out.write(f"{one_line(item.where)}: skipped: {one_line(why)}\n")
    for rejection in summary.rejected:
        out.write(f"{one_line(rejection.where)}: rejected: {rejection.status} {rejection.detail}\n")
    for rejection in summary.undelivered:
        out.write(f"{one_line(rejection.where)}: not delivered: {one_line(rejection.detail)}\n")
    url = one_line(summary.url)
    if summary.dry_run:
        out.write(
            f"dry run: would send {summary.sent} event(s) in {summary.requests} request(s) "
            f"to {url}; {len(summary.invalid)} invalid, {len(summary.skipped)} skipped\n"
        )
    else:
        rate = summary.sent / summary.seconds if summary.seconds > 0 else 0.0
        out.write(
            f"sent {summary.sent} event(s) in {summary.requests} request(s) to {url} "
            f"({rate:,.0f}/s, {summary.retries} retries): {summary.accepted} accepted, "
            f"{len(summary.rejected)} rejected, {len(summary.undelivered)} not delivered, "
            f"{len(summary.skipped)} skipped\n"
        )
    if summary.stopped:
        out.write(f"stopped: {one_line(summary.stopped)}; the events after it were not sent\n")


class _Progress(ProgressLine):
    """A line on a terminal: events sent, the share of the input read, events a second."""

    summary: _Summary | None = None

    def __call__(self, done: int) -> None:
        self.done = done  # drawn by tick, with what was sent

    def tick(self, summary: _Summary) -> None:
        self.summary = summary
        self.redraw()

    def text(self, now: float) -> str:
        summary = self.summary
        assert summary is not None
        line = f"{summary.sent:,} sent"
        if self.total:
            line += f" ({min(100, 100 * (self.base + self.done) // self.total)}% read)"
        rate = summary.sent / max(now - summary.started, 1e-6)
        return line + f"  {rate:,.0f} events/s  {len(summary.rejected):,} rejected"
