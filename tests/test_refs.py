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
