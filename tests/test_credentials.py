"""Credentials: read and compared in one place, for the validator, the mock and the plugin."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lineage_contract import Contract, Kind
from lineage_contract.validation import Credentials, header_getter

BEARER = Contract.load()


def _api_key_contract() -> Contract:
    document: dict[str, Any] = copy.deepcopy(dict(BEARER.document))
    document["components"]["securitySchemes"] = {
        "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    }
    document["security"] = [{"key": []}]
    for item in document["paths"].values():
        for operation in item.values():
            operation.pop("security", None)
    return Contract.from_document(document)


API_KEY = _api_key_contract()


@pytest.mark.parametrize(
    ("contract", "tokens", "headers", "accepted"),
    [
        (BEARER, (), {"Authorization": "Bearer anything"}, True),
        (BEARER, (), {"Authorization": "bearer anything"}, True),
        (BEARER, (), {"Authorization": "Basic dTpw"}, False),
        (BEARER, (), {}, False),
        (BEARER, ("s3cret",), {"Authorization": "Bearer s3cret"}, True),
        (BEARER, ("s3cret",), {"Authorization": "Bearer s3cre"}, False),
        (BEARER, ("one", "two"), {"Authorization": "Bearer two"}, True),
        # A WSGI server hands the UTF-8 bytes of "café" over decoded as latin-1.
        (BEARER, ("café",), {"Authorization": "Bearer caf\u00c3\u00a9"}, True),
        (BEARER, ("café",), {"Authorization": "Bearer café"}, True),
        (BEARER, ("café",), {"Authorization": "Bearer cafe"}, False),
        (API_KEY, (), {"X-Api-Key": "k"}, True),
        (API_KEY, (), {"Authorization": "Bearer k"}, False),
        (API_KEY, ("k",), {"x-api-key": "k"}, True),
        (API_KEY, ("k",), {"X-Api-Key": "other"}, False),
    ],
)
def test_which_credentials_are_accepted(
    contract: Contract, tokens: tuple[str, ...], headers: dict[str, str], accepted: bool
) -> None:
    violation = Credentials(contract, tokens).violation(header_getter(headers))
    assert (violation is None) is accepted
    if violation is not None:
        assert violation.kind is Kind.SECURITY and violation.keyword == "security"


@pytest.mark.parametrize(
    ("contract", "headers"),
    [(BEARER, {"Authorization": "Bearer t"}), (API_KEY, {"X-Api-Key": "t"})],
)
def test_clients_are_told_where_the_token_goes(contract: Contract, headers: dict[str, str]) -> None:
    credentials = Credentials(contract, ["t"])
    assert credentials.headers("t") == headers
    assert credentials.violation(header_getter(headers)) is None


def test_a_401_challenges_with_the_contracts_scheme() -> None:
    assert Credentials(BEARER).challenges == ("Bearer",)
    assert Credentials(API_KEY).challenges == ("Bearer",)  # no HTTP scheme: the default
