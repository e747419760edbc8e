"""The OAS 3.0 schema dialect, translated for each engine: lineage_contract.contract._dialect.

Each rule is checked through the Validator (fast verdict and explanation) on a
variant of the bundled document, and against openapi-core as the reference.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from lineage_contract import Contract, Validator
from lineage_contract.contract._dialect import (
    Direction,
    Target,
    document_pointer,
    schema_location,
    translate_schema,
)
from lineage_contract.contract._formats import CHECKERS
from lineage_contract.contract._pointers import unpointer
from lineage_contract.testing.reference import Reference
from lineage_contract.validation._explain import violations

ROOT = Path(__file__).resolve().parents[1]
BUNDLED: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
EVENT: dict[str, Any] = json.loads((ROOT / "fixtures" / "valid" / "minimal.json").read_text())
PATH = "/api/v1/lineage"
HEADERS = {"Authorization": "Bearer t", "Content-Type": "application/json"}

# Extra properties on Job, one per dialect rule; every one optional unless said.
JOB_PROPERTIES: dict[str, Any] = {
    "note": {"type": "string", "nullable": True},
    "kind": {"type": "string", "enum": ["batch", "stream"], "nullable": True},
    "nullableEnum": {"type": "string", "enum": ["a", None], "nullable": True},
    "plain": {"type": "string"},
    "score": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
    "ratio": {"type": "number", "maximum": 1, "exclusiveMaximum": True},
    "floor": {"type": "number", "minimum": 0, "exclusiveMinimum": False},
    "retries": {"type": "integer", "format": "int32"},
    "offset": {"type": "integer", "format": "int64"},
    "owner": {"type": "string", "example": 42, "x-internal": True},
    "source": {"$ref": "#/components/schemas/Dataset", "nullable": True, "type": "string"},
    "createdAt": {"type": "string", "readOnly": True},
    "secret": {"type": "string", "writeOnly": True},
}


def _variant() -> dict[str, Any]:
    document = copy.deepcopy(BUNDLED)
    job = document["components"]["schemas"]["Job"]
    job["properties"].update(copy.deepcopy(JOB_PROPERTIES))
    # readOnly and required: required only in responses; writeOnly: only in requests.
    job["required"] = [*job["required"], "createdAt", "secret"]
    document["components"]["schemas"]["Success"]["properties"].update(
        {"token": {"type": "string", "writeOnly": True}, "id": {"type": "string", "readOnly": True}}
    )
    document["components"]["schemas"]["Success"]["required"] = ["status", "token", "id"]
    return document


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract.from_document(_variant())


@pytest.fixture(scope="module")
def validator(contract: Contract) -> Validator:
    return Validator(contract)


@pytest.fixture(scope="module")
def reference(contract: Contract) -> Reference:
    return Reference(contract)


def _event(**job: Any) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["job"]["secret"] = "s"  # required in requests (writeOnly)
    event["job"].update(job)
    return event


CASES = [
    # (job properties, expected violations as (pointer, keyword))
    ({}, set()),
    ({"note": None}, set()),
    ({"note": "text"}, set()),
    ({"note": 1}, {("/job/note", "type")}),
    ({"plain": None}, {("/job/plain", "type")}),
    # OAS 3.0.3: nullable adds null to the type only; an enum without null refuses it.
    ({"kind": None}, {("/job/kind", "enum")}),
    ({"kind": "batch"}, set()),
    ({"nullableEnum": None}, set()),
    ({"nullableEnum": "a"}, set()),
    ({"nullableEnum": 1}, {("/job/nullableEnum", "type"), ("/job/nullableEnum", "enum")}),
    ({"kind": "micro"}, {("/job/kind", "enum")}),
    ({"score": 0}, {("/job/score", "exclusiveMinimum")}),
    ({"score": 0.001}, set()),
    ({"ratio": 1}, {("/job/ratio", "exclusiveMaximum")}),
    ({"ratio": 0.999}, set()),
    ({"floor": 0}, set()),
    ({"floor": -1}, {("/job/floor", "minimum")}),
    ({"retries": 2**31 - 1}, set()),
    ({"retries": -(2**31)}, set()),
    ({"retries": 2**31}, {("/job/retries", "format")}),
    ({"retries": -(2**31) - 1}, {("/job/retries", "format")}),
    ({"retries": 1.5}, {("/job/retries", "type")}),
    ({"offset": 2**63 - 1}, set()),
    ({"offset": 2**63}, {("/job/offset", "format")}),
    ({"offset": -(2**63) - 1}, {("/job/offset", "format")}),
    ({"owner": "someone"}, set()),
    ({"owner": 42}, {("/job/owner", "type")}),
    ({"source": {"namespace": "n"}}, {("/job/source/name", "required")}),
    # readOnly: not required in a request, and refused when sent.
    ({"createdAt": "2024-05-01"}, {("/job/createdAt", "readOnly")}),
]


@pytest.mark.parametrize(("job", "expected"), CASES)
def test_request_verdicts(
    validator: Validator, reference: Reference, job: dict[str, Any], expected: set[Any]
) -> None:
    event = _event(**job)
    report = validator.check(event)
    assert {(v.pointer, v.keyword) for v in report.violations} == expected
    assert validator._fast.is_valid(event) is (not expected)
    body = json.dumps(event).encode()
    assert (reference.check_request("POST", PATH, HEADERS, body) == []) is (not expected)


@pytest.mark.parametrize(
    ("source", "ours", "openapi_core"),
    [
        ({"namespace": "n", "name": "d"}, set(), False),
        (None, {("/job/source", "type")}, False),
        ("s3://x", {("/job/source", "type")}, False),
    ],
)
def test_ref_siblings_are_ignored(
    validator: Validator,
    reference: Reference,
    source: Any,
    ours: set[Any],
    openapi_core: bool,
) -> None:
    # OAS 3.0 Reference Object: "any properties added SHALL be ignored", so the
    # type and nullable beside the $ref do nothing. openapi-core applies them
    # (its $ref is JSON Schema 2019+'s): listed here so a change there shows.
    event = _event(source=source)
    assert {(v.pointer, v.keyword) for v in validator.check(event)} == ours
    body = json.dumps(event).encode()
    assert (reference.check_request("POST", PATH, HEADERS, body) == []) is openapi_core


def test_write_only_is_required_in_a_request(validator: Validator) -> None:
    event = _event()
    del event["job"]["secret"]
    assert {(v.pointer, v.keyword) for v in validator.check(event)} == {("/job/secret", "required")}


def test_read_only_message(validator: Validator) -> None:
    (violation,) = validator.check(_event(createdAt="x")).violations
    assert violation.message == (
        "property 'createdAt' is read-only and must not be sent in a request"
    )
    assert violation.schema_pointer == "/components/schemas/Job/properties/createdAt"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"status": 200, "id": "r1"}, set()),
        ({"status": 200}, {("/id", "required")}),
        ({"status": 200, "id": "r1", "token": "t"}, {("/token", "writeOnly")}),
        ({"status": 2**31, "id": "r1"}, {("/status", "format")}),
    ],
)
def test_response_direction(
    contract: Contract, reference: Reference, body: dict[str, Any], expected: set[Any]
) -> None:
    schema = contract.responses["200"].schema
    assert schema is not None
    checker = jsonschema.FormatChecker()
    checker.checks("int32")(CHECKERS["int32"])
    errors = jsonschema.Draft202012Validator(schema, format_checker=checker).iter_errors(body)
    root = "/paths/~1api~1v1~1lineage/post/responses/200/content/application~1json/schema"
    found = violations(errors, schema, root, contract.refs, body)
    assert {(v.pointer, v.keyword) for v in found} == expected
    if expected == {("/token", "writeOnly")}:
        assert found[0].schema_pointer == "/components/schemas/Success/properties/token"
        assert found[0].message == (
            "property 'token' is write-only and must not appear in a response"
        )
    verdict = reference.check_response(
        "POST", PATH, 200, {"Content-Type": "application/json"}, json.dumps(body).encode()
    )
    assert (verdict == []) is (not expected)


def _node(document: Any, ptr: str) -> Any:
    for part in unpointer(ptr):
        document = document.get(part) if isinstance(document, dict) else None
    return document


def test_translation_of_one_schema() -> None:
    schema = {
        "type": "object",
        "nullable": True,
        "example": {"a": 1},
        "externalDocs": {"url": "https://x.test"},
        "discriminator": {"propertyName": "kind"},
        "xml": {"name": "x"},
        "x-vendor": 1,
        "required": ["a", "r"],
        "properties": {
            "a": {"type": "integer", "minimum": 1, "exclusiveMinimum": True, "format": "int32"},
            "r": {"type": "string", "readOnly": True},
            "ref": {"$ref": "#/components/schemas/Thing", "description": "dropped"},
        },
    }
    out = translate_schema(schema, {"Thing": {"type": "string"}}, direction=Direction.REQUEST)
    assert out == {
        "type": ["object", "null"],
        "required": ["a"],
        "properties": {
            "a": {"type": "integer", "exclusiveMinimum": 1, "format": "int32"},
            "r": False,
            "ref": {"$ref": "#/$defs/Thing"},
        },
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"Thing": {"type": "string"}},
    }
    fast = translate_schema(
        schema, {"Thing": {"type": "string"}}, direction=Direction.RESPONSE, target=Target.FAST
    )
    assert fast["required"] == ["a", "r"]
    assert fast["properties"]["r"] == {"type": "string", "readOnly": True}
    assert fast["properties"]["a"]["allOf"] == [{"minimum": -(2**31), "maximum": 2**31 - 1}]


def test_exclusive_bound_without_its_bound_is_dropped() -> None:
    out = translate_schema(
        {"type": "number", "exclusiveMaximum": True}, {}, direction=Direction.REQUEST
    )
    assert "exclusiveMaximum" not in out and "maximum" not in out


def test_nullable_false_changes_nothing() -> None:
    out = translate_schema({"type": "string", "nullable": False}, {}, direction=Direction.REQUEST)
    assert out["type"] == "string"


@pytest.mark.parametrize(
    ("schema_path", "expected"),
    [
        # jsonschema 4.18+ leaves $ref out of schema paths ...
        (["oneOf", 0, "allOf", 1, "properties", "run", "required"], ["$defs", "Run", "required"]),
        (
            [
                "oneOf",
                0,
                "allOf",
                1,
                "properties",
                "run",
                "properties",
                "facets",
                "anyOf",
                0,
                "additionalProperties",
                "allOf",
                0,
                "required",
            ],
            ["$defs", "BaseFacet", "required"],
        ),
        # ... older ones spell it out.
        (
            ["$ref", "oneOf", 0, "$ref", "allOf", 0, "$ref", "required"],
            ["$defs", "BaseEvent", "required"],
        ),
        (["$defs", "Job", "required"], ["$defs", "Job", "required"]),
    ],
)
def test_schema_location_follows_refs(schema_path: list[Any], expected: list[Any]) -> None:
    schema = Contract.load().request_schema
    location = schema_location(schema, schema_path)
    assert location == expected
    root = "/paths/~1api~1v1~1lineage/post/requestBody/content/application~1json/schema"
    ptr = document_pointer(location, root)
    assert _node(BUNDLED, ptr) is not None


# -- patterns: ECMA-262 as JSON Schema says, whichever engine runs them ----------------


@pytest.mark.parametrize(
    ("pattern", "value", "valid"),
    [
        ("^[a-z.]+$", "etl.daily", True),
        ("^[a-z.]+$", "etl.daily\n", False),  # Python's $ would let the newline through
        (r"^\d+$", "2024", True),
        (r"^\d+$", "٢٠٢٤", False),  # Arabic-Indic digits: \d is ASCII in ECMA-262
        (r"^[\w.]+$", "été", False),
        (r"^\D", "x1", True),
        (r"^a\$$", "a$", True),
    ],
)
def test_patterns_are_read_as_ecma_262_by_both_engines(
    pattern: str, value: str, valid: bool
) -> None:
    document = copy.deepcopy(BUNDLED)
    document["components"]["schemas"]["Job"]["properties"]["name"]["pattern"] = pattern
    validator = Validator(Contract.from_document(document))
    event = copy.deepcopy(EVENT)
    event["job"]["name"] = value
    report = validator.check(event)
    assert report.valid is valid
    # The explanation (jsonschema) agrees with the verdict (jsonschema-rs).
    assert bool(validator.explain(event)) is not valid
    if not valid:
        (violation,) = report.violations
        assert (violation.pointer, violation.keyword) == ("/job/name", "pattern")
        assert violation.message.endswith(f"does not match the pattern {pattern}")
