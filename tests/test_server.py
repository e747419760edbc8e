from __future__ import annotations

import copy
import gzip
import http.client
import io
import socket
import sqlite3
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from werkzeug.test import Client

from lineage_contract import Contract, Kind
from lineage_contract.contract._dialect import Direction
from lineage_contract.mock import (
    JournalTimeout,
    MemoryJournal,
    MockApp,
    MockServer,
    Record,
    SqliteJournal,
    create_app,
)
from lineage_contract.mock._faults import Fault, FaultError, SharedFaults
from lineage_contract.mock._problems import PROBLEM_JSON
from lineage_contract.testing.reference import Reference

ROOT = Path(__file__).resolve().parents[1]
PATH = "/api/v1/lineage"
AUTH = {"Authorization": "Bearer token-1"}
JSON = {**AUTH, "Content-Type": "application/json"}
EVENT = (ROOT / "fixtures" / "valid" / "start.json").read_bytes()
PARSED = orjson.loads(EVENT)
RUN_ID = PARSED["run"]["runId"]
JOB = f"{PARSED['job']['namespace']}/{PARSED['job']['name']}"
INVALID = orjson.dumps({**PARSED, "eventType": "STARTED"})


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract.load()


@pytest.fixture(scope="module")
def reference(contract: Contract) -> Reference:
    return Reference(contract)


@pytest.fixture(scope="module")
def error_schema(contract: Contract) -> jsonschema.Draft202012Validator:
    schema = contract.json_schema(contract.components["Error"], direction=Direction.RESPONSE)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def shared_app(contract: Contract) -> MockApp:
    return create_app(contract)


@pytest.fixture
def app(shared_app: MockApp) -> MockApp:
    shared_app.clear()
    return shared_app


@pytest.fixture
def client(app: MockApp) -> Client:
    return Client(app)


# -- answers -------------------------------------------------------------------------

OK = {"status": 200}
UNAUTHORIZED = {"error": "Unauthorized"}
BEARER = {"WWW-Authenticate": "Bearer"}
ALLOW = {"Allow": "POST"}
GZIPPED = gzip.compress(EVENT)


def h(**headers: str) -> dict[str, str]:
    """The valid request's headers with some replaced (``Content_Type`` -> ``Content-Type``)."""
    return {**JSON, **{k.replace("_", "-"): v for k, v in headers.items()}}


