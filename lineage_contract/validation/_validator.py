"""Judge payloads and whole requests against the contract.

The verdict comes from jsonschema-rs, compiled once from the contract. When it
says no, jsonschema, with this package's own format checkers, explains why:
the detailed violations always come from that one place. The test suite
cross-checks both engines and openapi-core on every corpus file, fixture and
generated event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
import orjson

from ..contract._document import Contract
from ..contract._formats import CHECKERS, FormatCheck
from ..contract._pointers import pointer
from ..errors import InvalidEvent
from ._credentials import Credentials, Header
from ._explain import explain_schema, explainer, ordered, outside
from ._payload import REFUSED, PayloadError, parse_json
from ._report import Kind, Report, Violation
from ._request import BytesBody, Headers, header_getter, judge_request, target_path
from ._values import Sifted, plain, sift

DEFAULT_MAX_BODY = 10 * 1024 * 1024

# jsonschema-rs's own checkers for these agree with ours on the edge cases
# tested in tests/test_formats.py; the rest are ours, called from Rust.
_RS_BUILTIN_FORMATS = frozenset({"uuid", "date-time", "date", "time", "uri", "uri-reference"})


def fast_formats(names: Iterable[str]) -> dict[str, FormatCheck]:
    """The kit's checkers jsonschema-rs needs for ``names`` (it has its own for the others)."""
    return {f: CHECKERS[f] for f in names if f in CHECKERS and f not in _RS_BUILTIN_FORMATS}


EventCheck = Callable[[Any], Sequence[Violation]]
"""A check of a parsed event beyond the contract: its findings are warnings."""


