"""The lineage graph on corpus events: nodes, edges with their runs, columns and layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lineage_contract import Contract
from lineage_contract.lineage import DATASET, DECLARED_COLUMN, JOB, Lineage
from lineage_contract.validation import Kind, Level

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "openlineage-events"
CONTRACT = Contract.load()


def corpus(pattern: str) -> list[tuple[str, Any]]:
    def rank(path: Path) -> int:
        return int(path.stem.rsplit("-", 1)[1].split("_")[0])

    paths = sorted(CORPUS.glob(pattern), key=rank)
    return [(p.name.split("__", 1)[1], json.loads(p.read_text(encoding="utf-8"))) for p in paths]


def fed(events: list[tuple[str, Any]]) -> Lineage[str]:
    lineage: Lineage[str] = Lineage(CONTRACT)
    for where, one in events:
        lineage.add(one, where)
    return lineage


KITCHEN = "grandmas.kitchen"


def test_marquez_apples_draw_jobs_between_their_datasets() -> None:
    graph = fed(corpus("MarquezProject-marquez__api-src-test-resources-apples-*.json")).graph
    jobs = {key[2] for key in graph.lineage if key[0] == JOB}
    assert jobs == {
        "gather_apples",
        "prepare_apple_filling",
        "prepare_apple_cider",
        "prepare_vinegar",
        "prepare_apple_pie",
    }
    edges = {(s[2], t[2]) for s, t in graph.lineage.edges}
    assert {
        ("red.delicious", "gather_apples"),
        ("crab.apples", "gather_apples"),
        ("gather_apples", "apples"),
        ("apples", "prepare_apple_filling"),
        ("cinnamon", "prepare_apple_filling"),
        ("sugar", "prepare_apple_filling"),
        ("prepare_apple_filling", "apple.filling"),
        ("apple.filling", "prepare_apple_pie"),
        ("prepare_apple_pie", "apple.pie"),
        ("apple.cider", "prepare_vinegar"),
        ("prepare_vinegar", "apple.vinegar"),
    } <= edges
    assert len(edges) == 14
    # Both gather_apples runs drew the edge to apples, in arrival order.
    runs = graph.lineage.edges[(JOB, KITCHEN, "gather_apples"), (DATASET, KITCHEN, "apples")]
    assert list(runs["runs"]) == [
        "fc57cd10-90ce-49aa-ac91-29d222d66fdf",
        "155dbf08-c4c5-43e6-bb3a-8095c4ba59b8",
    ]


def test_the_layout_puts_each_node_after_what_it_reads() -> None:
    graph = fed(corpus("MarquezProject-marquez__api-src-test-resources-apples-*.json")).graph
    place = graph.layout()
    assert set(place) == set(graph.lineage)
    for source, target in graph.lineage.edges:
        assert place[source][0] < place[target][0]
    assert place[(DATASET, "cupboard", "apple.vinegar")][0] == 6
    layers: dict[int, list[int]] = {}
    for layer, order in place.values():
        layers.setdefault(layer, []).append(order)
    assert all(sorted(orders) == list(range(len(orders))) for orders in layers.values())


def test_to_dict_is_json_with_ids_edges_runs_and_places() -> None:
    data = fed(corpus("MarquezProject-marquez__api-src-test-resources-apples-*.json")).graph
    out = json.loads(json.dumps(data.to_dict()))
    ids = {n["id"] for n in out["nodes"]}
    assert "job:grandmas.kitchen/gather_apples" in ids
    assert "dataset:cupboard/sugar" in ids
    assert all(e["source"] in ids and e["target"] in ids for e in out["edges"])
    edge = next(e for e in out["edges"] if e["target"] == "dataset:cupboard/apple.vinegar")
    assert edge == {
        "source": "job:grandmas.kitchen/prepare_vinegar",
        "target": "dataset:cupboard/apple.vinegar",
        "runs": ["a1060004-2a7b-4c3f-a8f9-696362c134df"],
    }
    assert {"layer", "order", "kind", "namespace", "name"} <= set(out["nodes"][0])


def test_column_lineage_of_the_cll_scenario_matches_its_schemas() -> None:
    lineage = fed(corpus("OpenLineage-compatibility-tests__consumer-scenarios-CLL-events-*.json"))
    graph = lineage.graph
    tbl1 = (DATASET, "file", "/tmp/cll_test/tbl1")
    source1 = (DATASET, "file", "/tmp/cll_test/cll_source1")
    source2 = (DATASET, "file", "/tmp/cll_test/cll_source2")
    into_agg = {s for s, t in graph.columns.edges if t == (tbl1, "agg")}
    assert into_agg == {(source1, "a"), (source1, "b"), (source2, "a"), (source2, "c")}
    assert len(graph.columns.edges) == 10
    assert graph.findings() == []  # every column named is declared by a schema facet
    out = graph.to_dict()["columns"]
    assert {
        "source": "dataset:file//tmp/cll_test/cll_source2",
        "sourceField": "c",
        "target": "dataset:file//tmp/cll_test/tbl1",
        "targetField": "agg",
        "runs": ["019127df-0850-72bc-b214-b255290588a6"],
    } in out


def _dataset(namespace: str, name: str, facets: dict[str, Any]) -> dict[str, Any]:
    return {"namespace": namespace, "name": name, "facets": facets}


def _schema(*names: str) -> dict[str, Any]:
    return {"fields": [{"name": n, "type": "string"} for n in names]}


def _event(inputs: list[Any], outputs: list[Any]) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2024-05-01T12:00:00Z",
        "run": {"runId": "3f1b1c2e-8a8b-4f4e-9c55-0d7f1e0a2b11"},
        "job": {"namespace": "warehouse", "name": "copy"},
        "inputs": inputs,
        "outputs": outputs,
    }


LINEAGE_OF_ID = {
    "fields": {
        "id": {"inputFields": [{"namespace": "s3://raw", "name": "users", "field": "user_id"}]}
    }
}


@pytest.mark.parametrize(
    ("input_fields", "output_fields", "expected"),
    [
        (("user_id",), ("id",), []),
        (None, None, []),  # no schema facet: nothing to judge against
        (("uid",), ("id",), ["input column 'user_id' of s3://raw/users"]),
        (("user_id",), ("name",), ["output column 'id' of s3://lake/users"]),
        (("uid",), ("key",), ["input column 'user_id'", "output column 'id'"]),
    ],
)
def test_a_column_no_schema_declares_is_a_lineage_warning(
    input_fields: tuple[str, ...] | None,
    output_fields: tuple[str, ...] | None,
    expected: list[str],
) -> None:
    source = _dataset(
        "s3://raw", "users", {} if input_fields is None else {"schema": _schema(*input_fields)}
    )
    target_facets: dict[str, Any] = {"columnLineage": LINEAGE_OF_ID}
    if output_fields is not None:
        target_facets["schema"] = _schema(*output_fields)
    target = _dataset("s3://lake", "users", target_facets)
    found = fed([("e.json:1:1", _event([source], [target]))]).graph.findings()
    assert len(found) == len(expected)
    for finding, words in zip(found, expected, strict=True):
        assert words in finding.violation.message
        assert finding.violation.kind is Kind.LINEAGE
        assert finding.violation.level is Level.WARNING
        assert finding.violation.keyword == DECLARED_COLUMN
        assert finding.violation.pointer == "/outputs/0/facets/columnLineage/fields/id"
        assert finding.where == "e.json:1:1"


def test_a_schema_seen_in_a_later_event_still_counts() -> None:
    target = _dataset(
        "s3://lake", "users", {"columnLineage": LINEAGE_OF_ID, "schema": _schema("id")}
    )
    first = _event([_dataset("s3://raw", "users", {})], [target])
    later = _event([], [_dataset("s3://raw", "users", {"schema": _schema("user_id", "name")})])
    lineage = fed([("a", first), ("b", later)])
    assert lineage.graph.findings() == []
    nested = _event(
        [
            _dataset(
                "s3://raw",
                "users",
                {
                    "schema": {
                        "fields": [
                            {
                                "name": "user",
                                "type": "struct",
                                "fields": [{"name": "id", "type": "int"}],
                            }
                        ]
                    }
                },
            )
        ],
        [],
    )
    assert fed([("a", nested)]).graph.to_dict()["nodes"][1]["fields"] == ["user", "user.id"]


def test_a_cycle_shares_one_layer() -> None:
    there = _event([_dataset("s3://a", "x", {})], [_dataset("s3://a", "y", {})])
    back = _event([_dataset("s3://a", "y", {})], [_dataset("s3://a", "x", {})])
    graph = fed([("1", there), ("2", back)]).graph
    place = graph.layout()
    assert len({layer for layer, _ in place.values()}) == 1
