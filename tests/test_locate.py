from __future__ import annotations

import json
import math
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_contract.contract._pointers import pointer
from lineage_contract.files._locate import json_offset, json_position, line_col, yaml_position

PRETTY = json.dumps(
    {
        "eventType": "START",
        "run": {"runId": "r-1", "facets": {"a/b": {"x~y": [10, {"deep": True}]}}},
        "job": {"namespace": "ns", "name": "n"},
        "inputs": [{"name": "i0"}, {"name": "i1", "facets": {}}],
        "tricky": ['}]"{[', "\\", {'k"ey': "v"}],
    },
    indent=2,
)


@pytest.mark.parametrize(
    ("ptr", "starts_with"),
    [
        ("", "{"),
        ("/eventType", '"START"'),
        ("/run/runId", '"r-1"'),
        ("/run/facets/a~1b/x~0y/0", "10"),
        ("/run/facets/a~1b/x~0y/1/deep", "true"),
        ("/inputs/1/name", '"i1"'),
        ("/inputs/1/facets", "{}"),
        ("/tricky/2", '{\n      "k\\"ey"'),
        ('/tricky/2/k"ey', '"v"'),
        # Absent: the deepest value that exists, the object lacking the property.
        ("/run/missing", '{\n    "runId"'),
        ("/job/namespace/deeper", '"ns"'),
        ("/inputs/7/name", '[\n    {\n      "name": "i0"'),
        ("/inputs/x", '[\n    {\n      "name": "i0"'),
        ("/inputs/1/facets/nope/_producer", "{}"),
    ],
)
def test_json_offset_lands_on_the_value(ptr: str, starts_with: str) -> None:
    offset = json_offset(PRETTY, ptr)
    assert PRETTY[offset:].startswith(starts_with)


@pytest.mark.parametrize(
    ("text", "ptr", "expected"),
    [
        ('{"a": 1, "a": 2}', "/a", 14),  # duplicate keys: the last one, as parsers keep
        ('{"a": {"b": 1}, "a": 2}', "/a/b", 21),  # ... even when the first had the member
        ('  \n {"a": []}', "/a", 10),
        ('{"a": [1, 2, 3]}', "/a/2", 13),
        ('{"a": "x", "b": [true, false, null]}', "/b/2", 30),
        ('{"a": -1.5e3, "b": 0}', "/b", 19),
        ('{"a": {}}', "/a/b/c", 6),
        ("[]", "/0", 0),
        ('{"é": "ü", "b": 1}', "/b", 16),
    ],
)
def test_json_offset_table(text: str, ptr: str, expected: int) -> None:
    assert json_offset(text, ptr) == expected


def test_json_offset_does_not_recurse_into_deep_siblings() -> None:
    deep = "[" * 10_000 + "]" * 10_000
    text = '{"deep": ' + deep + ', "after": 1}'
    assert text[json_offset(text, "/after") :] == "1}"


def test_json_offset_inside_deep_nesting() -> None:
    depth = 10_000
    text = '{"a":' * depth + "1" + "}" * depth
    assert text[json_offset(text, "/a" * depth) :].startswith("1}")


@pytest.mark.parametrize("text", ['{"a": [1, 2', '{"a": "unterminated', "", "   "])
def test_json_offset_on_broken_text_keeps_the_deepest_place(text: str) -> None:
    offset = json_offset(text, "/a/1")
    assert 0 <= offset <= len(text)


@pytest.mark.parametrize(
    ("text", "offset", "base", "expected"),
    [
        ("abc", 0, (1, 1), (1, 1)),
        ("abc", 2, (1, 1), (1, 3)),
        ("ab\ncd", 3, (1, 1), (2, 1)),
        ("ab\ncd", 4, (1, 1), (2, 2)),
        ("ab\ncd", 1, (10, 5), (10, 6)),  # same line: shifted by the base column
        ("ab\ncd", 4, (10, 5), (11, 2)),  # a later line: the base column no longer counts
        ("a\r\nb", 3, (1, 1), (2, 1)),
        ("ü\nx", 1, (1, 1), (1, 2)),  # columns count characters, not bytes
        ("abc", 99, (1, 1), (1, 4)),
    ],
)
def test_line_col(text: str, offset: int, base: tuple[int, int], expected: tuple[int, int]) -> None:
    assert line_col(text, offset, *base) == expected


def test_json_position_in_pretty_text() -> None:
    line, column = json_position(PRETTY, "/run/runId")
    assert PRETTY.splitlines()[line - 1][column - 1 :].startswith('"r-1"')


YAML_TEXT = """\
eventType: START
run:
  runId: r-1
  facets:
    parent:
      job: {namespace: ns, name: n}
inputs:
  - name: i0
  - name: i1
    facets: {}
"""


@pytest.mark.parametrize(
    ("ptr", "expected"),
    [
        ("", (1, 1)),
        ("/eventType", (1, 12)),
        ("/run/runId", (3, 10)),
        ("/run/facets/parent/job/name", (6, 34)),
        ("/inputs/1/name", (9, 11)),
        ("/inputs/1/facets/_producer", (10, 13)),  # missing: the mapping lacking it
        ("/inputs/5", (8, 3)),
        ("/run/missing", (3, 3)),
    ],
)
def test_yaml_position(ptr: str, expected: tuple[int, int]) -> None:
    node = yaml.compose(YAML_TEXT)
    assert node is not None
    assert yaml_position(node, ptr) == expected


# -- every pointer of any document lands on its own value ----------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)


def _paths(value: Any, path: list[str | int]) -> list[tuple[list[str | int], Any]]:
    found = [(path, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, [*path, key]))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, [*path, index]))
    return found


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b) or a == b
    return bool(a == b)


@settings(max_examples=150, deadline=None)
@given(json_values, st.sampled_from([None, 0, 2]), st.booleans())
def test_every_pointer_lands_on_its_value(value: Any, indent: int | None, ascii: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii)
    decoder = json.JSONDecoder()
    for path, expected in _paths(value, []):
        found, _ = decoder.raw_decode(text, json_offset(text, pointer(path)))
        assert _same(found, expected), (pointer(path), text)
