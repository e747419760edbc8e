"""``lineage-contract send``: events replayed to a mock (or a recording server) on loopback."""

from __future__ import annotations

import copy
import gzip
import json
import os
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import pytest
import yaml
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lineage_contract.cli import main
from lineage_contract.contract import Contract
from lineage_contract.files import EventReader, expand
from lineage_contract.mock import MockServer

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = json.loads((ROOT / "openapi.json").read_text())
TOKEN = "replay-secret"


def events(count: int, *, job: str = "replay") -> list[dict[str, Any]]:
    """Distinct valid RunEvents (each its own run id and job name), in order."""
    base = json.loads((ROOT / "fixtures" / "valid" / "start.json").read_text())
    out = []
    for number in range(count):
        event = copy.deepcopy(base)
        event["run"]["runId"] = str(uuid.UUID(int=number + 1))
        event["job"]["name"] = f"{job}.{number}"
        out.append(event)
    return out


def send(*args: str | Path) -> int:
    return main(["send", *map(str, args)])


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(tokens=[TOKEN]) as server:
        yield server


def accepted(server: MockServer) -> list[Any]:
    return [r.event for r in server.records() if r.status == 200]


# -- a server that records what arrived, answering as a test says ---------------------


@dataclass
class Recorder:
    """A loopback server keeping each request's path, headers and raw body."""

    url: str
    answers: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    """Answered in turn; 200 ``{}`` once they run out."""
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    box: list[Recorder] = []

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        rec = box[0]
        rec.requests.append((request.path, dict(request.headers), request.get_data()))
        rec.times.append(time.monotonic())
        status, headers, body = rec.answers.pop(0) if rec.answers else (200, {}, b"{}")
        return Response(body, status, headers, content_type="application/json")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    box.append(Recorder(f"http://127.0.0.1:{server.server_port}/api/v1/lineage"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- inputs of every kind ----------------------------------------------------------------


def _jsonl(path: Path, evs: list[Any]) -> list[Path]:
    file = path / "events.jsonl"
    file.write_text("".join(json.dumps(e) + "\n" for e in evs))
    return [file]


def _json_array(path: Path, evs: list[Any]) -> list[Path]:
    file = path / "events.json"
    file.write_text(json.dumps(evs, indent=2))
    return [file]


def _yaml(path: Path, evs: list[Any]) -> list[Path]:
    file = path / "events.yaml"
    file.write_text(yaml.safe_dump_all(evs))
    return [file]


def _gzip(path: Path, evs: list[Any]) -> list[Path]:
    file = path / "events.jsonl.gz"
    file.write_bytes(gzip.compress("".join(json.dumps(e) + "\n" for e in evs).encode()))
    return [file]


def _directory(path: Path, evs: list[Any]) -> list[Path]:
    folder = path / "dir"
    (folder / "b").mkdir(parents=True)
    half = len(evs) // 2
    (folder / "a.jsonl").write_text("".join(json.dumps(e) + "\n" for e in evs[:half]))
    (folder / "b" / "c.json").write_text(json.dumps(evs[half:]))
    return [folder]


def _two_files(path: Path, evs: list[Any]) -> list[Path]:
    # Given in this order, sent in this order (not sorted).
    (path / "z.json").write_text(json.dumps(evs[:2]))
    (path / "a.jsonl").write_text("".join(json.dumps(e) + "\n" for e in evs[2:]))
    return [path / "z.json", path / "a.jsonl"]


def _journal(path: Path, evs: list[Any]) -> list[Path]:
    journal = path / "lineage.db"
    source = MockServer(journal=str(journal))
    with source:
        source.faults.fail_next(503)  # a failed attempt is not an event to replay
        assert send(*_jsonl(path, evs), "--url", source.url, "--token", "t") == 0
    source.close()
    return [journal]


def _file_transport(path: Path, evs: list[Any]) -> list[Path]:
    from openlineage.client.transport.file import FileConfig, FileTransport

    folder = path / "ol"
    folder.mkdir()
    transport = FileTransport(FileConfig(log_file_path=str(folder / "events"), append=False))
    for event in evs:
        transport.emit(_client_event(event))
    return [folder]


def _file_transport_append(path: Path, evs: list[Any]) -> list[Path]:
    from openlineage.client.transport.file import FileConfig, FileTransport

    log = path / "openlineage.log"
    transport = FileTransport(FileConfig(log_file_path=str(log), append=True))
    for event in evs:
        transport.emit(_client_event(event))
    return [log]


def _client_event(event: dict[str, Any]) -> Any:
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState

    return RunEvent(
        eventType=RunState.START,
        eventTime=event["eventTime"],
        run=Run(runId=event["run"]["runId"]),
        job=Job(namespace=event["job"]["namespace"], name=event["job"]["name"]),
        producer=event["producer"],
    )


WRITERS: dict[str, Callable[[Path, list[Any]], list[Path]]] = {
    "jsonl": _jsonl,
    "json array": _json_array,
    "yaml": _yaml,
    "gzip": _gzip,
    "directory": _directory,
    "two files": _two_files,
    "mock journal": _journal,
    "file transport": _file_transport,
    "file transport, append": _file_transport_append,
}


def _key(event: Any) -> tuple[str, str]:
    return event["run"]["runId"], event["job"]["name"]


@pytest.mark.parametrize("kind", WRITERS)
def test_every_event_arrives_once_and_in_order(kind: str, tmp_path: Path, mock: MockServer) -> None:
    sent = events(5)
    paths = WRITERS[kind](tmp_path, sent)
    assert send(*paths, "--url", mock.url, "--token", TOKEN) == 0
    got = accepted(mock)
    assert [_key(e) for e in got] == [_key(e) for e in sent]
    assert len(mock.records()) == len(sent)
    if kind in ("jsonl", "json array", "yaml", "gzip", "directory", "two files", "mock journal"):
        assert got == sent


def test_a_json_lines_line_is_sent_byte_for_byte(tmp_path: Path, mock: MockServer) -> None:
    line = b'{ "eventType" :"START", ' + json.dumps(events(1)[0]).encode()[1:]
    (tmp_path / "e.jsonl").write_bytes(b"\n" + line + b"  \r\n")
    assert send(tmp_path / "e.jsonl", "--url", mock.url, "--token", TOKEN) == 0
    assert [r.body for r in mock.records()] == [line]


@pytest.mark.parametrize(
    ("name", "text", "body"),
    [
        ("a.jsonl", '{"a": 1}\nnot json\n', [b'{"a": 1}', None]),
        ("a.json", '[{"a": 1}, {"b": [2, 3.5]}]', [b'{"a":1}', b'{"b":[2,3.5]}']),
        (
            "a.json",
            '{"n": 123456789012345678901234567890}',
            [b'{"n":123456789012345678901234567890}'],
        ),
        (
            "a.yaml",
            "a: 2024-05-01T00:00:00Z\n---\nb: .nan\n",
            [b'{"a":"2024-05-01T00:00:00Z"}', None],
        ),
        ("a.json", '"just a string"', [b'"just a string"']),
        ("a.json", '{"a": NaN}', [None]),
    ],
)
def test_the_reader_gives_each_event_its_bytes(
    name: str, text: str, body: list[bytes | None], tmp_path: Path
) -> None:
    (tmp_path / name).write_text(text)
    with EventReader(Contract.load()) as reader:
        got = [read.body for s in expand([str(tmp_path / name)]) for read in reader.events(s)]
    assert got == body


# -- retries -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_a_5xx_or_429_is_retried_then_accepted(
    status: int, tmp_path: Path, mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mock.faults.fail_next(status)
    assert send(*_jsonl(tmp_path, events(2)), "--url", mock.url, "--token", TOKEN) == 0
    assert [r.status for r in mock.records()] == [status, 200, 200]
    assert "2 accepted" in capsys.readouterr().out


def test_retries_back_off_and_honour_retry_after(tmp_path: Path, recorder: Recorder) -> None:
    recorder.answers = [(503, {"Retry-After": "1"}, b"{}"), (503, {}, b"{}"), (503, {}, b"{}")]
    assert send(*_jsonl(tmp_path, events(1)), "--url", recorder.url) == 0
    gaps = [b - a for a, b in zip(recorder.times, recorder.times[1:], strict=False)]
    assert len(recorder.requests) == 4
    assert gaps[0] >= 0.9  # Retry-After: 1
    assert gaps[2] >= 0.4  # the backoff doubles: 0.25 s, then 0.5 s


@pytest.mark.parametrize(
    ("status", "headers"),
    [(400, {}), (401, {}), (404, {}), (409, {}), (413, {"Retry-After": "1"}), (501, {})],
)
def test_any_other_answer_is_final(
    status: int, headers: dict[str, str], tmp_path: Path, recorder: Recorder
) -> None:
    recorder.answers = [(status, headers, b'{"title": "No", "detail": "not this one"}')]
    assert send(*_jsonl(tmp_path, events(2)), "--url", recorder.url) == 1
    assert len(recorder.requests) == 2  # each event once


def test_an_invalid_event_is_reported_and_not_retried(
    tmp_path: Path, mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = events(2)
    del bad["run"]
    path = _jsonl(tmp_path, [good, bad, good])[0]
    assert send(path, "--url", mock.url, "--token", TOKEN) == 1
    assert [r.status for r in mock.records()] == [200, 422, 200]
    out = capsys.readouterr().out
    assert f"{path}:2: rejected: 422 Unprocessable Entity: required property 'run'" in out
    assert "2 accepted, 1 rejected" in out


def test_the_json_summary_names_each_rejection(
    tmp_path: Path, mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = events(1)[0]
    bad["eventTime"] = "yesterday"
    path = tmp_path / "e.json"
    path.write_text(json.dumps([events(1)[0], bad], indent=1))
    assert send(path, "--url", mock.url, "--token", TOKEN, "--format", "json") == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["sent"] == 2 and summary["accepted"] == 1
    [rejection] = summary["rejected"]
    assert rejection["where"].startswith(f"{path}:")
    assert rejection["status"] == 422 and "eventTime" in rejection["detail"]


def test_a_dead_url_stops_within_the_retry_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the send: nothing listens
    started = time.monotonic()
    code = send(
        *_jsonl(tmp_path, events(50)), "--url", f"http://127.0.0.1:{port}/x", "--retries", "2"
    )
    assert code == 1
    assert time.monotonic() - started < 5
    out = capsys.readouterr().out
    assert out.count("not delivered: ") == 1
    assert "Connection refused (after 2 retries)" in out
    assert "the events after it were not sent" in out


# -- what is sent ---------------------------------------------------------------------------


def test_gzip_bodies(tmp_path: Path, recorder: Recorder, mock: MockServer) -> None:
    paths = _jsonl(tmp_path, events(2))
    assert send(*paths, "--url", recorder.url, "--gzip") == 0
    for (_, headers, body), event in zip(recorder.requests, events(2), strict=True):
        assert headers["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(body)) == event
    assert send(*paths, "--url", mock.url, "--token", TOKEN, "--gzip") == 0
    assert accepted(mock) == events(2)


@pytest.mark.parametrize(
    ("token", "code", "statuses"),
    [(TOKEN, 0, [200]), ("wrong", 1, [401]), (None, 1, [401])],
)
def test_the_token(
    token: str | None, code: int, statuses: list[int], tmp_path: Path, mock: MockServer
) -> None:
    args = ["--token", token] if token else []
    assert send(*_jsonl(tmp_path, events(1)), "--url", mock.url, *args) == code
    assert [r.status for r in mock.records()] == statuses


def test_a_profile_by_name(tmp_path: Path) -> None:
    with MockServer(contract=Contract.load("marquez")) as marquez:
        code = send(*_jsonl(tmp_path, events(2)), "--url", marquez.url, "--spec", "marquez")
        assert code == 0
        assert [r.status for r in marquez.records()] == [201, 201]


def test_headers(tmp_path: Path, recorder: Recorder) -> None:
    assert send(*_jsonl(tmp_path, events(1)), "--url", recorder.url, "--token", "t") == 0
    [(path, headers, _)] = recorder.requests
    assert path == "/api/v1/lineage"
    assert headers["Authorization"] == "Bearer t"
    assert headers["Content-Type"] == "application/json"
    assert "Content-Encoding" not in headers


@pytest.mark.parametrize(
    ("url", "path"),
    [("{origin}", "/api/v1/lineage"), ("{origin}/", "/api/v1/lineage"), ("{origin}/x/y", "/x/y")],
)
def test_a_url_without_a_path_gets_the_operations(
    url: str, path: str, tmp_path: Path, recorder: Recorder
) -> None:
    origin = recorder.url.removesuffix("/api/v1/lineage")
    assert send(*_jsonl(tmp_path, events(1)), "--url", url.format(origin=origin)) == 0
    assert [p for p, _, _ in recorder.requests] == [path]


def test_rate_paces_the_requests(tmp_path: Path, recorder: Recorder) -> None:
    started = time.monotonic()
    assert send(*_jsonl(tmp_path, events(6)), "--url", recorder.url, "--rate", "20") == 0
    # Six events at 20 a second: the last leaves about a quarter second after the first.
    assert 0.2 <= recorder.times[-1] - recorder.times[0] < 2
    assert time.monotonic() - started < 3


def test_dry_run_sends_nothing(
    tmp_path: Path, mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = events(2)
    del bad["job"]
    assert send(*_jsonl(tmp_path, [good]), "--url", mock.url, "--dry-run") == 0
    assert "would send 1 event(s) in 1 request(s)" in capsys.readouterr().out
    path = _jsonl(tmp_path, [good, bad])[0]
    assert send(path, "--url", mock.url, "--dry-run") == 1
    assert f"{path}:2: invalid: /job: required property 'job' is missing" in capsys.readouterr().out
    assert mock.records() == []


def test_an_unreadable_input_sends_nothing(
    tmp_path: Path, mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _jsonl(tmp_path, events(2))[0]
    (tmp_path / "empty-dir").mkdir()
    (tmp_path / "bad.db").write_bytes(b"SQLite format 3\x00 and then no database")
    for bad in (
        tmp_path / "missing.json",
        Path("/dev/zero"),
        tmp_path / "empty-dir",
        tmp_path / "bad.db",
    ):
        assert send(good, bad, "--url", mock.url, "--token", TOKEN) == 2
        assert str(bad) in capsys.readouterr().err
    if os.geteuid() != 0:
        locked = tmp_path / "locked.json"
        locked.write_text("{}")
        locked.chmod(0)
        assert send(good, locked, "--url", mock.url, "--token", TOKEN) == 2
    assert mock.records() == []


# -- --batch --------------------------------------------------------------------------------


def _with_batch(*, single: bool = True) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    operation = copy.deepcopy(document["paths"]["/api/v1/lineage"]["post"])
    operation["operationId"] = "recordLineageBatch"
    operation["requestBody"]["content"]["application/json"]["schema"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/OpenLineageEvent"},
    }
    if not single:
        del document["paths"]["/api/v1/lineage"]
    document["paths"]["/api/v1/lineage/batch"] = {"post": operation}
    return document


@pytest.fixture
def batch_spec(tmp_path: Path) -> Path:
    path = tmp_path / "batch-openapi.json"
    path.write_text(json.dumps(_with_batch()))
    return path


@pytest.fixture
def batch_mock() -> Iterator[MockServer]:
    # A mock of the batch operation alone: it judges each array as one body.
    with MockServer(contract=Contract.from_document(_with_batch(single=False))) as server:
        yield server


@pytest.mark.parametrize(
    ("count", "size", "arrays"), [(7, 3, [3, 3, 1]), (2, 5, [2]), (4, 1, [1] * 4)]
)
def test_batch_sends_arrays_to_the_batch_operation(
    count: int,
    size: int,
    arrays: list[int],
    tmp_path: Path,
    batch_spec: Path,
    batch_mock: MockServer,
) -> None:
    sent = events(count)
    code = send(
        *_jsonl(tmp_path, sent),
        "--url",
        batch_mock.url + "/api/v1/lineage",
        "--spec",
        batch_spec,
        "--operation",
        "recordLineageEvent",
        "--batch",
        str(size),
        "--token",
        TOKEN,
    )
    assert code == 0
    records = batch_mock.records()
    assert {r.path for r in records} == {"/api/v1/lineage/batch"}
    # The mock records each element of a batch, with the batch it came in and its index.
    batches = [[r.index for r in group] for _, group in groupby(records, key=lambda r: r.batch)]
    assert batches == [list(range(size)) for size in arrays]
    assert [r.event for r in records] == sent


OPENLINEAGE = ROOT.parent / "shared" / "corpus" / "openlineage-spec" / "OpenLineage.yml"


def test_batch_goes_to_openlineages_own_batch_operation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = events(5)
    sent[3]["eventType"] = "DONE"  # not an OpenLineage event type
    with MockServer(contract=Contract.load(OPENLINEAGE)) as server:
        code = send(
            *_jsonl(tmp_path, sent),
            "--url",
            server.url + "/lineage",
            "--spec",
            OPENLINEAGE,
            "--batch",
            "2",
            "--format",
            "json",
        )
        records = server.records()
    summary = json.loads(capsys.readouterr().out)
    assert code == 1
    # Every element is recorded, the bad one too; only it is rejected, by its index.
    assert {r.path for r in records} == {"/lineage/batch"}
    assert [(r.batch is not None, r.index) for r in records] == [
        (True, 0),
        (True, 1),
        (True, 0),
        (True, 1),
        (True, 0),
    ]
    assert [r.valid for r in records] == [True, True, True, False, True]
    (rejected,) = summary["rejected"]
    assert rejected["where"].endswith(":4")
    assert summary["accepted"] == 4


@pytest.mark.parametrize(
    ("url", "batch"),
    [
        ("http://h:1/api/v1/lineage", "http://h:1/api/v1/lineage/batch"),
        ("https://h/base/api/v1/lineage", "https://h/base/api/v1/lineage/batch"),
        ("http://h:1", "http://h:1/api/v1/lineage/batch"),
    ],
)
def test_the_batch_url_is_beside_the_single_events(url: str, batch: str, batch_spec: Path) -> None:
    from lineage_contract.cli._send import _batch_url, _endpoint

    contract = Contract.load(batch_spec, operation="recordLineageEvent")
    assert _batch_url(contract, _endpoint(url, contract)) == batch


def test_a_partial_success_rejects_the_failed_elements(
    tmp_path: Path, recorder: Recorder, batch_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = {
        "status": "partial_success",
        "summary": {"received": 3, "successful": 2, "failed": 1},
        "failed_events": [{"index": 1, "reason": "Unsupported facets", "retriable": False}],
    }
    recorder.answers = [(200, {}, json.dumps(answer).encode())]
    path = _jsonl(tmp_path, events(3))[0]
    args = ["--spec", batch_spec, "--operation", "recordLineageEvent", "--batch", "10"]
    assert send(path, "--url", recorder.url, *args) == 1
    assert [p for p, _, _ in recorder.requests] == ["/api/v1/lineage/batch"]
    out = capsys.readouterr().out
    assert f"{path}:2: rejected: 200 Unsupported facets" in out
    assert "2 accepted, 1 rejected" in out


def test_batch_url_is_taken_as_given(tmp_path: Path, recorder: Recorder) -> None:
    target = recorder.url + "/elsewhere"
    assert (
        send(
            *_jsonl(tmp_path, events(2)),
            "--url",
            recorder.url,
            "--batch",
            "2",
            "--batch-url",
            target,
        )
        == 0
    )
    [(path, _, body)] = recorder.requests
    assert path == "/api/v1/lineage/elsewhere" and json.loads(body) == events(2)


# -- exit status -------------------------------------------------------------------------------

USAGE = [
    ["--url", "ftp://h/x"],
    ["--url", "not a url"],
    ["--url", "{url}", "--batch", "5"],  # the bundled document has no batch operation
    ["--url", "{url}", "--batch-url", "{url}"],
    ["--url", "{url}", "--rate", "0"],
    ["--url", "{url}", "--batch", "0"],
    ["--url", "{url}", "--spec", "missing.yaml"],
    ["--url", "{url}", "--operation", "nope"],
]


@pytest.mark.parametrize("args", USAGE)
def test_usage_errors_exit_2_and_send_nothing(
    args: list[str], tmp_path: Path, mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    given = [a.format(url=mock.url) for a in args]
    assert send(*_jsonl(tmp_path, events(1)), *given) == 2
    assert "error:" in capsys.readouterr().err
    assert mock.records() == []


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        (["good", "good"], 0),
        (["good", "invalid"], 1),
        (["good", "not json"], 1),
        (["invalid"], 1),
    ],
)
def test_exit_status(lines: list[str], code: int, tmp_path: Path, mock: MockServer) -> None:
    good, invalid = events(2)
    del invalid["producer"]
    text = {"good": json.dumps(good), "invalid": json.dumps(invalid), "not json": "{nope"}
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(text[line] for line in lines) + "\n")
    assert send(path, "--url", mock.url, "--token", TOKEN) == code
    assert len(mock.records()) == sum(1 for line in lines if line != "not json")


def test_no_progress_line_off_a_terminal(
    tmp_path: Path, mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert send(*_jsonl(tmp_path, events(3)), "--url", mock.url, "--token", TOKEN) == 0
    assert "\r" not in capsys.readouterr().err


def test_reading_ahead_keeps_the_order_and_raises_in_place() -> None:
    from lineage_contract.cli._send import _ahead
    from lineage_contract.files import InputError

    closed = threading.Event()

    def items(fail: bool) -> Iterator[Any]:
        try:
            yield from range(50)
            if fail:
                raise InputError("cannot read on")
        finally:
            closed.set()

    got: list[Any] = []
    with pytest.raises(InputError, match="cannot read on"):
        got.extend(_ahead(items(True), 4))
    assert got == list(range(50))
    closed.clear()
    ahead = _ahead(items(False), 4)
    assert next(ahead) == 0
    ahead.close()  # as when sending stops: the reader stops and closes its files
    assert closed.wait(5)


def test_the_progress_line_counts_what_was_sent_and_clears() -> None:
    import io

    from lineage_contract.cli._send import _Progress, _Summary

    out = io.StringIO()
    progress = _Progress(out, total=1_000)
    progress.start()
    progress(250)
    assert out.getvalue() == ""  # drawn when something is sent, not when bytes are read
    summary = _Summary(url="http://127.0.0.1:1/lineage", dry_run=False, sent=42)
    progress.tick(summary)
    drawn = out.getvalue()
    assert drawn.startswith("\r\x1b[K42 sent (25% read)") and "0 rejected" in drawn
    progress.close()
    assert out.getvalue().endswith("\r\x1b[K")


def test_a_journal_replays_the_elements_a_batch_accepted_and_not_the_rejected_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = events(3)
    sent[1]["eventType"] = "DONE"
    journal = tmp_path / "journal.db"
    with MockServer(contract=Contract.load(OPENLINEAGE), journal=journal) as first:
        request = urllib.request.Request(
            first.url + "/lineage/batch",
            data=json.dumps(sent).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.loads(answer.read())["status"] == "partial_success"
    with MockServer(contract=Contract.load(OPENLINEAGE)) as second:
        code = send(journal, "--url", second.url + "/lineage", "--spec", OPENLINEAGE)
        replayed = [r.event for r in second.records()]
    capsys.readouterr()
    assert code == 0
    assert replayed == [sent[0], sent[2]]
