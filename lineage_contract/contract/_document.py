"""Load an OpenAPI 3.0.x document and expose its lineage operation.

Everything the kit knows about events comes from here: the validator, the mock
server's answers and the strategies all read the contract, never a copy of it.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import ContractError
from ._anatomy import Anatomy
from ._dialect import Direction, Target, dialect_of, translate_schema
from ._formats import CHECKERS
from ._pointers import pointer
from ._profiles import document_path
from ._published import Copies
from ._reading import read_document
from ._refs import Refs

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    name: str
    type: str
    scheme: str = ""
    """For ``http`` schemes: ``bearer``, ``basic``, ... (lower-cased)."""
    location: str = ""
    """For ``apiKey`` schemes: ``header``, ``query`` or ``cookie``."""
    parameter: str = ""
    """For ``apiKey`` schemes: the header, query or cookie name."""


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    status: str
    description: str
    media_types: tuple[str, ...]
    schema: Mapping[str, Any] | None
    """The JSON media type's schema as 2020-12 JSON Schema, if the response has one."""


class Contract:
    """One operation of an OpenAPI 3.0.x document: the one that takes events.

    Build one with :meth:`load` (cached per file) or :meth:`from_document`.
    ``operation`` picks the operation: an ``operationId``, a path, or
    ``"METHOD /path"``; by default the one operation with a JSON request body,
    or, of several, the one whose body is not an array (the single-event one).
    :attr:`operations` reaches the others. ``file`` is the file the document was
    read from, if any (``$ref``s resolve against it, and may reach the files beside it);
    a ``$ref`` may also name a schema OpenLineage publishes, read from the copy the mirror
    ``LINEAGE_CONTRACT_SCHEMAS`` names or the user's cache keeps, never fetched.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        *,
        source: str = "<memory>",
        operation: str | None = None,
        file: Path | None = None,
    ) -> None:
        parsed = _Parsed(document, source, file, Copies.from_env())
        self._setup(parsed, parsed.pick(operation))

    def _setup(self, parsed: _Parsed, found: _Operation) -> None:
        self._parsed = parsed
        parsed.contracts.setdefault(found.key, self)
        document, source = parsed.document, parsed.source
        self.document = document
        self.source = source
        self.refs = parsed.refs
        self.copies: Copies = parsed.copies
        """Where the published OpenLineage schemas its ``$ref`` s name were read from."""
        """Every pointer and ``$ref`` into the document resolves through this."""
        self.path, self.method, self.operation = found.path, found.method, found.operation
        self.operation_id: str = found.operation_id
        """The operation's ``operationId``, else ``"METHOD /path"``."""
        self.batch: bool = found.batch
        """Whether the request body is an array of events (a batch operation)."""
        self.components: Mapping[str, Any] = parsed.components
        body = self.operation.get("requestBody", {})
        self.body_required: bool = bool(body.get("required", False))
        self.media_types: tuple[str, ...] = tuple(body.get("content", {}))
        self.json_media_type = next(m for m in self.media_types if _is_json(m))
        self.request_pointer = (
            pointer(
                [
                    "paths",
                    self.path,
                    self.method.lower(),
                    "requestBody",
                    "content",
                    self.json_media_type,
                ]
            )
            + "/schema"
        )
        self._request_root: Mapping[str, Any] = body["content"][self.json_media_type].get(
            "schema", {}
        )
        self.security: tuple[tuple[SecurityScheme, ...], ...] = _security(document, self.operation)
        self.servers: tuple[str, ...] = tuple(
            s.get("url", "/") for s in self.operation.get("servers", document.get("servers", []))
        ) or ("/",)
        self.formats: Mapping[str, tuple[str, ...]] = parsed.formats

    @property
    def operations(self) -> tuple[Contract, ...]:
        """Every operation of the document with a JSON request body, in document order
        (this one among them), sharing the parsed document and its refs."""
        return tuple(self._parsed.contract_for(op) for op in self._parsed.candidates)

    def operation_named(self, name: str | None) -> Contract:
        """Another operation of the same document, named as ``operation=`` names one."""
        return self._parsed.contract_for(self._parsed.pick(name))

    @property
    def batch_operation(self) -> Contract | None:
        """The document's batch operation (the first, in document order), if it has one."""
        return next((c for c in self.operations if c.batch), None)

    @property
    def event_operation(self) -> Contract | None:
        """The document's single-event operation, as :meth:`load` picks it by default."""
        try:
            return self.operation_named(None)
        except ContractError:
            return None

    @functools.cached_property
    def event_schema(self) -> dict[str, Any]:
        """The schema of one event, self-contained: the request schema, or for a batch,
        its ``items``."""
        schema = self.request_schema
        if not self.batch:
            return schema
        root = Refs(schema, source=self.source).follow(schema)
        items = root.get("items", True) if isinstance(root, Mapping) else True
        out = dict(items) if isinstance(items, Mapping) else {"allOf": [items]}
        out["$schema"] = schema["$schema"]
        out["$defs"] = schema["$defs"]
        return out

    @classmethod
    def load(
        cls,
        source: str | os.PathLike[str] | None = None,
        *,
        operation: str | None = None,
        mirror: str | os.PathLike[str] | None = None,
    ) -> Contract:
        """Load a JSON or YAML document, or a profile by name (default: ``oleander``).

        ``$ref`` s to published OpenLineage schemas are read from ``mirror`` (default:
        the one ``LINEAGE_CONTRACT_SCHEMAS`` names), else the user's cache. Cached per
        file state and copies of the published schemas, then per operation.
        """
        path = document_path(source)
        try:
            stat = path.stat()
        except OSError as exc:
            raise ContractError(f"cannot read contract {path}: {exc.strerror or exc}") from exc
        copies = Copies.from_env() if mirror is None else Copies.of_mirror(Path(mirror))
        parsed = _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size, copies)
        return parsed.contract_for(parsed.pick(operation))

    @classmethod
    def from_document(
        cls, document: Mapping[str, Any], *, operation: str | None = None
    ) -> Contract:
        return cls(document, operation=operation)

    @functools.cached_property
    def request_schema(self) -> dict[str, Any]:
        """The request body schema as self-contained JSON Schema 2020-12."""
        return self.json_schema(self._request_root)

    @functools.cached_property
    def fast_request_schema(self) -> dict[str, Any]:
        """The request body schema as the fast engine must be given it."""
        return self.json_schema(self._request_root, target=Target.FAST)

    @functools.cached_property
    def anatomy(self) -> Anatomy:
        """Where events keep their type, time, run id and job (see :mod:`.anatomy`);
        for a batch, where each element keeps them."""
        return Anatomy.of(self.event_schema, source=self.source)

    @functools.cached_property
    def responses(self) -> Mapping[str, ResponseSpec]:
        out: dict[str, ResponseSpec] = {}
        for status, response in self.operation.get("responses", {}).items():
            response = self.resolve(response)
            content = response.get("content", {})
            json_type = next((m for m in content if _is_json(m)), None)
            schema = content[json_type].get("schema") if json_type else None
            out[str(status)] = ResponseSpec(
                status=str(status),
                description=response.get("description", ""),
                media_types=tuple(content),
                schema=(
                    self.json_schema(schema, direction=Direction.RESPONSE)
                    if schema is not None
                    else None
                ),
            )
        return out

    def json_schema(
        self,
        schema: Mapping[str, Any],
        *,
        direction: Direction = Direction.REQUEST,
        target: Target = Target.REFERENCE,
    ) -> dict[str, Any]:
        return translate_schema(
            schema, self.components, direction=direction, target=target, refs=self.refs
        )

    def resolve(self, node: Any) -> Any:
        """Follow ``$ref``s to the node they name (:class:`RefError` if they name none)."""
        return self.refs.follow(node)

    def __repr__(self) -> str:
        return f"<Contract {self.method} {self.path} from {self.source}>"


