from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from lineage_contract.testing import (
    ABSENT,
    ANY,
    ANY_DATETIME,
    ANY_NUMBER,
    ANY_STRING,
    ANY_UUID,
    Difference,
    assert_matches,
    assert_received,
    assert_run_lifecycle,
    assert_valid_event,
    closest,
    format_differences,
    match,
    one_of,
    placeholder,
    unordered,
)

RUN_ID = "4d3b8069-69b6-4708-ade0-3275112c9f04"


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "eventType": "START",
        "eventTime": "2024-05-01T12:00:00.000Z",
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": RUN_ID},
        "job": {"namespace": "ns", "name": "job"},
        "inputs": [],
        "outputs": [],
    }
    base.update(overrides)
    return base


# -- placeholders and scalars ---------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (ANY, None, True),
        (ANY, {"a": 1}, True),
        (ANY_STRING, "", True),
        (ANY_STRING, 1, False),
        (ANY_NUMBER, 1.5, True),
        (ANY_NUMBER, True, False),
        (ANY_UUID, RUN_ID, True),
        (ANY_UUID, RUN_ID + "0", False),
        (ANY_UUID, 42, False),
        (ANY_DATETIME, "2024-05-01T12:00:00Z", True),
        (ANY_DATETIME, "2024-05-01T12:00:00", False),  # no offset
        (ANY_DATETIME, "2024-05-01T12:00:00Z\n", False),
        (ANY_DATETIME, None, False),
        (re.compile(r"etl_\w+"), "etl_menus", True),
        (re.compile(r"etl_\w+"), "my_etl_menus", False),  # the whole string must match
        (re.compile(r"etl"), "etl_menus", False),
        (re.compile(r"1"), 1, False),  # patterns only match strings
        (one_of("RUNNING", "COMPLETE"), "COMPLETE", True),
        (one_of("RUNNING", "COMPLETE"), "START", False),
        (one_of(1, 2), True, False),
        (placeholder("an even number", lambda v: v % 2 == 0), 4, True),
        (placeholder("an even number", lambda v: v % 2 == 0), 3, False),
        (placeholder("an even number", lambda v: v % 2 == 0), "4", False),  # raised TypeError
        (1, 1.0, True),
        (1, True, False),
        (False, 0, False),
        (None, None, True),
        (None, "null", False),
        ("1", 1, False),
        ([], [], True),
        ({}, {"anything": 1}, True),
        ({}, [], False),
        ([], {}, False),
    ],
)
def test_values(expected: Any, actual: Any, ok: bool) -> None:
    assert (match(expected, actual) == []) is ok


def test_a_placeholder_needs_the_key_present() -> None:
    assert [d.pointer for d in match({"a": ANY}, {})] == ["/a"]
    assert match({"a": ABSENT}, {}) == []
    assert [str(d) for d in match({"a": ABSENT}, {"a": None})] == ["/a: should be absent, got null"]


# -- objects --------------------------------------------------------------------


def test_only_expected_keys_are_compared_and_every_difference_is_listed() -> None:
    expected = {
        "eventType": "COMPLETE",
        "run": {"runId": ANY_UUID, "facets": {"parent": ANY}},
        "job": {"name": "job"},
    }
    actual = event(run={"runId": "not-a-uuid"})
    assert [str(d) for d in match(expected, actual)] == [
        '/eventType: expected "COMPLETE", got "START"',
        '/run/runId: expected ANY_UUID, got "not-a-uuid"',
        '/run/facets: missing, expected {"parent": ANY}',
    ]


def test_pointers_escape_slash_and_tilde() -> None:
    (difference,) = match({"a/b": {"c~d": 1}}, {"a/b": {"c~d": 2}})
    assert difference == Difference("/a~1b/c~0d", 1, 2)


def test_long_values_are_shortened_in_messages() -> None:
    (difference,) = match({"q": "x"}, {"q": "y" * 10_000})
    assert len(str(difference)) < 120
    assert str(difference).endswith("…")


# -- lists ----------------------------------------------------------------------


