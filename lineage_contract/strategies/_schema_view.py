"""The contract's request schema as a generator sees it: one flattened view per place.

Nothing here copies the schema. The strategy is compiled from
``Contract.request_schema``: ``$ref``, ``allOf`` (merged), ``oneOf``/``anyOf``
(one branch per variant; a ``oneOf`` value is kept only when no sibling
branch accepts it too), ``type`` (``nullable`` arrives as a ``"null"`` type),
``enum``/``const``, ``format``, ``required`` and optional ``properties``,
``additionalProperties``, ``items`` and the ``min*``/``max*``/``pattern``/
``multipleOf`` bounds. Keywords it cannot generate for are enforced by
filtering with the full check at that place. Change the document and the
strategies follow.
"""

from __future__ import annotations

import functools
import json
import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final

import jsonschema

from ..contract._dialect import python_pattern
from ..contract._document import Contract
from ..contract._formats import CHECKERS
from ..contract._pointers import pointer, unpointer
from ..contract._refs import Refs

if TYPE_CHECKING:
    from ._rules import Rule

# Keywords that assert nothing about an instance.
# fmt: off
_ANNOTATIONS: Final = frozenset({
    "$schema", "$id", "$defs", "$comment", "$anchor", "$dynamicAnchor", "title", "description",
    "default", "examples", "deprecated", "readOnly", "writeOnly", "contentMediaType",
    "contentEncoding", "contentSchema",
})
# Keywords the generator builds values for; any other assertion is filtered for.
_GENERATED: Final = frozenset({
    "$ref", "allOf", "anyOf", "oneOf", "type", "enum", "const", "format", "minLength",
    "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "properties", "required", "additionalProperties", "patternProperties", "items",
    "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
})
# fmt: on
# OAS 3.0 formats that only annotate (see lineage_contract.contract._formats).
_ANNOTATION_FORMATS: Final = frozenset({"float", "double", "binary", "password"})
_SIZE_BOUNDS: Final = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
)
_MAX_VARIANTS: Final = 64


class Wild:
    """A path segment standing for any array index or any map key."""

    def __init__(self, text: str, kind: str) -> None:
        self.text = text
        self.kind = kind

    def __repr__(self) -> str:
        return self.text


ITEM: Final = Wild("*", "item")
"""Path segment: any element of an array."""
KEY: Final = Wild("*", "key")
"""Path segment: any undeclared key of an object (an ``additionalProperties`` map)."""

Segment = str | Wild
_Combo = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, eq=False)
class Flat:
    """The constraints on one value after ``$ref``, ``allOf`` and one choice of branches."""

    governing: tuple[str, ...]
    """Pointers (into the request schema) of every schema applied at this place."""
    names: tuple[str, ...]
    """Names of the ``$defs`` components met, for value hints."""
    exclusions: tuple[str, ...] = ()
    """``oneOf`` siblings the value must not also match."""
    satisfiable: bool = True
    types: tuple[str, ...] | None = None
    enum: tuple[Any, ...] | None = None
    enum_keyword: str = "enum"
    formats: tuple[str, ...] = ()
    min_length: int = 0
    max_length: int | None = None
    patterns: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: tuple[float, ...] = ()
    properties: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    extra: tuple[str, ...] | None = ()
    """Governing schemas of undeclared keys; None when they are forbidden."""
    extra_declared: bool = False
    pattern_properties: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    min_items: int = 0
    max_items: int | None = None
    unique_items: bool = False
    min_properties: int = 0
    max_properties: int | None = None
    opaque: bool = False
    """Has assertions the generator does not build for: filter with the full check."""

    def allows(self, kind: str) -> bool:
        if self.types is None:
            return True
        return kind in self.types or (kind == "integer" and "number" in self.types)


_BLANK: Final = Flat(governing=(), names=())


def json_key(value: Any) -> str:
    # JSON equality: True is not 1, 1 is 1.0.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, sort_keys=True)


