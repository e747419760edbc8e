"""Turn jsonschema's errors into violations a person can act on.

Two things jsonschema leaves to us. ``oneOf``/``anyOf`` wrap the real problems in
``context`` ("... is not valid under any of the given schemas"): we descend into
the branch that came closest and report its leaves. And messages embed ``repr``
of the whole instance, which for an event is kilobytes: ours name the value
briefly and say what was expected.

The explaining validator (:func:`explainer`) is jsonschema with the kit's format
checkers, and with each ``pattern`` matched by jsonschema-rs, the engine that
gave the verdict, on the pattern as the document wrote it: the two engines read
a pattern the same way, in linear time, where Python's backtracking ``re`` takes
exponential time on patterns such as ``^(a+)+$``. An event nested too deeply for
Python's recursion is explained with its deepest values cut off
(:func:`explain_schema`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import ValidationError

from ..contract._dialect import document_pointer, schema_location
from ..contract._document import Contract
from ..contract._formats import CHECKERS
from ..contract._pointers import pointer
from ..contract._refs import Refs
from ..errors import RefError
from ._report import Kind, Violation

_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}

FORMAT_HINTS = {
    "date-time": "an RFC 3339 date-time with an offset, such as 2024-05-01T12:00:00.000Z",
    "date": "an RFC 3339 full-date, such as 2024-05-01",
    "time": "an RFC 3339 full-time with an offset, such as 12:00:00Z",
    "uuid": "a UUID such as 3f2a6c9e-1b7d-4e0a-9c5f-2d8b7a6e4f10",
    "uri": "an absolute URI with a scheme, such as https://example.com/producer",
    "uri-reference": "a URI or relative reference",
    "int32": "an integer from -2147483648 to 2147483647",
    "int64": "an integer from -9223372036854775808 to 9223372036854775807",
    "byte": "base64-encoded data",
}


def json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def brief(value: Any, limit: int = 60) -> str:
    """A short rendering of a value for a message (a 50 MB string stays short)."""
    if isinstance(value, str):
        # JSON's own escaping, so a newline or a quote inside shows as it was sent.
        text = json.dumps(value[:limit], ensure_ascii=False)
        if len(value) > limit:
            return f'{text[:-1]}…" ({len(value):,} characters)'
        return text
    if isinstance(value, dict):
        return "an object" if value else "an empty object"
    if isinstance(value, list):
        return f"an array of {len(value)}" if value else "an empty array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)[:limit]


def format_checker() -> jsonschema.FormatChecker:
    """A jsonschema format checker with the kit's checkers, and only those."""
    checker = jsonschema.FormatChecker(formats=())
    for name, check in CHECKERS.items():
        checker.checks(name)(check)
    return checker


def explainer(contract: Contract) -> Any:
    """jsonschema for the contract's request body, as the module docstring says."""
    checker = format_checker()
    written = _written_patterns(contract.request_schema, contract.fast_request_schema)
    stock = jsonschema.Draft202012Validator.VALIDATORS["pattern"]

    def pattern(validator: Any, rewritten: str, instance: Any, schema: Any) -> Iterator[Any]:
        ecma = written.get(rewritten)
        if ecma is None:  # not a pattern of the contract's: as jsonschema would
            yield from stock(validator, rewritten, instance, schema)
        elif isinstance(instance, str) and not _pattern_validator(ecma).is_valid(instance):
            yield ValidationError(f"{brief(instance)} does not match {ecma}")

    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": pattern})
    return cls(contract.request_schema, format_checker=checker)


def schema_explainer(schema: Mapping[str, Any], registry: Any) -> Any:
    """jsonschema for a schema that is not the contract's (an OpenLineage facet's), its
    ``$ref``s retrieved through ``registry``: the kit's format checkers, and each
    ``pattern`` (written in ECMA-262) matched by jsonschema-rs, in linear time."""

    def pattern(validator: Any, ecma: str, instance: Any, schema: Any) -> Iterator[Any]:
        if isinstance(instance, str) and not _pattern_validator(ecma).is_valid(instance):
            yield ValidationError(f"{brief(instance)} does not match {ecma}")

    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": pattern})
    return cls(schema, registry=registry, format_checker=format_checker())


def described(validator: Any, instance: Any) -> list[Violation]:
    """:func:`explain_schema` for a schema that is not the contract's (:func:`schema_explainer`).

    The same flattening, messages and order, pointers into ``instance``, however
    deep; no schema pointer (there is no OpenAPI document to point into).
    """
    found = explain_schema(validator.iter_errors, {}, "", Refs({}), instance)
    return [dataclasses.replace(v, schema_pointer="") for v in found]


@functools.lru_cache(maxsize=1024)
def _pattern_validator(ecma: str) -> Any:
    return jsonschema_rs.validator_for({"pattern": ecma})


