"""Loading the OpenAPI document and exposing its lineage operation: lineage_contract.contract."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lineage_contract import Contract, ContractError, Validator
from lineage_contract.contract import ResponseSpec, SecurityScheme, bundled_document_path
from lineage_contract.contract._dialect import Target

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SEED = ROOT.parent / "shared" / "seed"
BUNDLED: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())


def _document() -> dict[str, Any]:
    return copy.deepcopy(BUNDLED)


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / "valid" / name).read_text())


def test_default_is_the_bundled_document() -> None:
    contract = Contract.load()
    assert contract.document == BUNDLED
    assert bundled_document_path().read_bytes() == (ROOT / "openapi.json").read_bytes()


def test_the_lineage_operation() -> None:
    contract = Contract.load()
    assert (contract.method, contract.path) == ("POST", "/api/v1/lineage")
    assert contract.operation["operationId"] == "recordLineageEvent"
    assert contract.media_types == ("application/json",)
    assert contract.json_media_type == "application/json"
    assert contract.body_required is True
    assert contract.security == ((SecurityScheme("bearerAuth", "http", scheme="bearer"),),)
    assert contract.servers == ("https://oleander.dev",)
    assert contract.request_pointer == (
        "/paths/~1api~1v1~1lineage/post/requestBody/content/application~1json/schema"
    )
    assert set(contract.formats) == {"uuid", "date-time", "uri", "int32"}
    assert "/components/schemas/Run/properties/runId" in contract.formats["uuid"]
    assert set(contract.components) == set(BUNDLED["components"]["schemas"])


def test_responses() -> None:
    responses = Contract.load().responses
    assert set(responses) == {"200", "401", "500"}
    ok = responses["200"]
    assert isinstance(ok, ResponseSpec)
    assert ok.media_types == ("application/json",)
    assert ok.schema is not None and ok.schema["$ref"] == "#/$defs/Success"
    unauthorized = responses["401"].schema
    assert unauthorized is not None
    assert unauthorized["properties"]["error"] == {"type": "string"}


def test_request_schema_is_self_contained_2020_12() -> None:
    schema = Contract.load().request_schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["$defs"]) == set(BUNDLED["components"]["schemas"])
    text = json.dumps(schema)
    assert "#/components/" not in text
    assert '"example"' not in text
    assert schema["$ref"] == "#/$defs/OpenLineageEvent"
    assert schema["$defs"]["OpenLineageEvent"]["oneOf"] == [{"$ref": "#/$defs/RunEvent"}]


def test_fast_schema_spells_integer_formats_as_bounds() -> None:
    contract = Contract.load()
    success = contract.json_schema(BUNDLED["components"]["schemas"]["Success"], target=Target.FAST)
    assert {"minimum": -(2**31), "maximum": 2**31 - 1} in success["properties"]["status"]["allOf"]


def test_resolve_follows_refs() -> None:
    contract = Contract.load()
    run = contract.document["components"]["schemas"]["Run"]
    assert contract.resolve({"$ref": "#/components/schemas/Run"}) is run
    assert contract.resolve(run) is run
    with pytest.raises(ContractError, match="cannot resolve"):
        contract.resolve({"$ref": "other.json#/x"})


def test_load_is_cached_per_file() -> None:
    assert Contract.load() is Contract.load()
    assert Contract.load(bundled_document_path()) is Contract.load()


def test_a_changed_file_is_loaded_again(tmp_path: Path) -> None:
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(BUNDLED))
    first = Contract.load(path)
    assert Contract.load(path) is first
    document = _document()
    document["components"]["schemas"]["Job"]["required"].append("facets")
    path.write_text(json.dumps(document, indent=1))
    second = Contract.load(path)
    assert second is not first
    assert "facets" in second.components["Job"]["required"]


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_load_yaml(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"openapi{suffix}"
    path.write_text(yaml.safe_dump(BUNDLED, sort_keys=False))
    contract = Contract.load(path)
    assert contract.document == BUNDLED
    assert contract.request_schema == Contract.load().request_schema
    assert contract.source == str(path.resolve())


def test_json_loaded_under_another_name_is_read_as_yaml(tmp_path: Path) -> None:
    path = tmp_path / "contract.txt"
    path.write_text(json.dumps(BUNDLED))
    assert Contract.load(path).document == BUNDLED


def _set(*path: str | int, value: Any) -> dict[str, Any]:
    document = _document()
    node: Any = document
    for part in path[:-1]:
        node = node[part]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return document


RUN = ("components", "schemas", "Run")


@pytest.mark.parametrize(
    ("document", "says"),
    [
        (_set("info", value=None), 'at /: "info" is a required property'),
        (_set("info", "version", value=None), 'at /info: "version" is a required property'),
        (
            _set("paths", "/api/v1/lineage", "post", "responses", value=None),
            'at /paths/~1api~1v1~1lineage/post: "responses" is a required property',
        ),
        (
            _set(*RUN, "type", value="record"),
            "at /components/schemas/Run: this value is not valid under any of the schemas "
            "listed in the 'oneOf' keyword (type: 'record' is not one of",
        ),
        (
            _set(*RUN, "properties", "runId", "type", value="uuid"),
            "(properties/runId/type: 'uuid' is not one of",
        ),
        (
            _set("components", "schemas", "RunEvent", "allOf", 1, "required", value="run"),
            "(allOf/1/required: 'run' is not of type 'array')",
        ),
        (
            _set(*RUN, "properties", "runId", value={"$ref": "#/components/schemas/Nope"}),
            "cannot resolve '#/components/schemas/Nope' at /components/schemas/Run/properties/"
            "runId: '/components/schemas/Nope' does not exist",
        ),
        (_set("openapi", value="3.1.0"), "OpenAPI 3.1.0 is not supported"),
        (_set("openapi", value="2.0"), "OpenAPI 2.0 is not supported"),
        (_set("openapi", value=None), "OpenAPI (no version) is not supported"),
    ],
)
def test_a_broken_document_says_what_is_wrong(document: dict[str, Any], says: str) -> None:
    with pytest.raises(ContractError) as info:
        Contract.from_document(document)
    message = str(info.value)
    assert says in message
    assert len(message) < 600, "the message must not print the whole document"


def test_an_unknown_format_is_refused_loudly() -> None:
    document = _document()
    document["components"]["schemas"]["Job"]["properties"]["name"]["format"] = "email"
    with pytest.raises(ContractError) as info:
        Contract.from_document(document)
    message = str(info.value)
    assert "'email'" in message
    assert "/components/schemas/Job/properties/name" in message
    assert "Refusing to skip" in message


def test_format_in_an_example_is_not_a_format() -> None:
    document = _document()
    document["components"]["schemas"]["Job"]["example"] = {"format": "email"}
    assert "email" not in Contract.from_document(document).formats


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "neither JSON nor YAML"),
        ("- a\n- b\n", "an OpenAPI document is an object"),
        ("a: [\n", "neither JSON nor YAML"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / ("doc.json" if content.startswith("{") else "doc.yaml")
    path.write_text(content)
    with pytest.raises(ContractError, match=re.escape(says)):
        Contract.load(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="cannot read contract"):
        Contract.load(tmp_path / "absent.json")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_bytes(b"openapi: \xff\n")
    with pytest.raises(ContractError, match="cannot read contract"):
        Contract.load(path)


def _two_operations() -> dict[str, Any]:
    document = _document()
    post = document["paths"]["/api/v1/lineage"]["post"]
    other = copy.deepcopy(post)
    other["operationId"] = "recordBatch"
    document["paths"]["/api/v1/lineage/batch"] = {"put": other}
    # A JSON-less operation never counts.
    document["paths"]["/health"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    return document


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("recordLineageEvent", ("POST", "/api/v1/lineage")),
        ("recordBatch", ("PUT", "/api/v1/lineage/batch")),
        ("/api/v1/lineage/batch", ("PUT", "/api/v1/lineage/batch")),
        ("POST /api/v1/lineage", ("POST", "/api/v1/lineage")),
    ],
)
def test_operation_selection(operation: str, expected: tuple[str, str]) -> None:
    contract = Contract.from_document(_two_operations(), operation=operation)
    assert (contract.method, contract.path) == expected


def test_several_json_operations_must_be_named() -> None:
    with pytest.raises(ContractError, match="several operations take JSON"):
        Contract.from_document(_two_operations())


@pytest.mark.parametrize("operation", ["GET /health", "nope", "PUT /api/v1/lineage"])
def test_unknown_operation(operation: str) -> None:
    with pytest.raises(ContractError, match="no operation"):
        Contract.from_document(_two_operations(), operation=operation)


def test_a_document_without_a_json_operation() -> None:
    document = _document()
    document["paths"] = {"/health": {"get": {"responses": {"200": {"description": "ok"}}}}}
    with pytest.raises(ContractError, match="no operation with a JSON request body"):
        Contract.from_document(document)


# -- the document drives the verdicts ----------------------------------------------


def _verdicts(document: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    validator = Validator(Contract.from_document(document))
    out = {}
    for path in sorted((FIXTURES / "valid").glob("*.json")):
        report = validator.check(path.read_bytes())
        out[path.name] = {(v.pointer, v.keyword) for v in report.violations}
    return out


def test_bundled_document_accepts_every_valid_fixture() -> None:
    assert all(not found for found in _verdicts(_document()).values())


def test_one_more_required_field_changes_the_verdicts() -> None:
    document = _document()
    document["components"]["schemas"]["Run"]["required"].append("facets")
    verdicts = _verdicts(document)
    assert verdicts["minimal.json"] == {("/run/facets", "required")}
    assert verdicts["start.json"] == set()
    assert verdicts["complete-with-datasets.json"] == {("/run/facets", "required")}


def test_a_narrowed_enum_changes_the_verdicts() -> None:
    document = _document()
    run_event = document["components"]["schemas"]["RunEvent"]
    event_type = run_event["allOf"][1]["properties"]["eventType"]
    event_type["enum"] = ["START", "COMPLETE"]
    verdicts = _verdicts(document)
    assert verdicts["start.json"] == set()
    assert verdicts["minimal.json"] == set()
    for name in ("abort.json", "fail.json", "other.json", "running-with-offset.json"):
        assert verdicts[name] == {("/eventType", "enum")}, name


def test_a_new_format_constraint_changes_the_verdicts() -> None:
    document = _document()
    document["components"]["schemas"]["Job"]["properties"]["namespace"]["format"] = "uri"
    verdicts = _verdicts(document)
    assert verdicts["minimal.json"] == {("/job/namespace", "format")}


def test_a_renamed_field_is_followed() -> None:
    # No field name is hard-coded: rename runId in the document and the old name means nothing.
    document = _document()
    run = document["components"]["schemas"]["Run"]
    run["properties"]["id"] = run["properties"].pop("runId")
    run["required"] = ["id"]
    verdicts = _verdicts(document)
    assert verdicts["minimal.json"] == {("/run/id", "required")}


def test_a_different_security_scheme_is_followed() -> None:
    document = _document()
    document["components"]["securitySchemes"] = {
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    }
    document["security"] = [{"apiKey": []}]
    validator = Validator(Contract.from_document(document))
    body = (FIXTURES / "valid" / "minimal.json").read_bytes()
    json_type = {"Content-Type": "application/json"}
    assert validator.check_request(
        "POST", "/api/v1/lineage", {**json_type, "X-Api-Key": "k"}, body
    ).valid
    report = validator.check_request(
        "POST", "/api/v1/lineage", {**json_type, "Authorization": "Bearer t"}, body
    )
    assert [v.keyword for v in report.violations] == ["security"]


# -- the one copy of the contract --------------------------------------------------


def _seed_yaml() -> str | None:
    for path in sorted(SEED.glob("*")) if SEED.is_dir() else []:
        text = path.read_text(encoding="utf-8", errors="replace")
        match = re.search(r"^````yaml[^\n]*\n(.*?)^````", text, re.S | re.M)
        if match:
            return match.group(1)
    return None


def test_openapi_json_is_the_seed_yaml_rendered_to_json() -> None:
    block = _seed_yaml()
    assert block is not None, "../shared/seed holds the contract as the user gave it"
    assert yaml.safe_load(block) == BUNDLED


# -- a document of several operations: OpenLineage's own -------------------------------

OPENLINEAGE = ROOT.parent / "shared" / "corpus" / "openlineage-spec" / "OpenLineage.yml"


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        (None, ("postRunEvent", "POST", "/lineage", False)),
        ("postRunEvent", ("postRunEvent", "POST", "/lineage", False)),
        ("postEventBatch", ("postEventBatch", "POST", "/lineage/batch", True)),
        ("/lineage/batch", ("postEventBatch", "POST", "/lineage/batch", True)),
        ("POST /lineage/batch", ("postEventBatch", "POST", "/lineage/batch", True)),
    ],
)
def test_openlineage_document_operations(
    operation: str | None, expected: tuple[str, str, str, bool]
) -> None:
    contract = Contract.load(OPENLINEAGE, operation=operation)
    assert (contract.operation_id, contract.method, contract.path, contract.batch) == expected
    assert [c.operation_id for c in contract.operations] == ["postRunEvent", "postEventBatch"]
    assert contract in contract.operations
    # One parsed document: the same refs, and the same contract however it is reached.
    assert {id(c.refs) for c in contract.operations} == {id(contract.refs)}
    assert contract.batch_operation is Contract.load(OPENLINEAGE, operation="postEventBatch")
    assert contract.event_operation is Contract.load(OPENLINEAGE)


def test_the_load_cache_is_per_file_and_operation() -> None:
    single, batch = (
        Contract.load(OPENLINEAGE),
        Contract.load(OPENLINEAGE, operation="/lineage/batch"),
    )
    assert single is Contract.load(OPENLINEAGE, operation="postRunEvent")
    assert batch is Contract.load(OPENLINEAGE, operation="postEventBatch")
    assert single is not batch


@pytest.mark.parametrize(
    ("operation", "expected"),
    [("postRunEvent", False), ("postEventBatch", True)],
)
def test_a_batch_is_an_array_of_the_events(operation: str, expected: bool) -> None:
    contract = Contract.load(OPENLINEAGE, operation=operation)
    assert (contract.request_schema.get("type") == "array") is expected
    # The events of a batch are the single-event operation's, wherever they are found.
    assert contract.event_schema["oneOf"] == Contract.load(OPENLINEAGE).request_schema["oneOf"]


@pytest.mark.parametrize("operation", ["postRunEvent", "postEventBatch"])
def test_openlineage_anatomy_reads_the_kinds_of_event_together(operation: str) -> None:
    anatomy = Contract.load(OPENLINEAGE, operation=operation).anatomy
    assert anatomy.event_type == ("eventType",)
    assert anatomy.event_time == ("eventTime",)
    assert anatomy.run_id == ("run", "runId")
    assert anatomy.job == (("job", "namespace"), ("job", "name"))
    dataset_event = {
        "eventTime": "2024-05-01T12:00:00Z",
        "dataset": {"namespace": "n", "name": "d"},
    }
    assert anatomy.run_of(dataset_event) is None
    assert anatomy.job_of({"job": {"namespace": "n", "name": "j"}}) == "n/j"


def test_the_default_operation_of_the_bundled_document_is_unchanged() -> None:
    contract = Contract.load()
    assert contract.operations == (contract,)
    assert contract.operation_id == "recordLineageEvent"
    assert (contract.batch, contract.batch_operation, contract.event_operation) == (
        False,
        None,
        contract,
    )


def test_several_batch_operations_do_not_hide_the_single_event_one() -> None:
    document = _two_operations()
    document["paths"]["/api/v1/lineage/batch"]["put"]["requestBody"]["content"]["application/json"][
        "schema"
    ] = {"type": "array", "items": {"$ref": "#/components/schemas/OpenLineageEvent"}}
    contract = Contract.from_document(document)
    batch = contract.batch_operation
    assert batch is not None
    assert (contract.operation_id, batch.operation_id) == ("recordLineageEvent", "recordBatch")
