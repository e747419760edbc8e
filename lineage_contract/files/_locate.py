"""Find where a JSON pointer lands in the text it was parsed from.

Only invalid events get here, so a small scanner is enough: it walks the text
along the pointer, skipping the values in between without building them, and
never recurses (an event nested 10,000 levels deep is located like any other).
When the pointer names something absent (a missing property, an index past
the end), the answer is the deepest value that exists: the object that lacks
the property.
"""

from __future__ import annotations

import contextlib
import json.decoder
import re
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from ..contract._pointers import unpointer

# The C string scanner behind json.loads; typeshed does not declare it.
scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRUCTURE = re.compile(r'[\[\]{}"]')
_SCALAR = re.compile(r"[^,\]}\s]*")


def json_offset(text: str, ptr: str, start: int = 0) -> int:
    """Offset in ``text`` of the value ``ptr`` names, for the JSON value at ``start``.

    Duplicate keys resolve to the last one, as every JSON parser used here does.
    One pass, linear in the text: only the containers along the pointer are
    walked member by member; everything else is skipped over.
    """
    target = unpointer(ptr)
    at = _skip_ws(text, start)
    # found[d]: where the value named by the first d parts of the pointer starts.
    found = [at]
    # Text that does not parse has no pointers; keep the deepest place reached.
    with contextlib.suppress(IndexError, ValueError):
        _walk(text, at, target, found)
    return found[-1]


def _walk(text: str, at: int, target: list[str], found: list[int]) -> None:
    if not target or text[at] not in "{[":
        return
    # Every container on the stack lies on the pointer's path; [kind, members seen].
    stack: list[list[Any]] = [[text[at], 0]]
    at += 1
    while stack:
        at = _skip_ws(text, at)
        char = text[at]
        if char in "}]":
            stack.pop()
            at += 1
            continue
        if char == ",":
            at += 1
            continue
        frame = stack[-1]
        if frame[0] == "{":
            name, at = scanstring(text, at + 1, False)
            at = _skip_ws(text, _skip_ws(text, at) + 1)  # past ':'
        else:
            name = str(frame[1])
        frame[1] += 1
        depth = len(stack)
        if name == target[depth - 1]:
            # A later duplicate replaces an earlier one and whatever was found inside it.
            del found[depth:]
            found.append(at)
            if depth < len(target) and text[at] in "{[":
                stack.append([text[at], 0])
                at += 1
                continue
        at = _skip_value(text, at)


def line_col(text: str, offset: int, line: int = 1, column: int = 1) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``, which starts at ``line``:``column``."""
    offset = max(0, min(offset, len(text)))
    newlines = text.count("\n", 0, offset)
    if not newlines:
        return line, column + offset
    return line + newlines, offset - text.rfind("\n", 0, offset)


def json_position(text: str, ptr: str, line: int = 1, column: int = 1) -> tuple[int, int]:
    """Line and column in ``text`` (placed at ``line``:``column``) of the value ``ptr`` names."""
    return line_col(text, json_offset(text, ptr), line, column)


def yaml_position(node: yaml.Node, ptr: str | Sequence[str]) -> tuple[int, int]:
    """1-based line and column of the node ``ptr`` names under a composed YAML ``node``."""
    parts = unpointer(ptr) if isinstance(ptr, str) else ptr
    for part in parts:
        child = _yaml_child(node, part)
        if child is None:
            break
        node = child
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def _yaml_child(node: yaml.Node, part: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        found = None
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                found = value
        return found
    if isinstance(node, yaml.SequenceNode) and part.isdigit():
        index = int(part)
        return node.value[index] if index < len(node.value) else None
    return None


def _skip_ws(text: str, at: int) -> int:
    match = _WHITESPACE.match(text, at)
    return match.end() if match else at


def _skip_value(text: str, at: int) -> int:
    """Offset just past the JSON value starting at ``at``."""
    first = text[at]
    if first == '"':
        return scanstring(text, at + 1, False)[1]
    if first not in "[{":
        match = _SCALAR.match(text, at)
        return match.end() if match else at + 1
    depth = 0
    while True:
        match = _STRUCTURE.search(text, at)
        if match is None:
            raise ValueError("unterminated JSON value")
        at = match.end()
        char = match.group()
        if char == '"':
            at = scanstring(text, at, False)[1]
        elif char in "[{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return at