def test_ordered_lists_compare_index_by_index_and_report_length() -> None:
    expected = {"outputs": [{"name": "a"}, {"name": "b"}]}
    assert match(expected, {"outputs": [{"name": "a", "x": 1}, {"name": "b"}]}) == []
    found = match(expected, {"outputs": [{"name": "b"}, {"name": "a"}, {"name": "c"}]})
    assert [str(d) for d in found] == [
        '/outputs/0/name: expected "a", got "b"',
        '/outputs/1/name: expected "b", got "a"',
        '/outputs/2: unexpected {"name": "c"}',
    ]
    assert [str(d) for d in match(expected, {"outputs": [{"name": "a"}]})] == [
        '/outputs/1: missing, expected {"name": "b"}'
    ]


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ([{"x": 1}, {"x": 2}], [{"x": 2}, {"x": 1}], True),
        # OpenLineage's own match() only looks for the first expected element:
        # here it would pass, but one received element cannot match two expected ones.
        (["a", "a"], ["a", "b"], False),
        ([{"x": 1}, {"x": 1}], [{"x": 1, "y": 1}, {"x": 2}], False),
        # A greedy first-fit gives "ab" to the pattern and leaves nothing for "ab":
        # the assignment must be revised (augmenting path).
        ([re.compile("a."), "ab"], ["ab", "ac"], True),
        ([ANY, ANY], ["a"], False),
        ([ANY], ["a", "b"], False),
        ([], [], True),
    ],
)
def test_unordered_lists_need_a_distinct_element_for_each(
    expected: list[Any], actual: list[Any], ok: bool
) -> None:
    assert (match(expected, actual, ordered=False) == []) is ok
    assert (match(unordered(expected), actual) == []) is ok


def test_unordered_failure_explains_against_the_nearest_free_element() -> None:
    expected = [{"name": "a", "ns": "x"}, {"name": "b", "ns": "x"}]
    actual = [{"name": "b", "ns": "x"}, {"name": "a", "ns": "y"}]
    assert [str(d) for d in match(expected, actual, ordered=False)] == [
        '/1/ns: expected "x", got "y"'
    ]
    found = match(["a", "a"], ["a", "b"], ordered=False)
    assert [str(d) for d in found] == ['/1: expected "a", got "b"']
    found = match([1, 2, 3], [3], ordered=False)
    assert [str(d) for d in found] == [
        "(root): no element left to match item #0: 1",
        "(root): no element left to match item #1: 2",
    ]


def test_unordered_wrapper_is_local_and_inner_lists_keep_the_global_order() -> None:
    expected = {"fields": unordered([{"tags": ["x", "y"]}, {"tags": ["z"]}])}
    assert match(expected, {"fields": [{"tags": ["z"]}, {"tags": ["x", "y"]}]}) == []
    assert match(expected, {"fields": [{"tags": ["z"]}, {"tags": ["y", "x"]}]}) != []
    assert match(expected, {"fields": [{"tags": ["z"]}, {"tags": ["y", "x"]}]}, ordered=False) == []


# -- assert helpers ---------------------------------------------------------------


def test_assert_matches_lists_differences_key_by_key() -> None:
    with pytest.raises(AssertionError) as info:
        assert_matches({"eventType": "COMPLETE", "job": {"name": "j2"}}, event())
    assert str(info.value) == (
        "value does not match, 2 difference(s):\n"
        '  /eventType: expected "COMPLETE", got "START"\n'
        '  /job/name: expected "j2", got "job"'
    )


def test_assert_received_returns_the_matches_and_checks_the_count() -> None:
    events = [event(), event(eventType="COMPLETE"), event(eventType="COMPLETE")]
    assert assert_received({"eventType": "START"}, events) == [events[0]]
    assert len(assert_received({"eventType": "COMPLETE"}, events, count=2)) == 2
    assert assert_received({"eventType": "FAIL"}, events, count=0) == []
    with pytest.raises(AssertionError, match=r"expected 1 matching event\(s\), found 2"):
        assert_received({"eventType": "COMPLETE"}, events, count=1)


def test_assert_received_shows_the_closest_event_and_its_differences() -> None:
    events = [
        event(job={"namespace": "other", "name": "other"}),
        event(eventType="COMPLETE", job={"namespace": "ns", "name": "jb"}),
    ]
    with pytest.raises(AssertionError) as info:
        assert_received({"eventType": "COMPLETE", "job": {"name": "job"}}, events)
    message = str(info.value)
    assert message.startswith(
        "expected a matching event, none matches (2 event(s) received).\n"
        "Closest: event #1, 1 difference(s):\n"
        '  /job/name: expected "job", got "jb"\n'
        "event #1:\n"
    )
    assert '"name": "jb"' in message


def test_assert_received_with_nothing_received() -> None:
    with pytest.raises(AssertionError, match=r"no event received; expected one matching:"):
        assert_received({"eventType": ANY}, [])


