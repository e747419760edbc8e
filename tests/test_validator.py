"""Judging payloads and requests: lineage_contract.validation._validator.

One test per rule of the document (required fields at every level, each type,
the enum, each format, facets' _producer/_schemaURL wherever facets live,
_deleted), the fixtures, bad input of every kind, and the request checks.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import csv
import datetime
import decimal
import enum
import gzip
import json
import math
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import EnvironHeaders, Headers

import lineage_contract
from lineage_contract import (
    Contract,
    InvalidEvent,
    Kind,
    Level,
    LineageContractError,
    Report,
    Validator,
    Violation,
)
from lineage_contract.contract._pointers import unpointer
from lineage_contract.validation import REFUSED, bearer_token, header_getter

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
PATH = "/api/v1/lineage"
HEADERS = {"Authorization": "Bearer secret", "Content-Type": "application/json"}
P = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
S = "https://openlineage.io/spec/facets/1-0-1/X.json#/$defs/X"
FACET = {"_producer": P, "_schemaURL": S}


def _event() -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / "valid" / "minimal.json").read_text())
    event["eventType"] = "START"
    event["run"]["facets"] = {"nominalTime": {**FACET, "nominalStartTime": "2024-05-01T12:00:00Z"}}
    event["job"]["facets"] = {"sql": {**FACET, "query": "SELECT 1"}}
    event["inputs"] = [
        {
            "namespace": "pg://db:5432",
            "name": "orders",
            "facets": {"schema": {**FACET, "fields": []}},
            "inputFacets": {"dataQualityMetrics": {**FACET, "rowCount": 1}},
        }
    ]
    event["outputs"] = [
        {
            "namespace": "s3://bucket",
            "name": "daily",
            "facets": {"documentation": {**FACET, "_deleted": False}},
            "outputFacets": {"outputStatistics": {**FACET, "rowCount": 1}},
        }
    ]
    return event


EVENT = _event()
BODY = json.dumps(EVENT).encode()


def _set(ptr: str, value: Any) -> dict[str, Any]:
    """EVENT with the value at ``ptr`` replaced (or removed when value is _DELETE)."""
    event = copy.deepcopy(EVENT)
    *parents, last = unpointer(ptr)
    node: Any = event
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is _DELETE:
        del node[key]
    else:
        node[key] = value
    return event


_DELETE = object()


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def _found(report: Report) -> set[tuple[str, str]]:
    return {(v.pointer, v.keyword) for v in report.violations}


def test_the_full_event_is_valid(validator: Validator) -> None:
    assert validator.check(EVENT).valid
    assert validator.check(BODY).valid


# -- one test per rule ---------------------------------------------------------------

FACET_HOMES = [
    "/run/facets/nominalTime",
    "/job/facets/sql",
    "/inputs/0/facets/schema",
    "/inputs/0/inputFacets/dataQualityMetrics",
    "/outputs/0/facets/documentation",
    "/outputs/0/outputFacets/outputStatistics",
]

REQUIRED = [
    "/eventTime",
    "/producer",
    "/schemaURL",
    "/run",
    "/job",
    "/run/runId",
    "/job/namespace",
    "/job/name",
    "/inputs/0/namespace",
    "/inputs/0/name",
    "/outputs/0/namespace",
    "/outputs/0/name",
    *(f"{home}/_producer" for home in FACET_HOMES),
    *(f"{home}/_schemaURL" for home in FACET_HOMES),
]


@pytest.mark.parametrize("ptr", REQUIRED)
def test_required(validator: Validator, ptr: str) -> None:
    report = validator.check(_set(ptr, _DELETE))
    assert _found(report) == {(ptr, "required")}
    (violation,) = report.violations
    assert violation.kind is Kind.SCHEMA
    assert violation.message == f"required property {unpointer(ptr)[-1]!r} is missing"
    assert "any of the given schemas" not in violation.message


@pytest.mark.parametrize(
    "ptr",
    [
        "/eventType",
        "/inputs",
        "/outputs",
        "/run/facets",
        "/job/facets",
        "/inputs/0/facets",
        "/outputs/0/outputFacets",
    ],
)
def test_optional(validator: Validator, ptr: str) -> None:
    assert validator.check(_set(ptr, _DELETE)).valid


TYPES = [
    ("/eventTime", 1714564800, "string"),
    ("/producer", None, "string"),
    ("/schemaURL", ["https://x.test"], "string"),
    ("/run", "run", "object"),
    ("/run/runId", 42, "string"),
    ("/run/facets", [], "object"),
    ("/run/facets/nominalTime", "facet", "object"),
    ("/job", [], "object"),
    ("/job/namespace", 1, "string"),
    ("/job/name", {"a": 1}, "string"),
    ("/job/facets", "facets", "object"),
    ("/job/facets/sql", 1, "object"),
    ("/inputs", {}, "array"),
    ("/inputs/0", "orders", "object"),
    ("/inputs/0/namespace", False, "string"),
    ("/inputs/0/facets", [], "object"),
    ("/inputs/0/inputFacets", 1, "object"),
    ("/inputs/0/inputFacets/dataQualityMetrics", [], "object"),
    ("/outputs", "x", "array"),
    ("/outputs/0", None, "object"),
    ("/outputs/0/name", 2.5, "string"),
    ("/outputs/0/outputFacets", True, "object"),
    *((f"{home}/_producer", 1, "string") for home in FACET_HOMES),
    *((f"{home}/_schemaURL", None, "string") for home in FACET_HOMES),
    ("/job/facets/sql/_deleted", "true", "boolean"),
    ("/inputs/0/facets/schema/_deleted", 1, "boolean"),
    ("/outputs/0/facets/documentation/_deleted", None, "boolean"),
]


@pytest.mark.parametrize(("ptr", "value", "expected"), TYPES)
def test_type(validator: Validator, ptr: str, value: Any, expected: str) -> None:
    report = validator.check(_set(ptr, value))
    assert _found(report) == {(ptr, "type")}
    (violation,) = report.violations
    assert violation.message.startswith(f"expected {expected}, got ")


@pytest.mark.parametrize(
    "ptr",
    [
        "/run/facets/nominalTime/_deleted",
        "/inputs/0/inputFacets/dataQualityMetrics/_deleted",
        "/outputs/0/outputFacets/outputStatistics/_deleted",
    ],
)
def test_deleted_is_only_a_boolean_where_the_document_says(validator: Validator, ptr: str) -> None:
    # Run, input and output facets have no _deleted in this document.
    assert validator.check(_set(ptr, "yes")).valid


@pytest.mark.parametrize("value", ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"])
def test_enum_members(validator: Validator, value: str) -> None:
    assert validator.check(_set("/eventType", value)).valid


@pytest.mark.parametrize("value", ["start", "Complete", "DONE", "", " START", None])
def test_enum(validator: Validator, value: Any) -> None:
    expected = {("/eventType", "enum")} | ({("/eventType", "type")} if value is None else set())
    report = validator.check(_set("/eventType", value))
    assert _found(report) == expected
    enum = next(v for v in report.violations if v.keyword == "enum")
    assert "START, RUNNING, COMPLETE, ABORT, FAIL, OTHER" in enum.message


FORMATS = [
    ("/eventTime", "2024-05-01T12:00:00", "date-time"),
    ("/eventTime", "2024-05-01", "date-time"),
    ("/producer", "openlineage-python", "uri"),
    ("/schemaURL", "spec/OpenLineage.json", "uri"),
    ("/run/runId", "123", "uuid"),
    *((f"{home}/_producer", "/relative", "uri") for home in FACET_HOMES),
    *((f"{home}/_schemaURL", "Facet.json", "uri") for home in FACET_HOMES),
]


@pytest.mark.parametrize(("ptr", "value", "fmt"), FORMATS)
def test_format(validator: Validator, ptr: str, value: str, fmt: str) -> None:
    report = validator.check(_set(ptr, value))
    assert _found(report) == {(ptr, "format")}
    (violation,) = report.violations
    assert f"is not a valid {fmt}" in violation.message


def test_facet_without_producer_is_a_leaf_not_a_oneof(validator: Validator) -> None:
    event = _set("/run/facets/nominalTime/_producer", _DELETE)
    (violation,) = validator.check(event).violations
    assert violation.pointer == "/run/facets/nominalTime/_producer"
    assert violation.keyword == "required"
    assert violation.schema_pointer == "/components/schemas/BaseFacet/required"


def test_everything_wrong_at_once_is_reported_once_each(validator: Validator) -> None:
    event = copy.deepcopy(EVENT)
    event["eventType"] = "DONE"
    event["eventTime"] = "yesterday"
    del event["producer"]
    event["run"]["runId"] = "x"
    del event["run"]["facets"]["nominalTime"]["_producer"]
    event["job"]["facets"]["sql"]["_schemaURL"] = 3
    event["inputs"][0]["inputFacets"]["dataQualityMetrics"]["_producer"] = "spark"
    event["outputs"][0]["facets"]["documentation"]["_deleted"] = "no"
    del event["outputs"][0]["name"]
    report = validator.check(event)
    expected = [
        ("/eventTime", "format"),
        ("/eventType", "enum"),
        ("/inputs/0/inputFacets/dataQualityMetrics/_producer", "format"),
        ("/job/facets/sql/_schemaURL", "type"),
        ("/outputs/0/facets/documentation/_deleted", "type"),
        ("/outputs/0/name", "required"),
        ("/producer", "required"),
        ("/run/facets/nominalTime/_producer", "required"),
        ("/run/runId", "format"),
    ]
    assert [(v.pointer, v.keyword) for v in report.violations] == expected


def test_unknown_properties_are_allowed(validator: Validator) -> None:
    event = copy.deepcopy(EVENT)
    event["x-extra"] = {"anything": [1, None]}
    event["run"]["facets"]["custom"] = {**FACET, "nested": {"deep": [1, 2]}}
    assert validator.check(event).valid


# -- the fixtures ----------------------------------------------------------------------


def _expected_fixtures() -> dict[str, set[tuple[str, str]]]:
    expected: dict[str, set[tuple[str, str]]] = {}
    lines = (FIXTURES / "invalid" / "EXPECTED.tsv").read_text().splitlines()
    for row in csv.DictReader((line for line in lines if not line.startswith("#")), delimiter="\t"):
        expected.setdefault(row["file"], set()).add((row["pointer"], row["keyword"]))
    return expected


EXPECTED = _expected_fixtures()


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.json")), ids=lambda p: p.name)
def test_valid_fixture(validator: Validator, path: Path) -> None:
    assert validator.check(path.read_bytes()).valid


def test_every_invalid_fixture_is_listed() -> None:
    assert set(EXPECTED) == {p.name for p in (FIXTURES / "invalid").glob("*.json")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_fixture(validator: Validator, name: str) -> None:
    report = validator.check((FIXTURES / "invalid" / name).read_bytes())
    assert _found(report) == EXPECTED[name]
    assert len(report.violations) == len(EXPECTED[name])
    for violation in report.violations:
        if violation.kind is Kind.SCHEMA:
            node = validator.contract.refs.at(violation.schema_pointer)
            assert node is not None, violation.schema_pointer
            assert violation.schema_pointer.rsplit("/", 1)[-1] == violation.keyword


def test_jsonl_fixture(validator: Validator) -> None:
    lines = (FIXTURES / "jsonl" / "EXPECTED.tsv").read_text().splitlines()
    expected: dict[int, set[tuple[str, str]]] = {}
    for row in csv.DictReader((line for line in lines if not line.startswith("#")), delimiter="\t"):
        expected.setdefault(int(row["line"]), set()).add((row["pointer"], row["keyword"]))
    events = (FIXTURES / "jsonl" / "mixed.jsonl").read_bytes().splitlines()
    assert {n: _found(validator.check(line)) for n, line in enumerate(events, 1)} == {
        n: expected.get(n, set()) for n in range(1, len(events) + 1)
    }


def test_yaml_fixture(validator: Validator) -> None:
    import yaml

    assert validator.check(yaml.safe_load((FIXTURES / "valid" / "complete.yaml").read_text())).valid


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "kind", "keyword"),
    [
        (b"", Kind.JSON, "json"),
        (b"not json", Kind.JSON, "json"),
        (BODY[:-10], Kind.JSON, "json"),
        (b'{"a": NaN}', Kind.JSON, "json"),
        (b'{"a": Infinity}', Kind.JSON, "json"),
        (b'{"a": "\xff"}', Kind.JSON, "json"),
        (b"[" * 10_000 + b"]" * 10_000, Kind.JSON, "json"),
        (b"[]", Kind.SCHEMA, "type"),
        (b"[" + BODY + b"]", Kind.SCHEMA, "type"),
        (b'"text"', Kind.SCHEMA, "type"),
        (b"42", Kind.SCHEMA, "type"),
        (b"null", Kind.SCHEMA, "type"),
        (b"true", Kind.SCHEMA, "type"),
    ],
)
def test_bad_input(validator: Validator, payload: bytes, kind: Kind, keyword: str) -> None:
    report = validator.check(payload)
    assert [(v.kind, v.keyword, v.pointer) for v in report.violations] == [(kind, keyword, "")]
    assert report.parsed is (kind is Kind.SCHEMA)


def test_facets_nested_10000_levels(validator: Validator) -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(10_000):
        node["x"] = {}
        node = node["x"]
    event = copy.deepcopy(EVENT)
    event["run"]["facets"]["deep"] = {**FACET, "value": deep}
    assert validator.check(event).valid
    del event["run"]["facets"]["deep"]["_producer"]
    report = validator.check(event)
    assert not report.valid
    assert report.violations[0].kind is Kind.SCHEMA
    text = b'{"deep": ' + b'{"x": ' * 10_000 + b"1" + b"}" * 10_001
    assert [v.kind for v in validator.check(text).violations] == [Kind.JSON]


@pytest.mark.parametrize(
    ("ptr", "head", "tail", "expected"),
    [
        ("/note", "", "", set()),
        ("/producer", "https://x.test/", "", set()),
        ("/producer", "https://x.test/", " ", {("/producer", "format")}),
        ("/run/runId", "", "", {("/run/runId", "format")}),
        ("/eventTime", "2024-05-01T12:00:00.", "", {("/eventTime", "format")}),
        ("/eventType", "", "", {("/eventType", "enum")}),
    ],
)
def test_a_50_mb_string(
    validator: Validator, ptr: str, head: str, tail: str, expected: set[tuple[str, str]]
) -> None:
    body = json.dumps(_set(ptr, head + "1" * 50_000_000 + tail)).encode()
    report = validator.check(body)
    assert _found(report) == expected
    assert all(len(v.message) < 400 for v in report.violations)


@pytest.mark.parametrize(
    "payload",
    [BODY, BODY.decode(), bytearray(BODY), memoryview(BODY), EVENT],
    ids=["bytes", "str", "bytearray", "memoryview", "object"],
)
def test_payload_types(validator: Validator, payload: Any) -> None:
    report = validator.check(payload)
    assert report.valid and report.parsed
    assert report.event == EVENT


class _Colour(enum.Enum):
    RED = "red"
    NONE = math.nan


class _State(enum.StrEnum):
    START = "START"


class _Count(enum.IntEnum):
    ONE = 1


class _Text(str):
    pass


OPEN = "/run/facets/nominalTime/extra"  # a place the schema leaves open


def _wrapped(value: Any, levels: int) -> Any:
    for _ in range(levels):
        value = [value]
    return value


# A value JSON cannot hold, where its violation is (below where it was put), what it says.
FOREIGN: list[tuple[Any, str, str]] = [
    (math.nan, "", "NaN is not a JSON number"),
    (math.inf, "", "Infinity is not a JSON number"),
    (-math.inf, "", "-Infinity is not a JSON number"),
    ([1.5, math.nan], "/1", "NaN"),
    (_wrapped(-math.inf, 12), "/0" * 12, "-Infinity"),
    ({1, 2}, "", "a set is not a JSON value"),
    (frozenset(), "", "a frozenset is not a JSON value"),
    (b"\x00", "", "bytes are not a JSON value"),
    (bytearray(b"x"), "", "bytes are not a JSON value"),
    (datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC), "", "a datetime is not a JSON value"),
    (datetime.date(2024, 5, 1), "", "a date is not a JSON value"),
    (uuid.UUID(int=1), "", "a UUID is not a JSON value"),
    (decimal.Decimal("1.5"), "", "a Decimal is not a JSON value"),
    (_Colour.NONE, "", "NaN is not a JSON number"),  # an enum member is its value
    ("\ud800", "", "holds \\ud800, a lone surrogate"),
    (["ok", {"a": "x\udfffy"}], "/1/a", "lone surrogate"),
    ({1: "one"}, "", "the property name 1 is not a string"),
    ({"ok": 1, "\udc80": 2}, "", "a property name holds \\udc80, a lone surrogate"),
]


@pytest.mark.parametrize("ptr", [OPEN, "/job/name", "/eventTime"])
@pytest.mark.parametrize(("value", "below", "says"), FOREIGN)
def test_a_parsed_value_json_cannot_hold(
    validator: Validator, ptr: str, value: Any, below: str, says: str
) -> None:
    report = validator.check(_set(ptr, value))
    json_violations = [v for v in report.violations if v.kind is Kind.JSON]
    assert [(v.keyword, v.pointer) for v in json_violations] == [("json", ptr + below)]
    assert says in json_violations[0].message
    if ptr == OPEN:
        assert report.violations == tuple(json_violations)
    assert all(str(v).encode() for v in report.violations)  # no lone surrogate in the text


def test_a_parsed_value_that_contains_itself(validator: Validator) -> None:
    event = copy.deepcopy(EVENT)
    facet = event["run"]["facets"]["nominalTime"]
    facet["extra"] = [facet]
    (violation,) = validator.check(event).violations
    assert (violation.kind, violation.pointer) == (Kind.JSON, OPEN + "/0")
    assert "contains itself" in violation.message


def test_the_rest_of_an_event_that_is_not_json_is_explained(validator: Validator) -> None:
    event = _set(OPEN, math.nan)
    event["job"]["name"] = {"a", "b"}
    del event["eventTime"]
    found = [(v.kind, v.pointer, v.keyword) for v in validator.check(event).violations]
    assert found == [
        (Kind.SCHEMA, "/eventTime", "required"),
        (Kind.JSON, "/job/name", "json"),
        (Kind.JSON, OPEN, "json"),
    ]
    assert validator.explain(event) == list(validator.check(event).violations)


@pytest.mark.parametrize(
    ("ptr", "value", "valid"),
    [
        ("/eventType", _State.START, True),
        (OPEN, _Colour.RED, True),
        ("/eventType", _Colour.RED, False),
        ("/eventType", _Text("START"), True),
        ("/eventType", _Text("DONE"), False),
        ("/inputs", (), True),
        (OPEN, _Count.ONE, True),
        (OPEN, (1, "two", None), True),
        ("/run", collections.OrderedDict(EVENT["run"]), True),
        ("/job", {_Text("namespace"): "etl", "name": _Text("daily")}, True),
    ],
)
def test_json_held_in_python_subclasses_is_judged_as_that_json(
    validator: Validator, ptr: str, value: Any, valid: bool
) -> None:
    report = validator.check(_set(ptr, value))
    assert report.valid is valid
    assert all(v.kind is Kind.SCHEMA for v in report.violations)


def test_a_tuple_is_an_array_in_the_explanation_too(validator: Validator) -> None:
    event = _set("/inputs", tuple(EVENT["inputs"]))
    del event["eventTime"]
    assert _found(validator.check(event)) == {("/eventTime", "required")}


def _nested(levels: int) -> list[Any]:
    deep: list[Any] = []
    for _ in range(levels):
        deep = [deep]
    return deep


@pytest.mark.parametrize("as_bytes", [False, True], ids=["object", "bytes"])
def test_an_invalid_event_nested_1000_levels_deep_shows_all_its_violations(
    validator: Validator, as_bytes: bool
) -> None:
    event = _set(OPEN, "@deep@")
    del event["eventTime"]
    payload: Any = _set(OPEN, _nested(1_000))
    del payload["eventTime"]
    if as_bytes:  # json.dumps itself cannot go 1,000 levels down
        payload = json.dumps(event).replace('"@deep@"', "[" * 1_001 + "]" * 1_001).encode()
    found = validator.check(payload).violations
    assert [(v.keyword, v.pointer[: len(OPEN) + 2]) for v in found] == [
        ("required", "/eventTime"),
        ("depth", OPEN + "/0"),
    ]
    assert found[1].pointer.startswith(OPEN + "/0/0/0/0/0")


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """TimeoutError when the block runs ``seconds`` (Python's re checks for signals)."""

    def stop(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_pattern_that_backtracks_is_explained_in_linear_time() -> None:
    # Python's re takes seconds for 26 characters against ^(a+)+$, and doubles each one more.
    document = json.loads((ROOT / "openapi.json").read_text())
    document["components"]["schemas"]["Job"]["properties"]["name"]["pattern"] = "^(a+)+$"
    validator = Validator(Contract.from_document(document))
    assert validator.check(_set("/job/name", "a" * 40)).valid
    with _deadline(20):
        report = validator.check(_set("/job/name", "a" * 40 + "!"))
    (violation,) = report.violations
    assert (violation.pointer, violation.keyword) == ("/job/name", "pattern")
    assert violation.message.endswith("does not match the pattern ^(a+)+$")


# -- jsonschema's trio -------------------------------------------------------------


def test_trio(validator: Validator) -> None:
    bad = json.dumps(_set("/run/runId", "x")).encode()
    assert validator.is_valid(BODY) is True
    assert validator.is_valid(bad) is False
    assert list(validator.iter_errors(BODY)) == []
    assert list(validator.iter_errors(bad)) == list(validator.check(bad).violations)
    assert validator.validate(BODY) == EVENT
    with pytest.raises(InvalidEvent) as info:
        validator.validate(bad)
    assert isinstance(info.value, LineageContractError)
    assert info.value.report == validator.check(bad)
    assert "/run/runId" in str(info.value)


def test_module_level_trio() -> None:
    assert lineage_contract.is_valid(BODY)
    assert lineage_contract.validate(BODY) == EVENT
    with pytest.raises(InvalidEvent):
        lineage_contract.validate(b"{}")


def test_report_shape(validator: Validator) -> None:
    report = validator.check(json.dumps(_set("/run/runId", "x")).encode())
    assert not report and len(report) == 1
    assert report.kinds == {Kind.SCHEMA}
    assert report.to_dict()["violations"][0] == {
        "kind": "schema",
        "pointer": "/run/runId",
        "keyword": "format",
        "message": report.violations[0].message,
        "schemaPointer": "/components/schemas/Run/properties/runId/format",
        "level": "error",
    }
    assert report.summary().startswith("1 violation(s), 0 warning(s):\n  /run/runId: ")
    assert validator.check(BODY).summary() == "valid"


# -- requests --------------------------------------------------------------------------


def _request(validator: Validator, **kw: Any) -> Report:
    args: dict[str, Any] = {"method": "POST", "path": PATH, "headers": HEADERS, "body": BODY}
    args.update(kw)
    return validator.check_request(args["method"], args["path"], args["headers"], args["body"])


def _kinds(report: Report) -> list[Kind]:
    return [v.kind for v in report.violations]


@pytest.mark.parametrize(
    "path",
    [
        PATH,
        f"{PATH}?dry=1",
        f"http://127.0.0.1:5000{PATH}",
        f"https://oleander.dev{PATH}",
        f"http://[::1]:8080{PATH}?x=1",
    ],
)
def test_any_host(validator: Validator, path: str) -> None:
    assert _request(validator, path=path).valid


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", PATH, Kind.METHOD),
        ("PUT", PATH, Kind.METHOD),
        ("post", PATH, Kind.METHOD),  # methods are case-sensitive (RFC 9110 9.1)
        ("POST", "/api/v1/lineage/", Kind.PATH),
        ("POST", "/api/v1/lineage%3Fzzz", Kind.PATH),  # an encoded "?" is part of the path
        ("POST", "//api/v1/lineage", None),  # leading slashes fold, as http.server does
        ("POST", "/api/v1/lineage?x=1", None),
        ("POST", "/api/v2/lineage", Kind.PATH),
        ("POST", "/", Kind.PATH),
        ("POST", "http://127.0.0.1/other", Kind.PATH),
    ],
)
def test_route(validator: Validator, method: str, path: str, kind: Kind | None) -> None:
    report = _request(validator, method=method, path=path)
    assert _kinds(report) == ([kind] if kind else [])
    if kind is Kind.METHOD:
        assert "allowed: POST" in report.violations[0].message


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/json;charset=UTF-8", True),
        ('application/json; charset="utf-8"', True),
        ("APPLICATION/JSON", True),
        ("application/json; foo=bar", True),
        ("application/json; charset=latin-1", False),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("application/jsonx", False),
        ("", False),
        (None, False),
    ],
)
def test_content_type(validator: Validator, content_type: str | None, ok: bool) -> None:
    headers = {"Authorization": "Bearer t"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    report = _request(validator, headers=headers)
    assert _kinds(report) == ([] if ok else [Kind.MEDIA_TYPE])


@pytest.mark.parametrize(
    ("authorization", "ok"),
    [
        ("Bearer t", True),
        ("bearer t", True),
        ("BEARER t", True),
        ("BeArEr t", True),
        ("Bearer  t ", True),
        (None, False),
        ("", False),
        ("Bearer", False),
        ("Bearer ", False),
        ("Bearer    ", False),
        ("Basic dTpw", False),
        ("Token t", False),
        ("Bearert", False),
    ],
)
def test_bearer(validator: Validator, authorization: str | None, ok: bool) -> None:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    report = _request(validator, headers=headers)
    assert _kinds(report) == ([] if ok else [Kind.SECURITY])
    if not ok:
        assert "Authorization: Bearer" in report.violations[0].message


@pytest.mark.parametrize(
    "headers",
    [
        HEADERS,
        {k.lower(): v for k, v in HEADERS.items()},
        {k.upper(): v for k, v in HEADERS.items()},
        list(HEADERS.items()),
        Headers(HEADERS),
    ],
    ids=["dict", "lower", "upper", "pairs", "werkzeug"],
)
def test_header_containers(validator: Validator, headers: Any) -> None:
    assert _request(validator, headers=headers).valid


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        ({"authorization": "bearer abc"}, "abc"),
        ([("Authorization", "Bearer  abc ")], "abc"),
        ({"Authorization": "Bearer "}, None),
        ({"Authorization": "Basic abc"}, None),
        ({}, None),
    ],
)
def test_bearer_token(headers: Any, token: str | None) -> None:
    assert bearer_token(header_getter(headers)) == token


