from __future__ import annotations

import copy
from typing import Any

import jsonschema
import orjson
import pytest
from werkzeug import exceptions

from lineage_contract import Contract, Kind, Violation
from lineage_contract.contract._dialect import Direction
from lineage_contract.mock._problems import (
    PROBLEM_JSON,
    Answers,
    MethodNotAllowed,
    Problem,
    Unauthorized,
    problem_class,
    problem_error,
)


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract.load()


@pytest.fixture(scope="module")
def answers(contract: Contract) -> Answers:
    return Answers(contract)


@pytest.mark.parametrize(
    ("code", "werkzeug_class"),
    [
        (400, exceptions.BadRequest),
        (401, exceptions.Unauthorized),
        (404, exceptions.NotFound),
        (405, exceptions.MethodNotAllowed),
        (413, exceptions.RequestEntityTooLarge),
        (415, exceptions.UnsupportedMediaType),
        (422, exceptions.UnprocessableEntity),
        (503, exceptions.ServiceUnavailable),
    ],
)
def test_problems_are_werkzeugs_http_exceptions(
    code: int, werkzeug_class: type[exceptions.HTTPException]
) -> None:
    cls = problem_class(code)
    problem = cls()
    assert issubclass(cls, Problem) and isinstance(problem, werkzeug_class)
    assert problem.code == code
    assert problem.to_dict()["title"] == problem.name == werkzeug_class().name
    assert problem_class(code) is cls  # kept


@pytest.mark.parametrize(("code", "title"), [(418, "I'm a teapot"), (599, "Unknown Error")])
def test_problem_class_is_made_for_other_statuses(code: int, title: str) -> None:
    cls = problem_class(code)
    assert cls.code == code and cls().name == title
    assert cls().get_response().status_code == code
    assert problem_class(code) is cls  # kept


@pytest.mark.parametrize("code", [200, 302, 600, 99])
def test_problem_class_refuses_non_errors(code: int) -> None:
    with pytest.raises(ValueError, match="400-599"):
        problem_class(code)


@pytest.mark.parametrize(
    ("problem", "header", "values"),
    [
        (Unauthorized(), "WWW-Authenticate", ["Bearer"]),
        (Unauthorized(challenges=("Bearer", "Basic")), "WWW-Authenticate", ["Bearer", "Basic"]),
        (MethodNotAllowed(valid_methods=("POST",)), "Allow", ["POST"]),
        (MethodNotAllowed(valid_methods=("GET", "HEAD")), "Allow", ["GET, HEAD"]),
    ],
)
def test_headers(problem: Problem, header: str, values: list[str]) -> None:
    assert [v for k, v in problem.get_headers() if k == header] == values
    response = problem.get_response()
    assert response.headers.getlist(header) == values
    assert response.mimetype == PROBLEM_JSON


def test_plain_problem_is_rfc9457() -> None:
    violation = Violation(Kind.SCHEMA, "type", "1 is not of type 'string'", pointer="/job/name")
    problem = problem_class(422)(violation.message, violations=[violation])
    response = problem.get_response()
    assert response.status_code == 422
    assert response.mimetype == PROBLEM_JSON
    assert orjson.loads(response.get_data()) == {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "1 is not of type 'string'",
        "errors": [
            {"pointer": "/job/name", "keyword": "type", "detail": "1 is not of type 'string'"}
        ],
    }


def test_problem_error_keeps_position() -> None:
    violation = Violation(Kind.JSON, "json", "not valid JSON", position=7)
    assert problem_error(violation) == {
        "pointer": "",
        "keyword": "json",
        "detail": "not valid JSON",
        "position": 7,
    }


# -- bodies from the contract -------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, {"status": 200}), (401, {"error": "Unauthorized"}), (500, {"status": 500})],
)
def test_documented_bodies_come_from_the_contract(
    answers: Answers, status: int, body: dict[str, Any]
) -> None:
    assert answers.documents(status)
    assert answers.body(status) == body
    assert answers.media_type(status) == "application/json"


def test_documented_status_answers_the_documented_body(answers: Answers) -> None:
    response = Unauthorized(answers=answers).get_response()
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert orjson.loads(response.get_data()) == {"error": "Unauthorized"}


@pytest.mark.parametrize("code", [400, 404, 413, 422])
def test_undocumented_status_is_problem_json_matching_the_error_shape(
    contract: Contract, answers: Answers, code: int
) -> None:
    response = problem_class(code)("detail here", answers=answers).get_response()
    data = orjson.loads(response.get_data())
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert data["status"] == code == response.status_code
    assert data["title"] == problem_class(code)().name and data["detail"] == "detail here"
    error_schema = contract.json_schema(contract.components["Error"], direction=Direction.RESPONSE)
    jsonschema.Draft202012Validator(error_schema).validate(data)


def _document_with(responses: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(dict(Contract.load().document))
    document["paths"]["/api/v1/lineage"]["post"]["responses"] = responses
    return document


def test_bodies_follow_another_contract() -> None:
    def json_response(schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": "x", "content": {"application/json": {"schema": schema}}}

    document = _document_with(
        {
            "200": json_response(
                {
                    "type": "object",
                    "required": ["accepted", "count", "note"],
                    "properties": {
                        "accepted": {"type": "boolean"},
                        "count": {"type": "integer", "example": 1},
                        "note": {"type": "string", "enum": ["ok", "fine"]},
                        "optional": {"type": "string"},
                    },
                }
            ),
            "default": json_response(
                {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
                }
            ),
        }
    )
    answers = Answers(Contract.from_document(document))
    assert answers.body(200) == {"accepted": False, "count": 1, "note": "ok"}
    assert answers.error_base == {"code": 500, "message": "Internal Server Error"}
    _, body = answers.render(problem_class(404)("gone"))
    data = orjson.loads(body)
    # problem details laid over the contract's error body: both shapes hold
    assert data["status"] == 404 and data["title"] == "Not Found"
    assert data["code"] == 500 and "message" in data


def _operation(error: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "required": ["eventType"]},
                    }
                },
            },
            "responses": {
                "200": {"description": "ok"},
                "500": {
                    "description": "error",
                    "content": {"application/json": {"schema": error}},
                },
            },
        }
    }


@pytest.mark.parametrize(
    ("path", "key", "other"),
    [("/events", "code", "error"), ("/events/batch", "error", "code")],
)
def test_each_operation_lays_its_problems_over_its_own_error_body(
    path: str, key: str, other: str
) -> None:
    from werkzeug.test import Client

    from lineage_contract.mock import create_app

    document = {
        "openapi": "3.0.1",
        "info": {"title": "two operations", "version": "1"},
        "paths": {
            "/events": _operation(
                {
                    "type": "object",
                    "required": ["code"],
                    "properties": {"code": {"type": "integer"}},
                }
            ),
            "/events/batch": _operation(
                {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                }
            ),
        },
    }
    client = Client(create_app(Contract.from_document(document, operation="/events")))
    answer = client.post(path, data=b"{}", content_type="application/json")
    assert answer.status_code == 422
    body = orjson.loads(answer.data)
    assert key in body and other not in body
