"""Three engines, one verdict.

The validator's verdict comes from jsonschema-rs (the fast path), its
explanations from jsonschema (``Validator.explain``); openapi-core reads the
OpenAPI document by itself (``Reference``). They must agree on every corpus
event, every fixture and generated events, down to the (pointer, keyword) of
each violation.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_contract import Kind, Validator, strategies
from lineage_contract.testing.reference import Reference

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus" / "openlineage-events"
PATH = "/api/v1/lineage"
HEADERS = {"Authorization": "Bearer t", "Content-Type": "application/json"}

FILES = [
    *sorted(CORPUS.glob("*.json")),
    *sorted((FIXTURES / "valid").glob("*.json")),
    *sorted((FIXTURES / "invalid").glob("*.json")),
]


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference()


def _verdicts(validator: Validator, reference: Reference, event: Any) -> dict[str, Any]:
    body = json.dumps(event).encode()
    return {
        "jsonschema-rs": validator._fast.is_valid(event),
        "jsonschema": validator._reference.is_valid(event),
        "openapi-core": not reference.check_request("POST", PATH, HEADERS, body),
    }


def _agree(validator: Validator, reference: Reference, event: Any) -> None:
    verdicts = _verdicts(validator, reference, event)
    assert len(set(verdicts.values())) == 1, verdicts
    ours = {(v.pointer, v.keyword) for v in validator.explain(event)}
    body = json.dumps(event).encode()
    findings = reference.request_findings("POST", PATH, HEADERS, body)
    theirs = {(f.pointer, f.keyword) for f in findings}
    assert ours == theirs
    assert (not ours) is verdicts["jsonschema"]


def test_there_is_something_to_compare() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_files(validator: Validator, reference: Reference, path: Path) -> None:
    report = validator.check(path.read_bytes())
    if not report.parsed:
        # Not JSON: the validator says so; openapi-core cannot read it either,
        # except NaN, which Python's json (and so openapi-core) lets through.
        assert report.kinds == {Kind.JSON}
        if b"NaN" not in path.read_bytes():
            assert reference.check_request("POST", PATH, HEADERS, path.read_bytes())
        return
    _agree(validator, reference, report.event)


def test_yaml_fixture(validator: Validator, reference: Reference) -> None:
    import yaml

    _agree(validator, reference, yaml.safe_load((FIXTURES / "valid" / "complete.yaml").read_text()))


def test_jsonl_lines(validator: Validator, reference: Reference) -> None:
    for line in (FIXTURES / "jsonl" / "mixed.jsonl").read_bytes().splitlines():
        report = validator.check(line)
        if report.parsed:
            _agree(validator, reference, report.event)


# -- whole requests: the kind of the first problem matches openapi-core's error ---------

BODY = (FIXTURES / "valid" / "minimal.json").read_bytes()
KINDS = {
    "PathNotFound": Kind.PATH,
    "OperationNotFound": Kind.METHOD,
    "SecurityNotFound": Kind.SECURITY,
    "MediaTypeNotFound": Kind.MEDIA_TYPE,
    "MediaTypeDeserializeError": Kind.JSON,
    "MissingRequiredRequestBody": Kind.JSON,
    "contentEncoding": Kind.BAD_ENCODING,
}


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("POST", PATH, HEADERS, BODY),
        ("POST", f"http://127.0.0.1:8080{PATH}", HEADERS, BODY),
        ("POST", "/api/v1/other", HEADERS, BODY),
        ("DELETE", PATH, HEADERS, BODY),
        ("POST", PATH, {"Content-Type": "application/json"}, BODY),
        ("POST", PATH, {**HEADERS, "Authorization": "Basic dTpw"}, BODY),
        ("POST", PATH, {**HEADERS, "authorization": "bearer t"}, BODY),
        ("POST", PATH, {**HEADERS, "Content-Type": "text/plain"}, BODY),
        ("POST", PATH, {**HEADERS, "Content-Type": "application/json; charset=utf-8"}, BODY),
        ("POST", PATH, HEADERS, b"{"),
        ("POST", PATH, HEADERS, b"\xff"),
        ("POST", PATH, HEADERS, b""),
        ("POST", PATH, {**HEADERS, "Content-Encoding": "gzip"}, gzip.compress(BODY)),
        ("POST", PATH, {**HEADERS, "Content-Encoding": "gzip"}, BODY),
        ("POST", PATH, HEADERS, b"[]"),
    ],
)
def test_requests(
    validator: Validator,
    reference: Reference,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    ours = validator.check_request(method, path, headers, body)
    theirs = reference.request_findings(method, path, headers, body)
    assert ours.valid is (not theirs)
    if theirs:
        first = KINDS.get(theirs[0].keyword, Kind.SCHEMA)
        assert ours.violations[0].kind is first


# -- generated events ------------------------------------------------------------------

GENERATED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@GENERATED
@given(event=strategies.valid_events() if strategies else st.nothing())
def test_generated_valid_events(event: Any) -> None:
    validator, reference = _engines()
    verdicts = _verdicts(validator, reference, event)
    assert verdicts == dict.fromkeys(verdicts, True), verdicts


@GENERATED
@given(broken=strategies.invalid_events() if strategies else st.nothing())
def test_generated_invalid_events(broken: Any) -> None:
    validator, reference = _engines()
    verdicts = _verdicts(validator, reference, broken.event)
    assert verdicts == dict.fromkeys(verdicts, False), verdicts
    _agree(validator, reference, broken.event)
    assert (broken.pointer, broken.keyword) in {
        (v.pointer, v.keyword) for v in validator.explain(broken.event)
    }


_ENGINES: list[tuple[Validator, Reference]] = []


def _engines() -> tuple[Validator, Reference]:
    # Hypothesis tests cannot take function-scoped fixtures; build once per process.
    if not _ENGINES:
        _ENGINES.append((Validator(), Reference()))
    return _ENGINES[0]


# -- OpenLineage's own document: its request schema is the JSON Schema beside it ------

SPEC_DIR = ROOT.parent / "shared" / "corpus" / "openlineage-spec"


@pytest.fixture(scope="module")
def openlineage() -> tuple[Validator, Any]:
    """The validator of OpenLineage.yml, and jsonschema on OpenLineage.json as written."""
    import jsonschema

    from lineage_contract import Contract
    from lineage_contract.validation._explain import format_checker

    contract = Contract.load(SPEC_DIR / "OpenLineage.yml")
    original = json.loads((SPEC_DIR / "OpenLineage.json").read_text())
    return Validator(contract), jsonschema.Draft202012Validator(
        original, format_checker=format_checker()
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_translated_openlineage_schema_validates_like_the_original(
    openlineage: tuple[Validator, Any], path: Path
) -> None:
    validator, original = openlineage
    report = validator.check(path.read_bytes())
    if not report.parsed:
        return  # not strict JSON: nothing for a schema to judge
    event = report.event
    verdicts = {
        "jsonschema-rs": validator._fast.is_valid(event),
        "jsonschema": validator._reference.is_valid(event),
        "original": original.is_valid(event),
    }
    assert len(set(verdicts.values())) == 1, verdicts
    assert (not validator.explain(event)) is verdicts["original"]
