"""HTTP errors the mock answers with, and the bodies the contract prescribes.

Modelled on :mod:`werkzeug.exceptions`: each error is a class carrying its
``code``, ``title``, ``description`` and headers (a 401 sends
``WWW-Authenticate``, a 405 sends ``Allow``), raised where the problem is found
and turned into a response in one place.

A problem is answered in one of two shapes:

* when the contract documents the status with a JSON body (200, 401 and 500 for
  the Oleander document), the body the contract describes, built once by
  :class:`Answers` from that response's schema (``default``, then ``example``,
  of each required or illustrated property), under the documented media type;
* otherwise an RFC 9457 ``application/problem+json`` body (``type``, ``title``,
  ``status``, ``detail`` and, for a refused payload, ``errors``), laid over the
  contract's error body so that it still matches the contract's error shape.
"""

from __future__ import annotations

import http
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import orjson
from werkzeug.wrappers import Response

from ..contract._document import Contract
from ..errors import LineageContractError
from ..validation._report import Violation

PROBLEM_JSON = "application/problem+json"


class HTTPProblem(LineageContractError):
    """An HTTP error answer; subclasses fix ``code`` and ``title``."""

    code: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        description: str | None = None,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.description = description or self.title
        self.errors: list[dict[str, Any]] = [dict(e) for e in errors]
        self._headers = list(headers)
        super().__init__(f"{self.code} {self.title}: {self.description}")

    @property
    def status(self) -> int:
        return self.code

    def get_headers(self) -> list[tuple[str, str]]:
        """Headers this error adds to the answer (besides the body's)."""
        return list(self._headers)

    def to_dict(self) -> dict[str, Any]:
        """The RFC 9457 problem details object."""
        data: dict[str, Any] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.code,
            "detail": self.description,
        }
        if self.errors:
            data["errors"] = self.errors
        return data

    def get_response(self, answers: Answers | None = None) -> Response:
        """The answer, shaped by the contract when ``answers`` documents this status."""
        status, headers, body = (answers or _PLAIN).render(self)
        return Response(body, status=status, headers=headers)


def problem_error(violation: Violation) -> dict[str, Any]:
    """One entry of a problem's ``errors`` list."""
    entry: dict[str, Any] = {
        "pointer": violation.pointer,
        "keyword": violation.keyword,
        "detail": violation.message,
    }
    if violation.position is not None:
        entry["position"] = violation.position
    return entry


class BadRequest(HTTPProblem):
    code = 400
    title = "Bad Request"


