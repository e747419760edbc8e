"""The real openlineage-python client against the mock: auth, gzip, retries, byte for byte."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
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
