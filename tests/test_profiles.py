"""The documents the kit ships by name: oleander (the default) and marquez."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.transport.http import HttpConfig, HttpTransport

from lineage_contract.cli import main
from lineage_contract.contract import PROFILES, Contract, document_path, profile_path
from lineage_contract.errors import ContractError
from lineage_contract.mock import MockServer
from lineage_contract.strategies import valid_events
from lineage_contract.validation import Validator

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "profile-token"


def event(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventType": "START",
        "eventTime": "2026-12-01T10:00:00Z",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "tests", "name": "profiles"},
        "producer": "https://example.com/lineage-contract/tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("name", "method", "path", "success", "secured"),
    [
        ("oleander", "POST", "/api/v1/lineage", "200", True),
        ("marquez", "POST", "/api/v1/lineage", "201", False),
    ],
)
def test_each_profile_names_its_document(
    name: str, method: str, path: str, success: str, secured: bool
) -> None:
    contract = Contract.load(name)
    assert (contract.method, contract.path) == (method, path)
    assert min(s for s in contract.responses if s.startswith("2")) == success
    assert bool(contract.security) is secured
    assert contract is Contract.load(profile_path(name))


def test_the_default_profile_is_the_oleander_contract() -> None:
    assert PROFILES[0] == "oleander"
    assert document_path(None) == profile_path("oleander")
    assert profile_path("oleander").read_bytes() == (ROOT / "openapi.json").read_bytes()
    assert Contract.load() is Contract.load("oleander")


@pytest.mark.parametrize("value", ["./marquez", "marquez.json", "Marquez", "oleander/"])
def test_anything_but_a_bare_profile_name_is_a_path(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert document_path(value) == Path(value)
    with pytest.raises(ContractError, match="cannot read contract"):
        Contract.load(value)


def test_an_unknown_profile_name_is_refused() -> None:
    with pytest.raises(KeyError):
        profile_path("datahub")


@pytest.mark.parametrize(
    ("body", "valid", "where"),
    [
        (event(), True, None),
        # Stricter than Marquez, which maps such an id to a UUID: the spec asks for one.
        (event(run={"runId": "not-a-uuid"}), False, "/run/runId"),
        (event(eventType=None), True, None),
        (event(producer=None), False, "/producer"),
        (event(job={"namespace": "tests"}), False, "/job/name"),
        (event(run={}), False, "/run/runId"),
        (event(eventTime="yesterday"), False, "/eventTime"),
        (event(eventType="DONE"), False, "/eventType"),
    ],
)
def test_marquez_judges_what_marquez_checks(
    body: dict[str, Any], valid: bool, where: str | None
) -> None:
    report = Validator(Contract.load("marquez")).check(body)
    assert report.valid is valid, report.violations
    if where is not None:
        assert [v.pointer for v in report.errors] == [where]


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(valid_events(Contract.load("marquez")))
def test_every_event_drawn_for_marquez_passes_its_validator(body: Any) -> None:
    assert Validator(Contract.load("marquez")).is_valid(body)


@pytest.mark.parametrize(
    ("name", "tokens", "auth", "status"),
    [
        ("oleander", (TOKEN,), {"type": "api_key", "apiKey": TOKEN}, 200),
        ("marquez", (), {}, 201),
    ],
)
def test_the_openlineage_client_succeeds_against_each_profile(
    name: str, tokens: tuple[str, ...], auth: dict[str, str], status: int
) -> None:
    with MockServer(contract=Contract.load(name), tokens=tokens) as server:
        transport = HttpTransport(HttpConfig.from_dict({"url": server.url, "auth": auth}))
        client = OpenLineageClient(transport=transport)
        run_id = str(uuid.uuid4())
        for state in (RunState.START, RunState.COMPLETE):
            client.emit(
                RunEvent(
                    eventType=state,
                    eventTime=datetime.now(UTC).isoformat(),
                    run=Run(runId=run_id),
                    job=Job(namespace="tests", name=f"client-{name}"),
                    producer="https://example.com/lineage-contract/tests",
                )
            )
        records = server.wait_for(2, timeout=10)
    assert [r.status for r in records] == [status, status]
    assert all(r.valid for r in records), [r.violations for r in records]
    assert {r.run_id for r in records} == {run_id}


@pytest.mark.parametrize(
    ("body", "status", "content_type"),
    [
        (json.dumps(event()).encode(), 201, None),
        (json.dumps(event(job={"name": "no-namespace"})).encode(), 422, "application/problem+json"),
        (b"{not json", 400, "application/problem+json"),
    ],
)
def test_the_marquez_mock_answers_as_marquez_does(
    body: bytes, status: int, content_type: str | None
) -> None:
    import urllib.error
    import urllib.request

    with MockServer(contract=Contract.load("marquez")) as server:
        request = urllib.request.Request(
            server.endpoint, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                got, headers, data = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            got, headers, data = error.code, error.headers, error.read()
    assert got == status
    assert headers.get("Content-Type") == content_type
    assert (data == b"") is (status == 201)


@pytest.mark.parametrize(
    ("profile", "status"),
    [("marquez", 0), ("oleander", 1)],
)
def test_validate_takes_a_profile_name(
    profile: str, status: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No schemaURL: Marquez does not ask for one, the Oleander contract does.
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event(schemaURL=None)))
    assert main(["validate", "--no-lineage", "--spec", profile, str(path)]) == status
    capsys.readouterr()


def test_a_contract_given_as_the_app_is_refused_with_a_hint() -> None:
    with pytest.raises(TypeError, match="contract="):
        MockServer(Contract.load("marquez"))  # type: ignore[arg-type]
