"""Strict JSON parsing and capped gzip decoding: lineage_contract.validation._payload."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest

from lineage_contract import Kind
from lineage_contract.validation._payload import PayloadError, gunzip, parse_json


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"a": [1, 2.5, "x", null, true, false]}', {"a": [1, 2.5, "x", None, True, False]}),
        ('{"a": "\u00e9\u2603"}', {"a": "\u00e9\u2603"}),
        (b'{"a": "\\u00e9\\ud83d\\ude00"}', {"a": "\u00e9\U0001f600"}),
        (b"  [] \n", []),
        (b"0", 0),
        (b'"text"', "text"),
        (b"-0", 0),
        (b"9223372036854775807", 2**63 - 1),
        (b"18446744073709551615", 2**64 - 1),
        (b"1E300", 1e300),
    ],
)
def test_valid_json(data: bytes | str, expected: Any) -> None:
    assert parse_json(data) == expected


def test_integers_past_64_bits_are_json() -> None:
    # Documented: read as a float (orjson), never refused.
    value = parse_json(b'{"n": 123456789012345678901234567890}')["n"]
    assert value == pytest.approx(1.2345678901234568e29)


@pytest.mark.parametrize(
    ("data", "says", "position"),
    [
        (b"", "empty body", 0),
        (b"   \n\t", "empty body", 0),
        ("", "empty body", 0),
        (b'{"a": NaN}', "NaN", None),
        (b'{"a": Infinity}', "Infinity", None),
        (b'{"a": -Infinity}', "Infinity", None),
        (b'{"a": 1e999}', "infinity", None),
        (b'{"a": "\xff"}', "invalid UTF-8 at byte 7", None),
        (b'{"a": "\xc3"}', "invalid UTF-8", None),
        (b'{"a": "\xed\xa0\x80"}', "invalid UTF-8", None),
        (b'{"a": "\\ud800"}', "surrogate", None),
        ("\ufeff{}".encode(), "byte order mark", 0),
        ('{"a": 1', "line 1 column 8", 7),
        (b'{"a": 1,\n "b": ', "line 2 column", None),
        (b'{"a": 1} {"b": 2}', "Extra data", 9),
        (b"{'a': 1}", "not valid JSON", 1),
        (b'{"a": 01}', "not valid JSON", None),
        (b'{"a": tru}', "not valid JSON", None),
        (b'{"a": "\x01"}', "not valid JSON", None),
        (b"[" * 10_000 + b"]" * 10_000, "nested too deeply", None),
        (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "nested too deeply", None),
    ],
)
def test_refusals_say_why(data: bytes | str, says: str, position: int | None) -> None:
    with pytest.raises(PayloadError) as info:
        parse_json(data)
    violation = info.value.violation
    assert violation.kind is Kind.JSON
    assert violation.keyword == "json"
    assert says in violation.message
    if position is not None:
        assert violation.position == position
    assert str(info.value) == violation.message


def test_duplicate_keys_keep_the_last_value() -> None:
    # RFC 8259 leaves it open; this is what every Python JSON reader does.
    assert parse_json(b'{"a": 1, "a": 2}') == {"a": 2}


EVENT = json.dumps({"eventType": "START", "note": "x" * 1000}).encode()
LIMIT = 1 << 20


def test_gunzip_round_trip() -> None:
    assert gunzip(gzip.compress(EVENT), LIMIT) == EVENT


def test_gunzip_exactly_at_the_limit() -> None:
    data = b"a" * 4096
    assert gunzip(gzip.compress(data), 4096) == data
    with pytest.raises(PayloadError) as info:
        gunzip(gzip.compress(data + b"a"), 4096)
    assert info.value.violation.kind is Kind.TOO_LARGE


def test_concatenated_members_are_one_stream() -> None:
    # RFC 1952 section 2.2
    data = gzip.compress(b'{"a": ') + gzip.compress(b"1}")
    assert gunzip(data, LIMIT) == b'{"a": 1}'


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """200 MB of zeros in about 200 KB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    return b"".join([*(packer.compress(chunk) for _ in range(200)), packer.flush()])


def test_a_gzip_bomb_is_capped(bomb: bytes) -> None:
    assert len(bomb) < 300_000
    with pytest.raises(PayloadError) as info:
        gunzip(bomb, LIMIT)
    violation = info.value.violation
    assert violation.kind is Kind.TOO_LARGE
    assert "1,048,576" in violation.message


def test_a_bomb_in_a_second_member_is_capped(bomb: bytes) -> None:
    with pytest.raises(PayloadError) as info:
        gunzip(gzip.compress(b"{}") + bomb, LIMIT)
    assert info.value.violation.kind is Kind.TOO_LARGE


@pytest.mark.parametrize(
    "data",
    [
        EVENT,
        b"",
        b"\x1f\x8b",
        gzip.compress(EVENT)[:-12],
        gzip.compress(EVENT)[:20],
        gzip.compress(EVENT) + b"trailing garbage",
        zlib.compress(EVENT),
        gzip.compress(EVENT)[:-8] + b"\0\0\0\0\0\0\0\0",
    ],
    ids=[
        "not-gzip",
        "empty",
        "magic-only",
        "truncated",
        "header-only",
        "trailing-garbage",
        "zlib-not-gzip",
        "bad-crc",
    ],
)
def test_not_gzip_labelled_gzip(data: bytes) -> None:
    with pytest.raises(PayloadError) as info:
        gunzip(data, LIMIT)
    violation = info.value.violation
    assert violation.kind is Kind.BAD_ENCODING
    assert violation.keyword == "contentEncoding"
    assert "gzip" in violation.message
