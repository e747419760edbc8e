"""Where events keep their type, time, run and job: read from the contract, never hard-coded."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lineage_contract import Contract, ContractError
from lineage_contract.contract._anatomy import MISSING, Anatomy, get
from lineage_contract.testing import assert_run_lifecycle

RUN_ID = "3f2a6c9e-1b7d-4e0a-9c5f-2d8b7a6e4f10"


def renamed(*pairs: tuple[str, str]) -> Contract:
    text = json.dumps(Contract.load().document)
    for old, new in pairs:
        text = text.replace(f'"{old}"', f'"{new}"')
    return Contract.from_document(json.loads(text))


def test_anatomy_of_the_bundled_contract() -> None:
    anatomy = Contract.load().anatomy
    assert anatomy == Anatomy(
        event_type=("eventType",),
        event_time=("eventTime",),
        run_id=("run", "runId"),
        job=(("job", "namespace"), ("job", "name")),
        states=("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"),
    )


def test_anatomy_follows_renamed_fields() -> None:
    contract = renamed(("eventType", "transition"), ("runId", "id"), ("eventTime", "at"))
    anatomy = contract.anatomy
    assert (anatomy.event_type, anatomy.run_id, anatomy.event_time) == (
        ("transition",),
        ("run", "id"),
        ("at",),
    )
    runs = [
        {"transition": "START", "run": {"id": RUN_ID}, "at": "2024-05-01T12:00:00Z"},
        {"transition": "COMPLETE", "run": {"id": RUN_ID}, "at": "2024-05-01T12:00:01Z"},
    ]
    assert assert_run_lifecycle(runs, RUN_ID, contract=contract) == runs


def test_job_identity_follows_the_required_order() -> None:
    document = copy.deepcopy(dict(Contract.load().document))
    document["components"]["schemas"]["Job"]["required"] = ["name", "namespace"]
    anatomy = Contract.from_document(document).anatomy
    assert anatomy.job == (("job", "name"), ("job", "namespace"))


@pytest.mark.parametrize(
    ("event", "run", "job"),
    [
        (
            {"run": {"runId": RUN_ID}, "job": {"namespace": "etl", "name": "daily"}},
            RUN_ID,
            "etl/daily",
        ),
        (None, None, None),
        ([], None, None),
        ("x", None, None),
        ({}, None, None),
        ({"run": "x"}, None, None),
        ({"run": {"runId": 7}}, None, None),
        ({"job": {"namespace": "etl"}}, None, None),
    ],
)
def test_run_and_job_of_an_event(event: Any, run: str | None, job: str | None) -> None:
    anatomy = Contract.load().anatomy
    assert anatomy.run_of(event) == run
    assert anatomy.job_of(event) == job


@pytest.mark.parametrize(
    ("event", "path", "expected"),
    [
        ({"a": {"b": 1}}, ("a", "b"), 1),
        ({"a": {"b": 1}}, ("a", "c"), MISSING),
        ({"a": 1}, ("a", "b"), MISSING),
        ({"a": 1}, None, MISSING),
    ],
)
def test_get(event: Any, path: tuple[str, ...] | None, expected: Any) -> None:
    assert get(event, path) == expected


def test_a_contract_without_lifecycle_fields_says_what_is_missing() -> None:
    document = copy.deepcopy(dict(Contract.load().document))
    event_type = document["components"]["schemas"]["RunEvent"]["allOf"][1]["properties"][
        "eventType"
    ]
    event_type["enum"] = ["X", "Y"]
    contract = Contract.from_document(document)
    assert contract.anatomy.event_type is None
    with pytest.raises(ContractError, match="no event type"):
        contract.anatomy.require_lifecycle(contract.source)