class Unauthorized(HTTPProblem):
    """Sends ``WWW-Authenticate`` with the challenges given (``Bearer`` by default)."""

    code = 401
    title = "Unauthorized"

    def __init__(
        self,
        description: str | None = None,
        *,
        challenges: Sequence[str] = ("Bearer",),
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(description, errors=errors, headers=headers)
        self.challenges = tuple(challenges)

    def get_headers(self) -> list[tuple[str, str]]:
        out = super().get_headers()
        if self.challenges:
            out.append(("WWW-Authenticate", ", ".join(self.challenges)))
        return out


class Forbidden(HTTPProblem):
    code = 403
    title = "Forbidden"


class NotFound(HTTPProblem):
    code = 404
    title = "Not Found"


class MethodNotAllowed(HTTPProblem):
    """Sends ``Allow`` with the methods the resource does take."""

    code = 405
    title = "Method Not Allowed"

    def __init__(
        self,
        description: str | None = None,
        *,
        valid_methods: Sequence[str] = (),
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(description, errors=errors, headers=headers)
        self.valid_methods = tuple(valid_methods)

    def get_headers(self) -> list[tuple[str, str]]:
        out = super().get_headers()
        if self.valid_methods:
            out.append(("Allow", ", ".join(self.valid_methods)))
        return out


class ContentTooLarge(HTTPProblem):
    code = 413
    title = "Content Too Large"


class UnsupportedMediaType(HTTPProblem):
    code = 415
    title = "Unsupported Media Type"


class UnprocessableContent(HTTPProblem):
    code = 422
    title = "Unprocessable Content"


class TooManyRequests(HTTPProblem):
    code = 429
    title = "Too Many Requests"


class InternalServerError(HTTPProblem):
    code = 500
    title = "Internal Server Error"


class BadGateway(HTTPProblem):
    code = 502
    title = "Bad Gateway"


class ServiceUnavailable(HTTPProblem):
    code = 503
    title = "Service Unavailable"


class GatewayTimeout(HTTPProblem):
    code = 504
    title = "Gateway Timeout"


_BY_CODE: dict[int, type[HTTPProblem]] = {
    cls.code: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        ContentTooLarge,
        UnsupportedMediaType,
        UnprocessableContent,
        TooManyRequests,
        InternalServerError,
        BadGateway,
        ServiceUnavailable,
        GatewayTimeout,
    )
}


def problem_class(code: int) -> type[HTTPProblem]:
    """The class for ``code``; one is made (and kept) for a status without its own."""
    cls = _BY_CODE.get(code)
    if cls is None:
        if not 400 <= code <= 599:
            raise ValueError(f"{code} is not an HTTP error status (400-599)")
        try:
            title = http.HTTPStatus(code).phrase
        except ValueError:
            title = "Client Error" if code < 500 else "Server Error"
        cls = type(f"HTTPProblem{code}", (HTTPProblem,), {"code": code, "title": title})
        _BY_CODE[code] = cls
    return cls


def status_line(code: int) -> str:
    """``"422 Unprocessable Content"``: the reason phrase of the problem class, or the stdlib's."""
    cls = _BY_CODE.get(code)
    if cls is not None:
        return f"{code} {cls.title}"
    try:
        return f"{code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


# -- bodies the contract prescribes ------------------------------------------


class Answers:
    """The response bodies a contract documents, rendered once.

    ``body(status)`` is the documented JSON body of a status (None when the
    contract documents none). ``error_base`` is the body of the contract's error
    response (``default``, else the first documented 5xx): problem details are
    laid over it so that they match its schema too.
    """

    def __init__(self, contract: Contract | None) -> None:
        self._bodies: dict[int, tuple[str, dict[str, Any]]] = {}
        self.error_base: dict[str, Any] = {}
        if contract is None:
            return
        # The raw document, not the translated schemas: translation drops ``example``.
        responses = contract.operation.get("responses", {})
        schemas: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for status, response in responses.items():
            content = contract.resolve(response).get("content", {})
            media_type = next((m for m in content if "json" in m.lower()), None)
            if media_type is not None and "schema" in content[media_type]:
                schemas[str(status)] = (media_type, content[media_type]["schema"])
        for status, (media_type, schema) in schemas.items():
            if status.isdigit():
                self._bodies[int(status)] = (
                    media_type,
                    _example(schema, int(status), contract.resolve),
                )
        error_status = (
            "default"
            if "default" in schemas
            else next((s for s in schemas if s.isdigit() and s.startswith("5")), None)
        )
        if error_status is not None:
            self.error_base = _example(schemas[error_status][1], 500, contract.resolve)

    def documents(self, status: int) -> bool:
        return status in self._bodies

    def body(self, status: int) -> dict[str, Any] | None:
        found = self._bodies.get(status)
        return dict(found[1]) if found else None

    def media_type(self, status: int) -> str | None:
        found = self._bodies.get(status)
        return found[0] if found else None

    def encoded(self, status: int) -> tuple[str, bytes] | None:
        """(media type, body bytes) for a documented status."""
        found = self._bodies.get(status)
        return (found[0], orjson.dumps(found[1])) if found else None

    def render(self, problem: HTTPProblem) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers and body of the answer to ``problem``."""
        documented = self._bodies.get(problem.code)
        if documented is not None:
            media_type, data = documented
        else:
            data = problem.to_dict()
            media_type = PROBLEM_JSON
            data.update((k, v) for k, v in self.error_base.items() if k not in data)
        headers = [("Content-Type", media_type), *problem.get_headers()]
        return problem.code, headers, orjson.dumps(data)


_PLAIN = Answers(None)


def _example(
    schema: Mapping[str, Any], status: int, resolve: Callable[[Any], Any]
) -> dict[str, Any]:
    """A body for an object schema: each required or illustrated property with a value.

    The value is the property's ``default``, else its ``example``, else its first
    ``enum`` member, else a placeholder of its type (the status for a number,
    its reason phrase for a string).
    """
    members = _members(schema, resolve)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for node in members:
        properties.update(node.get("properties", {}))
        required.extend(r for r in node.get("required", []) if r not in required)
    out: dict[str, Any] = {}
    for name, raw in properties.items():
        prop = resolve(raw)
        if not isinstance(prop, Mapping):
            continue
        if "default" in prop:
            out[name] = prop["default"]
        elif "example" in prop:
            out[name] = prop["example"]
        elif "examples" in prop and isinstance(prop["examples"], list) and prop["examples"]:
            out[name] = prop["examples"][0]
        elif name in required:
            out[name] = _placeholder(prop, status)
    for name in required:
        if name not in out:
            out[name] = _placeholder({}, status)
    return out


def _placeholder(prop: Mapping[str, Any], status: int) -> Any:
    if isinstance(prop.get("enum"), list) and prop["enum"]:
        return prop["enum"][0]
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind in ("integer", "number"):
        return status
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return str(status)


def _members(schema: Mapping[str, Any], resolve: Callable[[Any], Any]) -> list[Mapping[str, Any]]:
    """The schema and the ``allOf`` members that always apply with it, refs followed."""
    out: list[Mapping[str, Any]] = []

    def visit(node: Any, depth: int) -> None:
        node = resolve(node)
        if not isinstance(node, Mapping) or depth > 20:
            return
        out.append(node)
        for member in node.get("allOf", []):
            visit(member, depth + 1)

    visit(schema, 0)
    return out
