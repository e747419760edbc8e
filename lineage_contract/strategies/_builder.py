"""Compiling the schema view into Hypothesis strategies, with value hints where they fit."""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import strategies as st

from ..contract._formats import CHECKERS
from ..errors import ContractError
from ._hints import (
    FACETS,
    FORMAT_STRATEGIES,
    GENERIC_ALPHABET,
    GENERIC_KEYS,
    MAP_KEYS_BY_PROPERTY,
    PROPERTY_HINTS,
    SELDOM_SENT,
    Hint,
    any_json,
)
from ._schema_view import ITEM, KEY, Flat, Model, Segment, ecma, json_key, unconstrained

Strategy = st.SearchStrategy[Any]

_TYPES: Final = ("object", "array", "string", "integer", "number", "boolean", "null")
_INTEGER_FORMATS: Final = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

DEFAULT_MAX_DATASETS: Final = 3
DEFAULT_MAX_FACETS: Final = 3


# A forced path: at each place, which variant to use and which child must exist.
Force = tuple[tuple[int, Segment | None], ...]


@dataclass(frozen=True)
class _Site:
    """A place in an event: its schemas plus what hints need to know about it."""

    governing: tuple[str, ...]
    prop: str | None = None
    """The property or map key this value sits under."""
    parents: tuple[str, ...] = ()
    """Component names of the containing object."""
    container: str | None = None
    """The key the containing object sits under (a facet's name, for its fields)."""
    force: Force = ()
    root: bool = False


@dataclass(frozen=True)
class Fix:
    value: Any
    merge: bool


