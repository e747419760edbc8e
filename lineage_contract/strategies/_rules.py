"""The rules of the contract an event can break, and how each one is broken.

Invalid events break one rule of :func:`rules`: every ``required`` name at
every level (facets' own required fields inside ``additionalProperties`` maps
included), every ``type``, ``enum``/``const``, ``format``,
``additionalProperties: false``, and the ``minLength``/``maxLength``/
``pattern``/``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum``/
``multipleOf``/``minItems: 1`` bounds. A replacement value is checked when the
strategy is built to fail that place with that keyword alone; removals and
additions cannot fail to break. Where ``oneOf``/``anyOf`` alternatives lie on
the way (another branch might accept the broken event), each draw is also
checked with the validator. Not broken: ``maxItems``, ``uniqueItems``,
``minItems`` above 1, ``min``/``maxProperties`` and ``readOnly`` properties.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from hypothesis import strategies as st

from ..contract._document import Contract
from ..contract._pointers import pointer, unpointer
from ..errors import ContractError, RefError
from ._builder import DEFAULT_MAX_DATASETS, DEFAULT_MAX_FACETS, Builder, Force
from ._schema_view import ITEM, KEY, Flat, Model, Segment, Wild, ecma, json_key, model_for

Strategy = st.SearchStrategy[Any]

_MAX_RULE_DEPTH: Final = 12


@dataclass(frozen=True)
class Rule:
    """One rule of the document at one place: ``pattern`` (a JSON pointer where ``*``
    stands for any array index or map key) and the ``keyword`` that breaks there."""

    path: tuple[Segment, ...]
    keyword: str
    steps: tuple[int, ...] = field(default=(), compare=False, repr=False)
    """Which variant to take at each place along the path."""
    candidates: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    """Replacement values that break only this rule (for ``additionalProperties``: the
    undeclared name to add)."""
    guarded: bool = field(default=False, compare=False, repr=False)
    """Alternatives lie on the way: check each draw with the validator."""

    @property
    def pattern(self) -> str:
        return "".join("/*" if isinstance(p, Wild) else pointer([p]) for p in self.path)

    def matches(self, ptr: str) -> bool:
        """Whether a concrete pointer is an instance of this rule's pattern."""
        parts = unpointer(ptr)
        return len(parts) == len(self.path) and all(
            (isinstance(want, Wild) and (want is KEY or got.isdigit())) or want == got
            for want, got in zip(self.path, parts, strict=True)
        )

    def __str__(self) -> str:
        return f"{self.pattern or '(root)'} [{self.keyword}]"


@dataclass(frozen=True)
class BrokenEvent:
    """A valid event with exactly one rule broken: ``keyword`` at ``pointer``."""

    event: Any
    pointer: str
    keyword: str
    rule: Rule

    def to_dict(self) -> dict[str, Any]:
        return {"pointer": self.pointer, "keyword": self.keyword, "rule": self.rule.pattern}


