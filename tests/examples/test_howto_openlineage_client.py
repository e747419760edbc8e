"""How to test a pipeline that reports lineage with the openlineage-python client.

The pipeline below builds its client from the environment, as production code
does. The ``openlineage_env`` fixture points that environment at a local mock of
the lineage endpoint, so the code under test runs unchanged, and hands you the
mock to inspect what it received.

If the pipeline sent an event that broke the contract, the test would fail at
teardown with every violation listed, even with no assertion of yours.
"""

from __future__ import annotations

from datetime import UTC, datetime

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Dataset, Job, Run, RunEvent, RunState
from openlineage.client.uuid import generate_new_uuid

from lineage_contract.testing import ANY_DATETIME, ANY_UUID

PRODUCER = "https://example.com/pipelines/orders"


def run_daily_orders() -> str:
    """The code under test: a job that reports START, then COMPLETE, and returns its run id."""
    client = OpenLineageClient()  # configured from OPENLINEAGE_URL & co.
    run = Run(runId=str(generate_new_uuid()))
    job = Job(namespace="warehouse", name="daily_orders")
    orders = Dataset(namespace="postgres://db:5432", name="public.orders")
    summary = Dataset(namespace="postgres://db:5432", name="public.daily_orders")
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=datetime.now(UTC).isoformat(),
                run=run,
                job=job,
                producer=PRODUCER,
                inputs=[orders],
                outputs=[summary],
            )
        )
    return run.runId


def test_the_pipeline_reports_a_complete_run(openlineage_env):
    run_id = run_daily_orders()

    # One START, then exactly one COMPLETE/FAIL/ABORT, time never going back.
    openlineage_env.assert_run_lifecycle(run_id)

    # Partial matching: only the keys written here are compared.
    openlineage_env.assert_received(
        {
            "eventType": "COMPLETE",
            "eventTime": ANY_DATETIME,
            "run": {"runId": ANY_UUID},
            "job": {"namespace": "warehouse", "name": "daily_orders"},
            "outputs": [{"name": "public.daily_orders"}],
        }
    )


def test_every_event_can_be_inspected(openlineage_env):
    run_daily_orders()
    # .events holds what the mock accepted, parsed, in the order received.
    assert [e["eventType"] for e in openlineage_env.events] == ["START", "COMPLETE"]
    assert {e["producer"] for e in openlineage_env.events} == {PRODUCER}