class Model:
    """The event schema of one contract (the request schema, or a batch's items), walked
    once and kept for every strategy."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.root: Mapping[str, Any] = contract.event_schema
        self.refs = Refs(self.root, source=contract.source)
        checker = jsonschema.FormatChecker(formats=())
        for name, check in CHECKERS.items():
            checker.checks(name)(check)
        self._reference = jsonschema.Draft202012Validator(self.root, format_checker=checker)
        self._variants: dict[tuple[str, ...], tuple[Flat, ...]] = {}
        self._checks: dict[tuple[str, ...], Callable[[Any], bool]] = {}
        self._validators: dict[tuple[str, ...], Any] = {}
        self.rules: dict[tuple[int, int], tuple[Rule, ...]] = {}
        """Rules found per (max_datasets, max_facets): only those bounds change reachability."""

    # -- reading the schema --

    def node(self, ptr: str) -> Any:
        return self.refs.at(ptr)

    def _ref(self, ref: Any, where: str) -> str:
        """The pointer (into the request schema) of what a ``$ref`` names."""
        return self.refs.target(ref, where=where)[0]

    # -- checking values at a place --

    def validator(self, governing: tuple[str, ...]) -> Any:
        found = self._validators.get(governing)
        if found is None:
            schema = {"allOf": [{"$ref": "#" + p} for p in governing]}
            found = self._validators[governing] = self._reference.evolve(schema=schema)
        return found

    def check(self, governing: tuple[str, ...]) -> Callable[[Any], bool]:
        """Whether a value is valid at a place governed by these schemas."""
        found = self._checks.get(governing)
        if found is None:
            found = self._checks[governing] = self.validator(governing).is_valid
        return found

    def breaks_only(self, governing: tuple[str, ...], value: Any, keyword: str) -> bool:
        """Whether ``value`` fails at this place with ``keyword`` and nothing else."""
        leaves = [
            leaf
            for error in self.validator(governing).iter_errors(value)
            for leaf in _leaf_errors(error)
        ]
        return bool(leaves) and all(
            not leaf.absolute_path and leaf.validator == keyword for leaf in leaves
        )

    # -- merging --

    def variants(self, governing: tuple[str, ...]) -> tuple[Flat, ...]:
        """The ways to satisfy the schemas at one place, one per choice of branches."""
        found = self._variants.get(governing)
        if found is None:
            combos = self._expand(governing, frozenset())
            found = tuple(
                self._merge(governing, leaves, exclusions, names)
                for leaves, exclusions, names in combos[:_MAX_VARIANTS]
            )
            self._variants[governing] = found
        return found

    def _expand(self, pointers: Iterable[str], seen: frozenset[str]) -> list[_Combo]:
        """Leaves, ``oneOf`` exclusions and component names, one triple per branch choice."""
        leaves: list[str] = []
        names: list[str] = []
        groups: list[tuple[str, str, int]] = []
        visited = set(seen)

        def visit(ptr: str) -> None:
            if ptr in visited:
                return  # a $ref cycle at one place adds nothing new
            visited.add(ptr)
            node = self.node(ptr)
            if node is True or (isinstance(node, Mapping) and not node):
                return
            leaves.append(ptr)
            if not isinstance(node, Mapping):
                return
            if "$ref" in node:
                target = self._ref(node["$ref"], ptr)
                parts = unpointer(target)
                if len(parts) == 2 and parts[0] == "$defs":
                    names.append(parts[1])
                visit(target)
            for index in range(len(node.get("allOf", ()))):
                visit(f"{ptr}/allOf/{index}")
            for keyword in ("anyOf", "oneOf"):
                if keyword in node:
                    groups.append((keyword, ptr, len(node[keyword])))

        for ptr in pointers:
            visit(ptr)
        results: list[_Combo] = [(tuple(leaves), (), tuple(names))]
        for keyword, ptr, count in groups:
            grown: list[_Combo] = []
            for have, excluded, named in results:
                for index in range(count):
                    branch = f"{ptr}/{keyword}/{index}"
                    others = (
                        tuple(f"{ptr}/{keyword}/{j}" for j in range(count) if j != index)
                        if keyword == "oneOf"
                        else ()
                    )
                    for sub, sub_excluded, sub_named in self._expand((branch,), frozenset(visited)):
                        grown.append(
                            (have + sub, excluded + others + sub_excluded, named + sub_named)
                        )
            results = grown[:_MAX_VARIANTS]
        return results

    def _merge(
        self,
        governing: tuple[str, ...],
        leaves: tuple[str, ...],
        exclusions: tuple[str, ...],
        names: tuple[str, ...],
    ) -> Flat:
        out: dict[str, Any] = {"governing": governing, "names": names, "exclusions": exclusions}
        types: list[str] | None = None
        enum: list[Any] | None = None
        keywords: set[str] = set()
        formats: list[str] = []
        patterns: list[str] = []
        multiples: list[float] = []
        required: list[str] = []
        declared: dict[str, None] = {}
        items: list[str] = []
        satisfiable = True
        opaque = False
        lows: list[tuple[float, bool]] = []
        highs: list[tuple[float, bool]] = []
        bounds: dict[str, list[int]] = {}
        schemas = [(ptr, self.node(ptr)) for ptr in leaves]
        for ptr, node in schemas:
            if node is False:
                satisfiable = False
                continue
            if not isinstance(node, Mapping):
                continue
            for key, value in node.items():
                if key in _ANNOTATIONS:
                    continue
                if key not in _GENERATED:
                    opaque = True
                if key == "type":
                    given = [value] if isinstance(value, str) else list(value)
                    types = given if types is None else _intersect_types(types, given)
                elif key in ("enum", "const"):
                    keywords.add(key)
                    values = list(value) if key == "enum" else [value]
                    wanted = {json_key(v) for v in values}
                    enum = values if enum is None else [v for v in enum if json_key(v) in wanted]
                elif key == "format" and value not in _ANNOTATION_FORMATS:
                    formats.append(value)
                elif key == "pattern":
                    patterns.append(value)
                elif key == "multipleOf":
                    multiples.append(value)
                elif key == "required":
                    required.extend(n for n in value if n not in required)
                elif key == "properties":
                    declared.update(dict.fromkeys(value))
                elif key == "items":
                    items.append(f"{ptr}/items")
                elif key in ("minimum", "exclusiveMinimum"):
                    lows.append((value, key == "exclusiveMinimum"))
                elif key in ("maximum", "exclusiveMaximum"):
                    highs.append((value, key == "exclusiveMaximum"))
                elif key in _SIZE_BOUNDS:
                    bounds.setdefault(key, []).append(value)
                elif key == "uniqueItems" and value is True:
                    out["unique_items"] = True
        properties: dict[str, tuple[str, ...]] = {}
        for name in list(declared) + [n for n in required if n not in declared]:
            properties[name] = self._property_governing(schemas, name)
        extra = [
            f"{ptr}/additionalProperties"
            for ptr, node in schemas
            if isinstance(node, Mapping) and "additionalProperties" in node
        ]
        out["extra"] = None if any(self.node(p) is False for p in extra) else tuple(extra)
        out["extra_declared"] = bool(extra) and out["extra"] is not None
        out["pattern_properties"] = tuple(
            pat
            for _, node in schemas
            if isinstance(node, Mapping)
            for pat in node.get("patternProperties", {})
        )
        out["properties"] = properties
        out["required"] = tuple(required)
        if types is not None:
            if not types:
                satisfiable = False
            out["types"] = tuple(types)
        if enum is not None:
            if not enum:
                satisfiable = False
            out["enum"] = tuple(enum)
            out["enum_keyword"] = "const" if keywords == {"const"} else "enum"
        out["formats"] = tuple(dict.fromkeys(formats))
        out["patterns"] = tuple(patterns)
        out["multiple_of"] = tuple(multiples)
        out["items"] = tuple(items)
        for low, exclusive in lows:
            key = "exclusive_minimum" if exclusive else "minimum"
            out[key] = low if out.get(key) is None else max(out[key], low)
        for high, exclusive in highs:
            key = "exclusive_maximum" if exclusive else "maximum"
            out[key] = high if out.get(key) is None else min(out[key], high)
        for key, values in bounds.items():
            attr = re.sub(r"([A-Z])", r"_\1", key).lower()
            out[attr] = max(values) if key.startswith("min") else min(values)
        if out.get("max_length") is not None and out["max_length"] < out.get("min_length", 0):
            satisfiable = False
        if out.get("max_items") is not None and out["max_items"] < out.get("min_items", 0):
            satisfiable = False
        out["satisfiable"] = satisfiable
        out["opaque"] = opaque
        return Flat(**out)

    def _property_governing(self, schemas: Sequence[tuple[str, Any]], name: str) -> tuple[str, ...]:
        found: list[str] = []
        for ptr, node in schemas:
            if not isinstance(node, Mapping):
                continue
            if name in node.get("properties", {}):
                found.append(f"{ptr}/properties/{escape(name)}")
                continue
            matched = [
                f"{ptr}/patternProperties/{escape(pat)}"
                for pat in node.get("patternProperties", {})
                if ecma(pat).search(name)
            ]
            if matched:
                found.extend(matched)
            elif "additionalProperties" in node:
                found.append(f"{ptr}/additionalProperties")
        return tuple(found)


def escape(name: str) -> str:
    return pointer([name])[1:]


def _intersect_types(have: list[str], given: list[str]) -> list[str]:
    out = [t for t in have if t in given or (t == "integer" and "number" in given)]
    out.extend(t for t in given if t == "integer" and "number" in have and t not in out)
    return out


def _leaf_errors(error: Any) -> Iterator[Any]:
    """The errors that matter under ``anyOf``/``oneOf`` wrappers when every branch failed."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        failed = {sub.relative_schema_path[0] for sub in error.context}
        if len(failed) == len(error.validator_value):
            for sub in error.context:
                yield from _leaf_errors(sub)
            return
    yield error


_MODELS: weakref.WeakKeyDictionary[Contract, Model] = weakref.WeakKeyDictionary()


def model_for(contract: Contract | None) -> Model:
    contract = contract if contract is not None else Contract.load()
    found = _MODELS.get(contract)
    if found is None:
        found = _MODELS[contract] = Model(contract)
    return found


@functools.lru_cache(maxsize=256)
def ecma(pattern: str) -> re.Pattern[str]:
    """A JSON Schema (ECMA-262) pattern, compiled so that Python agrees with it."""
    return re.compile(python_pattern(pattern))


def unconstrained(v: Flat) -> bool:
    """Whether nothing at this place constrains the value (a ``true`` schema)."""
    return all(
        getattr(v, f.name) == getattr(_BLANK, f.name)
        for f in fields(Flat)
        if f.name not in ("governing", "names")
    )
