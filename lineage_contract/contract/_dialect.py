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

from ._formats import INTEGER_RANGES
from ._pointers import pointer, unpointer
from ._refs import Refs

COMPONENTS_PREFIX = "#/components/schemas/"
DEFS_PREFIX = "#/$defs/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

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
    return schema


class _Translator:
    def __init__(self, refs: Refs, direction: Direction, target: Target):
        self.refs = refs
        self.direction = direction
        self.target = target
        self.forbidden = "readOnly" if direction is Direction.REQUEST else "writeOnly"

    def node(self, schema: Any) -> Any:
        if isinstance(schema, bool) or not isinstance(schema, Mapping):
            return schema
        if "$ref" in schema:
            ref = schema["$ref"]
            if isinstance(ref, str) and ref.startswith(COMPONENTS_PREFIX):
                ref = DEFS_PREFIX + ref[len(COMPONENTS_PREFIX) :]
            return {"$ref": ref}
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in _ANNOTATIONS or key.startswith("x-"):
                continue
            if key == "properties":
                out[key] = {name: self.property(sub) for name, sub in value.items()}
            elif key == "patternProperties":
                out[key] = {self.pattern(name): self.node(sub) for name, sub in value.items()}
            elif key == "pattern" and isinstance(value, str):
                out[key] = self.pattern(value)
            elif key in ("allOf", "anyOf", "oneOf"):
                out[key] = [self.node(sub) for sub in value]
            elif key in ("items", "additionalProperties", "not"):
                out[key] = self.node(value)
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
                if self._resolved(sub).get(self.forbidden) is True
            }
            out["required"] = [name for name in out["required"] if name not in hidden]
        if self.target is Target.FAST and schema.get("format") in INTEGER_RANGES:
            low, high = INTEGER_RANGES[schema["format"]]
            out.setdefault("allOf", []).append({"minimum": low, "maximum": high})
        return out

    def pattern(self, pattern: str) -> str:
        return python_pattern(pattern) if self.target is Target.REFERENCE else pattern

    def property(self, schema: Any) -> Any:
        if isinstance(schema, Mapping) and self._resolved(schema).get(self.forbidden) is True:
            return False
        return self.node(schema)

    def _resolved(self, schema: Any) -> Mapping[str, Any]:
        schema = self.refs.follow(schema)
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
    """Map a location in the translated schema back into the OpenAPI document."""
    if location[:1] == ["$defs"] and len(location) >= 2:
        return "/components/schemas" + pointer(location[1:])
    return root_pointer + pointer(location)
