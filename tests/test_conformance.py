"""Events against the OpenLineage specification: every facet, the event itself, offline."""

from __future__ import annotations

import copy
import csv
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import MIRROR, SchemaServer
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from lineage_contract import Kind, Level, Validator
from lineage_contract.spec import (
    BAD_URL,
    UNAVAILABLE,
    Conformance,
    Resolved,
    SchemaStore,
    resolve,
    standard_facets,
)

CORPUS = MIRROR.parents[1] / "openlineage-events"
MANIFEST = CORPUS / "MANIFEST.tsv"

SPEC = "https://openlineage.io/spec"
# Where OpenLineage keeps facets (its specification), and the base each place extends.
PLACES = [
    ("run", None, "facets", "RunFacet"),
    ("job", None, "facets", "JobFacet"),
    ("inputs", True, "facets", "DatasetFacet"),
    ("inputs", True, "inputFacets", "InputDatasetFacet"),
    ("outputs", True, "facets", "DatasetFacet"),
    ("outputs", True, "outputFacets", "OutputDatasetFacet"),
]


def _rows() -> list[dict[str, str]]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(encoding="utf-8") as file:
        return list(csv.DictReader(file, delimiter="\t"))


ROWS = _rows()
VALID = [row for row in ROWS if row["oleander_openapi"].startswith("valid")]


@pytest.fixture(scope="module")
def store() -> SchemaStore:
    return SchemaStore(MIRROR, cache_dir=None, offline=True)


@pytest.fixture(scope="module")
def conformance(store: SchemaStore) -> Conformance:
    return Conformance(store)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def facets(event: dict[str, Any]) -> Iterator[tuple[str, str, str, str, dict[str, Any]]]:
    """(pointer, manifest name, kind, key, facet) of every facet, walked here independently."""
    for where, many, name, kind in PLACES:
        holders = event.get(where)
        pairs = (
            [(f"/{where}/{i}", f"{where}[{i}]", h) for i, h in enumerate(holders or [])]
            if many
            else [(f"/{where}", where, holders)]
        )
        for ptr, label, holder in pairs:
            for key, facet in ((holder or {}).get(name) or {}).items():
                if isinstance(facet, dict):
                    yield f"{ptr}/{name}/{key}", f"{label}.{name}.{key}", kind, key, facet


def manifest_failures(text: str) -> dict[str, str]:
    """``inputs[0].facets.dataSource(uri: ...)`` -> {"inputs[0].facets.dataSource": "uri"}."""
    _, _, failures = text.partition("failed: ")
    found = {}
    for item in filter(None, (part.strip() for part in failures.split(" ; "))):
        match = re.fullmatch(r"(?P<facet>[^(]+)\((?P<path>[^:]*):.*\)", item)
        assert match is not None, item
        found[match["facet"]] = match["path"]
    return found


def _oracle_registry() -> Registry[Any]:
    def retrieve(uri: str) -> Resource[Any]:
        path = MIRROR / uri.removeprefix(f"{SPEC}/")
        return Resource.from_contents(
            json.loads(path.read_text()), default_specification=DRAFT202012
        )

    return Registry(retrieve=retrieve)  # type: ignore[call-arg]


ORACLE = _oracle_registry()


def oracle_fails(schema: Resolved, key: str, facet: dict[str, Any]) -> bool:
    """jsonschema on its own, its own format checkers, straight from the mirror files."""
    validator = jsonschema.Draft202012Validator(
        {"$ref": schema.url}, registry=ORACLE, format_checker=jsonschema.FormatChecker()
    )
    return not validator.is_valid({key: facet} if schema.wrapped else facet)