ANSWERS: list[tuple[str, str, str, dict[str, str], bytes, int, dict[str, str], Any]] = [
    # id, method, path, headers, body -> status, headers (subset), body (exact) or error keywords
    ("valid", "POST", PATH, JSON, EVENT, 200, {}, OK),
    ("scheme-any-case", "POST", PATH, h(Authorization="bEaReR t"), EVENT, 200, {}, OK),
    ("gzip", "POST", PATH, h(Content_Encoding="gzip"), GZIPPED, 200, {}, OK),
    ("x-gzip", "POST", PATH, h(Content_Encoding="x-gzip"), GZIPPED, 200, {}, OK),
    (
        "charset",
        "POST",
        PATH,
        h(Content_Type="application/json; charset=utf-8"),
        EVENT,
        200,
        {},
        OK,
    ),
    (
        "no-auth",
        "POST",
        PATH,
        {"Content-Type": "application/json"},
        EVENT,
        401,
        BEARER,
        UNAUTHORIZED,
    ),
    ("basic", "POST", PATH, h(Authorization="Basic dTpw"), EVENT, 401, BEARER, UNAUTHORIZED),
    ("empty-token", "POST", PATH, h(Authorization="Bearer "), EVENT, 401, BEARER, UNAUTHORIZED),
    ("auth-before-body", "POST", PATH, {"Content-Type": "text/plain"}, b"{", 401, {}, UNAUTHORIZED),
    ("schema", "POST", PATH, JSON, INVALID, 422, {}, ["enum"]),
    ("missing", "POST", PATH, JSON, b"{}", 422, {}, ["required"] * 5),
    ("not-json", "POST", PATH, JSON, b'{"run": ', 400, {}, ["json"]),
    ("nan", "POST", PATH, JSON, b'{"x": NaN}', 400, {}, ["json"]),
    ("empty", "POST", PATH, JSON, b"", 400, {}, ["json"]),
    ("bad-gzip", "POST", PATH, h(Content_Encoding="gzip"), EVENT, 400, {}, ["contentEncoding"]),
    ("media-type", "POST", PATH, h(Content_Type="text/plain"), EVENT, 415, {}, ["contentType"]),
    (
        "latin-1",
        "POST",
        PATH,
        h(Content_Type="application/json; charset=latin-1"),
        EVENT,
        415,
        {},
        ["contentType"],
    ),
    ("encoding", "POST", PATH, h(Content_Encoding="br"), EVENT, 415, {}, ["contentEncoding"]),
    ("get", "GET", PATH, AUTH, b"", 405, ALLOW, ["method"]),
    ("put", "PUT", PATH, JSON, EVENT, 405, ALLOW, ["method"]),
    ("delete-no-auth", "DELETE", PATH, {}, b"", 405, ALLOW, ["method"]),
    ("other-path", "POST", "/api/v1/lineages", JSON, EVENT, 404, {}, ["path"]),
    ("root-post", "POST", "/", JSON, EVENT, 404, {}, ["path"]),
    ("other-get", "GET", "/index.html", {}, b"", 404, {}, ["path"]),
    ("head", "HEAD", PATH, {}, b"", 405, ALLOW, None),
]


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "want_headers", "want"),
    [row[1:] for row in ANSWERS],
    ids=[row[0] for row in ANSWERS],
)
def test_answers(
    client: Client,
    app: MockApp,
    reference: Reference,
    error_schema: jsonschema.Draft202012Validator,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    want_headers: dict[str, str],
    want: Any,
) -> None:
    response = client.open(path, method=method, headers=headers, data=body)
    assert response.status_code == status
    for name, value in want_headers.items():
        assert response.headers[name] == value
    if want is None:  # HEAD: the headers of the answer, no body
        assert response.get_data() == b"" and int(response.headers["Content-Length"]) > 0
        return
    data = orjson.loads(response.get_data())
    assert response.headers["Content-Length"] == str(len(response.get_data()))
    if isinstance(want, dict):
        assert response.mimetype == "application/json"
        assert data == want
    else:
        assert response.mimetype == PROBLEM_JSON
        assert data["status"] == status and data["type"] == "about:blank"
        assert data["title"] and data["detail"]
        assert [e["keyword"] for e in data["errors"]] == want
        assert all(set(e) >= {"pointer", "keyword", "detail"} for e in data["errors"])
        error_schema.validate(data)
    if str(status) in app.contract.responses:
        findings = reference.check_response(
            method, path, status, response.headers, response.get_data()
        )
        assert findings == []
    (record,) = app.records()
    assert (record.method, record.path, record.status) == (method, path, status)
    assert record.valid is (status == 200)


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [row[1:5] for row in ANSWERS]
    + [
        ("POST", PATH, h(Content_Type="Application/JSON"), EVENT),
        ("POST", f"{PATH}?x=1", JSON, EVENT),
        ("POST", PATH, h(Content_Encoding=""), INVALID),
    ],
)
def test_shortcut_answers_as_the_full_judgement(
    contract: Contract,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    answers = []
    for shortcut in (True, False):
        app = create_app(contract)
        if not shortcut:
            monkeypatch.setattr(app.validator, "is_plain_request", lambda header, size: False)
        response = Client(app).open(path, method=method, headers=headers, data=body)
        (record,) = app.records()
        answers.append(
            (
                response.status_code,
                sorted(response.headers.items()),
                response.get_data(),
                (record.status, record.valid, record.violations, record.body),
                (record.parsed, record.run_id, record.job),
            )
        )
    assert answers[0] == answers[1]


def test_documented_500_passes_openapi_core(
    app: MockApp, client: Client, reference: Reference
) -> None:
    app.faults.fail_next(500)
    response = client.post(PATH, headers=JSON, data=EVENT)
    assert response.status_code == 500
    assert orjson.loads(response.get_data()) == {"status": 500}
    assert reference.check_response("POST", PATH, 500, response.headers, response.get_data()) == []


def test_schema_errors_are_placed(client: Client) -> None:
    response = client.post(PATH, headers=JSON, data=INVALID)
    (error,) = orjson.loads(response.get_data())["errors"]
    assert error["pointer"] == "/eventType" and "STARTED" in error["detail"]


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        ("Bearer s3cret", 200),
        ("bearer other", 200),
        ("Bearer s3cre", 401),
        ("Bearer s3crets", 401),
        ("Bearer anything", 401),
        ("s3cret", 401),
        (None, 401),
    ],
)
def test_tokens(contract: Contract, authorization: str | None, status: int) -> None:
    app = create_app(contract, tokens=["s3cret", "other"])
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = Client(app).post(PATH, headers=headers, data=EVENT)
    assert response.status_code == status
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert app.records()[0].violations[0].kind is Kind.SECURITY


@pytest.mark.parametrize(
    ("options", "body", "status"),
    [
        ({"invalid_status": 400}, INVALID, 400),
        ({"malformed_status": 422}, b"{", 422),
        ({"invalid_status": 409, "malformed_status": 418}, INVALID, 409),
    ],
)
def test_statuses_are_configurable(
    contract: Contract, options: dict[str, int], body: bytes, status: int
) -> None:
    response = Client(create_app(contract, **options)).post(PATH, headers=JSON, data=body)
    assert response.status_code == status
    assert orjson.loads(response.get_data())["status"] == status


@pytest.mark.parametrize("status", [200, 302, 600])
def test_statuses_must_be_errors(contract: Contract, status: int) -> None:
    with pytest.raises(ValueError, match="400-599"):
        create_app(contract, invalid_status=status)


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        (JSON, b"[" + b" " * 2000 + b"]", 413),  # by Content-Length, before reading
        ({**JSON, "Content-Encoding": "gzip"}, gzip.compress(b"[" + b" " * 100_000 + b"]"), 413),
        ({"Content-Type": "application/json"}, b" " * 5000, 401),  # credentials first
        (JSON, b"[" + b" " * 1000 + b"]", 422),
    ],
    ids=["length", "gzip-bomb", "auth-first", "under-limit"],
)
def test_body_limit(contract: Contract, headers: dict[str, str], body: bytes, status: int) -> None:
    app = create_app(contract, max_body_size=1024)
    response = Client(app).post(PATH, headers=headers, data=body)
    assert response.status_code == status
    if status == 413:
        assert orjson.loads(response.get_data())["errors"][0]["keyword"] == "maxBodySize"


