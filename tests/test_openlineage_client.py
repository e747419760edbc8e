"""The real openlineage-python client against the mock: auth, gzip, retries, byte for byte."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.serde import Serde
from openlineage.client.transport.http import HttpConfig, HttpTransport

from lineage_contract.mock import MockServer

TOKEN = "client-secret"


class CapturingTransport(HttpTransport):
    """HttpTransport that keeps every body it serialized, before compression."""

    def __init__(self, config: HttpConfig) -> None:
        super().__init__(config)
        self.sent: list[bytes] = []
        self.wire: list[tuple[bytes | str, dict[str, str]]] = []

    def _prepare_request(self, event_str: str) -> tuple[bytes | str, dict[str, str]]:
        self.sent.append(event_str.encode("utf-8"))
        prepared = super()._prepare_request(event_str)
        self.wire.append(prepared)
        return prepared


@pytest.fixture(scope="module")
def running() -> Iterator[MockServer]:
    with MockServer(tokens=(TOKEN,)) as server:
        yield server


@pytest.fixture
def server(running: MockServer) -> Iterator[MockServer]:
    running.clear()
    yield running
    running.faults.clear()
    running.clear()


def make_client(server: MockServer, **options: Any) -> tuple[OpenLineageClient, CapturingTransport]:
    config = HttpConfig.from_dict(
        {
            "url": server.url,
            "auth": {"type": "api_key", "apiKey": options.pop("api_key", TOKEN)},
            # Retries as the client's defaults, minus the waiting.
            "retry": {"backoff_factor": 0.01},
            **options,
        }
    )
    transport = CapturingTransport(config)
    return OpenLineageClient(transport=transport), transport


def run_event(state: RunState, run_id: str) -> RunEvent:
    return RunEvent(
        eventType=state,
        eventTime=datetime.now(UTC).isoformat(),
        run=Run(runId=run_id),
        job=Job(namespace="tests", name="openlineage-client"),
        producer="https://example.com/lineage-contract/tests",
    )


@pytest.mark.parametrize("compression", [None, "gzip"], ids=["plain", "gzip"])
def test_start_and_complete_arrive_byte_for_byte(
    server: MockServer, compression: str | None
) -> None:
    options = {"compression": compression} if compression else {}
    client, transport = make_client(server, **options)
    run_id = str(uuid.uuid4())
    client.emit(run_event(RunState.START, run_id))
    client.emit(run_event(RunState.COMPLETE, run_id))

    records = server.wait_for(2, timeout=10)
    assert [r.status for r in records] == [200, 200]
    assert all(r.valid for r in records), [r.violations for r in records]
    assert [r.body for r in records] == transport.sent
    assert [r.event["eventType"] for r in records] == ["START", "COMPLETE"]
    assert {r.run_id for r in records} == {run_id}
    assert len(server.records(run_id=run_id, valid=True)) == 2
    # What went over the wire: the bearer token, and gzip when asked for.
    for data, headers in transport.wire:
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert headers.get("Content-Encoding") == compression
        assert isinstance(data, bytes) == (compression == "gzip")


def test_the_client_sends_its_api_key_as_a_bearer_token(server: MockServer) -> None:
    client, _ = make_client(server, api_key="not-the-token")
    with pytest.raises(Exception) as raised:
        client.emit(run_event(RunState.START, str(uuid.uuid4())))
    assert "401" in str(raised.value)
    (record,) = server.wait_for(1, timeout=10)
    assert record.status == 401
    assert not record.valid


def test_retries_get_the_event_through_two_503s(server: MockServer) -> None:
    client, transport = make_client(server)
    run_id = str(uuid.uuid4())
    server.faults.fail_next(503, times=2)
    client.emit(run_event(RunState.START, run_id))

    attempts = server.wait_for(3, timeout=10)
    assert [r.status for r in attempts] == [503, 503, 200]
    # Every attempt carried the same valid event: the verdict is the contract's, not the answer's.
    assert all(r.valid for r in attempts)
    assert {r.body for r in attempts} == {transport.sent[0]}
    assert len(transport.sent) == 1
    assert server.records(run_id=run_id, valid=True) == attempts


def test_retries_give_up_when_the_fault_outlasts_them(server: MockServer) -> None:
    client, _ = make_client(server, retry={"total": 2, "backoff_factor": 0.01})
    server.faults.fail_next(500, times=5)
    with pytest.raises(Exception, match=r"(?i)retr|500"):
        client.emit(run_event(RunState.START, str(uuid.uuid4())))
    # One try and two retries, then the client gave up; two faults remain.
    assert [r.status for r in server.records()] == [500, 500, 500]
    assert server.faults.pending == 2


# -- against the mock of OpenLineage's own document: POST /lineage and POST /lineage/batch ----

OPENLINEAGE = Path(__file__).resolve().parents[2] / "shared/corpus/openlineage-spec/OpenLineage.yml"


@pytest.fixture(scope="module")
def spec_server() -> Iterator[MockServer]:
    from lineage_contract import Contract

    with MockServer(contract=Contract.load(OPENLINEAGE)) as server:
        yield server


def _post_batch(server: MockServer, body: str) -> Any:
    request = urllib.request.Request(
        server.url + "/lineage/batch",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    return urllib.request.urlopen(request, timeout=10)


def _run_event(state: RunState, run_id: str) -> RunEvent:
    return RunEvent(
        eventType=state,
        eventTime=datetime.now(UTC).isoformat(),
        run=Run(runId=run_id),
        job=Job(namespace="client-tests", name="spec-job"),
        producer="https://github.com/OpenLineage/OpenLineage/tree/1.0.0/client/python",
    )


def test_the_client_sends_single_events_to_the_openlineage_document(
    spec_server: MockServer,
) -> None:
    spec_server.clear()
    config = HttpConfig.from_dict(
        {"url": spec_server.url, "endpoint": "lineage", "retry": {"backoff_factor": 0.01}}
    )
    client = OpenLineageClient(transport=HttpTransport(config))
    run_id = str(uuid.uuid4())
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(_run_event(state, run_id))
    records = spec_server.records()
    assert [(r.path, r.status, r.valid) for r in records] == [("/lineage", 200, True)] * 2
    assert [run["state"] for run in spec_server.app.lineage().runs.to_list()] == ["complete"]


def test_a_batch_with_one_bad_element_is_a_partial_success(spec_server: MockServer) -> None:
    spec_server.clear()
    run_id = str(uuid.uuid4())
    events = [
        json.loads(Serde.to_json(_run_event(state, run_id)))
        for state in (RunState.START, RunState.RUNNING, RunState.COMPLETE)
    ]
    events[1]["eventTime"] = "yesterday"
    with _post_batch(spec_server, json.dumps(events)) as response:
        status, answer = response.status, json.loads(response.read())
    assert status == 200
    assert answer["status"] == "partial_success"
    assert answer["summary"] == {
        "received": 3,
        "successful": 2,
        "failed": 1,
        "retriable": 0,
        "non_retriable": 1,
    }
    [failed] = answer["failed_events"]
    assert (failed["index"], failed["retriable"]) == (1, False)
    assert "/eventTime" in failed["reason"] and "date-time" in failed["reason"]
    schema = spec_server.contract.batch_operation.responses["200"].schema  # type: ignore[union-attr]
    jsonschema.validate(answer, schema)
    records = spec_server.records()
    assert [(r.index, r.valid, r.status) for r in records] == [
        (0, True, 200),
        (1, False, 200),
        (2, True, 200),
    ]
    assert len({r.batch for r in records}) == 1 and records[0].batch is not None
    assert [r.event for r in records] == events
    assert [v.pointer for v in records[1].violations] == ["/eventTime"]


def test_a_valid_batch_is_answered_204_and_a_fault_takes_the_whole_request(
    spec_server: MockServer,
) -> None:
    spec_server.clear()
    run_id = str(uuid.uuid4())
    body = "[" + ",".join(Serde.to_json(_run_event(RunState.START, run_id)) for _ in "ab") + "]"
    with _post_batch(spec_server, body) as response:
        assert (response.status, response.read()) == (204, b"")
    spec_server.faults.fail_next(503)
    with pytest.raises(urllib.error.HTTPError) as info:
        _post_batch(spec_server, body)
    assert info.value.code == 503
    assert [r.status for r in spec_server.records()] == [204, 204, 503, 503]
