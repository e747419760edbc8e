"""Load an OpenAPI 3.0.x document and expose its lineage operation.

Everything the kit knows about events comes from here: the validator, the mock
server's answers and the strategies all read the contract, never a copy of it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import ContractError
from ._anatomy import Anatomy
from ._dialect import Direction, Target, translate_schema
from ._formats import CHECKERS
from ._pointers import pointer
from ._profiles import document_path
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
    """The lineage operation of an OpenAPI 3.0.x document.

    Build one with :meth:`load` (cached per file) or :meth:`from_document`.
    ``operation`` picks the operation when the document has several with a JSON
    request body: an ``operationId``, a path, or ``"METHOD /path"``. ``file`` is
    the file the document was read from, if any (``$ref``s resolve against it).
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        *,
        source: str = "<memory>",
        operation: str | None = None,
        file: Path | None = None,
    ) -> None:
        self.document = document
        self.source = source
        self.refs = Refs(document, source=source, file=file)
        """Every pointer and ``$ref`` into the document resolves through this."""
        _check_document(document, source, self.refs)
        self.path, self.method, self.operation = _find_operation(document, operation, source)
        self.components: Mapping[str, Any] = document.get("components", {}).get("schemas", {})
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
        self.formats: Mapping[str, tuple[str, ...]] = _formats(document)
        unknown = sorted(set(self.formats) - set(CHECKERS))
        if unknown:
            where = "; ".join(f"{f!r} at {', '.join(self.formats[f])}" for f in unknown)
            raise ContractError(
                f"{source}: no checker for format {where}. Known formats: "
                f"{', '.join(sorted(CHECKERS))}. Refusing to skip them silently."
            )

    @classmethod
    def load(
        cls, source: str | os.PathLike[str] | None = None, *, operation: str | None = None
    ) -> Contract:
        """Load a JSON or YAML document, or a profile by name (default: ``oleander``).

        Cached per file state.
        """
        path = document_path(source)
        try:
            stat = path.stat()
        except OSError as exc:
            raise ContractError(f"cannot read contract {path}: {exc.strerror or exc}") from exc
        return _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size, operation)

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
        """Where events keep their type, time, run id and job (see :mod:`.anatomy`)."""
        return Anatomy.of(self.request_schema, source=self.source)

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


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, _mtime: int, _size: int, operation: str | None) -> Contract:
    return Contract(read_document(path), source=path, operation=operation, file=Path(path))


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


def _find_operation(
    document: Mapping[str, Any], wanted: str | None, source: str
) -> tuple[str, str, Mapping[str, Any]]:
    candidates = []
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            content = op.get("requestBody", {}).get("content", {})
            if not any(_is_json(m) for m in content):
                continue
            names = {op.get("operationId"), path, f"{method.upper()} {path}"}
            if wanted is None or wanted in names:
                candidates.append((path, method.upper(), op))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        what = f"operation {wanted!r}" if wanted else "operation with a JSON request body"
        raise ContractError(f"{source}: no {what}")
    listed = ", ".join(f"{m} {p}" for p, m, _ in candidates)
    raise ContractError(f"{source}: several operations take JSON ({listed}); name one")


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


def _formats(document: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for path, node in _walk(document, []):
        fmt = node.get("format")
        if isinstance(fmt, str):
            found.setdefault(fmt, []).append(pointer(path))
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
