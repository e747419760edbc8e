"""How to assert on what the mock received, and on what it refused.

``lineage_server.assert_received(expected)`` passes when a received event
matches ``expected`` partially: keys you leave out are ignored, and values may be
placeholders (``ANY``, ``ANY_UUID``, ``ANY_DATETIME``, ``ABSENT``), compiled
regular expressions (matching the whole string) or ``unordered([...])`` lists.
On failure it prints the closest event and every difference, key by key.
"""

from __future__ import annotations

import re
import uuid

import pytest

from lineage_contract.testing import ABSENT, ANY, ANY_UUID, unordered


def make_event(event_type: str, run_id: str, **extra):
    return {
        "eventType": event_type,
        "eventTime": "2024-05-01T12:00:00.000Z",
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id},
        "job": {"namespace": "warehouse", "name": "daily_orders"},
        **extra,
    }


def test_partial_matching(lineage_server):
    run_id = str(uuid.uuid4())
    inputs = [{"namespace": "pg", "name": "orders"}, {"namespace": "pg", "name": "customers"}]
    # lineage_server.post sends JSON with the token the mock expects.
    lineage_server.post(make_event("START", run_id, inputs=inputs))

    lineage_server.assert_received(
        {
            "run": {"runId": ANY_UUID, "facets": ABSENT},  # facets must not be sent
            "job": {"name": re.compile(r"daily_\w+")},
            # Same datasets, any order; each expected one needs its own received one.
            "inputs": unordered([{"name": "customers"}, {"name": "orders"}]),
        },
        count=1,  # exactly one such event (default: at least one)
    )


def test_the_matches_are_returned(lineage_server):
    run_id = str(uuid.uuid4())
    for event_type in ("START", "RUNNING", "COMPLETE"):
        lineage_server.post(make_event(event_type, run_id))
    matched = lineage_server.assert_received({"run": {"runId": run_id}}, count=3)
    assert [e["eventType"] for e in matched] == ["START", "RUNNING", "COMPLETE"]
    lineage_server.assert_received({"eventType": "FAIL"}, count=0)  # and none failed


def test_asserting_on_a_refused_event(lineage_server):
    broken = make_event("START", "not-a-uuid")
    status, problem = lineage_server.post(broken)
    assert status == 422
    assert problem["errors"][0]["pointer"] == "/run/runId"

    # Reading the refused requests tells strict mode the test expected them:
    # without this line, the test would fail at teardown listing the violation.
    (record,) = lineage_server.invalid
    assert record.violations[0].keyword == "format"
    assert record.event["run"]["runId"] == "not-a-uuid"


def test_matching_refused_events(lineage_server):
    lineage_server.post(make_event("START", "42"))
    # valid=False looks at refused events; the ones it matches count as read.
    lineage_server.assert_received({"run": {"runId": "42"}}, valid=False)


@pytest.mark.lineage(allow_invalid=True)
def test_a_client_that_may_send_garbage(lineage_server):
    # The marker turns strict mode off for this test only.
    status, _ = lineage_server.post(b"{not json")
    assert status == 400
    lineage_server.assert_received(ANY, count=0)  # nothing was accepted