def test_security_and_body_violations_together(validator: Validator) -> None:
    report = _request(
        validator, headers={"Content-Type": "application/json"}, body=b'{"eventType": 1}'
    )
    assert Kind.SECURITY in report.kinds and Kind.SCHEMA in report.kinds
    assert report.violations[0].kind is Kind.SECURITY


@pytest.mark.parametrize(
    ("encoding", "body", "kind"),
    [
        ("gzip", gzip.compress(BODY), None),
        ("GZIP", gzip.compress(BODY), None),
        ("x-gzip", gzip.compress(BODY), None),
        ("identity", BODY, None),
        ("gzip, identity", gzip.compress(BODY), None),
        ("gzip, gzip", gzip.compress(gzip.compress(BODY)), None),
        ("gzip", BODY, Kind.BAD_ENCODING),
        ("gzip", gzip.compress(BODY)[:-4], Kind.BAD_ENCODING),
        ("br", BODY, Kind.UNSUPPORTED_ENCODING),
        ("deflate", BODY, Kind.UNSUPPORTED_ENCODING),
    ],
)
def test_content_encoding(
    validator: Validator, encoding: str, body: bytes, kind: Kind | None
) -> None:
    report = _request(validator, headers={**HEADERS, "Content-Encoding": encoding}, body=body)
    assert _kinds(report) == ([kind] if kind else [])
    if kind is None:
        assert report.body == BODY
        assert report.event == EVENT


