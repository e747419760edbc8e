"""Expected-event templates to expected values for :func:`~lineage_contract.testing.match`.

OpenLineage's and Marquez's integration tests describe the events they expect
as templates: jinja placeholders (``{{ any(result) }}``, ``{{ is_uuid(result) }}``,
Marquez's ``{{RUN_START_TIME}}``) or json-unit ones (``${json-unit.any-string}``,
``${json-unit.regex}...``). :func:`from_template` turns such a template into the
placeholders of :mod:`lineage_contract.testing._assertions`, so a received event can be
checked against it with :func:`~lineage_contract.testing._assertions.assert_received`.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from ._assertions import (
    ABSENT,
    ANY,
    ANY_DATETIME,
    ANY_NUMBER,
    ANY_STRING,
    ANY_UUID,
    Placeholder,
    one_of,
    unordered,
)

__all__ = ["from_template"]

_JINJA = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_JSON_UNIT = "${json-unit."
_JSON_UNIT_VALUES: Mapping[str, Placeholder] = {
    "${json-unit.any-string}": ANY_STRING,
    "${json-unit.any-number}": ANY_NUMBER,
    "${json-unit.any-boolean}": Placeholder("ANY_BOOLEAN", lambda v: isinstance(v, bool)),
    "${json-unit.ignore}": ANY,
}


def from_template(template: Any) -> Any:
    """Turn an OpenLineage/Marquez/json-unit expected-event template into an expected value.

    ====================================== =========================================
    template                               becomes
    ====================================== =========================================
    ``{{ any(result) }}``                  :data:`ANY`
    ``{{ is_uuid(result) }}``              :data:`ANY_UUID`
    ``{{ is_datetime(result) }}``          :data:`ANY_DATETIME`
    ``{{ match(result, 'p') }}``           ``re.compile('p')`` (whole string)
    ``{{ not_match(result, 'p') }}``       a placeholder refusing what ``p`` matches
    ``{{ contains(result, 's') }}``        a placeholder for strings containing ``s``
    ``{{ one_of(result, 'A', 'B') }}``     :func:`one_of`
    ``{{ env_var('X') ... }}``             :data:`ANY_STRING` (``.*`` inside a string)
    ``{{RUNSTART_TIME}}`` (Marquez)       :data:`ANY_DATETIME` (``*TIME*``), else ANY
    key ``{{ key_not_defined(result, 'k') }}``   ``"k": ABSENT``
    key ``{{ unordered_list(result, k) }}``      ``"k": unordered([...])``
    ``${json-unit.any-string}`` etc.       :data:`ANY_STRING`, :data:`ANY_NUMBER`, ...
    ``${json-unit.regex}p``                ``re.compile('p')``
    ====================================== =========================================

    Raises :class:`ValueError` for a placeholder it does not know.
    """
    if isinstance(template, Mapping):
        out: dict[str, Any] = {}
        for key, value in template.items():
            name, wrap = _template_key(str(key))
            out[name] = wrap(from_template(value))
        return out
    if isinstance(template, list):
        return [from_template(item) for item in template]
    if isinstance(template, str):
        return _template_string(template)
    return template


def _template_key(key: str) -> tuple[str, Callable[[Any], Any]]:
    found = _JINJA.fullmatch(key.strip())
    if found is None:
        return key, lambda value: value
    name, args = _call(found.group(1))
    if name == "key_not_defined" and len(args) == 1:
        return str(args[0]), lambda value: ABSENT
    if name == "unordered_list" and len(args) == 1:
        return str(args[0]), unordered
    raise ValueError(f"unknown template key {key!r}")


def _template_string(text: str) -> Any:
    if text.startswith(_JSON_UNIT):
        if text in _JSON_UNIT_VALUES:
            return _JSON_UNIT_VALUES[text]
        if text.startswith("${json-unit.regex}"):
            return re.compile(text[len("${json-unit.regex}") :])
        raise ValueError(f"unknown json-unit placeholder {text!r}")
    whole = _JINJA.fullmatch(text.strip())
    if whole is not None:
        return _jinja(whole.group(1))
    if _JINJA.search(text) is None:
        return text
    # A placeholder inside a longer string: its value is unknown, the rest must be there.
    parts = _JINJA.split(text)
    literal = "".join(re.escape(p) if i % 2 == 0 else ".*" for i, p in enumerate(parts))
    return re.compile(literal, re.DOTALL)


def _jinja(expression: str) -> Any:
    if "env_var(" in expression:
        return ANY_STRING
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", expression):
        return ANY_DATETIME if "TIME" in expression else ANY
    if _always_passes(expression):
        return ANY
    name, args = _call(expression)
    patterns: Mapping[str, Callable[[], Any]] = {
        "any": lambda: ANY,
        "is_uuid": lambda: ANY_UUID,
        "is_datetime": lambda: ANY_DATETIME,
        "match": lambda: re.compile(str(args[0])),
        "not_match": lambda: Placeholder(
            f"a string not matching {args[0]!r}",
            lambda v: isinstance(v, str) and re.fullmatch(str(args[0]), v) is None,
        ),
        "contains": lambda: Placeholder(
            f"a string containing {args[0]!r}", lambda v: isinstance(v, str) and args[0] in v
        ),
        "one_of": lambda: one_of(*args),
    }
    wanted_args = {
        "any": 0,
        "is_uuid": 0,
        "is_datetime": 0,
        "match": 1,
        "not_match": 1,
        "contains": 1,
    }
    if name not in patterns or (name in wanted_args and len(args) != wanted_args[name]):
        raise ValueError(f"unknown template placeholder {{{{ {expression} }}}}")
    return patterns[name]()


def _always_passes(expression: str) -> bool:
    """``'true' if result == {} else result``: every branch renders ``'true'`` or the value."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
            tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return False

    def passes(node: ast.expr) -> bool:
        if isinstance(node, ast.IfExp):
            return passes(node.body) and passes(node.orelse)
        return (isinstance(node, ast.Constant) and node.value == "true") or (
            isinstance(node, ast.Name) and node.id == "result"
        )

    return isinstance(tree, ast.IfExp) and passes(tree)


def _call(expression: str) -> tuple[str, list[Any]]:
    """``f(result, 'a', b)`` -> ``("f", ["a", "b"])``: the ``result`` argument dropped."""
    try:
        with warnings.catch_warnings():
            # Template regexes are written '\d' in jinja strings: not an escape to warn about.
            warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
            tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        raise ValueError(f"cannot read template placeholder {{{{ {expression} }}}}") from None
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)):
        raise ValueError(f"unknown template placeholder {{{{ {expression} }}}}")
    args: list[Any] = []
    for index, arg in enumerate(tree.args):
        if index == 0 and isinstance(arg, ast.Name) and arg.id == "result":
            continue
        if isinstance(arg, ast.Constant):
            args.append(arg.value)
        elif isinstance(arg, ast.Name):
            args.append(arg.id)
        else:
            raise ValueError(f"cannot read template placeholder {{{{ {expression} }}}}")
    return tree.func.id, args
