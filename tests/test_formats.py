"""Format checkers: RFC edge cases, and agreement with jsonschema-rs's built-in checkers."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema_rs
import pytest

from lineage_contract.contract._formats import CHECKERS, INTEGER_RANGES
from lineage_contract.validation import _validator as validator

U = "0190d3a4-6c1e-7b8a-9f3d-2e4c5a6b7c8d"

CASES: dict[str, list[tuple[str, bool]]] = {
    "date-time": [
        ("2024-05-01T12:00:00Z", True),
        ("2024-05-01t12:00:00z", True),  # RFC 3339 5.6: "T" and "Z" may be lower case
        ("2024-05-01T12:00:00.123456789+02:00", True),
        ("2024-05-01T12:00:00.000000000000000001Z", True),
        ("2024-05-01T12:00:00-00:00", True),
        ("2024-05-01T12:00:00+23:59", True),
        ("0000-01-01T00:00:00Z", True),
        ("9999-12-31T23:59:59Z", True),
        ("2024-02-29T00:00:00Z", True),
        ("2000-02-29T00:00:00Z", True),
        # Leap seconds: only at 23:59:60 UTC, whatever the offset says.
        ("2016-12-31T23:59:60Z", True),
        ("2016-12-31T23:59:60+00:00", True),
        ("2016-12-31T18:59:60-05:00", True),
        ("2017-01-01T00:59:60+01:00", True),
        ("2016-12-31T12:59:60Z", False),
        ("2016-12-31T23:58:60Z", False),
        ("2016-12-31T23:59:60+01:00", False),
        # The offset is required and has a colon.
        ("2024-05-01T12:00:00", False),
        ("2024-05-01T12:00:00.123456", False),
        ("2024-05-01T12:00:00+0200", False),
        ("2024-05-01T12:00:00+02", False),
        ("2024-05-01T12:00:00ZZ", False),
        ("2024-05-01 12:00:00Z", False),
        ("2024-05-01T12:00Z", False),
        ("2024-05-01T12:00:00.Z", False),
        ("2024-05-01T12:00:00,5Z", False),
        # Nothing before or after, not even a newline.
        ("2024-05-01T12:00:00Z\n", False),
        (" 2024-05-01T12:00:00Z", False),
        ("", False),
        # Calendar and clock ranges.
        ("2023-02-29T00:00:00Z", False),
        ("1900-02-29T00:00:00Z", False),
        ("2024-04-31T00:00:00Z", False),
        ("2024-13-01T00:00:00Z", False),
        ("2024-00-01T00:00:00Z", False),
        ("2024-05-00T00:00:00Z", False),
        ("2024-05-01T24:00:00Z", False),
        ("2024-05-01T23:60:00Z", False),
        ("2024-05-01T23:59:61Z", False),
        ("2024-05-01T12:00:00+24:00", False),
        ("2024-05-01T12:00:00+02:60", False),
        # ASCII digits only.
        ("\u0662\u0660\u0662\u0664-05-01T12:00:00Z", False),
        ("\uff12\uff10\uff12\uff14-05-01T12:00:00Z", False),
        ("2024-05-01T1\uff12:00:00Z", False),
        ("24-05-01T12:00:00Z", False),
        ("+2024-05-01T12:00:00Z", False),
        ("2024-5-1T12:00:00Z", False),
    ],
    "date": [
        ("2024-05-01", True),
        ("2024-02-29", True),
        ("2024-02-30", False),
        ("2024-5-1", False),
        ("2024-05-01\n", False),
        ("\uff12\uff10\uff12\uff14-05-01", False),
        ("2024-05-01T00:00:00Z", False),
        ("", False),
    ],
    "time": [
        ("12:00:00Z", True),
        ("12:00:00z", True),
        ("12:00:00+02:00", True),
        ("12:00:00.5-01:00", True),
        ("23:59:60Z", True),
        ("12:59:60Z", False),
        ("12:00:00", False),
        ("24:00:00Z", False),
        ("12:00:00Z\n", False),
    ],
    "uuid": [
        (U, True),
        (U.upper(), True),
        ("00000000-0000-0000-0000-000000000000", True),
        ("ffffffff-ffff-ffff-ffff-ffffffffffff", True),
        (U.replace("-", ""), False),
        ("{" + U + "}", False),
        ("urn:uuid:" + U, False),
        (U[:-1], False),
        (U + "d", False),
        (U[:-1] + "g", False),
        (U + "\n", False),
        (" " + U, False),
        (U.replace("-", "_"), False),
        (U[:-2] + "\uff18d", False),
        ("0190d3a-46c1e-7b8a-9f3d-2e4c5a6b7c8d", False),
        ("", False),
    ],
    "uri": [
        ("https://example.com", True),
        ("https://example.com/a/b?c=d#e", True),
        ("https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python", True),
        ("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent", True),
        ("urn:isbn:0451450523", True),
        ("mailto:a@example.com", True),
        ("file:///tmp/x", True),
        ("s3://bucket/key", True),
        ("postgres://db:5432", True),
        ("HTTPS://EXAMPLE.COM/", True),
        ("x:", True),
        ("a+b.c-d:x", True),
        ("http://[::1]:8080/", True),
        ("http://[::ffff:1.2.3.4]/", True),
        ("http://[v1.fe]/", True),
        ("http://127.0.0.1/", True),
        ("https://example.com:/", True),
        ("https://user:pw@example.com/", True),
        ("https://example.com/%41", True),
        ("https://example.com/?q=a/b?c", True),
        # A scheme is required: relative references are not URIs.
        ("//example.com/a", False),
        ("/a/b", False),
        ("a/b", False),
        ("relative", False),
        ("spark", False),
        ("marquez-airflow", False),
        ("1http://x", False),
        ("", False),
        # Characters outside RFC 3986.
        ("https://example.com/a b", False),
        ("https://example.com/\n", False),
        ("https://exa mple.com", False),
        ("https://example.com/\u00e4", False),
        ("https://example.com/<x>", False),
        ("https://example.com/\\x", False),
        ("https://x/{a}", False),
        ("https://x/`", False),
        ("https://x/|", False),
        ("https://x/a^b", False),
        ("https://example.com/?q=[1]", False),
        ("https://example.com/#a#b", False),
        ("http://exa[mple.com/", False),
        # Percent-encoding and ports.
        ("https://example.com/%zz", False),
        ("https://example.com/%4", False),
        ("https://example.com/%", False),
        ("https://example.com:port/", False),
        ("http://[::zz]/", False),
        ("http://[1.2.3.4]/", False),
    ],
    "uri-reference": [
        ("https://example.com", True),
        ("/a/b", True),
        ("a/b", True),
        ("//example.com", True),
        ("#frag", True),
        ("?q", True),
        ("", True),
        ("./a:b", True),
        ("a:b", True),
        ("http://[::1]/", True),
        ("a b", False),
        ("%zz", False),
        ("\n", False),
        ("https://x/\n", False),
    ],
}

TABLE = [(fmt, value, verdict) for fmt, rows in CASES.items() for value, verdict in rows]


@functools.cache
def _rs(fmt: str) -> Any:
    # uuid is only checked by jsonschema-rs in its 2019-09/2020-12 modes.
    return jsonschema_rs.validator_for(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "format": fmt},
        validate_formats=True,
    )


@pytest.mark.parametrize(("fmt", "value", "verdict"), TABLE)
def test_our_checker(fmt: str, value: str, verdict: bool) -> None:
    assert CHECKERS[fmt](value) is verdict


@pytest.mark.parametrize(
    ("fmt", "value", "verdict"), [row for row in TABLE if row[0] in validator._RS_BUILTIN_FORMATS]
)
def test_jsonschema_rs_builtin_agrees(fmt: str, value: str, verdict: bool) -> None:
    # The fast path leaves these formats to jsonschema-rs: it must judge like ours.
    assert _rs(fmt).is_valid(value) is verdict


def test_every_builtin_format_is_covered_by_the_table() -> None:
    assert set(validator._RS_BUILTIN_FORMATS) <= set(CASES)


@pytest.mark.parametrize("fmt", sorted(CHECKERS))
@pytest.mark.parametrize("value", [None, 1, 1.5, True, [], {}])
def test_checkers_ignore_other_types(fmt: str, value: Any) -> None:
    # JSON Schema: a format applies to its own type only (int32 to numbers).
    if fmt in INTEGER_RANGES and isinstance(value, int | float) and not isinstance(value, bool):
        return
    assert CHECKERS[fmt](value) is True


@pytest.mark.parametrize(
    ("fmt", "value", "verdict"),
    [
        ("int32", 2**31 - 1, True),
        ("int32", -(2**31), True),
        ("int32", 2**31, False),
        ("int32", -(2**31) - 1, False),
        ("int32", 2.0**31, False),
        ("int32", 1.5, True),
        ("int64", 2**63 - 1, True),
        ("int64", -(2**63), True),
        ("int64", 2**63, False),
        ("int64", -(2**63) - 1, False),
        ("int64", 10**30, False),
        ("int64", True, True),
    ],
)
def test_integer_ranges(fmt: str, value: Any, verdict: bool) -> None:
    assert CHECKERS[fmt](value) is verdict


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        ("", True),
        ("QQ==", True),
        ("QUI=", True),
        ("QUJD", True),
        ("QUJ", False),
        ("QQ=", False),
        ("QU JD", False),
        ("QUJD\n", False),
    ],
)
def test_byte(value: str, verdict: bool) -> None:
    assert CHECKERS["byte"](value) is verdict


@pytest.mark.parametrize("fmt", ["float", "double", "binary", "password"])
def test_annotation_formats_accept_anything(fmt: str) -> None:
    assert CHECKERS[fmt]("anything at all") is True


BIG = 50_000_000


@pytest.mark.parametrize(
    ("fmt", "head", "unit", "times", "tail", "verdict"),
    [
        ("uri", "https://x/", "a", BIG, "", True),
        ("uri", "https://x/", "a", BIG, " ", False),
        ("uri", "https://", "a", BIG, " ", False),
        ("uri", "a:", "b", BIG, " ", False),
        ("uri", "https://x/?", "a/", BIG // 2, " ", False),
        ("uri", "https://x/", "%41", BIG // 3, "%", False),
        ("uri", "", "a", BIG, "", False),
        ("uri-reference", "", "a", BIG, " ", False),
        ("date-time", "2024-05-01T12:00:00.", "1", BIG, "Z", True),
        ("date-time", "2024-05-01T12:00:00.", "1", BIG, "", False),
        ("uuid", "", "a", BIG, "", False),
        ("byte", "", "AAAA", BIG // 4, "A", False),
    ],
)
def test_a_50_mb_value_is_judged_without_backtracking(
    fmt: str, head: str, unit: str, times: int, tail: str, verdict: bool
) -> None:
    # Each pattern is linear: a backtracking one takes seconds to minutes here
    # (no timing assertion; a regression shows as a slow or hung test). The
    # values are built here, not at collection, so they are never all alive.
    assert CHECKERS[fmt](head + unit * times + tail) is verdict