def test_gzipped_invalid_body_is_explained(validator: Validator) -> None:
    body = gzip.compress(json.dumps(_set("/run/runId", "x")).encode())
    report = _request(validator, headers={**HEADERS, "Content-Encoding": "gzip"}, body=body)
    assert _found(report) == {("/run/runId", "format")}


def test_body_limit() -> None:
    small = Validator(max_body_size=len(BODY))
    assert _request(small).valid
    assert _kinds(_request(small, body=BODY + b" ")) == [Kind.TOO_LARGE]
    zipped = gzip.compress(BODY + b" " * 100)
    assert len(zipped) < len(BODY)
    report = _request(small, headers={**HEADERS, "Content-Encoding": "gzip"}, body=zipped)
    assert _kinds(report) == [Kind.TOO_LARGE]


def test_a_50_mb_request_is_too_large(validator: Validator) -> None:
    body = json.dumps(_set("/note", "x" * 50_000_000)).encode()
    report = _request(validator, body=body)
    assert _kinds(report) == [Kind.TOO_LARGE]
    assert Validator(max_body_size=64 << 20).check_request("POST", PATH, HEADERS, body).valid


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (HEADERS, b""),
        (HEADERS, None),
        ({"Authorization": "Bearer t"}, b""),
        (HEADERS, b"  "),
    ],
)
def test_empty_body(validator: Validator, headers: Any, body: bytes | None) -> None:
    report = _request(validator, headers=headers, body=body)
    assert _kinds(report) == [Kind.JSON]
    assert "empty body" in report.violations[0].message


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"[]", Kind.SCHEMA),
        (b'"x"', Kind.SCHEMA),
        (b"1", Kind.SCHEMA),
        (b"{", Kind.JSON),
        (b'{"a": NaN}', Kind.JSON),
        (b"\xff", Kind.JSON),
    ],
)
def test_request_bodies_that_are_not_events(validator: Validator, body: bytes, kind: Kind) -> None:
    assert _kinds(_request(validator, body=body)) == [kind]


