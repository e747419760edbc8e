"""What one event says that matters across events, read once and kept small.

A :class:`Trace` is cheap to make, keep and send between processes: the run's
fields (read where the contract's :class:`~lineage_contract.contract.Anatomy`
says they are), the parent run, a fingerprint of START and terminal events (to
tell a client's retry), and the datasets with their schema and column lineage.

The run fields come from the contract; the datasets, facets and their fields
are OpenLineage's own vocabulary (the spec's ``inputs``/``outputs``,
``namespace``/``name``, and the ``parent``, ``schema`` and ``columnLineage``
facets), which no contract schema spells out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

from ..contract._anatomy import START, TERMINAL, Anatomy, Path
from ..contract._pointers import pointer

INPUTS, OUTPUTS = "inputs", "outputs"
NAMESPACE, NAME, FACETS = "namespace", "name", "facets"
PARENT, SCHEMA, COLUMN_LINEAGE = "parent", "schema", "columnLineage"
FIELDS, _INPUT_FIELDS, _FIELD = "fields", "inputFields", "field"
_FINGERPRINTED = frozenset((START, *TERMINAL))
_MAX_NESTING = 8  # nested schema fields: deep enough for real structs, bounded for hostile ones


class Column(NamedTuple):
    """One output column of a ``columnLineage`` facet and the input columns it comes from."""

    field: str
    pointer: str
    inputs: tuple[tuple[str, str, str], ...]
    """``(namespace, name, field)`` of each input column."""


class DatasetTrace(NamedTuple):
    namespace: str
    name: str
    pointer: str
    """Where the dataset is in its event (``/inputs/0``)."""
    schema: list[Any] | None
    """The ``fields`` of its ``schema`` facet, as sent (read by :func:`declared` when needed)."""
    columns: tuple[Column, ...] = ()


class Trace(NamedTuple):
    run_id: str | None
    event_type: str | None
    event_time: str | None
    job: tuple[str, ...] | None
    parent: tuple[str, tuple[str, ...] | None] | None
    """The parent run's id and job, from the ``parent`` run facet."""
    fingerprint: tuple[str | None, int] | None
    """Of a START or terminal event: its time and body size. A retry resends the same
    bytes, so equal fingerprints in one run are taken for a retry; a hash of every body
    would cost more than all the other checks across events together."""
    inputs: tuple[DatasetTrace, ...] = ()
    outputs: tuple[DatasetTrace, ...] = ()
    at: str = ""
    """Where the event is in its payload: ``""``, or ``/3`` for a batch's fourth element.
    Every pointer of a finding about the event starts with it."""


Getter = Callable[[Any], Any]


def getter(path: Path | None) -> Getter:
    """A function reading ``path`` from a parsed event (None where it is not there)."""
    parts = tuple(path or ())
    if len(parts) == 1:  # the usual depths, written out: this runs several times per event
        (only,) = parts

        def one(event: Any) -> Any:
            return event.get(only) if type(event) is dict else None

        return one
    if len(parts) == 2:
        outer, inner = parts

        def two(event: Any) -> Any:
            node = event.get(outer) if type(event) is dict else None
            return node.get(inner) if type(node) is dict else None

        return two

    def deeper(event: Any) -> Any:
        if not parts:
            return None
        node = event
        for part in parts:
            if type(node) is not dict:
                return None
            node = node.get(part)
        return node

    return deeper


