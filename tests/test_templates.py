"""from_template(): the expected-event templates of the corpus as expected values."""

from __future__ import annotations

import json
import re
import re._parser as sre_parse  # the shortest example of a pattern, in tests only
import uuid
from pathlib import Path
from typing import Any

import pytest

from lineage_contract.testing import (
    ABSENT,
    ANY,
    ANY_DATETIME,
    ANY_NUMBER,
    ANY_STRING,
    ANY_UUID,
    Placeholder,
    assert_received,
    assert_run_lifecycle,
    format_differences,
    from_template,
    match,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TEMPLATED = CORPUS / "openlineage-templated"
EVENTS = CORPUS / "openlineage-events"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ any(result) }}", ANY),
        ("{{ any(result)}}", ANY),
        ("{{ is_uuid(result) }}", ANY_UUID),
        ("{{ is_datetime(result) }}", ANY_DATETIME),
        ("{{RUN_START_TIME}}", ANY_DATETIME),
        ("{{RUN_END_TIME_AFTER_5_MINUTES}}", ANY_DATETIME),
        ("{{ env_var('DBT_DATASET_PREFIX') }}", ANY_STRING),
        ("{{ env_var('SNOWFLAKE_ACCOUNT_ID') | lower }}", ANY_STRING),
        ("{{ 'true' if result == {} else result }}", ANY),
        ("${json-unit.any-string}", ANY_STRING),
        ("${json-unit.any-number}", ANY_NUMBER),
        ("${json-unit.ignore}", ANY),
        ("plain", "plain"),
    ],
)
def test_template_placeholders(template: str, expected: Any) -> None:
    assert from_template(template) is expected or from_template(template) == expected


@pytest.mark.parametrize(
    ("template", "accepts", "refuses"),
    [
        ("{{ match(result, 'application_.+') }}", "application_1", "application_"),
        ("${json-unit.regex}1\\.\\d+\\.\\d+", "1.23.0", "1.23"),
        ("snowflake://{{ env_var('ACCOUNT') }}.us-east-1.aws", "snowflake://ab.us-east-1.aws", "x"),
        ("{{ not_match(result, '1500100900') }}", "task", "1500100900"),
        ("{{ contains(result, 'abc') }}", "xabcx", "ab"),
        ("{{ one_of(result, 'RUNNING', 'COMPLETE') }}", "RUNNING", "START"),
    ],
)
def test_template_patterns(template: str, accepts: str, refuses: str) -> None:
    expected = from_template(template)
    assert match(expected, accepts) == []
    assert match(expected, refuses) != []


def test_template_keys() -> None:
    template = {
        "facets": {"{{ key_not_defined(result, 'parent') }}": {}},
        "{{ unordered_list(result, transformations) }} ": [{"type": "A"}, {"type": "B"}],
    }
    expected = from_template(template)
    assert expected["facets"] == {"parent": ABSENT}
    assert match(expected, {"facets": {}, "transformations": [{"type": "B"}, {"type": "A"}]}) == []
    assert [
        d.pointer for d in match(expected, {"facets": {"parent": {}}, "transformations": []})
    ] == [
        "/facets/parent",
        "/transformations",
        "/transformations",
    ]


@pytest.mark.parametrize(
    "template", ["{{ frobnicate(result) }}", "{{ match(result) }}", "${json-unit.matches:x}"]
)
def test_unknown_template_placeholders_are_refused(template: str) -> None:
    with pytest.raises(ValueError, match=r"template placeholder|json-unit placeholder"):
        from_template(template)


_CANDIDATES: tuple[Any, ...] = ("x", "RUNNING", "COMPLETE", 1, True, None, {}, [])


def fill(expected: Any) -> Any:
    """A concrete value every placeholder accepts: what an event the template describes holds."""
    if isinstance(expected, dict):
        return {k: fill(v) for k, v in expected.items() if v is not ABSENT}
    if isinstance(expected, list):
        return [fill(v) for v in expected]
    if isinstance(expected, re.Pattern):
        return _example(expected.pattern)
    if expected is ANY_UUID:
        return str(uuid.uuid4())
    if expected is ANY_DATETIME:
        return "2024-05-01T12:00:00.000Z"
    if isinstance(expected, Placeholder):
        return next(c for c in _CANDIDATES if expected.matches(c))
    if not isinstance(expected, str | int | float | bool | type(None)):
        # unordered([...]): filled, then reversed to show the order does not matter.
        return [fill(v) for v in reversed(expected.items)]
    return expected


def _example(pattern: str) -> str:
    """The shortest string the pattern matches, for the constructs templates use."""
    return _emit(sre_parse.parse(pattern))