# -- the journal ------------------------------------------------------------------------


def test_records_hold_the_body_byte_for_byte(app: MockApp, client: Client) -> None:
    client.post(PATH, headers=JSON, data=EVENT)
    client.post(PATH, headers={**JSON, "Content-Encoding": "gzip"}, data=gzip.compress(EVENT))
    client.post(PATH, headers=JSON, data=INVALID)
    client.post(PATH, headers=JSON, data=b"{")
    plain, zipped, invalid, broken = app.records()
    assert plain.body == zipped.body == EVENT
    assert plain.event == PARSED and (plain.run_id, plain.job) == (RUN_ID, JOB)
    assert (invalid.valid, invalid.status, invalid.run_id) == (False, 422, RUN_ID)
    assert invalid.violations[0].keyword == "enum"
    assert (broken.event, broken.body, broken.run_id) == (None, b"{", None)
    assert app.events() == [PARSED, PARSED]
    assert [r.id for r in app.records(valid=False)] == [invalid.id, broken.id]
    assert len(app.records(run_id=RUN_ID)) == 3
    assert len(app.records(job=JOB)) == len(app.records(job=PARSED["job"]["name"])) == 3


def test_events_over_http(app: MockApp, client: Client) -> None:
    client.post(PATH, headers=JSON, data=EVENT)
    client.post(PATH, headers=JSON, data=INVALID)
    response = client.get("/_lineage/events")
    assert response.status_code == 200 and response.mimetype == "application/json"
    records = orjson.loads(response.get_data())
    assert [r["status"] for r in records] == [200, 422]
    assert records[0]["event"] == PARSED and records[0]["body"] is None  # the body, once
    assert records[0]["runId"] == RUN_ID and records[0]["job"] == JOB
    assert records[0]["time"].endswith("Z")
    assert response.headers["X-Lineage-Dropped"] == "0"
    for query, statuses in [
        ("valid=true", [200]),
        ("valid=false", [422]),
        (f"runId={RUN_ID}", [200, 422]),
        ("runId=nope", []),
        (f"job={JOB}", [200, 422]),
        (f"since={records[0]['id']}", [422]),
    ]:
        got = orjson.loads(client.get(f"/_lineage/events?{query}").get_data())
        assert [r["status"] for r in got] == statuses, query
    for query in ("valid=maybe", "since=x"):
        assert client.get(f"/_lineage/events?{query}").status_code == 400
    assert client.delete("/_lineage/events", content_type="application/json").status_code == 204
    assert orjson.loads(client.get("/_lineage/events").get_data()) == []


@pytest.fixture(params=["memory", "sqlite"])
def journal_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path | None:
    return tmp_path / "journal.db" if request.param == "sqlite" else None


def walk(client: Client, query: str = "") -> tuple[list[dict[str, Any]], list[int]]:
    """Every record the events API lists for ``query``, page by page; and the page sizes."""
    records: list[dict[str, Any]] = []
    sizes: list[int] = []
    url = f"/_lineage/events?{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = orjson.loads(response.get_data())
        assert response.headers["X-Lineage-Count"] == str(len(page))
        records += page
        sizes.append(len(page))
        cursor = response.headers.get("X-Lineage-Next-Cursor")
        url = f"/_lineage/events?{query}&cursor={cursor}" if cursor else ""
    return records, sizes


def test_events_are_paged(contract: Contract, journal_path: Path | None) -> None:
    journaled = create_app(contract, journal=journal_path, page_size=2)
    client = Client(journaled)
    for data in (EVENT, INVALID, b"{", EVENT, EVENT):
        client.post(PATH, headers=JSON, data=data)
    first = client.get("/_lineage/events")
    assert len(orjson.loads(first.get_data())) == 2  # page_size
    assert first.headers["X-Lineage-Next-Cursor"] == "2"
    records, sizes = walk(client)
    assert [r["id"] for r in records] == [1, 2, 3, 4, 5] and sizes == [2, 2, 1]
    assert [r["body"] for r in records] == [None, None, "{", None, None]  # each body once
    assert records[0]["event"] == PARSED and records[2]["event"] is None
    assert [r["id"] for r in walk(client, "valid=true")[0]] == [1, 4, 5]
    assert [r["id"] for r in walk(client, "limit=4")[0]] == [1, 2, 3, 4, 5]
    assert walk(client, "limit=4")[1] == [4, 1]
    last = client.get("/_lineage/events?since=3&limit=9")
    assert "X-Lineage-Next-Cursor" not in last.headers
    assert len(journaled.records()) == 5  # Python callers still get every record
    journaled.close()


def test_event_pages_are_bounded_in_bytes(contract: Contract) -> None:
    app = create_app(contract, page_bytes=2 * len(EVENT))
    client = Client(app)
    for _ in range(5):
        client.post(PATH, headers=JSON, data=EVENT)
    assert walk(client)[1] == [2, 2, 1]
    tiny = create_app(contract, page_bytes=1)  # a page always holds one record
    Client(tiny).post(PATH, headers=JSON, data=EVENT)
    assert walk(Client(tiny))[1] == [1]


