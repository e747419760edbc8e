"""Check an event against the OpenLineage specification: every facet, and the event itself.

The contract types a facet as a bare ``BaseFacet``; the specification gives each
facet version a schema, which the facet's ``_schemaURL`` names. Every facet
(``run.facets``, ``job.facets``, ``inputs[].facets``, ``inputs[].inputFacets``,
``outputs[].facets``, ``outputs[].outputFacets``, and a DatasetEvent's
``dataset.facets``) is checked against the schema its URL resolves to (see
:mod:`._resolve`), and the event against the core schema of the version its
``schemaURL`` names. Every finding is a warning of kind ``spec``: the contract's
verdict never changes.

* A URL that names no schema but whose key is a standard facet's: checked
  against the newest standard facet of that key and place, the findings say so.
* A custom facet (a URL outside OpenLineage's): checked when its schema can be
  fetched and is a JSON Schema, else counted and listed as unchecked.
* A schema that cannot be had: a ``schemaUnavailable`` warning naming the URL
  and why. An OpenLineage URL that names nothing: a ``schemaURL`` warning.

The verdict comes from jsonschema-rs, compiled once per resolved schema; when
it says no, jsonschema explains, as for the contract.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import jsonschema_rs
import orjson

from ..contract._anatomy import MISSING, get
from ..contract._document import Contract
from ..contract._pointers import pointer, unpointer
from ..validation._explain import brief, described, schema_explainer
from ..validation._report import Kind, Level, Violation
from ..validation._validator import fast_formats
from ._resolve import Resolved, Unresolved, external_refs, resolve, standard_facets
from ._store import SchemaStore, SchemaUnavailable, core_url

UNAVAILABLE: Final = "schemaUnavailable"
"""The keyword of a finding about a schema that cannot be had."""
BAD_URL: Final = "schemaURL"
"""The keyword of a finding about a URL that names no OpenLineage schema."""

_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_FORMATS: Final = fast_formats(("date", "time", "int32", "int64", "byte", "uri-reference"))
_MAX_CACHED: Final = 4096  # URLs come from events: a stream of new ones must not grow memory


@dataclass(frozen=True, slots=True)
class Unchecked:
    """A facet no schema was found for: where it is, its ``_schemaURL`` and why."""

    pointer: str
    schema_url: str
    reason: str


@dataclass(frozen=True, slots=True)
class ConformanceResult:
    """What :meth:`Conformance.check` found: warnings, and how many facets were checked."""

    violations: tuple[Violation, ...] = ()
    checked: int = 0
    """Facets checked against a schema."""
    unchecked: tuple[Unchecked, ...] = ()
    """Facets no schema was found for (custom facets, mostly)."""
    event_schema: str = ""
    """The core schema the event itself was checked against ("" when none)."""

    @property
    def conforms(self) -> bool:
        return not self.violations


@dataclass(frozen=True, slots=True)
class _Compiled:
    resolved: Resolved
    url: str
    fast: Any
    reference: Any


class Conformance:
    """Check events against the OpenLineage schemas a :class:`SchemaStore` provides.

    Safe to share between threads. ``contract`` says where the run and the job
    are (:class:`~lineage_contract.contract.Anatomy`); the bundled one by default.
    """

    def __init__(self, store: SchemaStore | None = None, *, contract: Contract | None = None):
        self.store = store if store is not None else SchemaStore.from_env()
        anatomy = (contract if contract is not None else Contract.load()).anatomy
        run = anatomy.run_id[:-1] if anatomy.run_id else ("run",)
        job = anatomy.job[0][:-1] if anatomy.job else ("job",)
        # Where facets are is OpenLineage's specification: (container, facets key, kind).
        self._places: tuple[tuple[tuple[str, ...], bool, str, str], ...] = (
            (run, False, "facets", "RunFacet"),
            (job, False, "facets", "JobFacet"),
            (("inputs",), True, "facets", "DatasetFacet"),
            (("inputs",), True, "inputFacets", "InputDatasetFacet"),
            (("outputs",), True, "facets", "DatasetFacet"),
            (("outputs",), True, "outputFacets", "OutputDatasetFacet"),
            (("dataset",), False, "facets", "DatasetFacet"),
        )
        self._lock = threading.Lock()
        self._resolutions: dict[tuple[str, bool], Resolved | Unresolved] = {}
        self._compiled: dict[Resolved, _Compiled] = {}
        self._standard: dict[tuple[str, str], Resolved] | None = None
        # By URL as written: the schema a facet's (an event's) URL compiled to.
        self._ready: dict[str, _Compiled] = {}
        self._ready_events: dict[str, _Compiled] = {}
        # By (URL, kind, key), for a URL that names nothing: the standard facet or None.
        self._routes: dict[tuple[str, str, str], tuple[_Compiled | None, str]] = {}
        self._explained: dict[tuple[str, bytes], tuple[tuple[str, str, str], ...]] = {}

    # -- the check ---------------------------------------------------------

    def check(self, event: Any) -> ConformanceResult:
        """Every facet of ``event`` (a parsed event) and the event itself, against the spec."""
        if not _is_mapping(event):
            return ConformanceResult()
        found: list[Violation] = []
        unchecked: list[Unchecked] = []
        checked = 0
        ready, routes = self._ready, self._routes
        for path, kind, facets in self._facet_maps(event):
            for key, facet in facets.items():
                if not _is_mapping(facet):
                    continue  # the contract's to say
                # The common cases first, allocating nothing: a facet whose URL was
                # met before and which keeps its schema (or is known unchecked).
                url = facet.get("_schemaURL")
                if type(url) is str:
                    compiled = ready.get(url)
                    if compiled is not None and _keeps(compiled, facet):
                        checked += 1
                        continue
                    route = routes.get((url, kind, key))
                    if route is not None:
                        standard, reason = route
                        if standard is None:
                            unchecked.append(Unchecked(pointer((*path, key)), url, reason))
                            continue
                        if _keeps(standard, facet):
                            checked += 1
                            continue
                if self._check_facet([*path, key], kind, key, facet, found, unchecked):
                    checked += 1
        event_schema = self._check_event(event, found)
        if not found:
            return ConformanceResult((), checked, tuple(unchecked), event_schema)
        # A facet's own schema and the core schema may both see one value: say it once.
        seen: set[tuple[str, str]] = set()
        unique = []
        for violation in found:
            if (violation.pointer, violation.keyword) not in seen:
                seen.add((violation.pointer, violation.keyword))
                unique.append(violation)
        unique.sort(key=lambda v: (v.pointer, v.keyword))
        return ConformanceResult(tuple(unique), checked, tuple(unchecked), event_schema)

    def _facet_maps(
        self, event: Mapping[str, Any]
    ) -> Iterator[tuple[tuple[str | int, ...], str, Mapping[str, Any]]]:
        """(path, kind, facets) of each facets object in the event."""
        for container, many, name, kind in self._places:
            node = get(event, container)
            if node is MISSING:
                continue
            if not many:
                facets = node.get(name) if _is_mapping(node) else None
                if facets and _is_mapping(facets):
                    path: tuple[str | int, ...] = (*container, name)
                    yield path, kind, facets
            elif type(node) is list:
                for index, holder in enumerate(node):
                    facets = holder.get(name) if _is_mapping(holder) else None
                    if facets and _is_mapping(facets):
                        path_i: tuple[str | int, ...] = (*container, index, name)
                        yield path_i, kind, facets

    def _check_facet(
        self,
        at: list[str | int],
        kind: str,
        key: str,
        facet: Mapping[str, Any],
        found: list[Violation],
        unchecked: list[Unchecked],
    ) -> bool:
        url = facet.get("_schemaURL")
        where = pointer([*at, "_schemaURL"])
        if isinstance(url, str):
            resolution = self._resolve(url, facet=True)
        else:
            resolution = Unresolved("it has no _schemaURL", official=False)
        problem = ""
        if isinstance(resolution, Resolved):
            try:
                compiled = self._compile(resolution)
            except SchemaUnavailable as exc:
                found.append(_unavailable(exc, where))
                problem = f"a schema it needs cannot be had ({exc.url})"
            else:
                if isinstance(url, str) and not resolution.wrapped:
                    self._remember(self._ready, url, compiled)
                found.extend(self._judge(compiled, facet, at, key))
                return True
        else:
            problem = resolution.reason
            if resolution.unavailable is not None:
                found.append(_unavailable(resolution.unavailable, where))
        # A URL that lastingly names nothing: the facet's key decides, the same way each time.
        lasting = isinstance(url, str) and isinstance(resolution, Unresolved)
        lasting = lasting and not resolution.transient  # type: ignore[union-attr]
        standard = self._standard_facet(kind, key)
        if standard is not None:
            note = f" (checked by its key, against the newest standard {key!r} {kind})"
            try:
                compiled = self._compile(standard)
            except SchemaUnavailable as exc:
                found.append(_unavailable(exc, where))
                problem = f"{problem}; its standard schema cannot be had ({exc.reason})"
            else:
                if lasting:
                    self._route(str(url), kind, key, compiled, problem)
                found.extend(self._judge(compiled, facet, at, key, note))
                return True
        elif lasting:
            self._route(str(url), kind, key, None, problem)
        unchecked.append(Unchecked(pointer(at), str(url) if url is not None else "", problem))
        return False

    def _check_event(self, event: Mapping[str, Any], found: list[Violation]) -> str:
        url = event.get("schemaURL")
        if not isinstance(url, str):
            return ""  # the contract requires it and says so
        ready = self._ready_events.get(url)
        if ready is not None and _keeps(ready, event):
            return ready.url
        resolution = self._resolve(url, facet=False)
        note = ""
        if isinstance(resolution, Unresolved):
            newest = self.store.catalog().newest_core
            fallback = f"; checked against the newest core schema, {newest}" if newest else ""
            if resolution.unavailable is not None:
                exc = resolution.unavailable
                found.append(
                    _warning(
                        UNAVAILABLE,
                        f"cannot get {exc.url}: {exc.reason}{fallback}",
                        "/schemaURL",
                        exc.url,
                    )
                )
            else:
                found.append(
                    _warning(
                        BAD_URL,
                        f"schemaURL {brief(url)} names no OpenLineage version: "
                        f"{resolution.reason}{fallback}",
                        "/schemaURL",
                        url,
                    )
                )
            if newest is None:
                return ""
            resolution = Resolved(core_url(newest))
            note = f" (checked against the newest core schema, {newest})"
        try:
            compiled = self._compile(resolution)
        except SchemaUnavailable as exc:
            found.append(
                _warning(UNAVAILABLE, f"cannot get {exc.url}: {exc.reason}", "/schemaURL", exc.url)
            )
            return ""
        if not note:
            self._remember(self._ready_events, url, compiled)
        found.extend(self._judge(compiled, event, [], None, note, known=found))
        return resolution.url

    def _judge(
        self,
        compiled: _Compiled,
        value: Mapping[str, Any],
        at: list[str | int],
        key: str | None,
        note: str = "",
        known: list[Violation] | None = None,
    ) -> list[Violation]:
        """Findings of ``value`` (at ``at``) against a schema; ``known``: findings already
        made, which the whole event's check need not explain again."""
        instance = {key: value} if compiled.resolved.wrapped and key is not None else value
        try:
            if compiled.fast.is_valid(instance):
                return []
        except (ValueError, TypeError):
            return []  # not a JSON value: the contract reports it
        if known is not None and _all_known(compiled, instance, at, known):
            return []
        explained = self._explain(compiled, instance, memo=key is not None)
        out = []
        for relative, keyword, message in explained:
            parts = unpointer(relative)
            if instance is not value:
                parts = parts[1:]
            out.append(_warning(keyword, message + note, pointer([*at, *parts]), compiled.url))
        return out

    def _explain(
        self, compiled: _Compiled, instance: Any, *, memo: bool
    ) -> tuple[tuple[str, str, str], ...]:
        """(pointer, keyword, message) of each violation; facets repeat from event to
        event, so their explanations are kept, by schema and value."""
        cache_key: tuple[str, bytes] | None = None
        if memo:
            try:
                cache_key = (compiled.url, orjson.dumps(instance))
            except TypeError:
                cache_key = None
            else:
                kept = self._explained.get(cache_key)
                if kept is not None:
                    return kept
        found = described(compiled.reference, instance)
        explained = tuple((v.pointer, v.keyword, v.message) for v in found)
        if not explained:
            # The engines disagree: never call it conforming; report what the fast one saw.
            explained = tuple(
                (pointer(list(e.instance_path)), "schema", _clip(e.message))
                for e in compiled.fast.iter_errors(instance)
            )
        if cache_key is not None:
            with self._lock:
                if len(self._explained) >= _MAX_CACHED:
                    self._explained.clear()
                self._explained[cache_key] = explained
        return explained

    # -- schemas -----------------------------------------------------------

    def _resolve(self, url: str, *, facet: bool) -> Resolved | Unresolved:
        cached = self._resolutions.get((url, facet))
        if cached is not None:
            return cached
        resolution = resolve(url, self.store, facet=facet)
        if isinstance(resolution, Resolved) or not resolution.transient:
            with self._lock:
                if len(self._resolutions) >= _MAX_CACHED:
                    self._resolutions.clear()
                self._resolutions[(url, facet)] = resolution
        return resolution

    def _route(
        self, url: str, kind: str, key: str, standard: _Compiled | None, reason: str
    ) -> None:
        with self._lock:
            if len(self._routes) >= _MAX_CACHED:
                self._routes.clear()
            self._routes[(url, kind, key)] = (standard, reason)

    def _remember(self, cache: dict[str, _Compiled], url: str, compiled: _Compiled) -> None:
        with self._lock:
            if len(cache) >= _MAX_CACHED:
                cache.clear()
            cache[url] = compiled

    def _standard_facet(self, kind: str, key: str) -> Resolved | None:
        if self._standard is None:
            standard = standard_facets(self.store)
            with self._lock:
                self._standard = standard
        return self._standard.get((kind, key))

    def _compile(self, resolved: Resolved) -> _Compiled:
        compiled = self._compiled.get(resolved)
        if compiled is not None:
            return compiled
        self._gather(resolved.document)
        schema = {"$schema": _DIALECT, "$ref": resolved.url}
        try:
            fast = jsonschema_rs.validator_for(
                schema,
                retriever=self.store.get,
                validate_formats=True,
                ignore_unknown_formats=True,
                formats=_FORMATS,
            )
        except (jsonschema_rs.ReferencingError, ValueError) as exc:
            raise SchemaUnavailable(
                resolved.url, f"it cannot be compiled ({_clip(str(exc))})"
            ) from None
        reference = schema_explainer(schema, self.store.registry)
        compiled = _Compiled(resolved, resolved.url, fast, reference)
        with self._lock:
            if len(self._compiled) >= _MAX_CACHED:
                self._compiled.clear()
            self._compiled[resolved] = compiled
        return compiled

    def _gather(self, document: str) -> None:
        """Get ``document`` and every document it refers to, within one timeout in all."""
        deadline = time.monotonic() + self.store.timeout
        todo, seen = [document], {document}
        while todo:
            for url in todo:
                self.store.start(url)
            following = []
            for url in todo:
                for ref in sorted(external_refs(self.store.get(url, deadline=deadline), url)):
                    if ref not in seen:
                        seen.add(ref)
                        following.append(ref)
            todo = following