def test_report_of_a_request(validator: Validator) -> None:
    report = _request(validator)
    assert report.valid and report.parsed
    assert report.body == BODY
    assert report.event == EVENT
    route = _request(validator, method="GET")
    assert route.body is None and not route.parsed


def test_allowed_methods(validator: Validator) -> None:
    assert validator.allowed_methods == ("POST",)


def test_violation_str() -> None:
    assert str(Violation(Kind.SCHEMA, "type", "bad", "/a")) == "/a: bad [type]"
    assert str(Violation(Kind.JSON, "json", "bad")) == "bad [json]"
    assert str(Violation(Kind.JSON, "json", "bad", pointer="/a")) == "/a: bad [json]"
    assert str(Violation(Kind.SECURITY, "security", "no")) == "security: no [security]"


@pytest.mark.parametrize(
    ("servers", "path", "kinds"),
    [
        ([{"url": "https://oleander.dev"}], PATH, set()),
        ([{"url": "https://oleander.dev/base/"}], "/base" + PATH, set()),
        ([{"url": "https://oleander.dev/base"}], PATH, set()),  # the bare path still reaches it
        ([{"url": "/v2"}], "/v2" + PATH, set()),
        ([{"url": "https://oleander.dev/base"}], "/other" + PATH, {Kind.PATH}),
        ([{"url": "https://oleander.dev"}], "http://127.0.0.1:5000" + PATH + "?x=1", set()),
    ],
)
def test_paths_under_a_server_base_reach_the_operation(
    servers: list[dict[str, str]], path: str, kinds: set[Kind]
) -> None:
    document = copy.deepcopy(dict(Contract.load().document))
    document["servers"] = servers
    validator = Validator(Contract.from_document(document))
    assert validator.check_request("POST", path, HEADERS, BODY).kinds == kinds


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("*/*.json")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_accepted_event_agrees_with_check(validator: Validator, path: Path) -> None:
    body = path.read_bytes()
    report = validator.check(body)
    got = validator.accepted_event(body)
    assert (got is not REFUSED) is report.valid
    assert report.valid is (path.parent.name == "valid")
    if report.valid:
        assert got == report.event