@dataclass(frozen=True, slots=True)
class _Operation:
    path: str
    method: str
    operation: Mapping[str, Any]
    operation_id: str
    batch: bool

    @property
    def key(self) -> tuple[str, str]:
        return self.path, self.method

    def names(self) -> set[str]:
        return {self.operation_id, self.path, f"{self.method} {self.path}"} | (
            {self.operation["operationId"]} if "operationId" in self.operation else set()
        )


class _Parsed:
    """A document checked once, and the contracts of its operations."""

    def __init__(
        self, document: Mapping[str, Any], source: str, file: Path | None, copies: Copies
    ) -> None:
        self.document = document
        self.source = source
        self.copies = copies
        self.refs = Refs(document, source=source, file=file, copies=copies)
        _check_document(document, source, self.refs)
        self.components: Mapping[str, Any] = document.get("components", {}).get("schemas", {})
        for uri, contents in self.refs.files().items():
            dialect_of(contents, self.refs.base_of(uri), source)
        self.formats: Mapping[str, tuple[str, ...]] = _formats(document, self.refs)
        unknown = sorted(set(self.formats) - set(CHECKERS))
        if unknown:
            where = "; ".join(f"{f!r} at {', '.join(self.formats[f])}" for f in unknown)
            raise ContractError(
                f"{source}: no checker for format {where}. Known formats: "
                f"{', '.join(sorted(CHECKERS))}. Refusing to skip them silently."
            )
        self.candidates = _json_operations(document, self.refs)
        self.contracts: dict[tuple[str, str], Contract] = {}
        self._lock = threading.Lock()

    def pick(self, wanted: str | None) -> _Operation:
        candidates = self.candidates
        if wanted is not None:
            candidates = [op for op in candidates if wanted in op.names()]
        elif len(candidates) > 1:
            single = [op for op in candidates if not op.batch]
            candidates = single if len(single) == 1 else candidates
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            what = f"operation {wanted!r}" if wanted else "operation with a JSON request body"
            raise ContractError(f"{self.source}: no {what}")
        listed = ", ".join(f"{op.method} {op.path}" for op in candidates)
        raise ContractError(f"{self.source}: several operations take JSON ({listed}); name one")

    def contract_for(self, found: _Operation) -> Contract:
        with self._lock:
            contract = self.contracts.get(found.key)
            if contract is None:
                contract = Contract.__new__(Contract)
                contract._setup(self, found)
            return contract


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, _mtime: int, _size: int, copies: Copies) -> _Parsed:
    return _Parsed(read_document(path), path, Path(path), copies)


