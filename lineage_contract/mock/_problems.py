"""HTTP errors the mock answers with, on :mod:`werkzeug.exceptions`, and the bodies the contract
prescribes.

Each error is a werkzeug :class:`~werkzeug.exceptions.HTTPException` carrying its
code and headers (a 401 sends ``WWW-Authenticate``, a 405 ``Allow``), with the
body and media type replaced. A problem is answered in one of two shapes:

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
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson
from werkzeug import exceptions
from werkzeug.datastructures import WWWAuthenticate

from ..contract import Contract
from ..validation import Violation

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

PROBLEM_JSON = "application/problem+json"


class Problem(exceptions.HTTPException):
    """An HTTP error answered as problem details, or with the body the contract documents.

    ``violations`` are what made the request fail (listed as ``errors``);
    ``answers`` the contract's documented bodies (none: plain problem details).
    """

    def __init__(
        self,
        description: str | None = None,
        *,
        violations: Iterable[Violation] = (),
        answers: Answers | None = None,
        **options: Any,
    ) -> None:
        super().__init__(description=description, **options)
        self.violations = tuple(violations)
        self.answers = answers if answers is not None else _PLAIN

    def to_dict(self) -> dict[str, Any]:
        """The RFC 9457 problem details object."""
        data: dict[str, Any] = {
            "type": "about:blank",
            "title": self.name,
            "status": self.code,
            "detail": self.description,
        }
        if self.violations:
            data["errors"] = [problem_error(v) for v in self.violations]
        return data

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        kept = [h for h in super().get_headers(environ, scope) if h[0].lower() != "content-type"]
        return [("Content-Type", self.answers.render(self)[0]), *kept]

    def get_body(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> str:
        return self.answers.render(self)[1].decode()


class Unauthorized(Problem, exceptions.Unauthorized):
    """A 401 with a ``WWW-Authenticate`` header per challenge (``Bearer`` by default)."""

    def __init__(
        self,
        description: str | None = None,
        *,
        challenges: Iterable[str] = ("Bearer",),
        violations: Iterable[Violation] = (),
        answers: Answers | None = None,
    ) -> None:
        super().__init__(
            description,
            violations=violations,
            answers=answers,
            www_authenticate=[WWWAuthenticate(c) for c in challenges],
        )


class MethodNotAllowed(Problem, exceptions.MethodNotAllowed):
    """A 405 with ``Allow`` listing the methods the resource takes."""

    def __init__(
        self,
        description: str | None = None,
        *,
        valid_methods: Iterable[str] = (),
        violations: Iterable[Violation] = (),
        answers: Answers | None = None,
    ) -> None:
        super().__init__(
            description,
            violations=violations,
            answers=answers,
            valid_methods=list(valid_methods),
        )


class BadGateway(Problem, exceptions.BadGateway):
    """A 502: the upstream a forwarding mock sends requests on to could not be reached, or
    broke off its answer."""


class GatewayTimeout(Problem, exceptions.GatewayTimeout):
    """A 504: the upstream a forwarding mock sends requests on to did not answer in time."""


_BY_CODE: dict[int, type[Problem]] = {
    401: Unauthorized,
    405: MethodNotAllowed,
    502: BadGateway,
    504: GatewayTimeout,
}


def problem_class(code: int) -> type[Problem]:
    """The class for an error status: werkzeug's for the status, answered as a problem."""
    cls = _BY_CODE.get(code)
    if cls is None:
        if not 400 <= code <= 599:
            raise ValueError(f"{code} is not an HTTP error status (400-599)")
        base = exceptions.default_exceptions.get(code)
        bases: tuple[type, ...] = (Problem, base) if base is not None else (Problem,)
        cls = type(f"Problem{code}", bases, {"code": code})
        _BY_CODE[code] = cls
    return cls


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

    def render(self, problem: Problem) -> tuple[str, bytes]:
        """Media type and body of the answer to ``problem``."""
        documented = self._bodies.get(problem.code or 500)
        if documented is not None:
            return documented[0], orjson.dumps(documented[1])
        data = problem.to_dict()
        data.update((k, v) for k, v in self.error_base.items() if k not in data)
        return PROBLEM_JSON, orjson.dumps(data)


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
