"""Pointers and $refs into the document, one way: lineage_contract.contract._refs."""

from __future__ import annotations

import copy
import http.server
import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from lineage_contract import Contract, cli
from lineage_contract.contract._anatomy import Anatomy
from lineage_contract.contract._dialect import Direction, schema_location, translate_schema
from lineage_contract.contract._refs import Refs, references
from lineage_contract.errors import ContractError, RefError

ROOT = Path(__file__).resolve().parents[1]
CORPUS_SPEC = ROOT.parent / "shared" / "corpus" / "openlineage-spec" / "OpenLineage.yml"
BUNDLED: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
REQUEST = ("paths", "/api/v1/lineage", "post", "requestBody", "content", "application/json")
SECRET = "SECRET_TOKEN=hunter2-do-not-print"
SHAPE = re.compile(r"^(?P<source>.+): cannot resolve '(?P<ref>[^']*)'( at (?P<at>\S+))?: .+$")


def _with_ref(ref: str) -> dict[str, Any]:
    """The bundled document, its request schema also requiring what ``ref`` names."""
    document = copy.deepcopy(BUNDLED)
    media = document
    for part in REQUEST:
        media = media[part]
    media["schema"] = {"allOf": [media["schema"], {"$ref": "#/components/schemas/Elsewhere"}]}
    document["components"]["schemas"]["Elsewhere"] = {"$ref": ref}
    return document


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``doc/`` for the document, a sibling schema in it, and secrets outside and beside it."""
    (tmp_path / "doc").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.env").write_text(SECRET + "\n")
    (tmp_path / "outside" / "secret.json").write_text(json.dumps({"token": SECRET}))
    (tmp_path / "doc" / ".env").write_text(SECRET + "\n")
    (tmp_path / "doc" / "events.json").write_text(
        json.dumps({"$defs": {"Event": {"type": "object", "description": SECRET}}})
    )
    return tmp_path / "doc"


def _write(tree: Path, ref: str) -> Path:
    path = tree / "openapi.json"
    path.write_text(json.dumps(_with_ref(ref)))
    return path


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        (lambda t: (t.parent / "outside" / "secret.env").as_uri(), "outside the document's"),
        (lambda t: (t.parent / "outside" / "secret.json").as_uri(), "outside the document's"),
        (lambda t: str(t.parent / "outside" / "secret.env"), "outside the document's"),
        (lambda t: "../outside/secret.json#/token", "outside the document's"),
        (lambda t: ".env", "only .json, .yaml, .yml files"),
        (lambda t: "missing.json#/x", "there is no file missing.json"),
        (lambda t: "events.json#/$defs/Nope", "'/$defs/Nope' does not exist"),
        (lambda t: "#/components/schemas/Nope", "'/components/schemas/Nope' does not exist"),
    ],
)
def test_a_ref_leads_nowhere_but_inside_and_quotes_no_file(
    tree: Path, ref: Callable[[Path], str], says: str
) -> None:
    path = _write(tree, ref(tree))
    with pytest.raises(RefError) as info:
        Contract.load(path)
    message = str(info.value)
    assert SECRET not in message
    assert says in message
    match = SHAPE.match(message)
    assert match, message
    assert match["ref"] == ref(tree)
    assert match["at"] == "/components/schemas/Elsewhere"


def test_the_cli_refuses_a_ref_to_a_secret_file(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _write(tree, (tree.parent / "outside" / "secret.env").as_uri())
    code = cli.main(["validate", "--spec", str(spec), str(ROOT / "fixtures" / "valid")])
    out, err = capsys.readouterr()
    assert code == 2
    assert SECRET not in out + err
    assert "cannot resolve" in err


class _Counting(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = json.dumps({"type": "object"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    requests: ClassVar[list[str]] = []
    handler = type("Handler", (_Counting,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("suffix", ["/schema.json", "/schema.json#/type"])
def test_a_ref_to_the_network_is_never_fetched(
    tree: Path, loopback: tuple[str, list[str]], suffix: str
) -> None:
    url, requests = loopback
    with pytest.raises(ContractError) as from_file:
        Contract.load(_write(tree, url + suffix))
    with pytest.raises(ContractError) as from_memory:
        Contract.from_document(_with_ref(url + suffix))
    assert requests == []
    for info in (from_file, from_memory):
        message = str(info.value)
        assert f"cannot resolve '{url + suffix}' at /components/schemas/Elsewhere" in message
        assert "the kit does not fetch" in message


def test_a_document_in_memory_has_no_files_beside_it() -> None:
    with pytest.raises(RefError, match="not read from a file has no files beside it"):
        Contract.from_document(_with_ref("events.json#/$defs/Event"))


def test_files_beside_the_document_resolve_offline(tree: Path) -> None:
    path = _write(tree, "events.json#/$defs/Event")
    refs = Refs(json.loads(path.read_text()), source=str(path), file=path)
    event = refs.follow({"$ref": "#/components/schemas/Elsewhere"})
    assert event == {"type": "object", "description": SECRET}
    assert refs.follow({"$ref": "./events.json#/$defs/Event"}) is event


def test_the_openlineage_spec_reaches_its_json_schema_beside_it() -> None:
    from lineage_contract.contract import read_document

    refs = Refs(read_document(CORPUS_SPEC), source=str(CORPUS_SPEC), file=CORPUS_SPEC)
    run_event = refs.follow(
        refs.at("/paths/~1lineage/post/requestBody/content/application~1json/schema/oneOf/0")
    )
    assert "allOf" in run_event
    contract = Contract.load(CORPUS_SPEC, operation="postRunEvent")
    assert contract.request_schema["oneOf"][0] == {
        "$ref": "#/$defs/file:OpenLineage.json/$defs/RunEvent"
    }


def test_a_file_beside_the_document_is_embedded_once_loaded(tree: Path) -> None:
    contract = Contract.load(_write(tree, "events.json#/$defs/Event"))
    embedded = contract.request_schema["$defs"]["file:events.json"]
    assert embedded == {"$defs": {"Event": {"type": "object", "description": SECRET}}}
    assert contract.request_schema["$defs"]["Elsewhere"] == {
        "$ref": "#/$defs/file:events.json/$defs/Event"
    }


def _beside(tree: Path, schema: dict[str, Any]) -> Path:
    (tree / "events.json").write_text(json.dumps(schema))
    return _write(tree, "events.json#/$defs/Event")


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("http://127.0.0.1:9/x.json", "the kit does not fetch"),
        ("../outside/secret.json#/token", "outside the document's directory"),
        ("#/$defs/Nope", "'/$defs/Nope' does not exist"),
    ],
)
def test_a_ref_in_a_file_beside_the_document_is_held_to_the_same_rule(
    tree: Path, ref: str, says: str
) -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"Event": {"type": "object", "properties": {"a": {"$ref": ref}}}},
    }
    with pytest.raises(RefError) as info:
        Contract.load(_beside(tree, schema))
    message = str(info.value)
    assert f"cannot resolve '{ref}' at events.json#/$defs/Event/properties/a: " in message
    assert says in message
    assert SECRET not in message


def test_a_json_schema_draft_other_than_2020_12_beside_the_document_is_refused(
    tree: Path,
) -> None:
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "$defs": {"Event": {}}}
    with pytest.raises(ContractError, match=r"events\.json is written in JSON Schema .*draft-07"):
        Contract.load(_beside(tree, schema))


def test_a_format_in_a_file_beside_the_document_is_checked_at_load(tree: Path) -> None:
    schema = {"$defs": {"Event": {"type": "string", "format": "color"}}}
    with pytest.raises(ContractError, match=r"'color' at events.json#/\$defs/Event"):
        Contract.load(_beside(tree, schema))


def test_refs_going_round_in_a_circle_are_refused() -> None:
    document = copy.deepcopy(BUNDLED)
    schemas = document["components"]["schemas"]
    schemas["Run"] = {"$ref": "#/components/schemas/Loop"}
    schemas["Loop"] = {"$ref": "#/components/schemas/Run"}
    with pytest.raises(RefError) as info:
        Contract.from_document(document)
    assert str(info.value).endswith(
        "its $refs go round in a circle (/components/schemas/Run -> /components/schemas/Loop"
        " -> /components/schemas/Run)"
    )


# One way to fail: every lookup in the document raises RefError, in one shape.
_RUN_SCHEMA = {"type": "object", "properties": {"a": {"$ref": "#/$defs/Nope"}}}
WALKERS: dict[str, Callable[[], Any]] = {
    "Contract.resolve": lambda: Contract.load().resolve({"$ref": "#/components/schemas/Nope"}),
    "Contract.resolve outside": lambda: Contract.load().resolve({"$ref": "other.json#/x"}),
    "Contract.refs.at": lambda: Contract.load().refs.at("/components/schemas/Nope"),
    "translate_schema": lambda: translate_schema(
        {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/Nope"}}},
        {},
        direction=Direction.REQUEST,
    ),
    "Anatomy.of": lambda: Anatomy.of(_RUN_SCHEMA),
    "schema_location": lambda: schema_location({"$ref": "#/$defs/Nope"}, ["$ref", "type"]),
    "a list index": lambda: Contract.load().refs.at("/servers/x"),
    "past a scalar": lambda: Contract.load().refs.at("/openapi/x"),
}


@pytest.mark.parametrize("walk", WALKERS.values(), ids=WALKERS.keys())
def test_every_lookup_fails_one_way(walk: Callable[[], Any]) -> None:
    with pytest.raises(RefError) as info:
        walk()
    assert isinstance(info.value, ContractError)
    assert SHAPE.match(str(info.value)), str(info.value)


def test_pointers_are_rfc_6901_and_refs_are_uri_fragments() -> None:
    document = {"a/b": {"m~n": 1}, "50%": [10, 20], "x": {"$ref": "#/50%25/1"}}
    refs = Refs(document)
    assert refs.at("/a~1b/m~0n") == 1
    assert refs.at("/50%/0") == 10
    assert refs.at("") is document
    assert refs.follow(document["x"]) == 20
    assert refs.target("#/a~1b") == ("/a~1b", {"m~n": 1})


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"components": {"schemas": {"A": {"$ref": "#/b"}}}}, [("/components/schemas/A", "#/b")]),
        # Data is not a reference: examples, defaults, enums, extensions.
        ({"example": {"$ref": "http://x"}, "x-y": {"$ref": "http://x"}}, []),
        ({"schema": {"default": {"$ref": "#/no"}, "enum": [{"$ref": "#/no"}]}}, []),
        # A property, a path or a response may be called anything.
        (
            {"properties": {"example": {"$ref": "#/p"}, "x-a": {"$ref": "#/q"}}},
            [("/properties/example", "#/p"), ("/properties/x-a", "#/q")],
        ),
        ({"responses": {"default": {"$ref": "#/r"}}}, [("/responses/default", "#/r")]),
        ({"allOf": [{"$ref": "#/s"}, {"$ref": "#/t"}]}, [("/allOf/0", "#/s"), ("/allOf/1", "#/t")]),
        # A Reference Object's siblings are ignored.
        ({"$ref": "#/u", "properties": {"v": {"$ref": "#/w"}}}, [("", "#/u")]),
    ],
)
def test_references_are_found_where_openapi_has_them(
    document: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert list(references(document)) == expected


def test_a_ref_inside_an_example_is_data(loopback: tuple[str, list[str]]) -> None:
    url, requests = loopback
    document = copy.deepcopy(BUNDLED)
    document["components"]["schemas"]["Job"]["example"] = {"$ref": url + "/x.json"}
    Contract.from_document(document)
    assert requests == []


# -- a ref to a schema OpenLineage publishes: read from the mirror or the cache, never fetched

MIRROR = ROOT.parent / "shared" / "corpus" / "openlineage-spec" / "versions"
EVENTS = ROOT.parent / "shared" / "corpus" / "openlineage-events"
CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
RUN_EVENT = CORE + "#/$defs/RunEvent"
AT_REQUEST = "/paths/~1lineage/post/requestBody/content/application~1json/schema"


def _published(tmp_path: Path, ref: str = RUN_EVENT) -> Path:
    """A document (in ``tmp_path``, nothing beside it) whose request schema is ``ref``."""
    path = tmp_path / "published.json"
    media = {"application/json": {"schema": {"$ref": ref}}}
    operation = {"requestBody": {"content": media}, "responses": {"200": {"description": "OK"}}}
    document = {
        "openapi": "3.0.2",
        "info": {"title": "t", "version": "1"},
        "paths": {"/lineage": {"post": operation}},
    }
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every connection a test tries (refused): loading must try none."""
    import socket

    tried: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        tried.append(address)
        raise OSError("the network is not for loading")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return tried


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The corpus mirror, set (as conftest sets it for the run, but said here); an empty cache."""
    monkeypatch.setenv("LINEAGE_CONTRACT_SCHEMAS", str(MIRROR))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return MIRROR


@pytest.fixture
def no_mirror(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No mirror, and an empty cache: the directory a schema would be cached in."""
    monkeypatch.delenv("LINEAGE_CONTRACT_SCHEMAS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "lineage-contract" / "schemas"


def _found(report: Any) -> set[tuple[str, str, str]]:
    return {(v.pointer, v.keyword, v.schema_pointer) for v in report.violations}


BASE_EVENT = CORE + "#/$defs/BaseEvent"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("MarquezProject-marquez__api-src-test-resources-open_lineage-event_full.json", set()),
        (
            "MarquezProject-marquez__api-src-test-resources-open_lineage-event_required_only.json",
            set(),
        ),
        (
            "MarquezProject-marquez__api-src-test-resources-apples-1_pick_apples.json",
            {("/schemaURL", "required", BASE_EVENT + "/required")},
        ),
        (
            "OpenLineage-compatibility-tests__consumer-scenarios-simple_run_event-events-"
            "simple_run_event.json",
            {
                ("/producer", "format", BASE_EVENT + "/properties/producer/format"),
                ("/run/runId", "format", CORE + "#/$defs/Run/properties/runId/format"),
            },
        ),
        (
            "OpenLineage-OpenLineage__tests-openlineage-serde_example.json",
            {
                ("/eventTime", "format", BASE_EVENT + "/properties/eventTime/format"),
                ("/producer", "format", BASE_EVENT + "/properties/producer/format"),
                (
                    "/run/facets/nominalTime/_producer",
                    "format",
                    CORE + "#/$defs/BaseFacet/properties/_producer/format",
                ),
                ("/run/runId", "format", CORE + "#/$defs/Run/properties/runId/format"),
                ("/schemaURL", "required", BASE_EVENT + "/required"),
            },
        ),
    ],
)
def test_a_ref_to_a_published_schema_judges_as_the_openlineage_document_does(
    tmp_path: Path,
    mirror: Path,
    connects: list[Any],
    event: str,
    expected: set[tuple[str, str, str]],
) -> None:
    from lineage_contract.validation import Validator

    body = (EVENTS / event).read_bytes()
    report = Validator(Contract.load(_published(tmp_path))).check(body)
    beside = Validator(Contract.load(CORPUS_SPEC)).check(body)
    assert _found(report) == expected
    assert report.valid is beside.valid is (not expected)
    # The same rules, named by the URL where OpenLineage.yml names the file beside it.
    assert {
        (p, k, s.replace("OpenLineage.json#", CORE + "#", 1)) for p, k, s in _found(beside)
    } == expected
    assert connects == []


