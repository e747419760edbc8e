"""Run lifecycles across events: each rule kept and broken, and run_lifecycles() as a property."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from lineage_contract import Contract
from lineage_contract.contract._formats import instant
from lineage_contract.lineage import (
    AFTER_TERMINAL,
    OPEN,
    RULES,
    SAME_JOB,
    START_FIRST,
    START_ONCE,
    TERMINAL_ONCE,
    TIME_ORDER,
    Lineage,
)
from lineage_contract.strategies import run_lifecycles
from lineage_contract.validation import Kind, Level

CONTRACT = Contract.load()
RUN = "3f1b1c2e-8a8b-4f4e-9c55-0d7f1e0a2b11"
OTHER_RUN = "9d0c4c44-5b7e-4a55-8f4c-54d2a9c1e0aa"
FAST = settings(
    database=None,
    deadline=None,
    derandomize=True,
    max_examples=60,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def event(kind: str | None, second: int, *, run: str = RUN, job: str = "daily") -> dict[str, Any]:
    built: dict[str, Any] = {
        "eventTime": f"2024-05-01T12:00:{second:02d}Z",
        "run": {"runId": run},
        "job": {"namespace": "warehouse", "name": job},
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    if kind is not None:
        built["eventType"] = kind
    return built


def judged(events: list[dict[str, Any]]) -> Lineage[str]:
    lineage: Lineage[str] = Lineage(CONTRACT)
    for index, one in enumerate(events):
        lineage.add(one, f"events.jsonl:{index + 1}:1")
    return lineage


def keywords(events: list[dict[str, Any]], *, ended: bool = True) -> list[str]:
    return [f.violation.keyword for f in judged(events).runs.findings(ended=ended)]


# Each rule: a sequence that keeps it and one that breaks it (with what it breaks, in order).
RULE_CASES = [
    (START_FIRST, [event("START", 0), event("COMPLETE", 1)], []),
    (START_FIRST, [event("RUNNING", 0), event("COMPLETE", 1)], [START_FIRST]),
    (START_FIRST, [event("COMPLETE", 0)], [START_FIRST]),
    (START_ONCE, [event("START", 0), event("RUNNING", 1), event("COMPLETE", 2)], []),
    (START_ONCE, [event("START", 0), event("START", 1), event("COMPLETE", 2)], [START_ONCE]),
    (TERMINAL_ONCE, [event("START", 0), event("FAIL", 1)], []),
    (TERMINAL_ONCE, [event("START", 0), event("FAIL", 1), event("COMPLETE", 2)], [TERMINAL_ONCE]),
    (AFTER_TERMINAL, [event("START", 0), event("COMPLETE", 1), event("OTHER", 2)], []),
    (AFTER_TERMINAL, [event("START", 0), event("ABORT", 1), event(None, 2)], []),
    (
        AFTER_TERMINAL,
        [event("START", 0), event("COMPLETE", 1), event("RUNNING", 2)],
        [AFTER_TERMINAL],
    ),
    (TIME_ORDER, [event("START", 5), event("RUNNING", 5), event("COMPLETE", 6)], []),
    (TIME_ORDER, [event("START", 5), event("RUNNING", 4), event("COMPLETE", 6)], [TIME_ORDER]),
    (SAME_JOB, [event("START", 0), event("COMPLETE", 1)], []),
    (SAME_JOB, [event("START", 0), event("COMPLETE", 1, job="nightly")], [SAME_JOB]),
    (OPEN, [event("START", 0), event("RUNNING", 1)], [OPEN]),
]


@pytest.mark.parametrize(("rule", "events", "expected"), RULE_CASES)
def test_each_rule_kept_and_broken(rule: str, events: list[dict[str, Any]], expected: list[str]):
    assert rule in RULES
    assert keywords(events) == expected


def test_findings_are_lifecycle_warnings_placed_at_the_event() -> None:
    events = [event("START", 0), event("COMPLETE", 1), event("RUNNING", 2)]
    (finding,) = judged(events).runs.findings(ended=True)
    assert finding.violation.kind is Kind.LIFECYCLE
    assert finding.violation.level is Level.WARNING
    assert finding.where == "events.jsonl:3:1"
    assert finding.run == RUN and finding.final
    assert finding.violation.pointer == "/eventType"
    assert "RUNNING after the terminal COMPLETE at events.jsonl:2:1" in finding.violation.message
    assert str(finding).startswith("events.jsonl:3:1: warning: /eventType: run ")


def test_an_open_run_is_a_finding_only_when_the_input_ended() -> None:
    lineage = judged([event("START", 0), event("RUNNING", 1)])
    assert lineage.runs.findings() == []
    (still,) = lineage.runs.findings(ended=True)
    assert still.violation.keyword == OPEN and not still.final
    assert still.where == "events.jsonl:2:1"
    (run,) = lineage.runs
    assert run.state == "open" and run.duration is None


def test_a_repeated_body_is_named_a_client_retry() -> None:
    start = event("START", 0)
    lineage = judged([start, copy.deepcopy(start), event("COMPLETE", 1)])
    (retry,) = lineage.runs.findings(ended=True)
    assert retry.violation.keyword == START_ONCE
    assert "a client retry: it repeats the one at events.jsonl:1:1" in retry.violation.message
    different = judged([start, event("START", 1), event("COMPLETE", 2)])
    (second,) = different.runs.findings(ended=True)
    assert "retry" not in second.violation.message
    assert "(the first at events.jsonl:1:1)" in second.violation.message


def test_the_body_bytes_decide_a_retry_when_given() -> None:
    lineage: Lineage[int] = Lineage(CONTRACT)
    start = event("START", 0)
    lineage.add(start, 1, body=json.dumps(start).encode())
    found = lineage.add(start, 2, body=json.dumps(start, indent=1).encode())
    assert [f.violation.keyword for f in found] == [START_ONCE]
    assert "retry" not in found[0].violation.message


def test_time_going_back_compares_instants_across_offsets() -> None:
    later = event("COMPLETE", 0)
    later["eventTime"] = "2024-05-01T14:00:00.5+02:00"  # 12:00:00.5Z
    assert keywords([event("START", 0), later]) == []
    earlier = event("COMPLETE", 0)
    earlier["eventTime"] = "2024-05-01T13:59:59.999999999+02:00"
    assert keywords([event("START", 0), earlier]) == [TIME_ORDER]


def test_runs_are_kept_apart_and_described() -> None:
    events = [
        event("START", 0),
        event("START", 1, run=OTHER_RUN),
        event("COMPLETE", 3),
        event("FAIL", 2, run=OTHER_RUN),
    ]
    lineage = judged(events)
    assert keywords(events) == []
    first, second = lineage.runs.to_list(ended=True)
    assert first["id"] == RUN and first["state"] == "complete" and first["duration"] == 3.0
    assert second["id"] == OTHER_RUN and second["state"] == "fail"
    assert first["job"] == "warehouse/daily"
    assert [e["where"] for e in first["events"]] == ["events.jsonl:1:1", "events.jsonl:3:1"]
    assert [e["type"] for e in second["events"]] == ["START", "FAIL"]


def _with_parent(one: dict[str, Any], parent: str) -> dict[str, Any]:
    one["run"]["facets"] = {
        "parent": {
            "_producer": "https://example.com/producer",
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json",
            "run": {"runId": parent},
            "job": {"namespace": "warehouse", "name": "dag"},
        }
    }
    return one


def test_a_parent_facet_ties_the_child_to_a_seen_run_and_notes_an_unseen_one() -> None:
    child = _with_parent(event("START", 1, run=OTHER_RUN, job="task"), RUN)
    lineage = judged([event("START", 0), child, event("COMPLETE", 2), event("COMPLETE", 3)])
    parent, kid = lineage.runs
    assert lineage.runs.parent_of(kid) is parent
    assert lineage.runs.children(parent) == [kid]
    described = lineage.runs.describe(kid)
    assert described["parent"] == {"id": RUN, "job": "warehouse/dag", "seen": True}
    assert lineage.runs.describe(parent)["children"] == [OTHER_RUN]
    orphan = judged([_with_parent(event("START", 0), OTHER_RUN), event("COMPLETE", 1)])
    (run,) = orphan.runs
    assert orphan.runs.parent_of(run) is None
    assert orphan.runs.describe(run)["parent"]["seen"] is False
    assert orphan.findings(ended=True) == []


def test_events_without_a_run_id_are_left_out() -> None:
    nameless = event("START", 0)
    del nameless["run"]["runId"]
    lineage = judged([nameless])
    assert len(lineage.runs) == 0 and lineage.runs.findings(ended=True) == []


# -- the property: run_lifecycles() keeps every rule, one mutation breaks exactly one -----


@FAST
@given(run_lifecycles(max_datasets=1, max_facets=1))
def test_generated_lifecycles_raise_no_lifecycle_finding(events: list[Any]) -> None:
    assert keywords(events) == []


@FAST
@given(run_lifecycles(max_datasets=1, max_facets=1))
def test_dropping_the_start_breaks_start_first_only(events: list[Any]) -> None:
    assert keywords(events[1:]) == [START_FIRST]


@FAST
@given(run_lifecycles(max_datasets=1, max_facets=1))
def test_doubling_the_terminal_event_breaks_terminal_once_only(events: list[Any]) -> None:
    mutated = [*events, copy.deepcopy(events[-1])]
    assert keywords(mutated) == [TERMINAL_ONCE]
    (finding,) = judged(mutated).runs.findings(ended=True)
    assert "client retry" in finding.violation.message


@FAST
@given(run_lifecycles(max_datasets=1, max_facets=1), st.data())
def test_swapping_two_times_breaks_time_order_only(events: list[Any], data: st.DataObject) -> None:
    instants = [instant(e["eventTime"]) for e in events]
    swappable = [i for i in range(len(events) - 1) if instants[i] != instants[i + 1]]
    if not swappable:
        return  # equal times: swapping them changes nothing
    i = data.draw(st.sampled_from(swappable))
    mutated = copy.deepcopy(events)
    a, b = mutated[i]["eventTime"], mutated[i + 1]["eventTime"]
    mutated[i]["eventTime"], mutated[i + 1]["eventTime"] = b, a
    assert keywords(mutated) == [TIME_ORDER]