# Values invalid by construction for each checked format (some are invalid for
# several reasons, so that a lenient checker still rejects one of them).
_BAD_FORMATS: Final[Mapping[str, tuple[Any, ...]]] = {
    "date-time": (
        "2024-05-01T12:00:00",
        "2024-05-01 12:00",
        "2024-02-30T10:00:00Z",
        "yesterday",
        "2024-05-01T25:61:00Z",
    ),
    "date": ("2024-13-01", "01/05/2024", "2023-02-29"),
    "time": ("25:00:00Z", "12:00:00", "noon"),
    "uuid": (
        "not-a-uuid",
        "3f2a6c9e1b7d4e0a9c5f2d8b7a6e4f10",
        "3f2a6c9e-1b7d-4e0a-9c5f-2d8b7a6e4f1",
    ),
    "uri": ("example.com/producer", "/relative/path", "https://exa mple.com", "::"),
    "uri-reference": ("https://exa mple.com", "a b", "%zz"),
    "byte": ("abc", "not base64!", "===="),
    "int32": (2**31, -(2**31) - 1),
    "int64": (2**63, -(2**63) - 1),
}
_TYPE_BREAKERS: Final[tuple[Any, ...]] = (True, None, 0, 0.5, "x", [], {})


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _replacements(v: Flat, keyword: str) -> list[Any]:
    """Candidate values for breaking ``keyword`` at a place (checked afterwards)."""
    if keyword == "type":
        return [x for x in _TYPE_BREAKERS if not v.allows(_json_type(x))]
    if keyword in ("enum", "const"):
        out: list[Any] = []
        for e in v.enum or ():
            if isinstance(e, str):
                out += [e.lower(), e.upper(), e + "_", e[::-1], "UNKNOWN", ""]
            elif isinstance(e, bool):
                out.append(not e)
            elif isinstance(e, int | float):
                out += [e + 1, e - 1]
        known = {json_key(e) for e in v.enum or ()}
        return [x for x in out if json_key(x) not in known]
    if keyword == "format":
        return [x for f in v.formats for x in _BAD_FORMATS.get(f, ())]
    if keyword == "minLength" and v.min_length > 0:
        n = v.min_length - 1
        return ["a" * n, "0" * n, "https://a"[:n]]
    if keyword == "maxLength" and v.max_length is not None:
        n = v.max_length + 1
        return ["a" * n, "https://example.com/" + "a" * n, "0" * n]
    if keyword == "pattern":
        return ["", " ", "!", "a", "0", "A", "é", "-"]
    if keyword in ("minimum", "exclusiveMinimum"):
        bound = v.minimum if keyword == "minimum" else v.exclusive_minimum
        return [] if bound is None else [bound - 1, bound - 0.5, bound]
    if keyword in ("maximum", "exclusiveMaximum"):
        bound = v.maximum if keyword == "maximum" else v.exclusive_maximum
        return [] if bound is None else [bound + 1, bound + 0.5, bound]
    if keyword == "multipleOf":
        return [m * k for m in v.multiple_of for k in (0.5, 1.5, 2.5)] + [1, 7]
    if keyword == "minItems" and v.min_items == 1:
        return [[]]
    return []


def _rule_keywords(v: Flat) -> list[str]:
    out: list[str] = []
    if v.enum is not None:
        out.append(v.enum_keyword)
    elif v.types is not None:
        out.append("type")
    if v.formats:
        out.append("format")
    pairs = (
        ("minLength", v.min_length > 0),
        ("maxLength", v.max_length is not None),
        ("pattern", bool(v.patterns)),
        ("minimum", v.minimum is not None),
        ("maximum", v.maximum is not None),
        ("exclusiveMinimum", v.exclusive_minimum is not None),
        ("exclusiveMaximum", v.exclusive_maximum is not None),
        ("multipleOf", bool(v.multiple_of)),
        ("minItems", v.min_items == 1),
    )
    out.extend(k for k, present in pairs if present)
    return out


class _Rules:
    """Walk the schema, listing every rule a generated event can break."""

    def __init__(self, model: Model, builder: Builder) -> None:
        self.model = model
        self.builder = builder
        self.found: dict[tuple[tuple[Segment, ...], str], Rule] = {}

    def walk(self) -> tuple[Rule, ...]:
        self._place(("",), (), (), (), False)
        return tuple(self.found.values())

    def _add(self, rule: Rule) -> None:
        key = (rule.path, rule.keyword)
        if key not in self.found:
            self.found[key] = rule

    def _place(
        self,
        governing: tuple[str, ...],
        path: tuple[Segment, ...],
        steps: tuple[int, ...],
        trail: tuple[tuple[str, ...], ...],
        guarded: bool,
    ) -> None:
        if governing in trail or len(path) > _MAX_RULE_DEPTH:
            return  # a recursive schema: its rules were met higher up
        variants = self.model.variants(governing)
        live = [i for i, v in enumerate(variants) if v.satisfiable]
        guarded = guarded or len(live) > 1
        for index in live:
            v = variants[index]
            here = (*steps, index)
            if not self._reachable(here, path):
                continue
            for keyword in _rule_keywords(v):
                values = tuple(
                    x
                    for x in _replacements(v, keyword)
                    # A string payload would be read as JSON text by the validator.
                    if (path or not isinstance(x, str))
                    and self.model.breaks_only(governing, x, keyword)
                    and not any(self.model.check((p,))(x) for p in v.exclusions)
                )
                if values:
                    self._add(Rule(path, keyword, here, values, guarded or bool(v.exclusions)))
            if not v.allows("object") and not v.allows("array"):
                continue
            if v.allows("object") and v.enum is None:
                self._object(v, governing, path, here, (*trail, governing), guarded)
            if v.allows("array") and v.enum is None and v.items:
                self._place(v.items, (*path, ITEM), here, (*trail, governing), guarded)

    def _object(
        self,
        v: Flat,
        governing: tuple[str, ...],
        path: tuple[Segment, ...],
        steps: tuple[int, ...],
        trail: tuple[tuple[str, ...], ...],
        guarded: bool,
    ) -> None:
        fragile = guarded or v.opaque or v.min_properties > 0 or bool(v.exclusions)
        for name in v.required:
            self._add(Rule((*path, name), "required", steps, (), fragile))
        if v.extra is None and v.max_properties is None:
            # A name neither declared nor matched by a pattern: only additionalProperties says no.
            unexpected = _unused_key(
                lambda k: k in v.properties or any(ecma(p).search(k) for p in v.pattern_properties)
            )
            self._add(Rule(path, "additionalProperties", steps, (unexpected,), fragile))
        for name, child in v.properties.items():
            if child:
                self._place(child, (*path, name), steps, trail, guarded)
        if v.extra and v.extra_declared:
            self._place(v.extra, (*path, KEY), steps, trail, guarded)

    def _reachable(self, steps: tuple[int, ...], path: tuple[Segment, ...]) -> bool:
        try:
            self.builder.event(_force(steps, path))
        except RefError:
            raise  # a broken document, not a place no event reaches
        except ContractError:
            return False
        return True