class Tracer:
    """Reads :class:`Trace` s from parsed events, with the field paths of one contract."""

    def __init__(self, anatomy: Anatomy) -> None:
        self.anatomy = anatomy
        run_id = anatomy.run_id
        self._run_id = getter(run_id)
        self._type = getter(anatomy.event_type)
        self._time = getter(anatomy.event_time)
        self._job = tuple(getter(path) for path in anatomy.job)
        # The usual shape (``job.namespace``, ``job.name``) read without a getter per part:
        # this runs for every event and every parent facet.
        outers = {tuple(path[:-1]) for path in anatomy.job}
        self._job_pair: tuple[str, str, str] | None = None
        if len(anatomy.job) == 2 and len(outers) == 1 and all(len(p) == 2 for p in anatomy.job):
            self._job_pair = (anatomy.job[0][0], anatomy.job[0][1], anatomy.job[1][1])
        self._parent = getter((*run_id[:-1], FACETS, PARENT) if run_id else None)
        # The parent facet holds a run and a job shaped like the event's own.
        self._parent_run = getter(run_id)

    def tracing(self, *, batch: bool = False) -> Callable[[Any, bytes | None], Any]:
        """:meth:`trace`, or for a batch operation, the list of its elements' traces."""
        if not batch:
            return self.trace

        def traces(events: Any, body: bytes | None = None) -> list[Trace]:
            return [self.trace(e, at=f"/{i}") for i, e in enumerate(events) if type(e) is dict]

        return traces

    def trace(self, event: Any, body: bytes | None = None, *, at: str = "") -> Trace:
        """The trace of a parsed event; ``body`` is its bytes as sent, when known; ``at``
        where the event is in its payload (an element of a batch)."""
        run_id, kind, time = self._run_id(event), self._type(event), self._time(event)
        fingerprint = None
        if kind in _FINGERPRINTED:
            size = len(body if body is not None else orjson.dumps(event, option=_SORTED))
            fingerprint = (_text(time), size)
        parent = None
        facet = self._parent(event)
        if facet is not None:
            parent_id = self._parent_run(facet)
            if type(parent_id) is str:
                parent = (parent_id, self.job(facet))
        inputs = outputs = _NONE
        if type(event) is dict:
            if INPUTS in event:
                inputs = _datasets(event[INPUTS], f"{at}/{INPUTS}")
            if OUTPUTS in event:
                outputs = _datasets(event[OUTPUTS], f"{at}/{OUTPUTS}")
        return Trace(
            _text(run_id), _text(kind), _text(time), self.job(event), parent, fingerprint,
            inputs, outputs, at,
        )  # fmt: skip

    def job(self, holder: Any) -> tuple[str, ...] | None:
        pair = self._job_pair
        if pair is not None:
            node = holder.get(pair[0]) if type(holder) is dict else None
            if type(node) is not dict:
                return None
            first, second = node.get(pair[1]), node.get(pair[2])
            return (first, second) if type(first) is str and type(second) is str else None
        parts = []
        for get in self._job:
            part = get(holder)
            if type(part) is not str:
                return None
            parts.append(part)
        return tuple(parts) or None


_SORTED = orjson.OPT_SORT_KEYS
_NONE: tuple[DatasetTrace, ...] = ()


def _text(value: Any) -> str | None:
    return value if type(value) is str else None


def _datasets(items: Any, side: str) -> tuple[DatasetTrace, ...]:
    """The datasets of ``items``, the list at pointer ``side`` (``/inputs``, ``/0/outputs``)."""
    if type(items) is not list:
        return _NONE
    found = []
    for index, item in enumerate(items):
        if type(item) is not dict:
            continue
        namespace, name = item.get(NAMESPACE), item.get(NAME)
        if type(namespace) is not str or type(name) is not str:
            continue
        at = f"{side}/{index}"
        facets = item.get(FACETS)
        schema = None
        columns: tuple[Column, ...] = ()
        if type(facets) is dict:
            facet = facets.get(SCHEMA)
            if type(facet) is dict:
                fields = facet.get(FIELDS)
                if type(fields) is list:
                    schema = fields
            lineage = facets.get(COLUMN_LINEAGE)
            if lineage is not None and type(lineage) is dict:
                fields = lineage.get(FIELDS)
                if type(fields) is dict:
                    columns = _columns(fields, f"{at}/{FACETS}/{COLUMN_LINEAGE}/{FIELDS}")
        found.append(DatasetTrace(namespace, name, at, schema, columns))
    return tuple(found)


def declared(schema: list[Any]) -> set[str]:
    """The column names a schema facet's ``fields`` declare, nested ones as ``a.b``."""
    names: set[str] = set()
    _names(schema, "", 0, names)
    return names


def _names(fields: list[Any], prefix: str, depth: int, names: set[str]) -> None:
    for field in fields:
        if type(field) is not dict or type(field.get(NAME)) is not str:
            continue
        name = prefix + field[NAME]
        names.add(name)
        inner = field.get(FIELDS)
        if type(inner) is list and depth < _MAX_NESTING:
            _names(inner, name + ".", depth + 1, names)


def _columns(fields: dict[str, Any], at: str) -> tuple[Column, ...]:
    columns = []
    for field, entry in fields.items():
        if type(entry) is not dict or type(entry.get(_INPUT_FIELDS)) is not list:
            continue
        inputs = tuple(
            (source[NAMESPACE], source[NAME], source[_FIELD])
            for source in entry[_INPUT_FIELDS]
            if type(source) is dict
            and all(type(source.get(k)) is str for k in (NAMESPACE, NAME, _FIELD))
        )
        columns.append(Column(field, at + pointer([field]), inputs))
    return tuple(columns)