_SHORTCUT_HEADERS = [
    HEADERS,
    {"Content-Type": "application/json"},
    {"Authorization": "Basic abc", "Content-Type": "application/json"},
    {"Authorization": "Bearer secret"},
    {"Authorization": "bearer secret", "Content-Type": "application/json; charset=utf-8"},
    {"Authorization": "Bearer secret", "Content-Type": "text/plain"},
    {**HEADERS, "Content-Encoding": "gzip"},
    {**HEADERS, "Content-Encoding": "br"},
]
_SHORTCUT_BODIES = [
    BODY,
    json.dumps(_set("/run/runId", "x")).encode(),
    b"{",
    b"",
    gzip.compress(BODY),
]


def _environ(headers: dict[str, str]) -> EnvironHeaders:
    environ = {
        k.upper().replace("-", "_")
        if k == "Content-Type"
        else "HTTP_" + k.upper().replace("-", "_"): v
        for k, v in headers.items()
    }
    return EnvironHeaders(environ)


@pytest.mark.parametrize("as_environ", [False, True], ids=["dict", "environ"])
@pytest.mark.parametrize("headers", _SHORTCUT_HEADERS)
@pytest.mark.parametrize("body", _SHORTCUT_BODIES, ids=["valid", "schema", "json", "empty", "gzip"])
def test_request_shortcut_agrees_with_the_full_judgement(
    validator: Validator,
    monkeypatch: pytest.MonkeyPatch,
    headers: dict[str, str],
    body: bytes,
    as_environ: bool,
) -> None:
    given: Any = _environ(headers) if as_environ else headers
    fast = validator.check_request("POST", PATH, given, body)
    monkeypatch.setattr(validator, "is_plain_request", lambda header, size: False)
    full = validator.check_request("POST", PATH, given, body)
    assert (fast.violations, fast.event, fast.parsed, fast.body) == (
        full.violations,
        full.event,
        full.parsed,
        full.body,
    )