@pytest.mark.parametrize("row", VALID, ids=[row["file"] for row in VALID])
def test_every_facet_that_breaks_its_schema_is_a_warning_at_its_pointer(
    row: dict[str, str], store: SchemaStore, conformance: Conformance, validator: Validator
) -> None:
    event = json.loads((CORPUS / row["file"]).read_text(encoding="utf-8"))
    assert validator.check(event).valid
    result = conformance.check(event)
    assert all(
        v.level is Level.WARNING and v.kind is Kind.SPEC and v.schema_url for v in result.violations
    )

    newest_failures = manifest_failures(row["facets_by_name_newest"])
    standard = standard_facets(store)
    flagged = {
        ptr
        for ptr, *_ in facets(event)
        for v in result.violations
        if v.keyword not in (UNAVAILABLE, BAD_URL) and v.pointer.startswith(ptr + "/")
    }
    expected: set[str] = set()
    for ptr, label, kind, key, facet in facets(event):
        url = facet.get("_schemaURL")
        schema = resolve(url, store, facet=True) if isinstance(url, str) else None
        newest = standard.get((kind, key))
        if not isinstance(schema, Resolved):
            schema = newest  # checked by its key, when it has a standard one
        if schema is None:
            assert any(u.pointer == ptr for u in result.unchecked), ptr
            continue
        if newest is not None and schema.document == newest.document:
            # The newest version: MANIFEST.tsv says whether it breaks it, and where.
            if label in newest_failures:
                expected.add(ptr)
                inside = newest_failures[label]
                inner = f"{ptr}/{inside}" if inside else ptr
                assert any(v.pointer.startswith(inner) for v in result.violations), (ptr, inside)
        elif oracle_fails(schema, key, facet):
            expected.add(ptr)
    assert flagged == expected


def test_the_corpus_has_the_defects_the_issue_names(conformance: Conformance) -> None:
    found = {}
    for row in VALID:
        event = json.loads((CORPUS / row["file"]).read_text(encoding="utf-8"))
        for v in conformance.check(event).violations:
            found.setdefault((v.pointer.rsplit("/", 1)[-1], v.keyword), v)
    assert ("uri", "format") in found  # a dataSource.uri of "file"
    assert ("rowCount", "type") in found  # an outputStatistics.rowCount of "wrong"
    assert ("columnMetrics", "required") in found  # a dataQualityMetrics without columnMetrics
    assert ("runId", "required") in found  # a parent facet without runId
    assert "by its key" in found[("runId", "required")].message


def _event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": "COMPLETE",
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": "https://example.com/producer",
        "schemaURL": f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "3f2a6c9e-1b7d-4e0a-9c5f-2d8b7a6e4f10", "facets": {}},
        "job": {"namespace": "ns", "name": "job"},
        "inputs": [],
        "outputs": [],
    }
    event.update(changes)
    return event