def test_memory_journal_is_bounded_in_bytes_too(contract: Contract) -> None:
    app = create_app(contract, journal_bytes=3 * len(EVENT))
    client = Client(app)
    for _ in range(5):
        client.post(PATH, headers=JSON, data=EVENT)
    assert [r.id for r in app.records()] == [3, 4, 5]
    assert client.get("/_lineage/events").headers["X-Lineage-Dropped"] == "2"


@pytest.mark.parametrize(
    "query",
    [
        "since=" + "9" * 30,
        f"since={1 << 63}",
        "since=-1",
        "since=+1",
        "since=1.5",
        "since=%D9%A3",  # an Arabic-Indic digit, which int() takes
        "since=1&since=2",
        "cursor=x",
        "cursor=" + "9" * 5000,
        "limit=0",
        "limit=ten",
        "valid=maybe",
        "vaild=true",
    ],
)
def test_events_query_values_not_understood_are_400(
    contract: Contract, journal_path: Path | None, query: str
) -> None:
    journaled = create_app(contract, journal=journal_path)
    client = Client(journaled)
    client.post(PATH, headers=JSON, data=EVENT)
    response = client.get(f"/_lineage/events?{query}")
    assert response.status_code == 400, response.get_data()
    assert response.mimetype == PROBLEM_JSON
    name = query.split("=")[0]
    assert name in orjson.loads(response.get_data())["detail"]
    journaled.close()


def test_admin_bodies_are_capped(contract: Contract) -> None:
    app = create_app(contract, max_admin_body_size=100)
    client = Client(app)
    fault = orjson.dumps([{"status": 503}] * 10)  # 160 bytes
    sized = client.post("/_lineage/faults", data=fault, content_type="application/json")
    chunked = client.post(
        "/_lineage/faults",
        input_stream=io.BytesIO(fault),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )
    for response in (sized, chunked):
        assert response.status_code == 413 and response.mimetype == PROBLEM_JSON
        assert "100 bytes" in orjson.loads(response.get_data())["detail"]
    assert app.faults.pending == 0
    small = client.post("/_lineage/faults", json={"status": 503})
    assert small.status_code == 201 and app.faults.pending == 1


def test_default_admin_body_cap(app: MockApp, client: Client) -> None:
    big = b"[" + b'{"status": 503},' * 70_000 + b'{"status": 503}]'  # over 1 MiB
    response = client.post("/_lineage/faults", data=big, content_type="application/json")
    assert response.status_code == 413
    assert app.faults.pending == 0


class _FullDisk(SqliteJournal):
    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        conn.execute("PRAGMA max_page_count=12")  # as a full disk
        return conn


def test_a_failing_journal_is_a_500_problem_with_the_first_error(
    contract: Contract, tmp_path: Path
) -> None:
    app = create_app(contract, journal=_FullDisk(tmp_path / "journal.db"))
    client = Client(app)
    for _ in range(20):
        client.post(PATH, headers=JSON, data=orjson.dumps({**PARSED, "pad": "x" * 30_000}))
    for path in ("/_lineage/events", "/_lineage/healthz"):
        response = client.get(path)
        assert response.status_code == 500 and response.mimetype == PROBLEM_JSON, path
        assert "database or disk is full" in orjson.loads(response.get_data())["detail"]
    app.close()


def test_healthz_and_admin_routing(app: MockApp, client: Client) -> None:
    client.post(PATH, headers=JSON, data=EVENT)
    health = client.get("/_lineage/healthz")
    assert health.status_code == 200
    assert orjson.loads(health.get_data()) == {
        "status": "ok",
        "records": 1,
        "dropped": 0,
        "faults": 0,
        "operation": f"POST {PATH}",
        "operations": [f"POST {PATH}"],
    }
    assert client.get("/_lineage/nope").status_code == 404
    wrong = client.put("/_lineage/events")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "DELETE, GET, HEAD"
    assert len(app.records()) == 1  # the mock's own endpoints are not recorded


@pytest.mark.parametrize(
    ("method", "path", "content_type", "status"),
    [
        ("DELETE", "/_lineage/events", None, 415),
        ("DELETE", "/_lineage/events", "text/plain", 415),
        ("DELETE", "/_lineage/events", "application/json", 204),
        ("DELETE", "/_lineage/events", "application/json; charset=utf-8", 204),
        ("DELETE", "/_lineage/faults", None, 415),
        ("DELETE", "/_lineage/faults", "application/json", 204),
        ("POST", "/_lineage/faults", None, 415),
        ("POST", "/_lineage/faults", "text/plain", 415),
        ("POST", "/_lineage/faults", "application/x-www-form-urlencoded", 415),
        ("POST", "/_lineage/faults", "multipart/form-data; boundary=x", 415),
        ("POST", "/_lineage/faults", "application/json", 201),
    ],
)
def test_admin_calls_that_change_state_need_a_json_content_type(
    app: MockApp, client: Client, method: str, path: str, content_type: str | None, status: int
) -> None:
    # What a page on another origin can send without a preflight changes nothing.
    client.post(PATH, headers=JSON, data=EVENT)
    app.faults.fail_next(503, times=5)
    body = b'{"status": 502}' if method == "POST" else b""
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = client.open(path, method=method, headers=headers, data=body)
    assert response.status_code == status
    if status == 415:
        assert response.mimetype == PROBLEM_JSON
        assert "application/json" in orjson.loads(response.get_data())["detail"]
        assert (len(app.records()), app.faults.pending) == (1, 5)
    app.faults.clear()