def test_the_request_shortcut_takes_the_plain_valid_request(validator: Validator) -> None:
    plain = validator.is_plain_request(_environ(HEADERS).get, len(BODY))
    assert plain and not validator.is_plain_request(_environ(HEADERS).get, 0)
    assert not validator.is_plain_request(_environ(HEADERS).get, validator.max_body_size + 1)


@pytest.mark.parametrize("body", [b'{"x": NaN}', b"", b"\xff", b'"\\ud800"', b"[1e999]"])
def test_accepted_event_refuses_what_is_not_json(validator: Validator, body: bytes) -> None:
    assert validator.accepted_event(body) is REFUSED


@pytest.mark.parametrize(
    ("levels", "valid", "kind"),
    [
        ((), True, None),
        ((Level.WARNING,), True, None),
        ((Level.WARNING, Level.ERROR), False, Kind.SCHEMA),
        ((Level.ERROR,), False, Kind.SCHEMA),
    ],
)
def test_warnings_never_decide_the_verdict(
    levels: tuple[Level, ...], valid: bool, kind: Kind | None
) -> None:
    # A warning of a kind that would come first still leaves the verdict to the errors.
    found = tuple(
        Violation(Kind.SCHEMA if lv is Level.ERROR else Kind.SPEC, "k", "m", level=lv)
        for lv in levels
    )
    report = Report(found)
    assert (report.valid, report.kind) == (valid, kind)
    assert len(report.errors) + len(report.warnings) == len(found)