def _facet(url: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": "https://example.com/producer", "_schemaURL": url, **fields}


DATASOURCE = f"{SPEC}/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet"


def _with_input_facet(key: str, facet: dict[str, Any]) -> dict[str, Any]:
    return _event(inputs=[{"namespace": "db", "name": "t", "facets": {key: facet}}])


def test_a_facet_that_keeps_its_schema_gets_no_finding(conformance: Conformance) -> None:
    result = conformance.check(
        _with_input_facet("dataSource", _facet(DATASOURCE, uri="postgres://db:5432"))
    )
    assert result.violations == ()
    assert result.checked == 1
    assert result.event_schema == f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent"


def test_a_broken_facet_is_found_at_its_pointer_with_its_schema(conformance: Conformance) -> None:
    result = conformance.check(_with_input_facet("dataSource", _facet(DATASOURCE, uri="file")))
    (violation,) = result.violations
    assert violation.pointer == "/inputs/0/facets/dataSource/uri"
    assert violation.keyword == "format"
    assert violation.schema_url == DATASOURCE
    assert violation.level is Level.WARNING and violation.kind is Kind.SPEC
    assert '"file" is not a valid uri' in violation.message
    assert str(violation).startswith("warning: /inputs/0/facets/dataSource/uri:")


def test_an_unresolvable_url_with_a_standard_key_is_checked_by_its_key(
    conformance: Conformance,
) -> None:
    url = "https://github.com/OpenLineage/OpenLineage/blob/v1-0-0/spec/OpenLineage.yml#MyCustomJobFacet"
    result = conformance.check(_with_input_facet("dataSource", _facet(url, uri="file")))
    (violation,) = result.violations
    assert violation.pointer == "/inputs/0/facets/dataSource/uri"
    assert violation.schema_url.endswith(
        "/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet"
    )
    assert "checked by its key" in violation.message
    assert result.checked == 1 and result.unchecked == ()


def test_a_custom_facet_offline_is_listed_unchecked(conformance: Conformance) -> None:
    result = conformance.check(
        _with_input_facet("myFacet", _facet("https://example.com/my.json", x=1))
    )
    assert result.violations == ()
    assert result.checked == 0
    (unchecked,) = result.unchecked
    assert unchecked.pointer == "/inputs/0/facets/myFacet"
    assert unchecked.schema_url == "https://example.com/my.json"
    assert "offline" in unchecked.reason


def test_a_custom_facet_whose_schema_is_fetched_is_checked(schema_server: SchemaServer) -> None:
    schema = {"type": "object", "properties": {"size": {"type": "integer"}}, "required": ["size"]}
    schema_server.routes["/my/facet.json"] = (200, json.dumps(schema).encode(), 0.0)
    schema_server.routes["/my/notschema.json"] = (200, b'{"hello": "world"}', 0.0)
    store = SchemaStore(MIRROR, cache_dir=None, timeout=2.0)
    conformance = Conformance(store)
    url = schema_server.url + "my/facet.json"
    broken = conformance.check(_with_input_facet("my", _facet(url, size="big")))
    (violation,) = broken.violations
    assert (violation.pointer, violation.keyword, violation.schema_url) == (
        "/inputs/0/facets/my/size",
        "type",
        url,
    )
    assert conformance.check(_with_input_facet("my", _facet(url, size=3))).checked == 1
    other = conformance.check(
        _with_input_facet("my", _facet(schema_server.url + "my/notschema.json"))
    )
    assert other.checked == 0 and "not a JSON Schema" in other.unchecked[0].reason
    assert schema_server.requests.count("/my/facet.json") == 1


def test_a_facet_schema_that_cannot_be_had_is_a_warning_naming_it(conformance: Conformance) -> None:
    url = f"{SPEC}/facets/9-9-9/DatasourceDatasetFacet.json"
    result = conformance.check(_with_input_facet("dataSource", _facet(url, uri="file")))
    by_keyword = {v.keyword: v for v in result.violations}
    assert by_keyword[UNAVAILABLE].pointer == "/inputs/0/facets/dataSource/_schemaURL"
    assert by_keyword[UNAVAILABLE].schema_url == url
    assert "not in the mirror" in by_keyword[UNAVAILABLE].message
    assert "checked by its key" in by_keyword["format"].message  # still checked, by its key


@pytest.mark.parametrize(
    ("schema_url", "keyword", "fallback"),
    [
        (f"{SPEC}/2-8-9/OpenLineage.json#/definitions/RunEvent", UNAVAILABLE, True),
        ("http://test.schema.url", BAD_URL, True),
    ],
)
def test_an_event_schema_url_naming_no_version_is_a_warning(
    conformance: Conformance, schema_url: str, keyword: str, fallback: bool
) -> None:
    result = conformance.check(_event(schemaURL=schema_url))
    (violation,) = result.violations
    assert (violation.pointer, violation.keyword, violation.level) == (
        "/schemaURL",
        keyword,
        Level.WARNING,
    )
    assert "newest core schema, 2-0-2" in violation.message
    assert result.event_schema == f"{SPEC}/2-0-2/OpenLineage.json"


def test_the_event_is_checked_against_its_core_schema(conformance: Conformance) -> None:
    event = _event(schemaURL=f"{SPEC}/1-0-1/OpenLineage.json#/definitions/RunEvent")
    event["run"]["facets"]["custom"] = {
        "_producer": "not a uri",
        "_schemaURL": "https://example.com/x",
    }
    result = conformance.check(event)
    (violation,) = result.violations
    assert violation.pointer == "/run/facets/custom/_producer"
    assert violation.schema_url == f"{SPEC}/1-0-1/OpenLineage.json#/definitions/RunEvent"


def test_a_finding_seen_by_the_facet_and_the_core_schema_is_said_once(
    conformance: Conformance,
) -> None:
    facet = _facet(DATASOURCE, uri="postgres://db")
    facet["_producer"] = "not a uri"
    result = conformance.check(_with_input_facet("dataSource", facet))
    assert [v.pointer for v in result.violations] == ["/inputs/0/facets/dataSource/_producer"]
    assert result.violations[0].schema_url == DATASOURCE


def test_the_check_leaves_the_event_as_it_was(conformance: Conformance) -> None:
    event = _with_input_facet("dataSource", _facet(DATASOURCE, uri="file"))
    before = copy.deepcopy(event)
    conformance.check(event)
    assert event == before


def test_request_threads_share_one_fetch_and_wait_no_longer_than_the_timeout(
    schema_server: SchemaServer,
) -> None:
    schema_server.routes["/spec/facets/1-0-1/DatasourceDatasetFacet.json"] = (200, b"{}", 1.5)
    store = SchemaStore(cache_dir=None, base_url=schema_server.spec, timeout=0.3)
    conformance = Conformance(store)
    event = _with_input_facet("dataSource", _facet(DATASOURCE, uri="file"))
    spent: list[float] = []
    keywords: list[set[str]] = []

    def check() -> None:
        started = time.monotonic()
        keywords.append({v.keyword for v in conformance.check(event).violations})
        spent.append(time.monotonic() - started)

    threads = [threading.Thread(target=check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(spent) == 6 and max(spent) < 1.2
    assert all(UNAVAILABLE in found for found in keywords)
    assert schema_server.requests.count("/spec/facets/1-0-1/DatasourceDatasetFacet.json") == 1


def test_the_schemas_come_over_the_network_when_there_is_no_mirror(
    schema_server: SchemaServer, tmp_path: Path
) -> None:
    store = SchemaStore(cache_dir=tmp_path, base_url=schema_server.spec, timeout=2.0)
    result = Conformance(store).check(
        _with_input_facet("dataSource", _facet(DATASOURCE, uri="file"))
    )
    assert [v.pointer for v in result.violations] == ["/inputs/0/facets/dataSource/uri"]
    asked = set(schema_server.requests)
    assert "/spec/facets/1-0-1/DatasourceDatasetFacet.json" in asked
    assert "/spec/2-0-2/OpenLineage.json" in asked
    again = Conformance(SchemaStore(cache_dir=tmp_path, offline=True))
    assert (
        again.check(_with_input_facet("dataSource", _facet(DATASOURCE, uri="file"))).violations
        == result.violations
    )


def test_a_custom_pattern_is_explained_in_linear_time(schema_server: SchemaServer) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}}}
    schema_server.routes["/my/pattern.json"] = (200, json.dumps(schema).encode(), 0.0)
    conformance = Conformance(SchemaStore(MIRROR, cache_dir=None, timeout=2.0))
    url = schema_server.url + "my/pattern.json"
    started = time.monotonic()
    result = conformance.check(_with_input_facet("my", _facet(url, code="a" * 40 + "!")))
    assert time.monotonic() - started < 2.0
    (violation,) = result.violations
    assert (violation.pointer, violation.keyword) == ("/inputs/0/facets/my/code", "pattern")


@pytest.mark.parametrize(
    ("key", "url"),
    [
        ("myFacet", "https://example.com/my.json"),  # unchecked
        (
            "dataSource",
            "https://github.com/OpenLineage/OpenLineage/blob/v1-0-0/spec/OpenLineage.yml#X",
        ),
        ("dataSource", DATASOURCE),
    ],
)
def test_a_url_met_again_gives_the_same_findings(store: SchemaStore, key: str, url: str) -> None:
    conformance = Conformance(store)  # fresh: the first call takes the slow path
    for uri in ("postgres://db", "file"):
        event = _event(
            inputs=[
                {"namespace": "db", "name": f"t{i}", "facets": {key: _facet(url, uri=uri)}}
                for i in range(2)
            ]
        )
        first, second = conformance.check(event), conformance.check(event)
        assert first == second
        assert [u.pointer for u in second.unchecked] in (
            [],
            [f"/inputs/{i}/facets/{key}" for i in range(2)],
        )