def _written_patterns(reference: Any, fast: Any) -> dict[str, str]:
    """Each pattern of the reference translation -> the same pattern in the fast one.

    The two translations differ only in their patterns (the fast one keeps
    ECMA-262 as written) and in extra ``allOf`` members at the end of the fast
    one's lists, so walking both side by side pairs every pattern.
    """
    found: dict[str, str] = {}
    stack = [(reference, fast)]
    while stack:
        ours, theirs = stack.pop()
        if isinstance(ours, Mapping) and isinstance(theirs, Mapping):
            for key, sub in ours.items():
                other = theirs.get(key)
                if key == "pattern" and isinstance(sub, str) and isinstance(other, str):
                    found[sub] = other
                elif key not in ("enum", "const", "default"):  # values, not schemas
                    stack.append((sub, other))
        elif isinstance(ours, list) and isinstance(theirs, list):
            stack.extend(zip(ours, theirs, strict=False))
    return found


# Explaining recurses a few frames per level of the event, and jsonschema puts
# repr() of the value in its messages: an event nested past Python's recursion
# limit is explained again with what lies deeper than each of these cut off.
_CUT_DEPTHS = (512, 128, 32)


def explain_schema(
    errors: Callable[[Any], Iterable[ValidationError]],
    schema: Mapping[str, Any],
    root_pointer: str,
    refs: Refs,
    event: Any,
) -> list[Violation]:
    """:func:`violations` of ``errors(event)``, however deep the event is nested.

    Each value cut off is a ``depth`` violation at its pointer, in place of the
    violations at or under it; the rest of the event is explained as usual.
    """
    try:
        return violations(errors(event), schema, root_pointer, refs, event)
    except RecursionError:
        pass
    for depth in _CUT_DEPTHS:
        shallow, cuts = cut(event, depth)
        try:
            found = violations(errors(shallow), schema, root_pointer, refs, shallow)
        except RecursionError:
            continue
        message = f"value nested too deeply to validate (more than {depth:,} levels)"
        deep = [Violation(Kind.SCHEMA, "depth", message, pointer=ptr) for ptr in cuts]
        return ordered([*deep, *outside(found, cuts)])
    return [Violation(Kind.SCHEMA, "depth", "value nested too deeply to validate", pointer="")]


def cut(value: Any, depth: int) -> tuple[Any, list[str]]:
    """A copy of ``value`` with each non-empty container ``depth`` levels down emptied,
    and the pointers of those containers."""
    cuts: list[str] = []
    copies: dict[tuple[int, int], Any] = {}
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, tuple[str | int, ...]]] = [(root, 0, value, ())]
    while stack:
        parent, key, node, path = stack.pop()
        if not isinstance(node, dict | list) or not node:
            parent[key] = node
        elif len(path) >= depth:
            parent[key] = type(node)()
            cuts.append(pointer(path))
        elif (id(node), len(path)) in copies:
            parent[key] = copies[id(node), len(path)]
        else:
            copy: Any = dict.fromkeys(node) if isinstance(node, dict) else [None] * len(node)
            copies[id(node), len(path)] = parent[key] = copy
            items = node.items() if isinstance(node, dict) else enumerate(node)
            stack.extend((copy, k, v, (*path, k)) for k, v in items)
    return root[0], cuts


def outside(found: Iterable[Violation], pointers: Iterable[str]) -> list[Violation]:
    """The violations that are neither at nor under any of ``pointers``."""
    prefixes = tuple(pointers)
    if not prefixes:
        return list(found)
    under = tuple(p + "/" for p in prefixes)
    return [v for v in found if v.pointer not in prefixes and not v.pointer.startswith(under)]


def ordered(found: Iterable[Violation]) -> list[Violation]:
    return sorted(found, key=lambda v: (v.pointer, v.keyword))


def violations(
    errors: Iterable[ValidationError],
    schema: Mapping[str, Any],
    root_pointer: str,
    refs: Refs,
    instance: Any = None,
) -> list[Violation]:
    """Flatten, describe, de-duplicate and order jsonschema errors.

    ``instance`` is the validated value: a property whose schema is ``false``
    (readOnly in a request, writeOnly in a response) is only found through it.
    """
    seen: set[tuple[str, str]] = set()
    out: list[Violation] = []
    for error in errors:
        for leaf in _leaves(error):
            for violation in _describe_all(leaf, schema, root_pointer, refs, instance):
                key = (violation.pointer, violation.keyword)
                if key not in seen:
                    seen.add(key)
                    out.append(violation)
    return ordered(out)


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield error
        return
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if len(branches) < len(error.validator_value):
        # Some branch matched: the failure is that several did (oneOf), keep it whole.
        yield error
        return
    best = min(branches.values(), key=lambda errs: _distance(error, errs))
    for sub in best:
        yield from _leaves(sub)


def _distance(parent: ValidationError, errors: list[ValidationError]) -> tuple[int, int]:
    # A branch whose type does not even match the value is the furthest away, and so
    # is one that forbids what the value holds (OpenLineage's DatasetEvent, ``not``
    # a run); among the others, the one with the fewest problems is the intended one.
    depth = len(parent.absolute_path)
    miss = any(e.validator in ("type", "not") and len(e.absolute_path) == depth for e in errors)
    return (int(miss), len(errors))


