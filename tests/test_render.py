"""``printable`` and ``json_printable``: text from inputs made safe to show."""

from __future__ import annotations

import json

import pytest

from lineage_contract.validation._render import json_printable, printable

UNSAFE = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, 0xD800, 0xDFFF)]
UNSAFE += ["\ufffe", "\uffff"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain /run/facets/x", "plain /run/facets/x"),
        ("ümlaut ✓ 𝄞 \\x1b", "ümlaut ✓ 𝄞 \\x1b"),
        ("a\nb\r\nc\td", "a\\nb\\r\\nc\\td"),
        ("\n::error::forged", "\\n::error::forged"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
        ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
        ("lone \ud800 \udfff", "lone \\ud800 \\udfff"),
        ("\ufffe\uffff\ufffd", "\\ufffe\\uffff\ufffd"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


@pytest.mark.parametrize("char", UNSAFE)
def test_printable_leaves_no_unsafe_character(char: str) -> None:
    shown = printable(f"a{char}b")
    assert shown.isprintable() and len(shown.splitlines()) == 1
    assert shown.encode("utf-8")  # no lone surrogate left


@pytest.mark.parametrize("char", UNSAFE)
def test_json_printable_keeps_the_value(char: str) -> None:
    document = json.dumps({f"k{char}": [f"v{char}"]}, ensure_ascii=False, indent=2)
    safe = json_printable(document)
    assert char not in safe or char in "\n "
    assert "\x1b" not in safe
    assert json.loads(safe) == json.loads(document)