def _force(steps: tuple[int, ...], path: tuple[Segment, ...]) -> Force:
    return tuple((index, path[i] if i < len(path) else None) for i, index in enumerate(steps))


def rules(contract: Contract | None = None) -> tuple[Rule, ...]:
    """Every rule :func:`invalid_events` can break in this contract, in document order."""
    model = model_for(contract)
    builder = Builder(model, max_datasets=DEFAULT_MAX_DATASETS, max_facets=DEFAULT_MAX_FACETS)
    return walk_rules(model, builder)


def walk_rules(model: Model, builder: Builder) -> tuple[Rule, ...]:
    key = (builder.max_items, builder.max_keys)
    found = model.rules.get(key)
    if found is None:
        # A fresh builder: fixed options must not decide which places exist.
        plain = Builder(model, max_datasets=builder.max_items, max_facets=builder.max_keys)
        found = model.rules[key] = _Rules(model, plain).walk()
    return found


def validator_for(model: Model) -> Callable[[BrokenEvent], bool]:
    from ..validation._validator import Validator

    validator: list[Validator] = []

    batch = model.contract.batch

    def reported(broken: BrokenEvent) -> bool:
        if not validator:
            validator.append(Validator(model.contract))
        # In a batch the event is judged as its one element.
        payload, where = ([broken.event], "/0") if batch else (broken.event, "")
        return any(
            v.pointer == where + broken.pointer and v.keyword == broken.keyword
            for v in validator[0].check(payload).violations
        )

    return reported


def broken(builder: Builder, rule: Rule, reported: Callable[[BrokenEvent], bool]) -> Strategy:
    removing = rule.keyword == "required"
    to_place = rule.path[:-1] if removing else rule.path
    events = builder.event(_force(rule.steps, to_place))

    @st.composite
    def draw_broken(draw: st.DrawFn) -> BrokenEvent:
        event = copy.deepcopy(draw(events))
        parts: list[str | int] = []
        parent: Any = None
        node = event
        for seg in to_place:
            if seg is ITEM:
                key: str | int = draw(st.integers(0, len(node) - 1))
            elif seg is KEY:
                key = draw(st.sampled_from(list(node)))
            else:
                key = str(seg)
            parts.append(key)
            parent, node = node, node[key]
        if removing:
            name = str(rule.path[-1])
            del node[name]
            parts.append(name)
        elif rule.keyword == "additionalProperties":
            node[rule.candidates[0]] = None
        else:
            value = copy.deepcopy(draw(st.sampled_from(rule.candidates)))
            if parent is None:
                event = value
            else:
                parent[parts[-1]] = value
        return BrokenEvent(event, pointer(parts), rule.keyword, rule)

    found: Strategy = draw_broken()
    if rule.guarded:
        found = found.filter(reported)
    return found


def _unused_key(taken: Callable[[str], bool]) -> str:
    for n in itertools.count():
        key = f"unexpectedProperty{n or ''}"
        if not taken(key):
            return key
    raise AssertionError("unreachable")