def _describe_all(
    error: ValidationError,
    schema: Mapping[str, Any],
    root_pointer: str,
    refs: Refs,
    instance: Any,
) -> Iterator[Violation]:
    if error.validator is not None or not error.absolute_schema_path:
        yield _describe(error, schema, root_pointer, refs)
        return
    # jsonschema reports a ``false`` subschema under ``properties`` at the parent
    # object, with neither the property's name nor its schema in the paths: find
    # every present property whose schema is false.
    location = schema_location(schema, list(error.absolute_schema_path))
    names = _false_properties(schema, location, _at(instance, error.absolute_path))
    if location[-1:] != ["properties"] or not names:
        yield _describe(error, schema, root_pointer, refs)
        return
    base = list(error.absolute_path)
    for name in names:
        schema_ptr = document_pointer([*location, name], root_pointer)
        node = _written(refs, schema_ptr)
        if isinstance(node, Mapping) and node.get("readOnly") is True:
            keyword, rule = "readOnly", "is read-only and must not be sent in a request"
        elif isinstance(node, Mapping) and node.get("writeOnly") is True:
            keyword, rule = "writeOnly", "is write-only and must not appear in a response"
        else:
            keyword, rule = "false", "is not allowed here"
        yield Violation(
            kind=Kind.SCHEMA,
            keyword=keyword,
            message=f"property {name!r} {rule}",
            pointer=pointer([*base, name]),
            schema_pointer=schema_ptr,
        )


def _at(instance: Any, path: Iterable[Any]) -> Any:
    for part in path:
        try:
            instance = instance[part]
        except (KeyError, IndexError, TypeError):
            return None
    return instance


def _false_properties(
    schema: Mapping[str, Any], location: list[str | int], parent: Any
) -> list[str]:
    try:
        node = Refs(schema).at(pointer(location))
    except RefError:
        return []
    if not isinstance(node, Mapping) or not isinstance(parent, Mapping):
        return []
    return [name for name, sub in node.items() if sub is False and name in parent]


def _written(refs: Refs, ptr: str) -> Any:
    """The document's own schema at ``ptr``, refs followed (None where there is none).

    Only the wording of a message depends on it: a place the translation names
    differently must not turn a verdict into a crash.
    """
    try:
        name, beside, fragment = ptr.partition("#")
        if beside:  # ``NAME#/pointer``: a place in a file beside the document
            return refs.follow({"$ref": f"{name}#{quote(fragment)}"})
        return refs.follow(refs.at(ptr))
    except RefError:
        return None


def _describe(
    error: ValidationError,
    schema: Mapping[str, Any],
    root_pointer: str,
    refs: Refs,
) -> Violation:
    path = list(error.absolute_path)
    location = schema_location(schema, list(error.absolute_schema_path))
    schema_ptr = document_pointer(location, root_pointer)
    keyword = str(error.validator) if error.validator is not None else "false"
    value = error.instance
    expected = error.validator_value
    if keyword == "required":
        name = _missing_name(error)
        path.append(name)
        message = f"required property {name!r} is missing"
    elif keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        message = f"expected {wanted}, got {_got(value)}"
    elif keyword == "enum":
        allowed = ", ".join("null" if v is None else str(v) for v in expected)
        message = f"{brief(value)} is not one of the allowed values: {allowed}"
    elif keyword == "pattern":
        # The schema holds the pattern rewritten for Python; show the document's own.
        node = _written(refs, schema_ptr.rsplit("/", 1)[0])
        written = node.get("pattern", expected) if isinstance(node, Mapping) else expected
        message = f"{brief(value)} does not match the pattern {written}"
    elif keyword == "const":
        message = f"{brief(value)} must be exactly {brief(expected)}"
    elif keyword == "format":
        hint = FORMAT_HINTS.get(expected, f"format {expected!r}")
        message = f"{brief(value)} is not a valid {expected}: expected {hint}"
    elif keyword == "false":
        # A false schema outside ``properties`` (those are handled by _describe_all).
        message = f"{brief(value)} is not allowed here"
    elif keyword in ("additionalProperties", "unevaluatedProperties"):
        message = (
            error.message.split(" (", 1)[0] if len(error.message) < 300 else "unexpected properties"
        )
    elif keyword in ("oneOf", "anyOf"):
        message = (
            f"{brief(value)} matches more than one of the alternatives"
            if keyword == "oneOf"
            else f"{brief(value)} matches none of the alternatives"
        )
    else:
        message = _shorten(error.message, value)
    return Violation(
        kind=Kind.SCHEMA,
        keyword=keyword,
        message=message,
        pointer=pointer(path),
        schema_pointer=schema_ptr,
    )


def _got(value: Any) -> str:
    # "got null", "got an empty array", "got string "x"": never the type twice.
    if value is None or isinstance(value, dict | list):
        return brief(value)
    return f"{json_type(value)} {brief(value)}"


def _missing_name(error: ValidationError) -> str:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    for name in error.validator_value:
        if name not in instance and error.message == f"{name!r} is a required property":
            return str(name)
    return str(next((n for n in error.validator_value if n not in instance), ""))


def _shorten(message: str, value: Any) -> str:
    full = repr(value)
    if len(full) > 80 and full in message:
        return message.replace(full, brief(value))
    return message if len(message) <= 300 else message[:300] + "…"
