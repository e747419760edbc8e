"""What one event says that matters across events, read once and kept small.

A :class:`Trace` is cheap to keep and to send between processes: the run's
fields (read where the contract's :class:`~lineage_contract.contract.Anatomy`
says they are), the parent run, a digest of the body for START and terminal
events (to tell a client's retry), and the datasets with their declared
columns and column lineage.

The run fields come from the contract; the datasets, facets and their fields
are OpenLineage's own vocabulary (the spec's ``inputs``/``outputs``,
``namespace``/``name``, and the ``parent``, ``schema`` and ``columnLineage``
facets), which no contract schema spells out.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from ..contract._anatomy import START, TERMINAL, Anatomy, Path, get
from ..contract._formats import Instant, instant
from ..contract._pointers import pointer

INPUTS, OUTPUTS = "inputs", "outputs"
NAMESPACE, NAME, FACETS = "namespace", "name", "facets"
PARENT, SCHEMA, COLUMN_LINEAGE = "parent", "schema", "columnLineage"
_FIELDS, _INPUT_FIELDS, _FIELD = "fields", "inputFields", "field"
_DIGESTED = frozenset((START, *TERMINAL))
_MAX_NESTING = 8  # nested schema fields: deep enough for real structs, bounded for hostile ones


@dataclass(frozen=True, slots=True)
class Column:
    """One output column of a ``columnLineage`` facet and the input columns it comes from."""

    field: str
    pointer: str
    inputs: tuple[tuple[str, str, str], ...]
    """``(namespace, name, field)`` of each input column."""


@dataclass(frozen=True, slots=True)
class DatasetTrace:
    namespace: str
    name: str
    pointer: str
    """Where the dataset is in its event (``/inputs/0``)."""
    fields: frozenset[str] | None
    """The columns its ``schema`` facet declares (nested ones as ``a.b``); None without one."""
    columns: tuple[Column, ...] = ()


@dataclass(frozen=True, slots=True)
class Trace:
    run_id: str | None
    event_type: str | None
    event_time: str | None
    instant: Instant | None
    job: tuple[str, ...] | None
    parent: tuple[str, tuple[str, ...] | None] | None
    """The parent run's id and job, from the ``parent`` run facet."""
    digest: int | None
    """CRC-32 of the body of a START or terminal event (equal bodies, equal digests)."""
    inputs: tuple[DatasetTrace, ...] = ()
    outputs: tuple[DatasetTrace, ...] = ()


class Tracer:
    """Reads :class:`Trace` s from events, with the field paths of one contract."""

    def __init__(self, anatomy: Anatomy) -> None:
        self.anatomy = anatomy
        run_id = anatomy.run_id
        self._facets: Path | None = (*run_id[:-1], FACETS, PARENT) if run_id else None

    def trace(self, event: Any, body: bytes | None = None) -> Trace:
        """The trace of a parsed event; ``body`` is its bytes as sent, when known."""
        anatomy = self.anatomy
        run_id = _text(get(event, anatomy.run_id))
        kind = _text(get(event, anatomy.event_type))
        time = _text(get(event, anatomy.event_time))
        digest = None
        if kind in _DIGESTED:
            data = body if body is not None else orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
            digest = zlib.crc32(data)
        parent = None
        facet = get(event, self._facets)
        if type(facet) is dict:
            parent_id = _text(get(facet, anatomy.run_id))
            if parent_id is not None:
                parent = (parent_id, _job(facet, anatomy.job))
        inputs: tuple[DatasetTrace, ...] = ()
        outputs: tuple[DatasetTrace, ...] = ()
        if type(event) is dict:
            inputs = _datasets(event.get(INPUTS), INPUTS)
            outputs = _datasets(event.get(OUTPUTS), OUTPUTS)
        return Trace(
            run_id,
            kind,
            time,
            instant(time),
            _job(event, anatomy.job),
            parent,
            digest,
            inputs,
            outputs,
        )


def _text(value: Any) -> str | None:
    return value if type(value) is str else None


def _job(holder: Any, paths: tuple[Path, ...]) -> tuple[str, ...] | None:
    if not paths:
        return None
    parts = tuple(get(holder, path) for path in paths)
    return parts if all(type(p) is str for p in parts) else None


def _datasets(items: Any, side: str) -> tuple[DatasetTrace, ...]:
    if type(items) is not list:
        return ()
    found = []
    for index, item in enumerate(items):
        if type(item) is not dict:
            continue
        namespace, name = item.get(NAMESPACE), item.get(NAME)
        if type(namespace) is not str or type(name) is not str:
            continue
        at = f"/{side}/{index}"
        facets = item.get(FACETS)
        fields = columns = None
        if type(facets) is dict:
            schema = facets.get(SCHEMA)
            if type(schema) is dict and type(schema.get(_FIELDS)) is list:
                fields = frozenset(_names(schema[_FIELDS], "", 0))
            lineage = facets.get(COLUMN_LINEAGE)
            if type(lineage) is dict and type(lineage.get(_FIELDS)) is dict:
                columns = _columns(lineage[_FIELDS], f"{at}/{FACETS}/{COLUMN_LINEAGE}/{_FIELDS}")
        found.append(DatasetTrace(namespace, name, at, fields, columns or ()))
    return tuple(found)


def _names(fields: list[Any], prefix: str, depth: int) -> list[str]:
    names = []
    for field in fields:
        if type(field) is not dict or type(field.get(NAME)) is not str:
            continue
        name = prefix + field[NAME]
        names.append(name)
        inner = field.get(_FIELDS)
        if type(inner) is list and depth < _MAX_NESTING:
            names.extend(_names(inner, name + ".", depth + 1))
    return names


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
