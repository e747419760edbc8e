from __future__ import annotations

import copy
from typing import Any

import jsonschema
import orjson
import pytest

from lineage_contract import Contract, Kind, Violation
from lineage_contract.contract._dialect import Direction
from lineage_contract.errors import LineageContractError
from lineage_contract.mock._problems import (
    PROBLEM_JSON,
    Answers,
    BadRequest,
    ContentTooLarge,
    HTTPProblem,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    UnprocessableContent,
    UnsupportedMediaType,
    problem_class,
    problem_error,
    status_line,
)


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract.load()


@pytest.fixture(scope="module")
def answers(contract: Contract) -> Answers:
    return Answers(contract)


@pytest.mark.parametrize(
    ("cls", "code", "title"),
    [
        (BadRequest, 400, "Bad Request"),
        (Unauthorized, 401, "Unauthorized"),
        (NotFound, 404, "Not Found"),
        (MethodNotAllowed, 405, "Method Not Allowed"),
        (ContentTooLarge, 413, "Content Too Large"),
        (UnsupportedMediaType, 415, "Unsupported Media Type"),
        (UnprocessableContent, 422, "Unprocessable Content"),
        (ServiceUnavailable, 503, "Service Unavailable"),
    ],
)
def test_classes_carry_code_and_title(cls: type[HTTPProblem], code: int, title: str) -> None:
    problem = cls()
    assert (problem.code, problem.title, problem.description) == (code, title, title)
    assert problem_class(code) is cls
    assert isinstance(problem, LineageContractError)
    assert status_line(code) == f"{code} {title}"


@pytest.mark.parametrize(("code", "title"), [(418, "I'm a Teapot"), (599, "Server Error")])
def test_problem_class_is_made_for_other_statuses(code: int, title: str) -> None:
    cls = problem_class(code)
    assert cls.code == code and cls.title == title
    assert problem_class(code) is cls  # kept


@pytest.mark.parametrize("code", [200, 302, 600, 99])
def test_problem_class_refuses_non_errors(code: int) -> None:
    with pytest.raises(ValueError, match="400-599"):
        problem_class(code)


@pytest.mark.parametrize(
    ("problem", "header", "value"),
    [
        (Unauthorized(), "WWW-Authenticate", "Bearer"),
        (Unauthorized(challenges=("Bearer", "Basic")), "WWW-Authenticate", "Bearer, Basic"),
        (MethodNotAllowed(valid_methods=("POST",)), "Allow", "POST"),
        (MethodNotAllowed(valid_methods=("GET", "HEAD")), "Allow", "GET, HEAD"),
    ],
)
def test_headers(problem: HTTPProblem, header: str, value: str) -> None:
    assert dict(problem.get_headers())[header] == value
    assert problem.get_response().headers[header] == value


def test_plain_problem_is_rfc9457() -> None:
    violation = Violation(Kind.SCHEMA, "type", "1 is not of type 'string'", pointer="/job/name")
    problem = UnprocessableContent(violation.message, errors=[problem_error(violation)])
    response = problem.get_response()
    assert response.status_code == 422
    assert response.mimetype == PROBLEM_JSON
    assert orjson.loads(response.get_data()) == {
        "type": "about:blank",
        "title": "Unprocessable Content",
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
    code, headers, body = answers.render(Unauthorized())
    assert code == 401
    assert dict(headers) == {"Content-Type": "application/json", "WWW-Authenticate": "Bearer"}
    assert orjson.loads(body) == {"error": "Unauthorized"}


@pytest.mark.parametrize("cls", [BadRequest, NotFound, ContentTooLarge, UnprocessableContent])
def test_undocumented_status_is_problem_json_matching_the_error_shape(
    contract: Contract, answers: Answers, cls: type[HTTPProblem]
) -> None:
    code, headers, body = answers.render(cls("detail here"))
    data = orjson.loads(body)
    assert dict(headers)["Content-Type"] == PROBLEM_JSON
    assert data["status"] == code == cls.code
    assert data["title"] == cls.title and data["detail"] == "detail here"
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
    _, _, body = answers.render(NotFound("gone"))
    data = orjson.loads(body)
    # problem details laid over the contract's error body: both shapes hold
    assert data["status"] == 404 and data["title"] == "Not Found"
    assert data["code"] == 500 and "message" in data
