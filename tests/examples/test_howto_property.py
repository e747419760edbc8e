"""How to test with generated events (Hypothesis).

``lineage_contract.strategies`` draws events from the contract itself:
``valid_events()`` that it accepts, ``invalid_events()`` that break exactly one
of its rules (and say which), ``run_lifecycles()`` that follow a run from START
to its end. Here they are posted to the mock; in your suite, feed them to the
code that consumes lineage.

Hypothesis runs the test body many times within one test, so a function-scoped
fixture such as ``lineage_server`` is shared by the examples: tell Hypothesis
that is intended (``HealthCheck.function_scoped_fixture``) and ``clear()`` the
mock when an example needs a fresh one.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_contract.strategies import invalid_events, run_lifecycles, valid_events

shared_fixture = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@shared_fixture
@given(event=valid_events(event_type="START"))
def test_the_mock_accepts_every_valid_event(lineage_server, event):
    # Each example a fresh mock: examples may draw the same run id, and two STARTs of
    # one run would fail the test at teardown (a lifecycle no later event can mend).
    lineage_server.clear()
    status, _ = lineage_server.post(event)
    assert status == 200


@shared_fixture
@given(events=run_lifecycles(max_running=2))
def test_generated_runs_follow_the_lifecycle(lineage_server, events):
    lineage_server.clear()
    for event in events:
        lineage_server.post(event)
    lineage_server.assert_run_lifecycle(events[0]["run"]["runId"])


@shared_fixture
@given(broken=invalid_events(select=lambda rule: rule.keyword in ("required", "format")))
def test_each_broken_rule_is_reported_where_it_was_broken(lineage_server, broken):
    lineage_server.clear()
    status, _ = lineage_server.post(broken.event)
    assert status == 422
    # Reading the refused request (and asserting on it) keeps strict mode happy.
    (record,) = lineage_server.invalid
    assert (broken.pointer, broken.keyword) in [(v.pointer, v.keyword) for v in record.violations]


@shared_fixture
@given(data=st.data())
def test_strategies_from_the_session_contract(lineage_strategies, lineage_validator, data):
    # The fixture binds the strategies to the contract chosen with --lineage-spec.
    event = data.draw(lineage_strategies.valid_events())
    assert lineage_validator.is_valid(event)