class Validator:
    """Validate lineage payloads and requests against a :class:`Contract`.

    ``max_body_size`` caps a request body, before and after gzip decoding.
    A payload is judged against the contract's operation (for a batch
    operation, an array of events, each element's violations under
    ``/<index>``); a request is routed to the operation of the document its path
    and method reach (:meth:`route`).
    """

    def __init__(
        self,
        contract: Contract | None = None,
        *,
        max_body_size: int = DEFAULT_MAX_BODY,
        conformance: EventCheck | None = None,
        _family: dict[tuple[str, str], Validator] | None = None,
    ) -> None:
        self.contract = contract if contract is not None else Contract.load()
        self._family = _family if _family is not None else {}
        self._family[self.contract.path, self.contract.method] = self
        self.max_body_size = max_body_size
        self.conformance = conformance
        """Checks beyond the contract on every parsed event, whose findings are warnings
        (:class:`lineage_contract.spec.Conformance`, say); None: the contract alone."""
        self._fast = jsonschema_rs.validator_for(
            self.contract.fast_request_schema,
            validate_formats=True,
            ignore_unknown_formats=False,
            formats=fast_formats(self.contract.formats),
        )
        self._reference = explainer(self.contract)
        self.credentials = Credentials(self.contract)
        """Any credentials of the shape the contract's security schemes describe."""
        self.paths: frozenset[str] = operation_paths(self.contract)
        """The request paths that reach the operation: bare, and under each server's base."""
        allowed = [m.upper() for m in _path_methods(self.contract)]
        self.allowed_methods: tuple[str, ...] = tuple(allowed)
        self.media_types = frozenset(m.lower() for m in self.contract.media_types)
        """The request media types the operation takes, lower-cased."""
        self.routes: Mapping[str, Mapping[str, Contract]] = _routes(self.contract)
        """Request path -> method -> operation, for every JSON operation of the document."""

    def for_operation(self, contract: Contract) -> Validator:
        """The validator of another operation of the same document, with the same settings
        (built once)."""
        found = self._family.get((contract.path, contract.method))
        if found is None:
            found = Validator(
                contract,
                max_body_size=self.max_body_size,
                conformance=self.conformance,
                _family=self._family,
            )
        return found

    def allowed_at(self, path: str) -> tuple[str, ...]:
        """The methods the document allows at a request path (empty where it serves none)."""
        methods = self.routes.get(path)
        if not methods:
            return ()
        return tuple(m.upper() for m in _path_methods(next(iter(methods.values()))))

    def route(self, method: str, path: str) -> Validator | Violation:
        """The validator of the operation ``method`` and ``path`` (decoded, without the
        query) reach, or the ``path`` or ``method`` violation saying they reach none.

        The path must match exactly, and the method is case-sensitive (RFC 9110
        9.1): ``post`` is not ``POST``.
        """
        methods = self.routes.get(path)
        if methods is None:
            served = ", ".join(f"{c.method} {c.path}" for c in self.contract.operations)
            return Violation(
                Kind.PATH, "path", f"no operation at {path}: the contract serves {served}"
            )
        found = methods.get(method)
        if found is None:
            some = next(iter(methods.values()))
            allowed = [m.upper() for m in _path_methods(some)]
            return Violation(
                Kind.METHOD,
                "method",
                f"method {method} is not allowed on {some.path}; allowed: {', '.join(allowed)}",
            )
        if found is self.contract:
            return self
        return self.for_operation(found)

    # -- payloads -----------------------------------------------------------

    def accepted_event(self, body: bytes) -> Any:
        """``body`` parsed when it is JSON the schema accepts, else :data:`REFUSED`.

        The shortcut for a server's common case, a valid event: it builds no
        report and says nothing of why a body was refused (:meth:`check` does).
        """
        try:
            event = orjson.loads(body)
            if self._fast.is_valid(event):
                return event
        except (ValueError, TypeError):  # not JSON, or nothing JSON could hold
            pass
        return REFUSED

    def check(self, payload: bytes | str | Any) -> Report:
        """Judge one payload: bytes or text are parsed as strict JSON first."""
        found, event, parsed = self._judge(payload)
        return Report(found, event=event, parsed=parsed)

    def _judge(self, payload: bytes | str | Any) -> tuple[tuple[Violation, ...], Any, bool]:
        # check() without the Report, so that check_request builds only one.
        found, event, parsed = self._verdict(payload)
        if self.conformance is not None and parsed:
            extra = self.warnings(event)
            if extra:
                found = (*found, *extra)
        return found, event, parsed

    def warnings(self, event: Any) -> tuple[Violation, ...]:
        """What :attr:`conformance` finds in a parsed event (nothing without it); in each
        element of a batch, under ``/<index>``."""
        if self.conformance is None:
            return ()
        if self.contract.batch:
            if type(event) is not list:
                return ()
            check = self.conformance
            return tuple(
                dataclasses.replace(v, pointer=f"/{index}{v.pointer}")
                for index, element in enumerate(event)
                if type(element) is dict
                for v in check(element)
            )
        if type(event) is not dict:
            return ()
        return tuple(self.conformance(event))

    def _verdict(self, payload: bytes | str | Any) -> tuple[tuple[Violation, ...], Any, bool]:
        if isinstance(payload, bytes | bytearray | memoryview | str):
            raw = bytes(payload) if not isinstance(payload, str) else payload
            try:
                event = parse_json(raw)
            except PayloadError as exc:
                return (exc.violation,), None, False
            judged = event
        else:
            # Parsed elsewhere: it may hold what JSON cannot (bytes never do).
            event = judged = payload
            if not plain(event):
                sifted = sift(event)
                if sifted.violations:
                    return tuple(self._explain(sifted.value, sifted)), event, True
                judged = sifted.value
        try:
            valid = self._fast.is_valid(judged)
        except (ValueError, TypeError) as exc:
            return (_not_json(exc),), event, True
        if valid:
            return (), event, True
        if judged is payload:  # plain, but tuples and enum members: explain() copies them
            return tuple(self.explain(event)), event, True
        return tuple(self._explain(judged)), event, True

    def explain(self, event: Any) -> list[Violation]:
        """Every violation of a parsed event (empty when it is valid).

        Values JSON cannot hold first, each a ``json`` violation; then the
        schema's violations of the rest.
        """
        sifted = sift(event)
        return self._explain(sifted.value, sifted)

    def _explain(self, event: Any, sifted: Sifted | None = None) -> list[Violation]:
        # ``event`` is JSON; ``sifted``, when given, says what was taken out of it.
        found = self._schema_violations(event)
        if sifted is not None and sifted.violations:
            return ordered([*sifted.violations, *outside(found, sifted.replaced)])
        if found:
            return found
        try:
            fast_valid = self._fast.is_valid(event)
        except (ValueError, TypeError) as exc:
            return [_not_json(exc)]
        if not fast_valid:
            # The engines disagree: never call it valid; report what the fast one saw.
            try:
                found = [
                    Violation(
                        Kind.SCHEMA,
                        str(list(e.schema_path)[-1]) if list(e.schema_path) else "schema",
                        _clip(e.message),
                        pointer=pointer(list(e.instance_path)),
                    )
                    for e in self._fast.iter_errors(event)
                ]
            except ValueError as exc:
                found = [Violation(Kind.SCHEMA, "schema", f"invalid ({exc})")]
        return found

    def iter_errors(self, payload: bytes | str | Any) -> Iterator[Violation]:
        yield from self.check(payload).violations

    def is_valid(self, payload: bytes | str | Any) -> bool:
        return self.check(payload).valid

    def validate(self, payload: bytes | str | Any) -> Any:
        """Return the parsed event, or raise :class:`InvalidEvent` with the report."""
        report = self.check(payload)
        if not report.valid:
            raise InvalidEvent(report)
        return report.event

    # -- requests -----------------------------------------------------------

    def check_request(
        self,
        method: str,
        path: str,
        headers: Headers,
        body: bytes | None,
        *,
        credentials: Credentials | None = None,
    ) -> Report:
        """Judge a whole HTTP request: route, credentials, media type, encoding, body.

        ``path`` is the request target as sent (percent-encoded, with its query,
        or absolute-form); ``credentials`` limits the accepted ones to tokens.
        """
        return judge_request(
            self,
            method,
            target_path(path),
            header_getter(headers),
            BytesBody(body or b""),
            credentials=credentials,
        )

    def is_plain_request(self, header: Header, size: int) -> bool:
        """Whether a request's headers leave only its body of ``size`` bytes to judge.

        Plain: an accepted media type as the contract spells it, no
        ``Content-Encoding``, a body within the limit. The full judgement would
        pass such headers through unchanged.
        """
        return (
            0 < size <= self.max_body_size
            and header("content-type") in self.media_types
            and not header("content-encoding")
        )

    def _schema_violations(self, event: Any) -> list[Violation]:
        return explain_schema(
            self._reference.iter_errors,
            self.contract.request_schema,
            self.contract.request_pointer,
            self.contract.refs,
            event,
        )


def _not_json(exc: Exception) -> Violation:
    # What sifting let through is JSON; should the fast engine still fail to read it, say so.
    return Violation(Kind.JSON, "json", f"not a JSON value: {exc}")


def _clip(message: str, limit: int = 200) -> str:
    # jsonschema-rs puts the whole offending value in its messages.
    return message if len(message) <= limit else message[:limit] + "…"


def operation_paths(contract: Contract) -> frozenset[str]:
    """The request paths that reach the operation: bare, and under each server's base path."""
    paths = {contract.path}
    for url in contract.servers:
        base = urlsplit(url).path.rstrip("/") if "://" in url else url.rstrip("/")
        if base:
            paths.add(base + contract.path)
    return frozenset(paths)


def _routes(contract: Contract) -> dict[str, dict[str, Contract]]:
    routes: dict[str, dict[str, Contract]] = {}
    for operation in contract.operations:
        for path in operation_paths(operation):
            routes.setdefault(path, {}).setdefault(operation.method, operation)
    return routes


def _path_methods(contract: Contract) -> list[str]:
    item = contract.document.get("paths", {}).get(contract.path, {})
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    return [m for m in methods if m in item]