def _is_mapping(value: Any) -> bool:
    # Parsed JSON is made of dicts: tell them apart without an ABC check.
    return type(value) is dict or isinstance(value, Mapping)


def _all_known(
    compiled: _Compiled, instance: Any, at: list[str | int], known: list[Violation]
) -> bool:
    """Whether every error jsonschema-rs sees is a finding already made (same place, same rule).

    The facets' own checks see most of what the event's core schema sees again;
    the slow explanation is spent only on something new.
    """
    seen = {(v.pointer, v.keyword) for v in known}
    try:
        for error in compiled.fast.iter_errors(instance):
            parts: list[str | int] = [*at, *error.instance_path]
            keyword = error.kind.name
            if keyword == "required":
                parts.append(str(getattr(error.kind, "property", "")))
            if (pointer(parts), keyword) not in seen:
                return False
    except (ValueError, TypeError):
        return False
    return True


def _keeps(compiled: _Compiled, value: Any) -> bool:
    try:
        return bool(compiled.fast.is_valid(value))
    except (ValueError, TypeError):
        return False  # not JSON: the slow path says nothing either


def _warning(keyword: str, message: str, at: str, schema_url: str) -> Violation:
    return Violation(
        Kind.SPEC, keyword, message, pointer=at, level=Level.WARNING, schema_url=schema_url
    )


def _unavailable(exc: SchemaUnavailable, at: str) -> Violation:
    return _warning(UNAVAILABLE, f"cannot get the schema {exc.url}: {exc.reason}", at, exc.url)


def _clip(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[:limit] + "…"


@dataclass(frozen=True, slots=True)
class Settings:
    """Where schemas come from, as options say: picklable, so that a worker process
    builds the same check (:meth:`event_check`)."""

    mirror: str | None = None
    offline: bool = False

    def event_check(self, contract: Contract) -> Callable[[Any], Sequence[Violation]]:
        """A :data:`~lineage_contract.validation.EventCheck` for ``contract``."""
        checker = Conformance(SchemaStore(self.mirror, offline=self.offline), contract=contract)

        def check(event: Any) -> Sequence[Violation]:
            return checker.check(event).violations

        return check