class Builder:
    def __init__(
        self,
        model: Model,
        *,
        max_datasets: int,
        max_facets: int,
        fixes: Mapping[str, Fix] | None = None,
    ) -> None:
        self.model = model
        self.max_items = max_datasets
        self.max_keys = max_facets
        self.fixes = dict(fixes or {})
        self._cache: dict[_Site, Strategy | None] = {}
        self._building: set[_Site] = set()

    def event(self, force: Force = ()) -> Strategy:
        found = self.value(_Site(("",), force=force, root=True))
        if found is None:
            raise ContractError(f"{self.model.contract.source}: no event can satisfy the schema")
        return found

    def value(self, site: _Site) -> Strategy | None:
        """A strategy for the values valid at ``site``, or None when there are none."""
        if site in self._cache:
            return self._cache[site]
        if site in self._building:
            return st.deferred(lambda: _or_nothing(self._cache.get(site)))
        self._building.add(site)
        try:
            variants = self.model.variants(site.governing)
            seg: Segment | None = None
            if site.force:
                index, seg = site.force[0]
                variants = variants[index : index + 1]
            parts = [
                s for v in variants if (s := self._flat(v, site, seg, site.force[1:])) is not None
            ]
            found = None if not parts else parts[0] if len(parts) == 1 else st.one_of(parts)
        finally:
            self._building.discard(site)
        self._cache[site] = found
        return found

    def _flat(self, v: Flat, site: _Site, seg: Segment | None, rest: Force) -> Strategy | None:
        if not v.satisfiable:
            return None
        if seg is None and unconstrained(v):
            return any_json()
        if v.enum is not None and seg is None:
            accept = self._acceptor(v)
            values = [e for e in v.enum if accept(e)]
            return st.sampled_from(values) if values else None
        kinds = list(v.types) if v.types is not None else list(_TYPES)
        if seg is not None:
            kinds = [k for k in kinds if k == ("array" if seg is ITEM else "object")]
        parts = [s for k in kinds if (s := self._typed(k, v, site, seg, rest)) is not None]
        if not parts:
            return None
        found = parts[0] if len(parts) == 1 else st.one_of(parts)
        if v.opaque or v.exclusions or (v.enum is not None and seg is not None):
            found = found.filter(self._acceptor(v))
        return found

    def _acceptor(self, v: Flat) -> Callable[[Any], bool]:
        check = self.model.check(v.governing)
        excluded = [self.model.check((p,)) for p in v.exclusions]
        if not excluded:
            return check
        return lambda x: check(x) and not any(e(x) for e in excluded)

    def _typed(
        self, kind: str, v: Flat, site: _Site, seg: Segment | None, rest: Force
    ) -> Strategy | None:
        if kind == "object":
            return self._object(v, site, seg, rest)
        if kind == "array":
            return self._array(v, site, seg, rest)
        if kind == "string":
            return self._string(v, site)
        if kind in ("integer", "number"):
            return self._number(v, kind == "integer")
        if kind == "boolean":
            return st.booleans()
        return st.none()

    # -- strings --

    def _string(self, v: Flat, site: _Site) -> Strategy:
        plain = self._plain_string(v)
        hint = self._hint(site)
        if hint is None:
            return plain
        simple = (
            not v.patterns
            and v.min_length == 0
            and v.max_length is None
            and not v.opaque
            and not v.exclusions
            and set(v.formats) <= hint.formats
        )
        if simple:
            return hint.factory()
        return _with_fallback(hint.factory(), self._acceptor(v), plain)

    def _hint(self, site: _Site) -> Hint | None:
        if site.prop is None:
            return None
        keys = [f"{site.container}.{name}.{site.prop}" for name in site.parents]
        keys += [f"{name}.{site.prop}" for name in site.parents]
        keys.append(site.prop)
        return next((PROPERTY_HINTS[k] for k in keys if k in PROPERTY_HINTS), None)

    def _plain_string(self, v: Flat) -> Strategy:
        lo, hi = v.min_length, v.max_length
        checks: list[Callable[[str], bool]] = []
        formats = [f for f in v.formats if f in FORMAT_STRATEGIES]
        if formats:
            base = FORMAT_STRATEGIES[formats[0]]()
            checks.extend(CHECKERS[f] for f in v.formats[1:] if f in CHECKERS)
            checks.extend(ecma(p).search for p in v.patterns)  # type: ignore[misc]
        elif v.patterns:
            base = st.from_regex(ecma(v.patterns[0]))
            checks.extend(ecma(p).search for p in v.patterns[1:])  # type: ignore[misc]
        else:
            size = max(hi if hi is not None else lo + 16, lo)
            return st.text(GENERIC_ALPHABET, min_size=lo, max_size=size)
        if lo or hi is not None:
            checks.append(lambda s: lo <= len(s) <= (hi if hi is not None else len(s)))
        if not checks:
            return base
        return base.filter(lambda s: all(c(s) for c in checks))

    # -- numbers --

    def _number(self, v: Flat, integral: bool) -> Strategy:
        lo, hi = v.minimum, v.maximum
        lo_x, hi_x = v.exclusive_minimum, v.exclusive_maximum
        for name in v.formats:
            if name in _INTEGER_FORMATS:
                integral = True
                low, high = _INTEGER_FORMATS[name]
                lo = low if lo is None else max(lo, low)
                hi = high if hi is None else min(hi, high)
        multiples = list(v.multiple_of)
        if not integral and not multiples:
            return st.floats(
                min_value=_pick(lo, lo_x, max),
                max_value=_pick(hi, hi_x, min),
                exclude_min=lo_x is not None and (lo is None or lo_x >= lo),
                exclude_max=hi_x is not None and (hi is None or hi_x <= hi),
                allow_nan=False,
                allow_infinity=False,
            )
        step = multiples[0] if multiples else 1
        start, stop = _ceil_step(lo, lo_x, step), _floor_step(hi, hi_x, step)
        if start is not None and stop is not None and start > stop:
            return st.nothing()
        found = st.integers(start, stop).map(lambda k: k * step)
        if integral and not isinstance(step, int):
            found = found.filter(lambda x: float(x).is_integer()).map(int)
        if len(multiples) > 1:
            found = found.filter(lambda x: all(_is_multiple(x, m) for m in multiples[1:]))
        return found

    # -- arrays --

    def _array(self, v: Flat, site: _Site, seg: Segment | None, rest: Force) -> Strategy | None:
        low = max(v.min_items, 1 if seg is ITEM else 0)
        high = max(low, self.max_items)
        if v.max_items is not None:
            high = min(high, v.max_items)
        if high < low:
            return None
        item_site = _Site(
            v.items,
            prop=site.prop,
            parents=site.parents,
            container=site.container,
            force=rest if seg is ITEM else (),
        )
        item = self.value(item_site) if v.items else any_json()
        if item is None:
            return st.just([]) if low == 0 else None
        unique = json_key if v.unique_items else None
        return st.lists(item, min_size=low, max_size=high, unique_by=unique)

    # -- objects --

    def _object(self, v: Flat, site: _Site, seg: Segment | None, rest: Force) -> Strategy | None:
        required = set(v.required)
        names: list[str] = []
        parts: list[Strategy] = []
        fixes = self.fixes if site.root else {}
        for name, governing in v.properties.items():
            forced = seg == name
            child = _Site(
                governing,
                prop=name,
                parents=v.names,
                container=site.prop,
                force=rest if forced else (),
            )
            strategy = self.value(child) if governing else any_json()
            if strategy is None:
                if name in required or forced or name in fixes:
                    return None
                continue
            if name in fixes:
                fix = fixes[name]
                strategy = (
                    strategy.map(functools.partial(_deep_merge, fix.value))
                    if fix.merge
                    else st.just(fix.value)
                )
            elif name not in required and not forced:
                strategy = _optional(name, strategy)
            names.append(name)
            parts.append(strategy)
        extras = self._extras(v, site, seg, rest)
        if extras is not None:
            parts.append(extras)
        # tuples, not fixed_dictionaries: keeps the document's order and draws no shuffle.
        found = st.tuples(*parts).map(functools.partial(_assemble, names, extras is not None))
        if v.min_properties or v.max_properties is not None:
            low, high = v.min_properties, v.max_properties
            found = found.filter(lambda d: low <= len(d) <= (high if high is not None else len(d)))
        return found

    def _extras(self, v: Flat, site: _Site, seg: Segment | None, rest: Force) -> Strategy | None:
        """Undeclared properties, where the schema declares what they may be."""
        extra = v.extra
        if extra is None or not v.extra_declared:
            return None
        forced = seg is KEY
        taken = set(v.properties)

        def free(key: str) -> bool:
            return key not in taken and not any(ecma(p).search(key) for p in v.pattern_properties)

        if not forced and site.prop is not None and site.prop in FACETS:
            body = FACETS[site.prop][2]().map(lambda d: {k: x for k, x in d.items() if free(k)})
            if all(self.model.node(p) in (True, {}) for p in extra):
                return body
            check = self.model.check(extra)
            generic = _or_nothing(self.value(_Site(extra, parents=v.names)))
            return body.flatmap(lambda d: _checked_values(d, check, generic))
        keys = [k for k in self._map_keys(v, site) if free(k)]
        if not keys:
            return None
        size = self.max_keys if keys[0] in FACETS else min(2, self.max_keys)
        low = 1 if forced else 0
        if size < low:
            return None

        def value_for(key: str) -> Strategy:
            where = _Site(
                extra,
                prop=key if key in FACETS else None,
                parents=v.names,
                container=site.prop,
                force=rest if forced else (),
            )
            return _or_nothing(self.value(where))

        values = {k: value_for(k) for k in keys}

        @functools.lru_cache(maxsize=512)
        def shaped(chosen: tuple[str, ...]) -> Strategy:
            return st.fixed_dictionaries({k: values[k] for k in chosen})

        # Keys first (unique sampled_from lists never reject), then their values.
        chosen = st.lists(st.sampled_from(keys), min_size=low, max_size=size, unique=True)
        return chosen.map(tuple).flatmap(shaped)

    def _map_keys(self, v: Flat, site: _Site) -> list[str]:
        values = self.model.variants(v.extra) if v.extra else ()
        named = [n for flat in values for n in flat.names]
        kinds = [n for n in named if any(n in maps for maps, _, _ in FACETS.values())]
        if not kinds and site.prop in MAP_KEYS_BY_PROPERTY:
            kinds = list(MAP_KEYS_BY_PROPERTY[site.prop])
        if kinds:
            return [name for name, (maps, _, _) in FACETS.items() if set(maps) & set(kinds)]
        return list(GENERIC_KEYS)