def test_dropped_count_is_reported(contract: Contract) -> None:
    app = create_app(contract, journal_limit=2)
    client = Client(app)
    for _ in range(5):
        client.post(PATH, headers=JSON, data=EVENT)
    assert isinstance(app.journal, MemoryJournal)
    assert len(app.records()) == 2 and app.journal.dropped == 3
    assert client.get("/_lineage/events").headers["X-Lineage-Dropped"] == "3"
    assert orjson.loads(client.get("/_lineage/healthz").get_data())["dropped"] == 3


def test_sqlite_journal_commits_before_answering(contract: Contract, tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    app = create_app(contract, journal=path)
    assert isinstance(app.journal, SqliteJournal) and isinstance(app.faults, SharedFaults)
    assert Client(app).post(PATH, headers=JSON, data=EVENT).status_code == 200
    with SqliteJournal(path) as another:  # as another process would open it
        assert [r.body for r in another.records()] == [EVENT]
    app.close()


def test_unrecorded_request_is_not_acknowledged(
    contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(contract)

    def broken(record: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(app.journal, "append", broken)
    response = Client(app).post(PATH, headers=JSON, data=EVENT)
    assert response.status_code == 500
    assert orjson.loads(response.get_data()) == {"status": 500}


@pytest.mark.parametrize(
    ("method", "body", "headers"),
    [
        ("accepted_event", EVENT, JSON),  # the shortcut for a plain valid request
        ("_judge", INVALID, JSON),  # a plain request whose body the shortcut refused
        ("_judge", GZIPPED, {**JSON, "Content-Encoding": "gzip"}),  # the full judgement
        ("is_plain_request", EVENT, JSON),
    ],
)
def test_a_failing_mock_answers_500_and_records_it(
    contract: Contract,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    body: bytes,
    headers: dict[str, str],
) -> None:
    app = create_app(contract)

    def broken(*args: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(app.validator, method, broken)
    response = Client(app).post(PATH, headers=headers, data=body)
    assert response.status_code == 500
    assert orjson.loads(response.get_data()) == {"status": 500}
    (record,) = app.records()
    assert (record.status, record.valid, record.violations[0].kind) == (500, False, Kind.INTERNAL)


def test_success_follows_the_contract() -> None:
    document = copy.deepcopy(dict(Contract.load().document))
    document["paths"][PATH]["post"]["responses"] = {
        "202": {
            "description": "queued",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["queued"],
                        "properties": {"queued": {"type": "boolean", "example": True}},
                    }
                }
            },
        }
    }
    app = create_app(Contract.from_document(document))
    response = Client(app).post(PATH, headers=JSON, data=EVENT)
    assert response.status_code == 202 and response.status == "202 Accepted"
    assert orjson.loads(response.get_data()) == {"queued": True}
    assert app.events() == [PARSED]


def test_on_record_sees_every_record(contract: Contract) -> None:
    seen: list[int | None] = []
    app = create_app(contract, on_record=lambda r: seen.append(r.status))
    client = Client(app)
    client.post(PATH, headers=JSON, data=EVENT)
    client.get(PATH)
    assert seen == [200, 405]


# -- faults ------------------------------------------------------------------------------


def test_fail_next_then_normal(app: MockApp, client: Client) -> None:
    app.faults.fail_next(503, times=2)
    statuses = [client.post(PATH, headers=JSON, data=EVENT).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert [(r.status, r.valid) for r in app.records()] == [(503, True), (503, True), (200, True)]
    assert app.events() == [PARSED]


def test_faults_apply_to_the_lineage_path_only(app: MockApp, client: Client) -> None:
    app.faults.fail_next(500)
    assert client.post("/elsewhere", headers=JSON, data=EVENT).status_code == 404
    assert client.get("/_lineage/healthz").status_code == 200
    assert client.post(PATH, headers=JSON, data=EVENT).status_code == 500


def test_a_fault_answers_even_an_invalid_request(app: MockApp, client: Client) -> None:
    app.faults.fail_next(502)
    response = client.post(PATH, headers={"Content-Type": "application/json"}, data=b"{")
    assert response.status_code == 502
    assert response.mimetype == PROBLEM_JSON
    (record,) = app.records()
    assert (record.status, record.valid) == (502, False)


def test_faults_over_http(app: MockApp, client: Client) -> None:
    posted = client.post("/_lineage/faults", json={"status": 503, "times": 2})
    assert posted.status_code == 201
    assert orjson.loads(posted.get_data()) == [{"status": 503, "times": 2}]
    client.post("/_lineage/faults", json=[{"delay": 0.01}, {"drop": True}])
    assert orjson.loads(client.get("/_lineage/faults").get_data()) == [
        {"status": 503, "times": 2},
        {"delay": 0.01, "times": 1},
        {"drop": True, "times": 1},
    ]
    assert client.post(PATH, headers=JSON, data=EVENT).status_code == 503
    assert app.faults.pending == 3
    assert client.delete("/_lineage/faults", content_type="application/json").status_code == 204
    assert app.faults.pending == 0
    assert client.post(PATH, headers=JSON, data=EVENT).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"status": 200}',
        b'{"times": 2}',
        b'{"drop": "yes"}',
        b'{"status": 503, "x": 1}',
        b"[1]",
    ],
)
def test_nonsense_faults_are_refused(app: MockApp, client: Client, body: bytes) -> None:
    response = client.post("/_lineage/faults", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == PROBLEM_JSON
    assert orjson.loads(response.get_data())["detail"]
    assert app.faults.pending == 0


def test_a_drop_the_server_cannot_make_is_recorded_as_its_500(app: MockApp) -> None:
    # No client socket in the environ (granian, waitress, the test client): the
    # request is aborted and the server answers 500, which is what the record says.
    app.faults.drop_next()
    with pytest.raises(ConnectionResetError):
        Client(app).post(PATH, headers=JSON, data=EVENT)
    (record,) = app.records()
    assert (record.status, record.valid) == (500, True)


def test_clear_forgets_records_and_faults(app: MockApp, client: Client) -> None:
    client.post(PATH, headers=JSON, data=EVENT)
    app.faults.fail_next(503)
    app.clear()
    assert app.records() == [] and app.faults.pending == 0


# -- a real server over loopback -----------------------------------------------------------


@pytest.fixture(scope="module")
def running(contract: Contract) -> Iterator[MockServer]:
    with MockServer(create_app(contract)) as server:
        yield server


@pytest.fixture
def server(running: MockServer) -> MockServer:
    running.clear()
    return running


def post(server: MockServer, body: bytes = EVENT, headers: dict[str, str] = JSON) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("POST", PATH, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_server_urls(server: MockServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.endpoint == server.url + PATH
    with urllib.request.urlopen(server.url + "/_lineage/healthz", timeout=10) as response:
        assert orjson.loads(response.read())["status"] == "ok"
    request = urllib.request.Request(server.endpoint, data=EVENT, headers=JSON, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert orjson.loads(response.read()) == {"status": 200}
    assert server.events() == [PARSED]


def test_drop_closes_the_connection_without_an_answer(server: MockServer) -> None:
    server.faults.drop_next()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(EVENT)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + EVENT)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received == b""  # no status line, no 500: the connection just ended
    (record,) = server.records()
    assert (record.status, record.valid, record.body) == (None, True, EVENT)
    assert post(server) == 200


def test_drop_is_seen_by_http_clients(server: MockServer) -> None:
    server.faults.drop_next()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        post(server)
    assert post(server) == 200
    assert [r.status for r in server.records()] == [None, 200]


def test_a_delay_does_not_block_other_requests(contract: Contract) -> None:
    server = MockServer(create_app(contract)).start()
    try:
        server.faults.delay_next(30)
        statuses: list[int] = []
        slow = threading.Thread(target=lambda: statuses.append(post(server)))
        slow.start()
        while server.app.faults.pending:  # the slow request has taken its delay
            threading.Event().wait(0.005)
        assert post(server) == 200  # answered while the other one sleeps
        assert statuses == [] and len(server.records()) == 1
    finally:
        server.stop()  # wakes the sleeper
    slow.join(10)
    assert statuses == [200]
    assert len(server.records()) == 2


def test_concurrent_clients_are_all_recorded(server: MockServer) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        mine = [post(server) for _ in range(20)]
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 320
    records = server.records()
    assert len(records) == 320 and len({r.id for r in records}) == 320
    assert all(r.body == EVENT for r in records)


def test_wait_for_an_asynchronous_client(server: MockServer) -> None:
    sender = threading.Thread(target=lambda: [post(server) for _ in range(3)])
    sender.start()
    got = server.wait_for(3, timeout=20)
    sender.join()
    assert [r.status for r in got] == [200, 200, 200]
    with pytest.raises(TimeoutError) as info:
        server.wait_for(4, timeout=0.05)
    assert isinstance(info.value, JournalTimeout) and len(info.value.records) == 3


@pytest.mark.parametrize(
    ("body", "status"), [(EVENT, 200), (b"[" + b" " * 5000 + b"]", 413)], ids=["valid", "too-large"]
)
def test_chunked_bodies(contract: Contract, body: bytes, status: int) -> None:
    with MockServer(create_app(contract, max_body_size=4096)) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        chunks = iter([body[:1000], body[1000:]])
        conn.request("POST", PATH, body=chunks, headers=JSON, encode_chunked=True)
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == status
        if status == 200:
            assert server.records()[0].body == body


def test_workers_sharing_a_journal_share_faults(contract: Contract, tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    with (
        MockServer(create_app(contract, journal=path)) as one,
        MockServer(create_app(contract, journal=path)) as two,
    ):
        one.faults.fail_next(503, times=2)
        assert [post(two), post(one), post(two)] == [503, 503, 200]
        assert [r.status for r in one.records()] == [503, 503, 200]
        assert two.events() == [PARSED]
    one.app.close()
    two.app.close()


def test_server_options_and_restart(contract: Contract) -> None:
    with pytest.raises(TypeError):
        MockServer(create_app(contract), tokens=["x"])
    server = MockServer(contract=contract, tokens=["x"])
    with pytest.raises(RuntimeError):
        _ = server.port
    with server:
        assert post(server, headers={**JSON, "Authorization": "Bearer x"}) == 200
        assert post(server) == 401
    assert not server.running
    with server:  # again, on a new port, same journal
        assert post(server, headers={**JSON, "Authorization": "Bearer x"}) == 200
    assert [r.status for r in server.records()] == [200, 401, 200]


def test_ipv6_loopback(contract: Contract) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = MockServer(create_app(contract), host="::1").start()
    except OSError as exc:
        pytest.skip(f"cannot bind ::1: {exc}")
    try:
        assert server.url == f"http://[::1]:{server.port}"
        with urllib.request.urlopen(server.url + "/_lineage/healthz", timeout=10) as response:
            assert response.status == 200
    finally:
        server.stop()


def test_events_filter_on_warnings(journal_path: Path | None, contract: Contract) -> None:
    from lineage_contract.validation import Level, Violation

    app = create_app(contract, journal=journal_path)
    client = Client(app)
    client.post(PATH, headers=JSON, data=EVENT)
    # A valid request with a warning, as the OpenLineage conformance checks record one.
    finding = Violation(Kind.SPEC, "format", "not a uri", pointer="/x", level=Level.WARNING)
    app.journal.append(
        Record(method="POST", path=PATH, status=200, valid=True, violations=[finding])
    )
    for query, ids in [("warnings=true", [2]), ("warnings=false", [1]), ("", [1, 2])]:
        assert [r["id"] for r in walk(client, query)[0]] == ids, query
    (warned,) = walk(client, "warnings=true")[0]
    assert warned["valid"] is True and warned["violations"][0]["level"] == "warning"
    assert client.get("/_lineage/events?warnings=maybe").status_code == 400
    app.close()


# -- limits: delays, timeouts, connections ------------------------------------


@pytest.mark.parametrize("journal", ["memory", "sqlite"])
def test_clearing_the_faults_wakes_the_delayed_requests(
    contract: Contract, tmp_path: Path, journal: str
) -> None:
    # With SQLite the faults are shared between processes; the clear is seen through the file.
    store = str(tmp_path / "j.sqlite") if journal == "sqlite" else None
    server = MockServer(create_app(contract, journal=store)).start()
    try:
        server.app.faults.add(Fault(status=503, delay=30), times=2)
        statuses: list[int] = []
        sleepers = [threading.Thread(target=lambda: statuses.append(post(server))) for _ in "ab"]
        for sleeper in sleepers:
            sleeper.start()
        while server.app.faults.pending:  # both have taken their delay
            threading.Event().wait(0.005)
        started = time.monotonic()
        server.clear()
        for sleeper in sleepers:
            sleeper.join(5)
        woken_after = time.monotonic() - started
    finally:
        server.close()
    assert woken_after < 2
    assert statuses == [200, 200]  # answered normally, not with the fault's 503


def test_a_delay_over_the_cap_is_refused_and_nothing_is_queued(contract: Contract) -> None:
    app = create_app(contract, max_delay=5)
    client = Client(app)
    response = client.post("/_lineage/faults", json=[{"status": 503}, {"delay": 6}])
    assert response.status_code == 400
    assert response.mimetype == PROBLEM_JSON
    assert "cap of 5 s" in response.get_json()["detail"]
    assert app.faults.to_list() == []
    with pytest.raises(FaultError, match="cap of 5 s"):
        app.faults.delay_next(5.5)
    app.faults.delay_next(5)
    assert app.faults.to_list() == [{"delay": 5, "times": 1}]
    assert create_app(contract).faults.max_delay == 60  # the default cap


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` (what it answered first is read)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


def test_silent_and_slow_clients_are_cut_off(contract: Contract) -> None:
    with MockServer(create_app(contract), header_timeout=0.5, read_timeout=0.5) as server:
        address = ("127.0.0.1", server.port)
        silent = socket.create_connection(address)
        partial = socket.create_connection(address)
        partial.sendall(b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\n")
        slow_body = socket.create_connection(address)
        slow_body.sendall(
            b"POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer t\r\nContent-Length: 100\r\n\r\n{"
        )
        loris = socket.create_connection(address)
        sending = threading.Event()

        def trickle() -> None:  # a header byte every 0.1 s: each read is quick, the whole not
            for byte in b"GET /_lineage/healthz HTTP/1.1\r\n" + b"X-Slow: yes\r\n" * 20:
                if sending.wait(0.1):
                    return
                try:
                    loris.send(bytes([byte]))
                except OSError:
                    return

        trickler = threading.Thread(target=trickle)
        trickler.start()
        try:
            for sock in (silent, partial, slow_body, loris):
                assert _closed_within(sock, 3)
        finally:
            sending.set()
            trickler.join(5)
            for sock in (silent, partial, slow_body, loris):
                sock.close()
        assert post(server) == 200  # and it still answers


def test_the_threaded_server_answers_503_over_its_connection_cap(contract: Contract) -> None:
    with MockServer(create_app(contract), max_connections=2) as server:
        address = ("127.0.0.1", server.port)
        held = [socket.create_connection(address) for _ in range(2)]
        threading.Event().wait(0.2)  # both accepted
        try:
            with socket.create_connection(address, timeout=5) as third:
                answer = third.recv(4096)
            assert answer.startswith(b"HTTP/1.1 503 ")
            assert b"Retry-After: 1" in answer
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + 5  # the slots come back once those two are gone
        while (status := _status_or_none(server)) != 200 and time.monotonic() < deadline:
            threading.Event().wait(0.05)
        assert status == 200


def _status_or_none(server: MockServer) -> int | None:
    try:
        return post(server)
    except (ConnectionError, http.client.HTTPException):
        return None


def test_runs_and_graph_over_http(app: MockApp, client: Client) -> None:
    inputs = [{"namespace": "postgres://db:5432", "name": "public.orders"}]
    for kind in ("START", "COMPLETE"):
        event = {**PARSED, "eventType": kind, "inputs": inputs, "outputs": []}
        assert client.post(PATH, headers=JSON, data=orjson.dumps(event)).status_code == 200
    client.post(PATH, headers=JSON, data=INVALID)  # refused: not part of the lineage
    (run,) = orjson.loads(client.get("/_lineage/runs").get_data())
    assert (run["id"], run["job"], run["state"]) == (RUN_ID, JOB, "complete")
    assert [e["type"] for e in run["events"]] == ["START", "COMPLETE"]
    for query, count in [("state=complete", 1), ("state=open", 0), (f"job={JOB}", 1)]:
        assert len(orjson.loads(client.get(f"/_lineage/runs?{query}").get_data())) == count
    graph = orjson.loads(client.get("/_lineage/graph").get_data())
    kinds = sorted(node["kind"] for node in graph["nodes"])
    assert kinds == ["dataset", "job"] and len(graph["edges"]) == 1
    assert client.get("/_lineage/runs?colour=red").status_code == 400


# -- the journal: arrival order, headers, times ----------------------------------------


def _follow_cursor(server: MockServer, cursor: int, seen: list[int]) -> int:
    """A client paging ``GET /_lineage/events`` a record at a time; its new cursor."""
    while True:
        url = f"{server.url}/_lineage/events?limit=1&cursor={cursor}"
        with urllib.request.urlopen(url, timeout=10) as response:
            page = orjson.loads(response.read())
            following = response.headers.get("X-Lineage-Next-Cursor")
        seen.extend(r["id"] for r in page)
        if page:
            cursor = page[-1]["id"]
        if following is None:
            return cursor


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_delayed_request_is_listed_where_it_arrived_and_paged_once(
    contract: Contract, tmp_path: Path, store: str
) -> None:
    journal = tmp_path / "journal.db" if store == "sqlite" else None
    server = MockServer(create_app(contract, journal=journal)).start()
    try:
        assert post(server, orjson.dumps({**PARSED, "run": {"runId": "first"}})) == 422
        server.faults.delay_next(1.0)
        delayed = orjson.dumps({**PARSED, "run": {"runId": "delayed"}})
        slow = threading.Thread(target=post, args=(server, delayed))
        slow.start()
        while server.app.faults.pending:  # the slow request has taken its delay
            time.sleep(0.005)
        assert post(server, orjson.dumps({**PARSED, "run": {"runId": "fast"}})) == 422
        seen: list[int] = []
        cursor = _follow_cursor(server, 0, seen)  # during the delay
        assert [r.run_id for r in server.records()] == ["first", "fast"]
        slow.join(10)
        _follow_cursor(server, cursor, seen)
        records = server.records()
        assert [r.run_id for r in records] == ["first", "delayed", "fast"]
        assert seen == [r.id for r in records]  # each once, in arrival order
        delayed_record = records[1]
        assert delayed_record.answered is not None
        assert delayed_record.answered - delayed_record.time >= 1.0
        assert records[2].time < delayed_record.answered
    finally:
        server.stop()


def test_the_journal_shows_gzip_was_sent_and_never_the_token(
    contract: Contract, tmp_path: Path
) -> None:
    token = "tok-" + "5ecret" * 4
    path = tmp_path / "journal.db"
    server = MockServer(create_app(contract, journal=path, tokens=[token])).start()
    try:
        sent = urllib.request.Request(
            server.endpoint,
            data=gzip.compress(EVENT),
            headers={
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
                "Authorization": f"Bearer {token}",
                "Cookie": f"session={token}",
            },
        )
        with urllib.request.urlopen(sent, timeout=10) as response:
            assert response.status == 200
        with urllib.request.urlopen(server.url + "/_lineage/events", timeout=10) as response:
            listed = response.read()
    finally:
        server.stop()
    (record,) = orjson.loads(listed)
    headers = dict(record["headers"])
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Authorization"] == "Bearer [redacted]"
    assert headers["Cookie"] == "[redacted]"
    assert record["answered"] >= record["time"]
    assert token.encode() not in listed
    files = [p for p in tmp_path.iterdir() if p.name.startswith("journal.db")]
    assert files and not any(token.encode() in p.read_bytes() for p in files)