def _check_document(document: Mapping[str, Any], source: str, refs: Refs) -> None:
    version = str(document.get("openapi", ""))
    if not version.startswith("3.0."):
        raise ContractError(
            f"{source}: OpenAPI {version or '(no version)'} is not supported; "
            "this kit reads OpenAPI 3.0.x documents"
        )
    # Before the spec validator, which would follow refs anywhere (and quote what it found).
    refs.check()
    # Imported here: the spec validator is slow to import and only needed at load.
    from jsonschema.exceptions import best_match
    from jsonschema_path import SchemaPath
    from jsonschema_path.accessors import SchemaAccessor
    from openapi_spec_validator import OpenAPIV30SpecValidator
    from openapi_spec_validator.settings import OpenAPISpecValidatorSettings

    # It resolves through the kit's registry too, so that nothing else decides where refs lead.
    cache = OpenAPISpecValidatorSettings().resolved_cache_maxsize
    spec = SchemaPath(SchemaAccessor(dict(document), refs.resolver, resolved_cache_maxsize=cache))
    try:
        errors = list(islice(OpenAPIV30SpecValidator(spec).iter_errors(), 4))
    except Exception as exc:  # a value it cannot read
        # "... does not exist within {the whole document}": keep the first part.
        text = str(exc).split(" within ", 1)[0]
        text = text if len(text) <= 300 else text[:300] + "…"
        raise ContractError(f"{source}: invalid OpenAPI document: {text}") from exc
    if not errors:
        return
    # The first error places the problem in the document; the ones after it,
    # when there are any, name it (their paths are relative to a schema there).
    where = pointer(list(errors[0].absolute_path)) or "/"
    details = []
    for error in errors[1:]:
        while error.context:
            error = best_match(error.context)
        inner = pointer(list(error.absolute_path))
        details.append(f"{inner[1:] + ': ' if inner else ''}{_spec_message(error.message)}")
    message = _spec_message(errors[0].message)
    if details:
        message += " (" + "; ".join(details) + ")"
    raise ContractError(f"{source}: invalid OpenAPI document at {where}: {message}")


def _spec_message(message: str) -> str:
    # openapi-spec-validator goes on to print the schema and the instance, which
    # for a schema object is the whole of it: keep the first sentence, naming the
    # value briefly.
    first = message.split("\n\n", 1)[0]
    if first[:1] in "{[" and " is not " in first:
        first = "this value" + first[first.rindex(" is not ") :]
    return first if len(first) <= 300 else first[:300] + "…"


def _is_json(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _json_operations(document: Mapping[str, Any], refs: Refs) -> list[_Operation]:
    """Every operation with a JSON request body, in document order."""
    found = []
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            content = op.get("requestBody", {}).get("content", {})
            json_type = next((m for m in content if _is_json(m)), None)
            if json_type is None:
                continue
            root = refs.follow(content[json_type].get("schema", {}))
            found.append(
                _Operation(
                    path=path,
                    method=method.upper(),
                    operation=op,
                    operation_id=str(op.get("operationId") or f"{method.upper()} {path}"),
                    batch=isinstance(root, Mapping) and root.get("type") == "array",
                )
            )
    return found


def _security(
    document: Mapping[str, Any], operation: Mapping[str, Any]
) -> tuple[tuple[SecurityScheme, ...], ...]:
    schemes = document.get("components", {}).get("securitySchemes", {})
    requirements = operation.get("security", document.get("security", []))
    out = []
    for requirement in requirements:
        group = []
        for name in requirement:
            raw = schemes[name]
            group.append(
                SecurityScheme(
                    name=name,
                    type=raw.get("type", ""),
                    scheme=str(raw.get("scheme", "")).lower(),
                    location=raw.get("in", ""),
                    parameter=raw.get("name", ""),
                )
            )
        out.append(tuple(group))
    return tuple(out)


def _formats(document: Mapping[str, Any], refs: Refs) -> dict[str, tuple[str, ...]]:
    """Each ``format`` used, and where: in the document, and in the files beside it
    that it reaches (``NAME#/pointer``)."""
    found: dict[str, list[str]] = {}
    sources: list[tuple[str, Any]] = [("", document)]
    sources += [(refs.base_of(uri) + "#", contents) for uri, contents in refs.files().items()]
    for prefix, contents in sources:
        for path, node in _walk(contents, []):
            fmt = node.get("format")
            if isinstance(fmt, str):
                found.setdefault(fmt, []).append(prefix + pointer(path))
    return {k: tuple(v) for k, v in found.items()}


def _walk(node: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], Mapping[str, Any]]]:
    # Only schema objects matter, but any mapping with a string "format" is one here:
    # OAS uses the word nowhere else.
    if isinstance(node, Mapping):
        yield path, node
        for key, value in node.items():
            if key not in ("example", "examples", "default", "enum"):
                yield from _walk(value, [*path, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, [*path, index])
