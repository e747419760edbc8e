"""Where a contract's events keep their type, time, run and job.

The journal files records by run and job, the assertions follow a run's
lifecycle and the strategies draw lifecycles: all ask the same question of the
request schema, and all get the answer here, read from the schema rather than
from field names written in code:

* the **event type** is the shallowest ``enum`` property holding ``START`` and a
  terminal state (the lifecycle states are OpenLineage's semantics, not schema);
* the **run id** is the shallowest ``uuid``-format property;
* the **event time** is the shallowest ``date-time``-format property;
* the **job** is a required object property whose required properties are all
  plain strings (for OpenLineage: ``job.namespace`` and ``job.name``).

Required properties win over optional ones at the same depth; only named
properties are followed (not ``additionalProperties`` or array items), so a
facet's fields never win. Alternatives (``oneOf``/``anyOf`` of several kinds of
event, as OpenLineage's RunEvent, DatasetEvent and JobEvent) are read together:
a property is there if one alternative has it, and required if every
alternative that has it requires it (so ``run`` is a RunEvent's alone, and an
event without one is no run's).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..errors import ContractError
from ._refs import Refs

START: Final = "START"
RUNNING: Final = "RUNNING"
OTHER: Final = "OTHER"
TERMINAL: Final = ("COMPLETE", "FAIL", "ABORT")

Path = tuple[str, ...]
_MAX_DEPTH = 8  # a recursive schema must not send the search down forever


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class Property:
    path: Path
    required: bool
    schema: Mapping[str, Any]
    """The property's schema with ``allOf`` members and lone branches merged in."""


@dataclass(frozen=True, slots=True)
class Anatomy:
    """Paths (as property names from the event's root) of the lifecycle fields."""

    event_type: Path | None
    event_time: Path | None
    run_id: Path | None
    job: tuple[Path, ...]
    states: tuple[str, ...] = ()
    """The event type's enum, in the contract's order."""

    @classmethod
    def of(cls, request_schema: Mapping[str, Any], *, source: str = "<memory>") -> Anatomy:
        """Read from a request schema in JSON Schema 2020-12 (``Contract.request_schema``)."""
        props = sorted(
            properties(request_schema, source=source),
            key=lambda p: (len(p.path), not p.required),
        )

        def first(test: Any) -> Property | None:
            return next((p for p in props if test(p.schema)), None)

        kind = first(
            lambda s: (
                isinstance(s.get("enum"), list)
                and START in s["enum"]
                and any(t in s["enum"] for t in TERMINAL)
            )
        )
        time = first(lambda s: s.get("format") == "date-time")
        run = first(lambda s: s.get("format") == "uuid")
        job: tuple[Path, ...] = ()
        for prop in props:
            if len(prop.path) != 1 or not prop.required or (run and run.path[0] == prop.path[0]):
                continue
            children = {p.path[-1]: p for p in props if p.path[:-1] == prop.path}
            inner = [children[n] for n in prop.schema.get("required", ()) if n in children]
            if inner and all(
                p.schema.get("type") == "string" and "format" not in p.schema for p in inner
            ):
                job = tuple(p.path for p in inner)
                break
        return cls(
            event_type=kind.path if kind else None,
            event_time=time.path if time else None,
            run_id=run.path if run else None,
            job=job,
            states=tuple(kind.schema["enum"]) if kind else (),
        )

    def require_lifecycle(self, source: str) -> None:
        """Raise :class:`ContractError` unless runs can be followed in this contract."""
        missing = [
            what
            for what, path in (
                (f"event type ({START} and {'/'.join(TERMINAL)} in an enum)", self.event_type),
                ("event time (date-time format)", self.event_time),
                ("run id (uuid format)", self.run_id),
            )
            if path is None
        ]
        if missing:
            raise ContractError(
                f"{source}: no {', no '.join(missing)} property, needed to follow a run"
            )

    def run_of(self, event: Any) -> str | None:
        value = get(event, self.run_id)
        return value if isinstance(value, str) else None

    def job_of(self, event: Any) -> str | None:
        """``namespace/name`` (the job's required strings joined by ``/``)."""
        parts = [get(event, path) for path in self.job]
        for part in parts:
            if not isinstance(part, str):
                return None
        return "/".join(parts) if parts else None


def get(event: Any, path: Path | None) -> Any:
    """The value at ``path`` in ``event``, or :data:`MISSING`."""
    if path is None:
        return MISSING
    node = event
    for part in path:
        # A parsed event is made of dicts: tell them apart without an ABC check.
        if not (type(node) is dict or isinstance(node, Mapping)) or part not in node:
            return MISSING
        node = node[part]
    return node


def properties(schema: Mapping[str, Any], *, source: str = "<memory>") -> Iterator[Property]:
    """Every named property reachable from ``schema``'s root, merged across ``allOf``."""
    refs = Refs(schema, source=source)
    yield from _walk(refs, _merge(refs, schema, set()), (), True)


def _walk(refs: Refs, node: Mapping[str, Any], path: Path, required: bool) -> Iterator[Property]:
    if len(path) > _MAX_DEPTH:
        return
    if path:
        yield Property(path, required, node)
    needed = set(node.get("required", ()))
    for name, sub in node.get("properties", {}).items():
        yield from _walk(refs, _merge(refs, sub, set()), (*path, name), required and name in needed)


def _merge(refs: Refs, node: Any, seen: set[str]) -> Mapping[str, Any]:
    """One view of a schema: refs followed, ``allOf`` members and lone branches merged."""
    node = _deref(refs, node, seen)
    if not isinstance(node, Mapping):
        return {}
    members = list(node.get("allOf", ()))
    for key in ("oneOf", "anyOf"):
        if len(node.get(key, ())) == 1:
            members.append(node[key][0])
        elif len(node.get(key, ())) > 1:
            members.append(_union([_merge(refs, b, set(seen)) for b in node[key]]))
    if not members:
        return node
    merged: dict[str, Any] = {k: v for k, v in node.items() if k not in ("allOf", "oneOf", "anyOf")}
    merged["properties"] = dict(node.get("properties", {}))
    required = list(node.get("required", ()))
    for member in members:
        part = _merge(refs, member, set(seen))
        for key, value in part.items():
            if key == "properties":
                merged["properties"].update(value)
            elif key == "required":
                required.extend(r for r in value if r not in required)
            else:
                merged.setdefault(key, value)
    merged["required"] = required
    return merged


def _union(branches: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The properties of alternatives, each required where every branch having it requires it."""
    props: dict[str, Any] = {}
    for branch in branches:
        for name, sub in branch.get("properties", {}).items():
            props.setdefault(name, sub)
    required = [
        name
        for name in props
        if all(
            name in branch.get("required", ())
            for branch in branches
            if name in branch.get("properties", {})
        )
    ]
    return {"properties": props, "required": required}


def _deref(refs: Refs, node: Any, seen: set[str]) -> Any:
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        if node["$ref"] in seen:
            return None  # a schema merged into itself through allOf: once is enough
        seen.add(node["$ref"])
    return refs.follow(node)