def test_a_published_schema_is_embedded_under_its_url(tmp_path: Path, mirror: Path) -> None:
    schema = Contract.load(_published(tmp_path)).request_schema
    assert (
        schema["$ref"]
        == "#/$defs/https:~1~1openlineage.io~1spec~12-0-2~1OpenLineage.json/$defs/RunEvent"
    )
    assert set(schema["$defs"]) == {CORE}
    assert "RunEvent" in schema["$defs"][CORE]["$defs"]


@pytest.mark.parametrize(
    ("ref", "embedded"),
    [
        # A facet's schema names the core schema by URL: that is followed too.
        (
            "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet",
            {"https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json", CORE},
        ),
        # The core schemas 1-0-4 to 2-0-1 name their facets relatively.
        (
            "https://openlineage.io/spec/2-0-1/OpenLineage.json#/$defs/RunEvent",
            {
                "https://openlineage.io/spec/2-0-1/OpenLineage.json",
                "https://openlineage.io/spec/2-0-1/facets/ParentRunFacet.json",
            },
        ),
    ],
)
def test_refs_inside_a_published_schema_are_followed_the_same_way(
    tmp_path: Path, mirror: Path, connects: list[Any], ref: str, embedded: set[str]
) -> None:
    schema = Contract.load(_published(tmp_path, ref)).request_schema
    assert embedded <= set(schema["$defs"])
    assert connects == []


