"""Read a document file, JSON or YAML, bounded in size and in YAML alias expansion.

A YAML alias repeats a node without repeating its text, so a few hundred bytes
of nested aliases stand for billions of values: every walk of the document (the
spec validator's, the kit's own) would expand them. The node graph is measured
before anything is built from it, and a document that expands past
:data:`MAX_NODES` (or whose file passes :data:`MAX_BYTES`) is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Final

import yaml

from ..errors import ContractError

MAX_BYTES: Final = 16 * 1024 * 1024
"""The largest document file read."""
MAX_NODES: Final = 1_000_000
"""The most YAML nodes a document may stand for, every alias expanded."""

# libyaml when it is there: it also caps nesting depth, where the Python
# parser recurses until RecursionError.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_document(path: str | os.PathLike[str]) -> Mapping[str, Any]:
    """Parse a JSON or YAML OpenAPI document (JSON is a subset of YAML 1.2)."""
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ContractError(f"cannot read contract {path}: {exc}") from exc
    if len(data) > MAX_BYTES:
        raise ContractError(f"{path} is larger than {MAX_BYTES // 2**20} MiB: refusing to read it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContractError(f"cannot read contract {path}: {exc}") from exc
    try:
        document = json.loads(text) if str(path).endswith(".json") else _load_yaml(text, path)
    except (ValueError, yaml.YAMLError) as exc:
        raise ContractError(f"{path} is neither JSON nor YAML: {exc}") from exc
    except RecursionError:
        raise ContractError(f"{path} is nested too deeply to read") from None
    if not isinstance(document, Mapping):
        raise ContractError(
            f"{path}: an OpenAPI document is an object, got {type(document).__name__}"
        )
    return document


def _load_yaml(text: str, path: str | os.PathLike[str]) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            expanded = expanded_size(node)
        except ValueError as exc:
            raise ContractError(f"{path}: {exc}") from None
        if expanded > MAX_NODES:
            raise ContractError(
                f"{path}: its YAML aliases expand to more than {MAX_NODES:,} values "
                "(an alias bomb?): refusing to read it"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def expanded_size(root: yaml.Node) -> int:
    """How many nodes ``root`` stands for with every alias expanded.

    An alias is the very node object of its anchor, so sizes are counted once
    per object and added up per use: linear in the text however far it expands.
    A node that contains itself raises :class:`ValueError` (every walk of it
    would go on forever).
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise ValueError(f"the YAML alias at {_where(node)} contains itself")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _where(node: yaml.Node) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"