def test_closest_prefers_the_fewest_differences() -> None:
    candidates = [{"a": 1, "b": 1}, {"a": 2, "b": 1}, {"a": 2, "b": 2}]
    assert closest({"a": 2, "b": 2}, candidates) == (2, [])
    index, found = closest({"a": 2, "b": 3}, candidates) or (None, [])
    assert index == 1
    assert format_differences(found) == "  /b: expected 3, got 1"
    assert closest({"a": 1}, []) is None


# -- validity -----------------------------------------------------------------------


def test_assert_valid_event_returns_the_event() -> None:
    valid = event()
    assert assert_valid_event(valid) == valid
    assert assert_valid_event(json.dumps(valid).encode()) == valid


def test_assert_valid_event_lists_every_violation() -> None:
    broken = event(eventTime="yesterday", run={"runId": "42"})
    del broken["producer"]
    with pytest.raises(AssertionError) as info:
        assert_valid_event(broken)
    lines = str(info.value).splitlines()
    assert lines[0] == "event breaks the contract (POST /api/v1/lineage): 3 violation(s)"
    assert [line.split()[:2] for line in lines[1:]] == [
        ["/eventTime", "format"],
        ["/producer", "required"],
        ["/run/runId", "format"],
    ]
    assert "required property 'producer' is missing" in lines[2]


def test_assert_valid_event_reports_unparseable_json() -> None:
    with pytest.raises(AssertionError, match=r"\(root\)\s+json\s+not valid JSON"):
        assert_valid_event(b"{")


# -- run lifecycle ------------------------------------------------------------------


def lifecycle(*steps: tuple[str | None, str]) -> list[dict[str, Any]]:
    out = []
    for kind, second in steps:
        item = event(eventTime=f"2024-05-01T12:00:{second}Z")
        if kind is None:
            del item["eventType"]
        else:
            item["eventType"] = kind
        out.append(item)
    return out


@pytest.mark.parametrize(
    "steps",
    [
        [("START", "00"), ("COMPLETE", "01")],
        [("START", "00"), ("RUNNING", "01"), ("RUNNING", "01"), ("FAIL", "02")],
        [("START", "00"), ("OTHER", "01"), ("ABORT", "02"), ("OTHER", "03")],
        [("START", "00"), (None, "00"), ("COMPLETE", "00.000000001")],
    ],
)
def test_run_lifecycle_accepts(steps: list[tuple[str | None, str]]) -> None:
    events = lifecycle(*steps)
    other_run = event(run={"runId": str(uuid.uuid4())}, eventType="COMPLETE")
    assert assert_run_lifecycle([other_run, *events], RUN_ID) == events


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        ([("RUNNING", "00"), ("START", "01"), ("COMPLETE", "02")], "the first event is RUNNING"),
        ([("START", "00"), ("START", "01"), ("COMPLETE", "02")], "2 START events (at #0, #1)"),
        ([("START", "00"), ("RUNNING", "01")], "no terminal event (COMPLETE, FAIL, ABORT)"),
        (
            [("START", "00"), ("COMPLETE", "01"), ("FAIL", "02")],
            "2 terminal events (#1 COMPLETE, #2 FAIL)",
        ),
        ([("START", "00"), ("COMPLETE", "01"), ("RUNNING", "02")], "#2 RUNNING outside"),
        ([("START", "05"), ("COMPLETE", "04.999")], "#1 /eventTime goes back in time from #0"),
        (
            [("START", "00.000000002"), ("COMPLETE", "00.000000001")],
            "#1 /eventTime goes back in time",
        ),
    ],
)
def test_run_lifecycle_refuses(steps: list[tuple[str | None, str]], problem: str) -> None:
    with pytest.raises(AssertionError) as info:
        assert_run_lifecycle(lifecycle(*steps), RUN_ID)
    message = str(info.value)
    assert message.startswith(f"run {RUN_ID} does not follow the lifecycle:\n")
    assert f"- {problem}" in message
    assert "in the order received:\n  #0 /eventType=" in message


def test_run_lifecycle_compares_offsets_as_instants() -> None:
    events = [
        event(eventType="START", eventTime="2024-05-01T12:00:00+02:00"),
        event(eventType="COMPLETE", eventTime="2024-05-01T11:00:00Z"),
    ]
    assert assert_run_lifecycle(events, RUN_ID) == events
    events[1]["eventTime"] = "2024-05-01T09:59:59Z"
    with pytest.raises(AssertionError, match="goes back in time"):
        assert_run_lifecycle(events, RUN_ID)


def test_run_lifecycle_of_an_unknown_run() -> None:
    with pytest.raises(AssertionError, match=rf"no event with /run/runId = 'x' .* {RUN_ID}"):
        assert_run_lifecycle([event()], "x")