def test_a_violation_survives_its_dict() -> None:
    violation = Violation(
        Kind.SPEC, "type", "m", pointer="/a", level=Level.WARNING, schema_url="https://x/y.json"
    )
    data = violation.to_dict()
    assert (data["level"], data["schemaURL"]) == ("warning", "https://x/y.json")
    assert Violation.from_dict(data) == violation
    assert str(violation) == "warning: /a: m [type]"


# -- the operations of OpenLineage's own document ----------------------------------------

OPENLINEAGE = ROOT.parent / "shared" / "corpus" / "openlineage-spec" / "OpenLineage.yml"


def _spec_event(**changes: Any) -> dict[str, Any]:
    event = {
        "eventType": "START",
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "3f2a6c9e-1b7d-4e0a-9c5f-2d8b7a6e4f10"},
        "job": {"namespace": "n", "name": "j"},
    }
    event.update(changes)
    return event


@pytest.fixture(scope="module")
def batch_validator() -> Validator:
    return Validator(Contract.load(OPENLINEAGE, operation="postEventBatch"))


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        ([_spec_event(), _spec_event()], set()),
        ([], set()),
        ([_spec_event(), _spec_event(eventTime="yesterday")], {("/1/eventTime", "format")}),
        (
            [_spec_event(producer=1), _spec_event(), _spec_event(job={"name": "j"})],
            {("/0/producer", "type"), ("/2/job/namespace", "required")},
        ),
        (_spec_event(), {("", "type")}),
    ],
)
def test_a_batch_is_judged_element_by_element(
    batch_validator: Validator, batch: Any, expected: set[tuple[str, str]]
) -> None:
    report = batch_validator.check(json.dumps(batch).encode())
    assert _found(report) == expected
    assert report.valid is (not expected)


