"""What JSON can hold, and where an event handed over already parsed holds something else.

Bytes are JSON by construction: orjson refuses the rest. An event parsed
elsewhere, built by Python code or read from YAML, can hold what no JSON text
can: NaN or an infinity, a set, bytes, a datetime, a string with a lone
surrogate, a property name that is not a string, a value that contains itself.
Each is a violation at its own pointer, wherever the event came from.

JSON values are ``dict`` with string keys, ``list`` or ``tuple``, ``str``,
``int``, finite ``float``, ``bool`` and ``None``, subclasses included, and enum
members whose values are JSON. They are judged as the JSON they are:
:func:`sift` copies them into exactly those types (an enum member becomes its
value), which both engines read alike.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import orjson

from ..contract._pointers import pointer
from ._report import Kind, Violation

# What orjson writes as JSON, once told to refuse datetimes, dataclasses and
# subclasses (which it would write as strings, objects and their base types).
_WRITABLE = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_WRITABLE |= orjson.OPT_PASSTHROUGH_SUBCLASS

# Every value, however deep, of a JSON type: NaN and the infinities fail, and a
# value jsonschema-rs cannot read (a UUID, a set, a datetime) is an error.
_JSON_TYPES = ["object", "array", "string", "number", "boolean", "null"]


def _any_json(levels: int) -> dict[str, Any]:
    # Following a $ref costs jsonschema-rs more than a level spelt out: an
    # event's first few levels are, the rest goes round the $ref.
    node: dict[str, Any] = {"$ref": "#/$defs/json"}
    for _ in range(levels):
        node = {"type": _JSON_TYPES, "items": node, "additionalProperties": node}
    return {"$defs": {"json": node}, "$ref": "#/$defs/json"}


_READABLE = jsonschema_rs.validator_for(_any_json(8))


def plain(value: Any) -> bool:
    """Whether ``value`` is JSON as it stands, which :func:`sift` would leave unchanged.

    Two checks in compiled code: orjson can write it (which refuses lone
    surrogates, property names that are not strings, sets, bytes, Decimals,
    subclasses and values that contain themselves) and jsonschema-rs reads every
    value in it as a JSON type (which refuses NaN, the infinities and UUIDs).
    Both take an enum member for its value and a tuple for an array, as sift
    does. False means "look closer" (an integer past 64 bits is JSON, orjson
    cannot write it), not "not JSON".
    """
    try:
        orjson.dumps(value, option=_WRITABLE)
        return bool(_READABLE.is_valid(value))
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
        return False


@dataclass(frozen=True, slots=True)
class Sifted:
    """Where a value holds what JSON cannot, and the JSON that is left."""

    violations: tuple[Violation, ...]
    """A ``json`` violation at each foreign value (at its object, for a property name)."""
    value: Any
    """A copy in exact JSON types, ``None`` in place of each foreign value and
    without the properties whose names are not strings."""
    replaced: tuple[str, ...]
    """The pointers of the values replaced by ``None``."""


def sift(value: Any) -> Sifted:
    """Sift ``value`` (iteratively: any depth; a value met twice is judged once)."""
    found: list[Violation] = []
    replaced: list[str] = []
    copies: dict[int, Any] = {}  # id of a container met -> its copy
    ancestors: set[int] = set()  # ids of the containers on the way down
    root: list[Any] = [None]
    # Work: (copy to fill, key in it, value, path), or the id of a container to leave.
    stack: list[Any] = [(root, 0, value, ())]
    while stack:
        work = stack.pop()
        if isinstance(work, int):
            ancestors.discard(work)
            continue
        parent, key, node, path = work
        while isinstance(node, enum.Enum) and not isinstance(node, str | int | float):
            node = node.value  # an enum member is its value, as orjson writes it
        if not isinstance(node, dict | list | tuple):
            problem = _value_problem(node)
            if problem is None:
                parent[key] = _exact(node)
            else:
                found.append(_violation(path, problem))
                replaced.append(pointer(path))
                parent[key] = None
            continue
        ident = id(node)
        if ident in ancestors:
            found.append(_violation(path, "the value contains itself: JSON has no references"))
            replaced.append(pointer(path))
            parent[key] = None
            continue
        if ident in copies:
            parent[key] = copies[ident]
            continue
        children: list[Any] = []
        if isinstance(node, dict):
            copy: Any = {}
            for name, child in node.items():
                problem = _name_problem(name)
                if problem is not None:
                    found.append(_violation(path, problem))
                    continue
                name = str.__str__(name)
                copy[name] = None
                children.append((copy, name, child, (*path, name)))
        else:
            copy = [None] * len(node)
            children.extend((copy, i, child, (*path, i)) for i, child in enumerate(node))
        copies[ident] = parent[key] = copy
        ancestors.add(ident)
        stack.append(ident)
        stack.extend(reversed(children))
    return Sifted(tuple(found), root[0], tuple(replaced))


def _exact(value: Any) -> Any:
    # The underlying value of a subclass (an enum member's, a str subclass's).
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    return float.__float__(value)


def _surrogate(text: str) -> str:
    """The first lone surrogate of ``text``, escaped (empty when there is none)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return str(exc.object[exc.start : exc.end].encode("unicode_escape").decode())
    return ""


def _value_problem(value: Any) -> str | None:
    if isinstance(value, str):
        bad = _surrogate(value)
        return f"a string holds {bad}, a lone surrogate, which is not Unicode text" if bad else None
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        name = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return f"{name} is not a JSON number (JSON has no NaN or Infinity)"
    if value is None or isinstance(value, int):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return "bytes are not a JSON value: JSON holds text (decode them, or encode them in base64)"
    what = f"a {type(value).__name__} is not a JSON value"
    if isinstance(value, set | frozenset):
        return f"{what}: write it as an array"
    if type(value).__module__ in ("datetime", "uuid"):
        return f"{what}: write it as a string (RFC 3339 for a date or time)"
    return f"{what}: JSON holds objects, arrays, strings, numbers, true, false and null"


def _name_problem(name: Any) -> str | None:
    if isinstance(name, str):
        bad = _surrogate(name)
        if bad:
            return f"a property name holds {bad}, a lone surrogate, which is not Unicode text"
        return None
    return f"the property name {repr(name)[:60]} is not a string: JSON property names are strings"


def _violation(path: tuple[str | int, ...], message: str) -> Violation:
    return Violation(Kind.JSON, "json", message, pointer=pointer(path))