def _or_nothing(found: Strategy | None) -> Strategy:
    return st.nothing() if found is None else found


def _with_fallback(hint: Strategy, accept: Callable[[Any], bool], fallback: Strategy) -> Strategy:
    """The hint's value where the place accepts it, else a schema-driven one."""
    return hint.flatmap(lambda x: st.just(x) if accept(x) else fallback)


def _checked_values(
    body: dict[str, Any], check: Callable[[Any], bool], fallback: Strategy
) -> Strategy:
    bad = [k for k, x in body.items() if not check(x)]
    if not bad:
        return st.just(body)
    return st.fixed_dictionaries({k: fallback for k in bad}).map(lambda fixed: {**body, **fixed})


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Final = _Absent()


def _optional(name: str, strategy: Strategy) -> Strategy:
    # Present two times in three, so that optional parts (datasets, facets) are
    # common; absent once shrunk. The name in the choices keeps Hypothesis'
    # mutator from copying one property's presence onto every other one.
    absent = st.just(_ABSENT)
    odds = (None, None, None, name) if name in SELDOM_SENT else (None, name, name)
    return st.sampled_from(odds).flatmap(lambda chosen: absent if chosen is None else strategy)


def _assemble(names: list[str], with_extras: bool, values: tuple[Any, ...]) -> dict[str, Any]:
    out = {k: x for k, x in zip(names, values, strict=False) if x is not _ABSENT}
    if with_extras:
        out.update((k, x) for k, x in values[-1].items() if k not in out)
    return out


def _deep_merge(fixed: Any, drawn: Any) -> Any:
    if isinstance(fixed, Mapping) and isinstance(drawn, Mapping):
        out = dict(drawn)
        for key, value in fixed.items():
            out[key] = _deep_merge(value, out[key]) if key in out else copy.deepcopy(value)
        return out
    return copy.deepcopy(fixed)


def _pick(
    inclusive: float | None, exclusive: float | None, choose: Callable[..., float]
) -> float | None:
    given = [b for b in (inclusive, exclusive) if b is not None]
    return choose(given) if given else None


def _ceil_step(lo: float | None, lo_x: float | None, step: float) -> int | None:
    candidates = []
    if lo is not None:
        candidates.append(math.ceil(lo / step))
    if lo_x is not None:
        candidates.append(math.floor(lo_x / step) + 1)
    return max(candidates) if candidates else None


def _floor_step(hi: float | None, hi_x: float | None, step: float) -> int | None:
    candidates = []
    if hi is not None:
        candidates.append(math.floor(hi / step))
    if hi_x is not None:
        candidates.append(math.ceil(hi_x / step) - 1)
    return min(candidates) if candidates else None


def _is_multiple(value: float, step: float) -> bool:
    quotient = value / step
    return math.isclose(quotient, round(quotient))