@pytest.mark.parametrize(
    ("method", "path", "operation", "kind"),
    [
        ("POST", "/lineage", "postRunEvent", None),
        ("POST", "/lineage/batch", "postEventBatch", None),
        ("GET", "/lineage/batch", None, Kind.METHOD),
        ("POST", "/api/v1/lineage", None, Kind.PATH),
    ],
)
def test_a_request_is_judged_by_the_operation_it_reaches(
    method: str, path: str, operation: str | None, kind: Kind | None
) -> None:
    validator = Validator(Contract.load(OPENLINEAGE))
    body = [_spec_event()] if path.endswith("batch") else _spec_event()
    headers = {"Content-Type": "application/json"}
    report = validator.check_request(method, path, headers, json.dumps(body).encode())
    assert report.kind is kind, report.summary()
    assert (report.operation.operation_id if report.operation else None) == operation


def test_the_path_violation_names_every_operation() -> None:
    validator = Validator(Contract.load(OPENLINEAGE))
    report = validator.check_request("POST", "/nope", {}, b"{}")
    assert [v.message for v in report.violations] == [
        "no operation at /nope: the contract serves POST /lineage, POST /lineage/batch"
    ]


def test_conformance_sees_each_element_of_a_batch() -> None:
    def check(event: Any) -> list[Violation]:
        return [Violation(Kind.SPEC, "x", "seen", pointer="/job", level=Level.WARNING)]

    validator = Validator(Contract.load(OPENLINEAGE, operation="postEventBatch"), conformance=check)
    report = validator.check([_spec_event(), _spec_event()])
    assert report.valid
    assert [v.pointer for v in report.warnings] == ["/0/job", "/1/job"]
