"""How to test that a client survives a flaky lineage endpoint.

``fail_next(status, times)`` answers the next requests with an error,
``delay_next(seconds, times)`` answers them late and ``drop_next(times)`` closes
the connection without an answer. Every request is still judged and recorded:
``records`` shows each attempt, ``events`` only what was accepted.
"""

from __future__ import annotations

from datetime import UTC, datetime

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.uuid import generate_new_uuid


def emit_start() -> str:
    client = OpenLineageClient()  # its HTTP transport retries 500/502/503/504
    run = Run(runId=str(generate_new_uuid()))
    client.emit(
        RunEvent(
            eventType=RunState.START,
            eventTime=datetime.now(UTC).isoformat(),
            run=run,
            job=Job(namespace="warehouse", name="daily_orders"),
            producer="https://example.com/pipelines/orders",
        )
    )
    return run.runId


def test_the_client_retries_until_accepted(openlineage_env):
    openlineage_env.faults.fail_next(503, times=2)

    run_id = emit_start()

    # Three attempts reached the mock: two answered 503, the third accepted.
    assert [r.status for r in openlineage_env.records] == [503, 503, 200]
    # The event itself was accepted once.
    openlineage_env.assert_received({"run": {"runId": run_id}}, count=1)


def test_a_slow_endpoint(lineage_server):
    lineage_server.faults.delay_next(0.2)
    event = {
        "eventType": "START",
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(generate_new_uuid())},
        "job": {"namespace": "warehouse", "name": "daily_orders"},
    }
    status, _ = lineage_server.post(event)
    assert status == 200
    # For clients that send from a background thread, wait for the requests.
    assert len(lineage_server.wait_for(1, timeout=5)) == 1
