"""The strategies follow the document, draw valid or exactly-once-broken events, and shrink."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, find, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from lineage_contract import Contract, ContractError, Validator
from lineage_contract.strategies import (
    ITEM,
    KEY,
    BrokenEvent,
    Rule,
    invalid_events,
    rules,
    run_lifecycles,
    valid_events,
)

CONTRACT = Contract.load()
VALIDATOR = Validator(CONTRACT)
FAST = settings(
    database=None,
    deadline=None,
    derandomize=True,
    # No explain phase: on events it costs seconds per shrink and tells us nothing.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TERMINAL = {"COMPLETE", "FAIL", "ABORT"}


def independent(contract: Contract) -> jsonschema.Draft202012Validator:
    """jsonschema's own format checker (rfc3339-validator, rfc3986-validator), not the kit's."""
    return jsonschema.Draft202012Validator(
        contract.request_schema, format_checker=jsonschema.FormatChecker()
    )


INDEPENDENT = independent(CONTRACT)


def sample(strategy: st.SearchStrategy[Any], count: int, at: int = 0) -> list[Any]:
    """``count`` values drawn by a seeded run (what a test sees, not ``.example()``)."""
    found: list[Any] = []

    @seed(at)
    @settings(FAST, derandomize=False, max_examples=count, phases=[Phase.generate])
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


def variant(change: Callable[[dict[str, Any]], None]) -> Contract:
    document = copy.deepcopy(dict(CONTRACT.document))
    change(document["components"]["schemas"])
    return Contract.from_document(document)


def reported(validator: Validator, broken: BrokenEvent) -> bool:
    report = validator.check(broken.event)
    return any(
        v.pointer == broken.pointer and v.keyword == broken.keyword for v in report.violations
    )


# -- valid events --------------------------------------------------------------------------


def test_jsonschema_checks_the_formats_the_contract_uses() -> None:
    checkers = jsonschema.FormatChecker().checkers
    assert {"uuid", "date-time", "uri"} <= set(checkers)
    assert set(CONTRACT.formats) - {"int32"} <= set(checkers)


@settings(FAST, max_examples=1500)
@given(valid_events())
def test_every_valid_event_passes_the_validator_and_jsonschema(event: Any) -> None:
    report = VALIDATOR.check(event)
    assert report.valid, report.summary()
    errors = [e.message for e in INDEPENDENT.iter_errors(event)]
    assert not errors


def test_events_look_like_openlineage() -> None:
    events = sample(valid_events(), 400, at=7)
    with_datasets = [e for e in events if e.get("inputs") or e.get("outputs")]
    assert len(with_datasets) > len(events) / 3
    datasets = [d for e in with_datasets for d in e.get("inputs", []) + e.get("outputs", [])]
    assert any("://" in d["namespace"] for d in datasets)
    assert any(d["name"].count(".") >= 1 for d in datasets)
    facets = Counter(
        name
        for e in events
        for holder in [e["run"], e["job"], *e.get("inputs", []), *e.get("outputs", [])]
        for name in holder.get("facets", {})
    )
    assert {"parent", "nominalTime", "sql", "schema", "dataSource"} <= set(facets)
    for e in events:
        assert e["producer"].startswith("https://")
        assert e["schemaURL"].startswith("https://")
        for facet in e["run"].get("facets", {}).values():
            assert facet["_producer"].startswith("https://")
            assert facet["_schemaURL"].startswith("https://")
    offsets = {e["eventTime"][19:].lstrip(".0123456789") for e in events}
    assert len(offsets) > 5
    years = {dt.datetime.fromisoformat(e["eventTime"]).year for e in events}
    assert min(years) >= 2018 and max(years) <= 2030


def test_shrinks_to_the_minimal_event() -> None:
    event = find(valid_events(), lambda e: "outputs" in e and len(e["outputs"]) > 0, settings=FAST)
    assert set(event) == {"eventTime", "producer", "schemaURL", "run", "job", "outputs"}
    assert set(event["run"]) == {"runId"}
    assert set(event["job"]) == {"namespace", "name"}
    assert event["outputs"] == [
        {"namespace": event["outputs"][0]["namespace"], "name": event["outputs"][0]["name"]}
    ]
    assert VALIDATOR.check(event).valid


@pytest.mark.parametrize(
    ("options", "check"),
    [
        ({"event_type": "START"}, lambda e: e["eventType"] == "START"),
        (
            {"job": {"namespace": "ns", "name": "nightly"}},
            lambda e: e["job"]["namespace"] == "ns" and e["job"]["name"] == "nightly",
        ),
        (
            {
                "job": {
                    "facets": {
                        "sql": {
                            "_producer": "https://p",
                            "_schemaURL": "https://s",
                            "query": "SELECT 1",
                        }
                    }
                }
            },
            lambda e: e["job"]["facets"]["sql"]["query"] == "SELECT 1" and "name" in e["job"],
        ),
        ({"max_datasets": 1}, lambda e: len(e.get("inputs", [])) <= 1),
        ({"max_datasets": 0}, lambda e: not e.get("inputs") and not e.get("outputs")),
        ({"max_facets": 0}, lambda e: not e["run"].get("facets")),
    ],
)
def test_options_fix_parts_of_the_event(
    options: dict[str, Any], check: Callable[[Any], bool]
) -> None:
    events = sample(valid_events(**options), 60)
    assert all(check(e) for e in events)
    assert all(VALIDATOR.check(e).valid for e in events)


@pytest.mark.parametrize(
    "options",
    [{"event_type": "FINISHED"}, {"job": {"name": 5}}, {"max_datasets": -1}, {"job": []}],
)
def test_options_the_contract_cannot_honour_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        valid_events(**options)


def _more_required(schemas: dict[str, Any]) -> None:
    schemas["Job"]["properties"]["owner"] = {"type": "string", "minLength": 3, "maxLength": 8}
    schemas["Job"]["required"].append("owner")


def _narrower_enum(schemas: dict[str, Any]) -> None:
    event_type = schemas["RunEvent"]["allOf"][1]["properties"]["eventType"]
    event_type["enum"] = ["START", "COMPLETE"]


def _hints_refused(schemas: dict[str, Any]) -> None:
    # The namespace and producer hints cannot match: generation must fall back.
    schemas["Dataset"]["properties"]["namespace"]["pattern"] = "^ns-[0-9]{2}$"
    schemas["BaseEvent"]["properties"]["producer"]["maxLength"] = 12


def _many_keywords(schemas: dict[str, Any]) -> None:
    schemas["Job"]["properties"].update(
        {
            "owner": {"type": "string", "nullable": True},
            "attempt": {"type": "integer", "minimum": 1, "maximum": 5},
            "ratio": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMinimum": True},
            "tags": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"type": "string", "enum": ["a", "b", "c"]},
            },
            "label": {
                "oneOf": [{"type": "string", "maxLength": 5}, {"type": "string", "minLength": 3}]
            },
            "when": {"type": "string", "format": "date"},
            "secret": {"type": "string", "readOnly": True},
        }
    )
    schemas["Job"]["required"] += ["attempt", "ratio", "tags", "label", "secret"]
    schemas["Job"]["additionalProperties"] = False


VARIANTS = {
    "more-required": (_more_required, lambda e: 3 <= len(e["job"]["owner"]) <= 8),
    "narrower-enum": (
        _narrower_enum,
        lambda e: e.get("eventType", "START") in {"START", "COMPLETE"},
    ),
    "hints-refused": (
        _hints_refused,
        lambda e: (
            len(e["producer"]) <= 12
            and all(
                d["namespace"].startswith("ns-") for d in e.get("inputs", []) + e.get("outputs", [])
            )
        ),
    ),
    "many-keywords": (
        _many_keywords,
        lambda e: (
            1 <= e["job"]["attempt"] <= 5
            and 0 < e["job"]["ratio"] <= 1
            and not 3 <= len(e["job"]["label"]) <= 5
            and set(e["job"])
            <= {"namespace", "name", "facets", "owner", "attempt", "ratio", "tags", "label", "when"}
        ),
    ),
}


@pytest.mark.parametrize("name", VARIANTS)
def test_a_changed_document_changes_the_events(name: str) -> None:
    change, check = VARIANTS[name]
    contract = variant(change)
    validator, reference = Validator(contract), independent(contract)
    events = sample(valid_events(contract), 150)
    for event in events:
        assert validator.check(event).valid, validator.check(event).summary()
        assert reference.is_valid(event)
        assert check(event), event
    # The bundled contract's events would not all pass the variant's checks.
    assert not all(
        _passes(check, e) and validator.check(e).valid for e in sample(valid_events(), 150)
    )


def _passes(check: Callable[[Any], bool], event: Any) -> bool:
    try:
        return check(event)
    except (KeyError, TypeError):
        return False


def test_narrower_enum_draws_every_remaining_value() -> None:
    events = sample(valid_events(variant(_narrower_enum)), 150)
    assert {e["eventType"] for e in events if "eventType" in e} == {"START", "COMPLETE"}


def test_nullable_properties_are_sometimes_null() -> None:
    events = sample(valid_events(variant(_many_keywords)), 150)
    owners = [e["job"]["owner"] for e in events if "owner" in e["job"]]
    assert None in owners and any(isinstance(o, str) for o in owners)


# -- invalid events ------------------------------------------------------------------------

DRAWN_RULES: set[Rule] = set()


@settings(FAST, max_examples=1000)
@given(invalid_events())
def test_every_invalid_event_is_rejected_where_it_says(broken: BrokenEvent) -> None:
    DRAWN_RULES.add(broken.rule)
    assert broken.rule.matches(broken.pointer), (broken.rule, broken.pointer)
    assert reported(VALIDATOR, broken), VALIDATOR.check(broken.event).summary()
    assert not INDEPENDENT.is_valid(broken.event)


def _facet_rules(holder: str, deleted: bool) -> set[tuple[str, str]]:
    out = {(holder, "type"), (f"{holder}/*", "type")}
    for field in ("_producer", "_schemaURL"):
        out |= {(f"{holder}/*/{field}", k) for k in ("required", "type", "format")}
    if deleted:
        out.add((f"{holder}/*/_deleted", "type"))
    return out


def _expected_rules() -> set[tuple[str, str]]:
    out = {("", "type"), ("/eventType", "enum")}
    for name in ("eventTime", "producer", "schemaURL"):
        out |= {(f"/{name}", k) for k in ("required", "type", "format")}
    out |= {("/run", "required"), ("/run", "type"), ("/job", "required"), ("/job", "type")}
    out |= {("/run/runId", k) for k in ("required", "type", "format")}
    out |= {(f"/job/{n}", k) for n in ("namespace", "name") for k in ("required", "type")}
    out |= _facet_rules("/run/facets", deleted=False) | _facet_rules("/job/facets", deleted=True)
    for side in ("inputs", "outputs"):
        out |= {(f"/{side}", "type"), (f"/{side}/*", "type")}
        out |= {(f"/{side}/*/{n}", k) for n in ("namespace", "name") for k in ("required", "type")}
        out |= _facet_rules(f"/{side}/*/facets", deleted=True)
        out |= _facet_rules(f"/{side}/*/{side[:-1]}Facets", deleted=False)
    return out


def test_rules_are_every_rule_of_the_document() -> None:
    found = {(r.pattern, r.keyword) for r in rules()}
    assert found == _expected_rules()
    assert len(rules()) == len(found) == 85


def test_the_seeded_run_drew_only_enumerated_rules() -> None:
    if not DRAWN_RULES:
        test_every_invalid_event_is_rejected_where_it_says()
    enumerated = set(rules())
    assert enumerated >= DRAWN_RULES
    assert len(DRAWN_RULES) > len(enumerated) // 2


def test_every_enumerated_rule_is_drawn_and_rejected() -> None:
    # One small seeded run per rule: the coupon collector of one big run is too slow.
    for rule in rules():
        drawn = sample(invalid_events(select=rule.__eq__, max_datasets=1, max_facets=1), 3)
        assert drawn, rule
        for broken in drawn:
            assert broken.rule == rule
            assert rule.matches(broken.pointer)
            assert reported(VALIDATOR, broken), (rule, VALIDATOR.check(broken.event).summary())


@pytest.mark.parametrize("keyword", ["required", "type", "format", "enum"])
def test_shrunk_invalid_events_stay_invalid(keyword: str) -> None:
    def deep(b: BrokenEvent) -> bool:
        return b.keyword == keyword and b.pointer.count("/") >= (1 if keyword == "enum" else 2)

    broken = find(invalid_events(select=lambda r: r.keyword == keyword), deep, settings=FAST)
    assert reported(VALIDATOR, broken), VALIDATOR.check(broken.event).summary()
    assert not INDEPENDENT.is_valid(broken.event)


@pytest.mark.parametrize("name", ["more-required", "narrower-enum", "many-keywords"])
def test_rules_follow_a_changed_document(name: str) -> None:
    contract = variant(VARIANTS[name][0])
    found = {(r.pattern, r.keyword) for r in rules(contract)}
    added = found - _expected_rules()
    expected = {
        "more-required": {
            ("/job/owner", "required"),
            ("/job/owner", "type"),
            ("/job/owner", "minLength"),
            ("/job/owner", "maxLength"),
        },
        "narrower-enum": set(),
        "many-keywords": {
            ("/job", "additionalProperties"),
            ("/job/attempt", "minimum"),
            ("/job/attempt", "maximum"),
            ("/job/ratio", "exclusiveMinimum"),
            ("/job/ratio", "maximum"),
            ("/job/tags", "minItems"),
            ("/job/tags/*", "enum"),
            ("/job/when", "format"),
            ("/job/owner", "type"),
        },
    }[name]
    assert expected <= added
    validator = Validator(contract)
    for broken in sample(invalid_events(contract), 150):
        assert reported(validator, broken), validator.check(broken.event).summary()


def test_rule_patterns_match_concrete_pointers() -> None:
    rule = Rule(("inputs", ITEM, "facets", KEY, "_producer"), "format")
    assert rule.pattern == "/inputs/*/facets/*/_producer"
    assert rule.matches("/inputs/2/facets/schema/_producer")
    assert not rule.matches("/inputs/x/facets/schema/_producer")
    assert not rule.matches("/inputs/0/facets/schema")
    assert str(Rule((), "type")) == "(root) [type]"


def test_selecting_no_rule_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        invalid_events(select=lambda r: False)


# -- lifecycles ----------------------------------------------------------------------------


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("z", "Z"))


@settings(FAST, max_examples=60)
@given(run_lifecycles())
def test_lifecycles_are_one_run_in_order(events: list[Any]) -> None:
    kinds = [e["eventType"] for e in events]
    assert kinds[0] == "START" and kinds[-1] in TERMINAL
    assert set(kinds[1:-1]) <= {"RUNNING", "OTHER"}
    assert len({e["run"]["runId"] for e in events}) == 1
    times = [_instant(e["eventTime"]) for e in events]
    assert times == sorted(times)
    for event in events:
        assert VALIDATOR.check(event).valid, VALIDATOR.check(event).summary()


def test_lifecycles_satisfy_the_kits_lifecycle_assertion() -> None:
    from lineage_contract.testing import _assertions as assertions

    for events in sample(run_lifecycles(), 40):
        assertions.assert_run_lifecycle(events, events[0]["run"]["runId"], contract=CONTRACT)


def test_lifecycles_use_only_the_states_the_contract_has() -> None:
    runs = sample(run_lifecycles(variant(_narrower_enum)), 40)
    assert all([e["eventType"] for e in run] == ["START", "COMPLETE"] for run in runs)


def test_lifecycles_need_a_start_state() -> None:
    def no_start(schemas: dict[str, Any]) -> None:
        schemas["RunEvent"]["allOf"][1]["properties"]["eventType"]["enum"] = ["RUNNING", "OTHER"]

    with pytest.raises(ContractError, match="START"):
        run_lifecycles(variant(no_start))


# -- hygiene -------------------------------------------------------------------------------


def test_importing_registers_nothing_with_hypothesis() -> None:
    code = (
        "import hypothesis\n"
        "from hypothesis.strategies._internal import types\n"
        "before = (dict(types._global_type_lookup), set(hypothesis.settings._profiles))\n"
        "import lineage_contract.strategies\n"
        "after = (dict(types._global_type_lookup), set(hypothesis.settings._profiles))\n"
        "assert before == after\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_package_imports_without_hypothesis() -> None:
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "import lineage_contract, lineage_contract.cli._generate\n"
        "assert lineage_contract.is_valid(b'{}') is False\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "ok"


def test_broken_events_serialise_their_rule() -> None:
    broken = sample(invalid_events(select=lambda r: r.pattern == "/run/runId"), 1)[0]
    assert broken.to_dict() == {
        "pointer": "/run/runId",
        "keyword": broken.keyword,
        "rule": "/run/runId",
    }
    json.dumps(broken.event)


# -- the operations of OpenLineage's own document -----------------------------------------

OPENLINEAGE = Contract.load(
    Path(__file__).resolve().parents[2]
    / "shared"
    / "corpus"
    / "openlineage-spec"
    / "OpenLineage.yml"
)
OPERATIONS = {c.operation_id: c for c in OPENLINEAGE.operations}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_value_drawn_for_an_operation_passes_its_validator(operation: str) -> None:
    contract = OPERATIONS[operation]
    validator = Validator(contract)
    original = jsonschema.Draft202012Validator(
        json.loads((Path(contract.source).parent / "OpenLineage.json").read_text()),
        format_checker=jsonschema.FormatChecker(),
    )

    @settings(FAST, max_examples=60)
    @given(valid_events(contract))
    def check(value: Any) -> None:
        assert validator.check(value).valid, validator.check(value).summary()
        for event in value if contract.batch else [value]:
            assert not [e.message for e in original.iter_errors(event)]
        assert isinstance(value, list) is contract.batch

    check()


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_broken_value_drawn_for_an_operation_is_rejected_where_it_says(
    operation: str,
) -> None:
    validator = Validator(OPERATIONS[operation])

    @settings(FAST, max_examples=50)
    @given(invalid_events(OPERATIONS[operation]))
    def check(broken: BrokenEvent) -> None:
        assert reported(validator, broken), (broken.pointer, broken.keyword)

    check()


def test_the_kinds_of_openlineage_event_are_all_drawn() -> None:
    events = sample(valid_events(OPERATIONS["postRunEvent"]), 200, at=3)
    assert any("run" in e for e in events)
    assert any("dataset" in e for e in events)
    assert any("job" in e and "run" not in e for e in events)
