"""Translate OpenAPI 3.0 schema objects into JSON Schema 2020-12.

OAS 3.0 speaks an extended subset of draft 5 ("Wright 00"). The differences that
change verdicts, and what this module does with each:

* ``nullable: true`` admits ``null`` where ``type`` is given: the type becomes
  ``[T, "null"]``. Nothing else changes: OAS 3.0.3 (which clarifies every 3.0.x)
  says the other constraints "retain their defined behavior, and therefore may
  disallow the use of null", so an ``enum`` without ``null`` still refuses it.
* ``exclusiveMinimum``/``exclusiveMaximum`` are booleans modifying
  ``minimum``/``maximum``: they become the 2020-12 numeric form.
* ``readOnly`` properties must not be sent in a request (and ``writeOnly`` not in
  a response); ``required`` does not apply to them in that direction.
* ``$ref`` replaces the whole object: siblings are dropped.
* ``example``, ``xml``, ``externalDocs``, ``discriminator`` and ``x-`` extensions
  are annotations: dropped.

A ``$ref`` to a file beside the document is embedded: what it names is put under
``$defs/file:NAME`` at the pointer it has in that file (so
``OpenLineage.json#/$defs/RunEvent`` becomes ``#/$defs/file:OpenLineage.json/$defs/RunEvent``),
and so is everything that reaches in turn. A ``$ref`` to a schema OpenLineage
publishes is embedded alike, its URL the key (``$defs/https:~1~1openlineage.io~1...``).
A file whose ``$schema`` is JSON Schema 2020-12 is that dialect already: only its refs
are rewritten (relative to the file), its patterns read as ECMA-262 and its integer
formats bounded as below; a file without ``$schema`` holds OAS 3.0 schema objects,
translated like the document's; any other dialect is refused.

Two targets share the translation. ``reference`` keeps ``format`` as written
(checked by our own checkers) and rewrites each ``pattern`` from ECMA-262, the
regex dialect JSON Schema names, into the Python ``re`` that jsonschema runs
(see :func:`python_pattern`). ``fast`` is for jsonschema-rs, whose custom
formats only ever see strings, so ``int32``/``int64`` are spelled as numeric
bounds there as well.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin

from ..errors import ContractError
from ._formats import INTEGER_RANGES
from ._pointers import pointer, unpointer
from ._refs import Refs, is_url

COMPONENTS_PREFIX = "#/components/schemas/"
DEFS_PREFIX = "#/$defs/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
FILE_PREFIX = "file:"
"""Of a ``$defs`` key holding what a file beside the document contributes (a component
name cannot hold a colon, so the two never meet; a published schema's key is its URL,
which starts ``https:``)."""

# JSON Schema 2020-12 keywords whose value is a schema, a list or a map of them.
_ONE = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "additionalItems",
    }
)
_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_MAP = frozenset({"properties", "$defs", "definitions", "dependentSchemas"})
# What would make a ref mean something else once the file is embedded.
_RESOURCE_KEYWORDS = frozenset(
    {"$id", "$anchor", "$dynamicAnchor", "$dynamicRef", "$recursiveRef", "$recursiveAnchor"}
)

_ANNOTATIONS = frozenset({"example", "xml", "externalDocs", "discriminator", "nullable"})


class Direction(enum.Enum):
    REQUEST = "request"
    RESPONSE = "response"


class Target(enum.Enum):
    REFERENCE = "reference"
    FAST = "fast"


def translate_schema(
    root: Mapping[str, Any],
    components: Mapping[str, Any],
    *,
    direction: Direction,
    target: Target = Target.REFERENCE,
    refs: Refs | None = None,
) -> dict[str, Any]:
    """A self-contained 2020-12 schema for ``root``, components under ``$defs``.

    ``refs`` resolves the document's ``$ref``s (by default, ones into ``components``).
    """
    if refs is None:
        refs = Refs({"components": {"schemas": components}})
    translator = _Translator(refs, direction, target)
    schema = translator.node(root)
    if not isinstance(schema, dict):
        schema = {"allOf": [schema]}
    schema["$schema"] = DIALECT
    schema["$defs"] = {name: translator.node(sub) for name, sub in components.items()}
    translator.embed(schema["$defs"])
    return schema


class _Translator:
    def __init__(self, refs: Refs, direction: Direction, target: Target):
        self.refs = refs
        self.direction = direction
        self.target = target
        self.forbidden = "readOnly" if direction is Direction.REQUEST else "writeOnly"
        self.wanted: dict[str, None] = {}
        """Each place in a file beside the document that a translated ref names (its URI)."""

    def ref(self, ref: Any, base: str) -> Any:
        """``ref`` (met in the file at ``base``; ``""`` for the document) as the translation
        spells it."""
        if not isinstance(ref, str):
            return ref
        target = urljoin(base or self.refs.base, ref)
        name = self.refs.base_of(target)
        if not name:
            if ref.startswith(COMPONENTS_PREFIX):
                return DEFS_PREFIX + ref[len(COMPONENTS_PREFIX) :]
            return ref
        self.wanted.setdefault(target, None)
        fragment = unquote(urldefrag(target).fragment)
        return "#" + quote(pointer(["$defs", _key(name)]) + fragment, safe="/:$~")

    def embed(self, defs: dict[str, Any]) -> None:
        """Put every place a translated ref names in a file beside the document under
        ``defs``, following the refs of what is put there in turn."""
        done: set[str] = set()
        while len(done) < len(self.wanted):
            for uri in [u for u in self.wanted if u not in done]:
                done.add(uri)
                base, fragment = urldefrag(uri)
                name = self.refs.base_of(base)
                whole = self.refs.follow({"$ref": base})
                json_schema = dialect_of(whole, name, self.refs.source)
                parts: list[str | int] = list(unpointer(unquote(fragment)))
                node = self.refs.follow({"$ref": uri})
                if json_schema:
                    if not parts and isinstance(node, Mapping):
                        node = {k: v for k, v in node.items() if k not in ("$schema", "$id")}
                    translated = self.schema_node(node, base, name, parts)
                else:
                    translated = self.node(node, base)
                _place(defs.setdefault(_key(name), {}), parts, translated)

    def schema_node(self, schema: Any, base: str, name: str, at: list[str | int]) -> Any:
        """A JSON Schema 2020-12 node of the file ``name`` (at ``base``), found at ``at``."""
        if isinstance(schema, list):
            return [self.schema_node(sub, base, name, [*at, i]) for i, sub in enumerate(schema)]
        if not isinstance(schema, Mapping):
            return schema
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in _RESOURCE_KEYWORDS or key == "$schema":
                raise ContractError(
                    f"{self.refs.source}: {name}#{pointer([*at, key])}: {key} inside a schema "
                    "is not supported (the kit embeds the files beside the document)"
                )
            if key == "$ref":
                out[key] = self.ref(value, base)
            elif key == "pattern" and isinstance(value, str):
                out[key] = self.pattern(value)
            elif key == "patternProperties" and isinstance(value, Mapping):
                out[key] = {
                    self.pattern(p): self.schema_node(sub, base, name, [*at, key, p])
                    for p, sub in value.items()
                }
            elif key in _MAP and isinstance(value, Mapping):
                out[key] = {
                    k: self.schema_node(sub, base, name, [*at, key, k]) for k, sub in value.items()
                }
            elif key in _ONE or key in _LIST:
                out[key] = self.schema_node(value, base, name, [*at, key])
            else:
                out[key] = value
        if self.target is Target.FAST and schema.get("format") in INTEGER_RANGES:
            low, high = INTEGER_RANGES[schema["format"]]
            out.setdefault("allOf", []).append({"minimum": low, "maximum": high})
        return out

    def node(self, schema: Any, base: str = "") -> Any:
        if isinstance(schema, bool) or not isinstance(schema, Mapping):
            return schema
        if "$ref" in schema:
            return {"$ref": self.ref(schema["$ref"], base)}
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in _ANNOTATIONS or key.startswith("x-"):
                continue
            if key == "properties":
                out[key] = {name: self.property(sub, base) for name, sub in value.items()}
            elif key == "patternProperties":
                out[key] = {self.pattern(name): self.node(sub, base) for name, sub in value.items()}
            elif key == "pattern" and isinstance(value, str):
                out[key] = self.pattern(value)
            elif key in ("allOf", "anyOf", "oneOf"):
                out[key] = [self.node(sub, base) for sub in value]
            elif key in ("items", "additionalProperties", "not"):
                out[key] = self.node(value, base)
            elif key in ("exclusiveMinimum", "exclusiveMaximum"):
                continue
            else:
                out[key] = value
        self._bounds(schema, out)
        if schema.get("nullable") is True:
            self._nullable(out)
        if "required" in out and "properties" in schema:
            hidden = {
                name
                for name, sub in schema["properties"].items()
                if self._resolved(sub, base).get(self.forbidden) is True
            }
            out["required"] = [name for name in out["required"] if name not in hidden]
        if self.target is Target.FAST and schema.get("format") in INTEGER_RANGES:
            low, high = INTEGER_RANGES[schema["format"]]
            out.setdefault("allOf", []).append({"minimum": low, "maximum": high})
        return out

    def pattern(self, pattern: str) -> str:
        return python_pattern(pattern) if self.target is Target.REFERENCE else pattern

    def property(self, schema: Any, base: str = "") -> Any:
        if isinstance(schema, Mapping) and self._resolved(schema, base).get(self.forbidden) is True:
            return False
        return self.node(schema, base)

    def _resolved(self, schema: Any, base: str = "") -> Mapping[str, Any]:
        schema = self.refs.follow(schema, base=base or None)
        return schema if isinstance(schema, Mapping) else {}

    @staticmethod
    def _bounds(schema: Mapping[str, Any], out: dict[str, Any]) -> None:
        for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            if schema.get(exclusive) is True and bound in schema:
                out[exclusive] = out.pop(bound)

    @staticmethod
    def _nullable(out: dict[str, Any]) -> None:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]


def _key(name: str) -> str:
    """The ``$defs`` key of what the file ``name`` (as :meth:`Refs.base_of` gives it)
    contributes."""
    return name if is_url(name) else FILE_PREFIX + name


def dialect_of(whole: Any, name: str, source: str) -> bool:
    """Whether a file beside the document is JSON Schema 2020-12 (else OAS 3.0 schemas)."""
    declared = whole.get("$schema") if isinstance(whole, Mapping) else None
    if declared is None:
        return False
    if isinstance(declared, str) and declared.rstrip("#") == DIALECT:
        return True
    raise ContractError(
        f"{source}: {name} is written in JSON Schema {declared!r}; the kit reads files of "
        f"JSON Schema 2020-12 ({DIALECT}) or of OAS 3.0 schema objects (no $schema)"
    )


def _place(root: dict[str, Any], parts: list[str | int], value: Any) -> None:
    """Put ``value`` at ``parts`` under ``root``, merged with what is there already
    (another ref may have named a place inside it, translated alike)."""
    node = root
    for part in parts:
        node = node.setdefault(str(part), {})
        if not isinstance(node, dict):
            return
    if not isinstance(value, Mapping):
        value = {"allOf": [value]}
    _merge(node, value)


def _merge(into: dict[str, Any], value: Mapping[str, Any]) -> None:
    for key, sub in value.items():
        here = into.get(key)
        if isinstance(here, dict) and isinstance(sub, Mapping):
            _merge(here, sub)
        else:
            into.setdefault(key, sub)


_ECMA_CLASSES = {"d": "0-9", "w": "A-Za-z0-9_"}


def python_pattern(pattern: str) -> str:
    """An ECMA-262 pattern rewritten so that Python's ``re`` reads it the same way.

    ECMA's ``$`` (without the multiline flag) is the very end of the input, while
    Python's also matches before a final newline; ECMA's ``\\d`` and ``\\w`` are
    ASCII, Python's match any Unicode digit or letter.
    """
    out: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
            if char in _ECMA_CLASSES:
                out[-1] = _ECMA_CLASSES[char] if in_class else f"[{_ECMA_CLASSES[char]}]"
                continue
            if char.lower() in _ECMA_CLASSES and not in_class:
                out[-1] = f"[^{_ECMA_CLASSES[char.lower()]}]"
                continue
        elif char == "\\":
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            out.append(r"\Z")
            continue
        out.append(char)
    return "".join(out)


def schema_location(schema: Mapping[str, Any], schema_path: list[str | int]) -> list[str | int]:
    """Where a jsonschema ``schema_path`` really ends, every ``$ref`` followed.

    The answer is a path from the translated schema's root, so
    ``/$defs/BaseFacet/required`` rather than a path through the referring
    schemas. jsonschema (4.18 and later) leaves ``$ref`` out of ``schema_path``:
    a step that a ``$ref`` node does not have is taken in the schema it names.
    An explicit ``"$ref"`` step (older jsonschema) is followed as well.
    """
    refs = Refs(schema)
    location: list[str | int] = []
    node: Any = schema
    for step in schema_path:
        if step == "$ref" and _ref_of(node) is not None:
            location, node = _follow_ref(refs, node)
            continue
        seen: set[str] = set()
        while (ref := _ref_of(node)) is not None and step not in node and ref not in seen:
            seen.add(ref)
            location, node = _follow_ref(refs, node)
        location.append(step)
        if isinstance(node, Mapping):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            node = None
    return location


def _ref_of(node: Any) -> str | None:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            return ref
    return None


def _follow_ref(refs: Refs, node: Mapping[str, Any]) -> tuple[list[str | int], Any]:
    ptr, target = refs.target(node["$ref"])
    return list(unpointer(ptr)), target


def document_pointer(location: list[str | int], root_pointer: str) -> str:
    """Map a location in the translated schema back into the OpenAPI document
    (``NAME#/pointer`` for a place in a file beside it, ``URL#/pointer`` in a published
    schema)."""
    if location[:1] == ["$defs"] and len(location) >= 2:
        key = str(location[1])
        if key.startswith(FILE_PREFIX):
            return key[len(FILE_PREFIX) :] + "#" + pointer(location[2:])
        if is_url(key):
            return key + "#" + pointer(location[2:])
        return "/components/schemas" + pointer(location[1:])
    return root_pointer + pointer(location)