def _emit(items: Any) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _, sub = arg
            out.append(_emit(sub) * low)
        elif name == "SUBPATTERN":
            out.append(_emit(arg[-1]))
        elif name == "BRANCH":
            out.append(_emit(arg[1][0]))
        elif name == "IN":
            out.append(_first_of(arg))
        elif name == "ANY":
            out.append("a")
        elif name != "AT":
            raise NotImplementedError(name)
    return "".join(out)


def _first_of(ranges: Any) -> str:
    for op, arg in ranges:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return "0" if "DIGIT" in str(arg) else "a"
    raise NotImplementedError(ranges)


def load_templates() -> list[tuple[str, Any]]:
    if not TEMPLATED.is_dir():
        return []
    names = [
        line.split("\t", 1)[0]
        for line in (TEMPLATED / "MANIFEST.tsv").read_text().splitlines()[1:]
        if line
    ]
    return [(name, json.loads((TEMPLATED / name).read_text())) for name in names]


def test_every_corpus_template_converts_and_matches_itself_filled_in() -> None:
    templates = load_templates()
    assert len(templates) > 700
    failures = []
    for name, template in templates:
        expected = from_template(template)
        filled = fill(expected)
        found = match(expected, filled)
        if found:
            failures.append(f"{name}:\n{format_differences(found)}")
    assert not failures, "\n".join(failures[:5])


def test_every_placeholder_kind_in_the_corpus_is_converted() -> None:
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)
        elif isinstance(node, Placeholder):
            seen.add(node.name.split(" ", 1)[0])
        elif isinstance(node, re.Pattern):
            seen.add("re")
        elif isinstance(node, str):
            assert "{{" not in node and "${json-unit" not in node, node
        elif hasattr(node, "items"):
            walk(node.items)

    for _, template in load_templates():
        walk(from_template(template))
    assert {"ANY", "ANY_UUID", "ANY_DATETIME", "ANY_STRING", "ANY_NUMBER", "re"} <= seen


def marquez_pair(index: int) -> tuple[Any, dict[str, Any]]:
    """Marquez's docker seed: a template and the event it was rendered from."""
    template = json.loads(
        (TEMPLATED / f"MarquezProject-marquez__docker-metadata.template__{index}.json").read_text()
    )
    real = json.loads(
        (EVENTS / f"MarquezProject-marquez__docker-metadata__{index}.json").read_text()
    )
    return from_template(template), real


@pytest.mark.parametrize("index", [0, 1, 20, 21])
def test_a_real_event_matches_the_template_describing_it(index: int) -> None:
    expected, real = marquez_pair(index)
    # The stored event predates the template's schemaURL: the one real difference.
    assert [str(d) for d in match(expected, real)] == [
        f"/schemaURL: missing, expected {json.dumps(expected['schemaURL'])}"
    ]
    del expected["schemaURL"]
    assert match(expected, real) == []
    assert match(expected, real, ordered=False) == []


def test_a_mutated_real_event_fails_with_a_diff_per_change() -> None:
    expected, real = marquez_pair(0)
    del expected["schemaURL"]
    real["eventType"] = "FAIL"
    real["run"]["runId"] = "4d3b8069"
    real["eventTime"] = "2020-02-22 22:42:42"
    del real["job"]["facets"]["sql"]
    real["outputs"][0]["facets"]["schema"]["fields"].pop()
    with pytest.raises(AssertionError) as info:
        assert_received(expected, [real])
    lines = info.value.args[0].splitlines()
    assert lines[1:5] == [
        "Closest: event #0, 5 difference(s):",
        '  /eventType: expected "START", got "FAIL"',
        '  /eventTime: expected ANY_DATETIME, got "2020-02-22 22:42:42"',
        '  /run/runId: expected "4d3b8069-69b6-4708-ade0-3275112c9f04", got "4d3b8069"',
    ]
    assert lines[5].startswith('  /job/facets/sql: missing, expected {"_producer": ')
    assert lines[6].startswith(
        '  /outputs/0/facets/schema/fields/3: missing, expected {"name": "description", '
    )
    assert lines[7] == "event #0:"


def test_real_runs_follow_the_lifecycle() -> None:
    pairs = [marquez_pair(i)[1] for i in range(26)]
    run_ids = {e["run"]["runId"] for e in pairs}
    assert len(run_ids) == 13
    for run_id in run_ids:
        kinds = [e["eventType"] for e in assert_run_lifecycle(pairs, run_id)]
        assert kinds == ["START", "COMPLETE"]