def test_the_cache_serves_a_published_schema_without_a_mirror(
    tmp_path: Path, no_mirror: Path
) -> None:
    (no_mirror / "2-0-2").mkdir(parents=True)
    (no_mirror / "2-0-2" / "OpenLineage.json").write_bytes(
        (MIRROR / "2-0-2/OpenLineage.json").read_bytes()
    )
    assert CORE in Contract.load(_published(tmp_path)).request_schema["$defs"]


def test_a_document_in_memory_reaches_published_schemas_too(mirror: Path) -> None:
    contract = Contract.from_document(_with_ref(RUN_EVENT))
    assert CORE in contract.request_schema["$defs"]


@pytest.mark.parametrize(
    ("ref", "environ", "says"),
    [
        (
            RUN_EVENT,
            {},
            [
                "LINEAGE_CONTRACT_SCHEMAS is not set and the cache {cache} has no "
                "2-0-2/OpenLineage.json, and the kit does not fetch at load",
                "set LINEAGE_CONTRACT_SCHEMAS to a directory laid out like "
                "https://openlineage.io/spec/",
                "or put the schema at {cache}/2-0-2/OpenLineage.json",
            ],
        ),
        (
            RUN_EVENT,
            {"LINEAGE_CONTRACT_SCHEMAS": "{tmp}"},
            ["the mirror {tmp} (LINEAGE_CONTRACT_SCHEMAS) has no 2-0-2/OpenLineage.json"],
        ),
        (
            RUN_EVENT,
            {"LINEAGE_CONTRACT_SCHEMAS": "{tmp}/missing"},
            ["(LINEAGE_CONTRACT_SCHEMAS, which is not a directory) has no"],
        ),
        (
            "https://openlineage.io/spec/9-9-9/OpenLineage.json#/$defs/RunEvent",
            {"LINEAGE_CONTRACT_SCHEMAS": str(MIRROR)},
            [f"the mirror {MIRROR} (LINEAGE_CONTRACT_SCHEMAS) has no 9-9-9/OpenLineage.json"],
        ),
        (
            "https://openlineage.io/spec/2-0-2/Other.json#/$defs/RunEvent",
            {"LINEAGE_CONTRACT_SCHEMAS": str(MIRROR)},
            ["it is not a path OpenLineage publishes schemas at"],
        ),
        (
            "https://example.com/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            {"LINEAGE_CONTRACT_SCHEMAS": str(MIRROR)},
            ["it names a URL, and the kit does not fetch"],
        ),
    ],
)
def test_a_published_schema_no_copy_holds_is_refused_saying_how_to_get_it(
    tmp_path: Path,
    no_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    connects: list[Any],
    ref: str,
    environ: dict[str, str],
    says: list[str],
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    with pytest.raises(RefError) as info:
        Contract.load(_published(tmp_path, ref))
    message = str(info.value)
    match = SHAPE.match(message)
    assert match, message
    assert (match["ref"], match["at"]) == (ref, AT_REQUEST)
    for part in says:
        assert part.format(cache=no_mirror, tmp=tmp_path) in message
    assert connects == []


def test_the_load_cache_keeps_apart_what_each_mirror_gives(
    tmp_path: Path, no_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _published(tmp_path)
    monkeypatch.setenv("LINEAGE_CONTRACT_SCHEMAS", str(MIRROR))
    loaded = Contract.load(path)
    monkeypatch.delenv("LINEAGE_CONTRACT_SCHEMAS")
    with pytest.raises(RefError, match="is not set and the cache"):
        Contract.load(path)
    monkeypatch.setenv("LINEAGE_CONTRACT_SCHEMAS", str(tmp_path))
    with pytest.raises(RefError, match=f"the mirror {re.escape(str(tmp_path))} "):
        Contract.load(path)
    monkeypatch.setenv("LINEAGE_CONTRACT_SCHEMAS", str(MIRROR))
    assert Contract.load(path) is loaded


_BAD_EVENT = (
    "OpenLineage-compatibility-tests__consumer-scenarios-simple_run_event-events-"
    "simple_run_event.json"
)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_validate_schemas_reads_published_schemas_for_the_contract_too(
    tmp_path: Path,
    no_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    jobs: str,
) -> None:
    # No LINEAGE_CONTRACT_SCHEMAS: --schemas alone says where the contract's URL ref is.
    from lineage_contract.cli import main
    from lineage_contract.files import _sources

    monkeypatch.setattr(_sources, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(_sources, "CHUNK_BYTES", 2_000)
    spec = _published(tmp_path)
    events = tmp_path / "events.jsonl"
    line = json.dumps(json.loads((EVENTS / _BAD_EVENT).read_bytes())) + "\n"
    events.write_text(line * 3)
    argv = ["validate", "--spec", str(spec), "--jobs", jobs, "--no-conformance", "--no-lineage"]
    assert main([*argv, str(events)]) == 2  # without a mirror the contract cannot load
    assert "LINEAGE_CONTRACT_SCHEMAS" in capsys.readouterr().err
    assert main([*argv, "--schemas", str(MIRROR), "-f", "json", str(events)]) == 1
    failures = json.loads(capsys.readouterr().out)["files"][0]["failures"]
    assert [sorted(v["pointer"] for v in f["violations"]) for f in failures] == [
        ["/producer", "/run/runId"]
    ] * 3


def test_the_plugins_lineage_schemas_reads_published_schemas_for_the_contract(
    pytester: pytest.Pytester, tmp_path: Path, no_mirror: Path
) -> None:
    spec = _published(tmp_path)
    pytester.makeini(f"[pytest]\nlineage_spec = {spec}\nlineage_schemas = {MIRROR}\n")
    pytester.makepyfile(
        f"""
        def test_it(lineage_contract):
            assert str(lineage_contract.copies.mirror) == {str(MIRROR)!r}
            assert lineage_contract.request_schema["$ref"].startswith("#/$defs/https:")
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
