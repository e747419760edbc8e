from __future__ import annotations

from typing import Any

import pytest

from lineage_contract.mock._headers import CUT, REDACTED, HeaderKeeper


def environ(*pairs: tuple[str, str], **extra: Any) -> dict[str, Any]:
    """A WSGI environ as a server builds it: its own keys, then the headers in order."""
    made: dict[str, Any] = {"REQUEST_METHOD": "POST", "wsgi.input": object(), **extra}
    for name, value in pairs:
        key = name.upper().replace("-", "_")
        made[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return made


@pytest.mark.parametrize(
    ("name", "value", "kept"),
    [
        ("Authorization", "Bearer s3cret", f"Bearer {REDACTED}"),
        ("authorization", "bearer   s3cret ", f"bearer {REDACTED}"),
        ("Authorization", "Basic dXNlcjpwYXNz", f"Basic {REDACTED}"),
        ("Authorization", "s3cret", REDACTED),  # no scheme word: nothing of it shows
        ("Authorization", "<b>x</b> s3cret", REDACTED),  # not a scheme word
        ("Proxy-Authorization", "Bearer s3cret", f"Bearer {REDACTED}"),
        ("Cookie", "session=s3cret", REDACTED),
        ("X-Api-Key", "s3cret", REDACTED),  # named by the contract's apiKey scheme
        ("Content-Encoding", "gzip", "gzip"),
        ("User-Agent", "openlineage-python/1.0", "openlineage-python/1.0"),
    ],
)
def test_credentials_are_redacted_and_the_rest_kept(name: str, value: str, kept: str) -> None:
    keeper = HeaderKeeper(["x-API-key"])
    assert keeper.keep(environ((name, value))) == ((name.title(), kept),)


def test_headers_keep_the_order_they_came_in_and_skip_what_is_not_a_header() -> None:
    given = environ(
        ("Host", "127.0.0.1:5000"),
        ("Content-Encoding", "gzip"),
        ("Authorization", "Bearer s3cret"),
        ("Content-Type", "application/json"),
        CONTENT_LENGTH="",  # servers set it empty when the client sent none
    )
    assert HeaderKeeper().keep(given) == (
        ("Host", "127.0.0.1:5000"),
        ("Content-Encoding", "gzip"),
        ("Authorization", f"Bearer {REDACTED}"),
        ("Content-Type", "application/json"),
    )


@pytest.mark.parametrize(
    ("pairs", "keeper", "kept", "notice"),
    [
        # Too many headers: the first ones stay, the rest are counted.
        (
            [(f"X-H{i}", "v") for i in range(5)],
            HeaderKeeper(max_headers=3),
            [("X-H0", "v"), ("X-H1", "v"), ("X-H2", "v")],
            "2 more header(s) and 10 character(s) not kept",
        ),
        # Too many bytes: the value that passes the limit is cut, what follows dropped.
        (
            [("A", "x" * 10), ("B", "y" * 100), ("C", "z")],
            HeaderKeeper(max_bytes=20),
            [("A", "x" * 10), ("B", "y" * 8)],
            "1 more header(s) and 94 character(s) not kept",
        ),
        (
            [("A", "x" * 1000)],
            HeaderKeeper(max_bytes=10),
            [("A", "x" * 9)],
            "991 character(s) not kept",
        ),
    ],
)
def test_headers_are_bounded_and_say_what_was_cut(
    pairs: list[tuple[str, str]], keeper: HeaderKeeper, kept: list[tuple[str, str]], notice: str
) -> None:
    assert keeper.keep(environ(*pairs)) == (*kept, (CUT, notice))


def test_a_flood_of_headers_stays_within_the_bounds() -> None:
    flood = environ(*((f"X-Flood-{i}", "v" * 500) for i in range(1000)))
    kept = HeaderKeeper().keep(flood)
    assert len(kept) <= 65
    assert sum(len(n) + len(v) for n, v in kept[:-1]) <= 8192
    assert kept[-1][0] == CUT
