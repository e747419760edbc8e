from __future__ import annotations

import copy
import gzip
import io
import itertools
import json
import os
import resource
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from lineage_contract import Kind, Validator
from lineage_contract.files import InputError, Judge, Outcome, Source, expand, kind_of
from lineage_contract.files import _json_lines as json_lines
from lineage_contract.files import _json_stream as json_stream
from lineage_contract.files import _parallel as parallel

VALID: dict[str, Any] = {
    "eventType": "START",
    "eventTime": "2024-05-01T12:00:00Z",
    "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "0190d3a4-6c1e-7b8a-9f3d-2e4c5a6b7c8d"},
    "job": {"namespace": "etl", "name": "daily_orders"},
}
INVALID: dict[str, Any] = {**copy.deepcopy(VALID), "run": {"facets": {}}}
"""Lacks /run/runId: placed at the run object, whose text starts with its facets."""


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def compact(event: Any) -> str:
    return json.dumps(event, separators=(",", ":"))


def judge_file(validator: Validator, path: Path, **options: Any) -> list[Outcome]:
    kind, gzipped = kind_of(path.name)
    with Judge(validator, **options) as judge:
        return list(judge.outcomes(Source(path.name, path, kind, gzipped)))


def text_at(text: str, line: int | None, column: int | None) -> str:
    """The text from 1-based ``line``:``column`` to the end."""
    assert line is not None and column is not None
    lines = text.splitlines(keepends=True)
    return "".join(lines[line - 1 :])[column - 1 :]


# -- naming and finding inputs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.json", ("json", False)),
        ("a.JSON", ("json", False)),
        ("a.jsonl", ("jsonl", False)),
        ("a.ndjson", ("jsonl", False)),
        ("a.yaml", ("yaml", False)),
        ("a.yml", ("yaml", False)),
        ("a.json.gz", ("json", True)),
        ("a.jsonl.gz", ("jsonl", True)),
        ("a.yml.GZ", ("yaml", True)),
        ("a.txt", ("stream", False)),
        ("a.gz", ("stream", True)),
        ("noext", ("stream", False)),
    ],
)
def test_kind_of(name: str, expected: tuple[str, bool]) -> None:
    assert kind_of(name) == expected


def test_expand_walks_directories_sorted_and_skips_other_files(tmp_path: Path) -> None:
    for rel in ["b/z.json", "b/a.jsonl.gz", "a.yaml", "c/d/e.ndjson", "README.md", "b/notes.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    root = str(tmp_path)
    found = expand([root, "-"])
    assert [s.name for s in found] == [
        f"{root}/a.yaml",
        f"{root}/b/a.jsonl.gz",
        f"{root}/b/z.json",
        f"{root}/c/d/e.ndjson",
        "<stdin>",
    ]
    assert [(s.kind, s.gzipped) for s in found] == [
        ("yaml", False),
        ("jsonl", True),
        ("json", False),
        ("jsonl", False),
        ("stream", False),
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: str(p / "missing.json"), "No such file or directory"),
        (lambda p: (p / "empty").mkdir() or str(p / "empty"), "no payload files under"),
        (lambda p: (p / "f").write_text("{}") and str(p / "f" / "x.json"), "Not a directory"),
    ],
)
def test_expand_refuses_what_is_not_there(
    tmp_path: Path, make: Callable[[Path], str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        expand([make(tmp_path)])


def test_explicit_file_with_unknown_suffix_is_kept(tmp_path: Path) -> None:
    (tmp_path / "events.txt").write_text("{}")
    [source] = expand([str(tmp_path / "events.txt")])
    assert source.kind == "stream"


# -- every kind of file -----------------------------------------------------------------


def _array(events: list[Any]) -> str:
    return "[\n" + ",\n".join(compact(e) for e in events) + "\n]\n"


def _lines(events: list[Any]) -> str:
    return compact(events[0]) + "\n\n" + "\n".join(compact(e) for e in events[1:]) + "\n"


def _yaml_documents(events: list[Any]) -> str:
    return "".join("---\n" + compact(e) + "\n" for e in events)


def _yaml_list(events: list[Any]) -> str:
    return "".join("- " + compact(e) + "\n" for e in events)


EVENTS = [VALID, INVALID, VALID]

KINDS: list[tuple[str, str, list[tuple[bool, int, int | None]]]] = [
    ("one.json", json.dumps(INVALID, indent=2), [(False, 1, 1)]),
    ("many.json", _array(EVENTS), [(True, 2, 1), (False, 3, 1), (True, 4, 1)]),
    ("many.jsonl", _lines(EVENTS), [(True, 1, None), (False, 3, 1), (True, 4, None)]),
    ("many.ndjson", _lines(EVENTS), [(True, 1, None), (False, 3, 1), (True, 4, None)]),
    ("many.txt", _lines(EVENTS), [(True, 1, 1), (False, 3, 1), (True, 4, 1)]),
    ("docs.yaml", _yaml_documents(EVENTS), [(True, 2, 1), (False, 4, 1), (True, 6, 1)]),
    ("list.yml", _yaml_list(EVENTS), [(True, 1, 3), (False, 2, 3), (True, 3, 3)]),
]


@pytest.mark.parametrize(("name", "text", "expected"), KINDS)
@pytest.mark.parametrize("gzipped", [False, True])
def test_each_kind_of_file(
    validator: Validator,
    tmp_path: Path,
    name: str,
    text: str,
    expected: list[tuple[bool, int, int | None]],
    gzipped: bool,
) -> None:
    path = tmp_path / (name + ".gz" if gzipped else name)
    data = text.encode()
    path.write_bytes(gzip.compress(data) if gzipped else data)
    outcomes = judge_file(validator, path)
    assert [(o.valid, o.line, o.column) for o in outcomes] == expected
    assert [o.index for o in outcomes] == list(range(len(expected)))
    for outcome in outcomes:
        for placed in outcome.problems:
            assert placed.violation.pointer == "/run/runId"
            # Placed on the run object that lacks the property.
            at = text_at(text, placed.line, placed.column)
            assert at.startswith(('{"facets"', '{\n    "facets"', "facets"))


def test_yaml_timestamps_stay_strings(validator: Validator, tmp_path: Path) -> None:
    path = tmp_path / "event.yaml"
    body = {k: v for k, v in VALID.items() if k != "eventTime"}
    path.write_text(yaml.safe_dump(body) + "eventTime: 2024-05-01T12:00:00Z\n")
    [outcome] = judge_file(validator, path)
    assert outcome.valid, outcome.problems


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("event.yaml", ".nan", "NaN is not a JSON number"),
        ("event.yaml", "-.inf", "-Infinity is not a JSON number"),
        ("event.yaml", "!!binary aGk=", "bytes are not a JSON value"),
        ("event.yaml", "!!set {a: null}", "a set is not a JSON value"),
        ("event.yaml", "{1: one}", "the property name 1 is not a string"),
        ("event.json", '"\\ud800"', "lone surrogate"),  # the JSON reader takes the escape
        ("event.json", "1e999", "Infinity is not a JSON number"),  # and reads it as infinity
    ],
)
def test_a_value_json_cannot_hold_is_placed_in_its_file(
    validator: Validator, tmp_path: Path, name: str, value: str, says: str
) -> None:
    lines = [f'"{key}": {json.dumps(item)}' for key, item in VALID.items()]
    lines.append(f'"extra": {value}')
    text = ("{\n" + ",\n".join(lines) + "\n}\n") if name.endswith(".json") else "\n".join(lines)
    path = tmp_path / name
    path.write_text(text)
    [outcome] = judge_file(validator, path)
    [placed] = outcome.problems
    assert (placed.violation.kind, placed.violation.pointer) == (Kind.JSON, "/extra")
    assert says in placed.violation.message
    assert text_at(text, placed.line, placed.column).startswith(value)


def test_a_string_element_is_an_event_not_json_text(validator: Validator, tmp_path: Path) -> None:
    path = tmp_path / "strings.json"
    path.write_text(json.dumps(["{}", compact(VALID)]))
    outcomes = judge_file(validator, path)
    assert [o.valid for o in outcomes] == [False, False]
    assert {p.violation.keyword for o in outcomes for p in o.problems} == {"type"}


def test_empty_array_has_no_events(validator: Validator, tmp_path: Path) -> None:
    path = tmp_path / "none.json"
    path.write_text(" [ ] ")
    assert judge_file(validator, path) == []


# -- input that is not JSON ----------------------------------------------------------------

BROKEN: list[tuple[str, bytes, int, tuple[int, int], str]] = [
    # name, content, outcomes before the broken one, (line, col) of the error, message part
    ("empty.json", b"", 0, (1, 1), "empty"),
    ("blank.json", b"  \n \n", 0, (1, 1), "empty"),
    ("empty.jsonl", b"", 0, (1, 1), "empty"),
    ("blank.jsonl", b"\n\n  \n", 0, (1, 1), "empty"),
    ("empty.yaml", b"", 0, (1, 1), "empty"),
    ("word.json", b"hello", 0, (1, 1), "Expecting value"),
    ("word.jsonl", b"\nhello\n", 0, (2, 1), "Expecting value"),
    ("truncated.json", b'{\n  "a": [1, 2', 0, (2, 13), "the file ends here"),
    ("truncated-array.json", b"[" + compact(VALID).encode() + b",\n {", 1, (2, 3), "ends here"),
    ("truncated.jsonl", compact(VALID).encode() + b'\n{"a": ', 1, (2, 7), "Expecting value"),
    ("nan.json", b'{"a": NaN}', 0, (1, 7), "NaN"),
    ("nan.jsonl", b' {"a": NaN}\n', 0, (1, 8), "NaN"),
    ("extra.json", b"{}\n{}\n", 1, (2, 1), "name the file .jsonl"),
    ("comma.json", b"[{},\n ]", 1, (2, 2), "trailing comma"),
    ("nocomma.json", b"[{} {}]", 1, (1, 5), "Expecting ','"),
    ("utf8.json", b'{"a": "\xff"}', 0, (1, 8), "invalid UTF-8 at byte 7"),
    ("utf8.jsonl", b'{"a": "\xc3\xa9\xff"}\n', 0, (1, 9), "invalid UTF-8"),
    ("bad.yaml", b"a: 1\nb: [1, 2\n", 0, (3, 1), "not valid YAML"),
    ("tab.yaml", b"a:\n\t- 1\n", 0, (2, 1), "not valid YAML"),
    ("digits.json", b'[{}, {"a": ' + b"1" * 5_000 + b"}]", 1, (1, 6), "(4300 digits)"),
    ("digits.yaml", b"a: 1\n---\na: " + b"1" * 5_000 + b"\n", 1, (None, None), "(4300 digits)"),
]


@pytest.mark.parametrize(("name", "data", "before", "where", "message"), BROKEN)
def test_broken_input_is_an_invalid_event_with_a_position(
    validator: Validator,
    tmp_path: Path,
    name: str,
    data: bytes,
    before: int,
    where: tuple[int, int],
    message: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    outcomes = judge_file(validator, path)
    assert len(outcomes) == before + 1
    broken = outcomes[-1]
    [placed] = broken.problems
    assert placed.violation.kind is Kind.JSON
    assert message in placed.violation.message
    assert (placed.line, placed.column) == where


def test_deeply_nested_json_is_refused_not_crashed(validator: Validator, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"run": ' + "[" * 10_000 + "]" * 10_000 + "}")
    [outcome] = judge_file(validator, path)
    assert not outcome.valid


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("fake.json.gz", b"not gzip at all"),
        ("cut.jsonl.gz", gzip.compress(((compact(VALID) + "\n") * 50).encode())[:-20]),
    ],
)
def test_corrupt_gzip_is_an_invalid_payload(
    validator: Validator, tmp_path: Path, name: str, data: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    outcomes = judge_file(validator, path)
    assert outcomes[-1].problems[0].violation.kind is Kind.BAD_ENCODING
    assert all(o.valid for o in outcomes[:-1])


@pytest.mark.parametrize("kind", ["json", "jsonl", "yaml"])
def test_unreadable_file_is_an_input_error(validator: Validator, tmp_path: Path, kind: str) -> None:
    folder = tmp_path / f"dir.{kind}"
    folder.mkdir()
    with Judge(validator) as judge, pytest.raises(InputError, match="cannot read"):
        list(judge.outcomes(Source(folder.name, folder, kind)))


# -- streaming -------------------------------------------------------------------------------

STREAMED = [
    VALID,
    INVALID,
    {**VALID, "job": {"namespace": "ümlaut ✓ 𝄞", "name": 'quote " and \\ and ]}'}},
    {**INVALID, "eventTime": "not a time", "big": 12345678901234567890},
    [1, 2.5e-3, None, True],
    "a string",
    123456789,
]


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize("read_bytes", [1, 3, 7, 64])
def test_tiny_reads_give_the_same_outcomes(
    validator: Validator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    indent: int | None,
    read_bytes: int,
) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps(STREAMED, indent=indent, ensure_ascii=False), encoding="utf-8")
    expected = judge_file(validator, path)
    assert [o.valid for o in expected] == [True, False, True, False, False, False, False]
    monkeypatch.setattr(json_stream, "READ_BYTES", read_bytes)
    assert judge_file(validator, path) == expected


def test_big_array_drops_what_it_has_read(
    validator: Validator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_stream, "READ_BYTES", 512)
    events = [INVALID if i % 37 == 5 else VALID for i in range(300)]
    path = tmp_path / "big.json"
    text = json.dumps(events, indent=1)
    path.write_text(text)
    outcomes = judge_file(validator, path)
    assert len(outcomes) == 300
    assert [o.index for o in outcomes if not o.valid] == [i for i in range(300) if i % 37 == 5]
    for outcome in outcomes:
        assert text_at(text, outcome.line, outcome.column).startswith("{")
        for placed in outcome.problems:
            assert text_at(text, placed.line, placed.column).startswith("{")


def test_stdin_json_lines_and_gzip(validator: Validator, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _lines(EVENTS).encode()
    for payload in (data, gzip.compress(data)):
        monkeypatch.setattr("sys.stdin", types.SimpleNamespace(buffer=io.BytesIO(payload)))
        with Judge(validator) as judge:
            outcomes = list(judge.outcomes(Source("<stdin>", None, "stream")))
        assert [(o.valid, o.line) for o in outcomes] == [(True, 1), (False, 3), (True, 4)]


# -- parallel JSON Lines ----------------------------------------------------------------------


def _mixed_lines(count: int) -> bytes:
    lines = []
    for i in range(count):
        event = copy.deepcopy(VALID if i % 5 else INVALID)
        event["job"]["name"] = f"job-{i}"
        lines.append(compact(event).encode())
        if i % 17 == 3:
            lines.append(b"")
        if i % 29 == 7:
            lines.append(b'{"truncated": ')
        if i % 31 == 11:
            lines.append(b'{"bad utf-8": "\xff"}')
        if i % 13 == 2:
            lines.append(b"   " + compact(INVALID).encode() + b"\r")
    return b"\n".join(lines)  # and no newline at the very end


@pytest.mark.parametrize("chunk", [1, 700, 5_000])
def test_parallel_ranges_give_the_same_outcomes(
    validator: Validator, tmp_path: Path, chunk: int
) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(_mixed_lines(120))
    single = judge_file(validator, path, jobs=1)
    with Judge(validator, jobs=2, parallel_min_bytes=1, chunk_bytes=chunk) as judge:
        parallel = list(judge.outcomes(Source(path.name, path, "jsonl")))
        assert judge._pool is not None, "the pool was not used"
    assert parallel == single
    lines = path.read_bytes().split(b"\n")
    assert len(single) == sum(1 for line in lines if line.strip())
    for outcome in single:
        assert outcome.line is not None
        assert lines[outcome.line - 1].strip()


def test_parallel_blank_file_is_empty(validator: Validator, tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n" * 5000)
    with Judge(validator, jobs=2, parallel_min_bytes=1, chunk_bytes=1000) as judge:
        [outcome] = list(judge.outcomes(Source(path.name, path, "jsonl")))
    assert "empty" in outcome.problems[0].violation.message


@pytest.mark.parametrize("chunk", [1, 10, 100, 10_000])
def test_line_ranges_start_lines_and_cover_the_file(tmp_path: Path, chunk: int) -> None:
    path = tmp_path / "f.jsonl"
    data = b"".join(b"x" * (i % 23) + b"\n" for i in range(200)) + b"tail"
    path.write_bytes(data)
    ranges = parallel.line_ranges(str(path), len(data), chunk)
    assert ranges[0][0] == 0
    assert ranges[-1][1] == len(data)
    for (_, end), (start, _) in itertools.pairwise(ranges):
        assert end == start
        assert data[start - 1 : start] == b"\n"
    assert all(start < end for start, end in ranges)


def test_worker_count_defaults_to_the_cpus(validator: Validator) -> None:
    assert Judge(validator).jobs == len(os.sched_getaffinity(0))


# -- bounded reading ------------------------------------------------------------------------

LIMIT = 64
"""A cap on one event small enough for small inputs to go over it."""


def _reference_lines(data: bytes, limit: int) -> tuple[list[tuple[int, bytes | None]], int]:
    """What Lines must give: each non-blank line, None for one over ``limit``; and the count."""
    lines = data.splitlines(keepends=True)
    found = [
        (number, raw if len(raw.rstrip(b"\n")) <= limit else None)
        for number, raw in enumerate(lines, 1)
        if not raw.isspace()
    ]
    return found, len(lines)


LINE_INPUTS = [
    b"",
    b"\n\n\n",
    b"  \n\t\n {}\n",
    b"a\n\n\nb",
    b"x" * 64 + b"\n" + b"y" * 65 + b"\nz\n",
    b"x" * 65,
    b"x" * 64,
    b"\n" * 300 + b"   {}" + b"\n" * 5 + b" " * 200 + b"\n" + b"w" * 500 + b"\n\n{}",
    b"a\r\n\r\nb\x0b\x0c\n" + b"\x0c \n" * 50,
]


@pytest.mark.parametrize("data", LINE_INPUTS)
@pytest.mark.parametrize("block", [1, 2, 7, 64, 1 << 20])
def test_lines_cut_the_same_whatever_the_block(
    monkeypatch: pytest.MonkeyPatch, data: bytes, block: int
) -> None:
    monkeypatch.setattr(json_lines, "BLOCK_BYTES", block)
    lines = json_lines.Lines(io.BytesIO(data), LIMIT)
    assert (list(lines), lines.count) == _reference_lines(data, LIMIT)


def _long_line_file(tmp_path: Path, name: str) -> tuple[Path, bytes]:
    data = (
        compact(VALID) + "\n" + '{"run": "' + "x" * 5_000 + '"}\n\n' + compact(INVALID) + "\n"
    ).encode()
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path, data


@pytest.mark.parametrize("name", ["long.jsonl", "long.jsonl.gz"])
def test_a_line_over_the_limit_is_an_invalid_event_and_reading_goes_on(
    validator: Validator, tmp_path: Path, name: str
) -> None:
    path, _ = _long_line_file(tmp_path, name)
    first, long, after = judge_file(validator, path, max_event_bytes=1_000)
    assert first.valid
    [placed] = long.problems
    assert placed.violation.kind is Kind.TOO_LARGE
    assert "limit of 1,000 bytes" in placed.violation.message
    assert (long.index, placed.line, placed.column) == (1, 2, 1)
    assert (after.index, after.line, after.valid) == (2, 4, False)


@pytest.mark.parametrize("chunk", [1, 100, 3_000])
def test_parallel_ranges_cap_lines_too(validator: Validator, tmp_path: Path, chunk: int) -> None:
    path, _ = _long_line_file(tmp_path, "long.jsonl")
    single = judge_file(validator, path, jobs=1, max_event_bytes=1_000)
    with Judge(
        validator, jobs=2, parallel_min_bytes=1, chunk_bytes=chunk, max_event_bytes=1_000
    ) as judge:
        assert list(judge.outcomes(Source(path.name, path, "jsonl"))) == single
    assert single[1].problems[0].violation.kind is Kind.TOO_LARGE


BIG = {**VALID, "job": {"namespace": "etl", "name": "x" * 2_000}}
TRICKY = {**VALID, "job": {"namespace": "etl", "name": 'q\\" ] } [ { \\\\' * 200}}
"""Over the limit, with brackets, quotes and backslashes inside its strings."""

OVERSIZED: list[tuple[str, bytes, list[tuple[bool, int, int]], str]] = [
    # name, content, (valid, line, column) of each outcome, message of the oversized one
    ("one.json", json.dumps(BIG).encode(), [(False, 1, 1)], "JSON value longer than"),
    (
        "array.json",
        _array([VALID, BIG, VALID, TRICKY, VALID]).encode(),
        [(True, 2, 1), (False, 3, 1), (True, 4, 1), (False, 5, 1), (True, 6, 1)],
        "JSON value longer than",
    ),
    ("string.json", b'[{}, {"a": "' + b"y" * 5_000, [(False, 1, 2), (False, 1, 6)], "ends inside"),
    (
        "number.txt",
        b"{}\n" + b"1" * 1_500 + b" {}",
        [(False, 1, 1), (False, 2, 1), (False, 2, 1502)],
        "JSON value longer than",
    ),
    ("file.yaml", _yaml_documents([VALID, BIG]).encode(), [(False, 1, 1)], "YAML is read whole"),
]


@pytest.mark.parametrize(("name", "data", "expected", "message"), OVERSIZED)
@pytest.mark.parametrize("read_bytes", [16, 1 << 20])
def test_a_json_value_over_the_limit_is_an_invalid_event(
    validator: Validator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    data: bytes,
    expected: list[tuple[bool, int, int]],
    message: str,
    read_bytes: int,
) -> None:
    monkeypatch.setattr(json_stream, "READ_BYTES", read_bytes)
    path = tmp_path / (name + ".gz")
    path.write_bytes(gzip.compress(data))
    outcomes = judge_file(validator, path, max_event_bytes=1_000)
    assert [(o.valid, o.line, o.column) for o in outcomes] == expected
    oversized = [
        p.violation for o in outcomes for p in o.problems if p.violation.kind is Kind.TOO_LARGE
    ]
    assert oversized
    for violation in oversized:
        assert "the limit of 1,000 bytes" in violation.message
        assert message in violation.message


@pytest.mark.parametrize("name", ["wide.json", "wide.jsonl"])
@pytest.mark.parametrize(("limit", "kind"), [(1_208, Kind.TOO_LARGE), (1_209, Kind.SCHEMA)])
def test_the_limit_counts_bytes_not_characters(
    validator: Validator, tmp_path: Path, name: str, limit: int, kind: Kind
) -> None:
    path = tmp_path / name
    path.write_bytes(json.dumps({"a": "é" * 600}, ensure_ascii=False).encode())
    assert len(path.read_bytes()) == 1_209
    [outcome] = judge_file(validator, path, max_event_bytes=limit)
    assert outcome.problems[0].violation.kind is kind


def test_expand_skips_what_is_not_a_regular_file(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.json").write_text("{}")
    os.mkfifo(folder / "pipe.jsonl")
    (folder / "zero.jsonl").symlink_to("/dev/zero")
    (folder / "broken.json").symlink_to(folder / "missing.json")
    skipped: list[tuple[str, str]] = []
    found = expand([str(folder)], on_skip=lambda name, why: skipped.append((name, why)))
    assert [s.name for s in found] == [f"{folder}/a.json", f"{folder}/broken.json"]
    assert skipped == [
        (f"{folder}/pipe.jsonl", "not a regular file (a named pipe)"),
        (f"{folder}/zero.jsonl", "not a regular file (a character device)"),
    ]


def test_expand_refuses_a_device_and_keeps_a_named_pipe(tmp_path: Path) -> None:
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    with pytest.raises(InputError, match=r"zero.jsonl: not a regular file \(a character device\)"):
        expand([str(tmp_path / "zero.jsonl")])
    os.mkfifo(tmp_path / "pipe")
    [source] = expand([str(tmp_path / "pipe")])
    assert (source.kind, source.size) == ("stream", None)


# The command, run as a user runs it, in an address space too small for what the
# input inflates to: only a reader that holds a bounded part of it gets through.
MEMORY = 256 * 1024 * 1024
INFLATED_MIB = 320


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def bounded(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        check=False,
    )


def validate_bounded(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return bounded(
        "-m",
        "lineage_contract",
        "validate",
        "--no-progress",
        "--no-lineage",
        *argv,
        timeout=timeout,
    )


def test_judge_refuses_a_device() -> None:
    code = (
        "from pathlib import Path\n"
        "from lineage_contract import Validator\n"
        "from lineage_contract.files import InputError, Judge, Source\n"
        "try:\n"
        "    list(Judge(Validator()).outcomes(Source('z.jsonl', Path('/dev/zero'), 'jsonl')))\n"
        "except InputError as exc:\n"
        "    print(exc)\n"
    )
    done = bounded("-c", code, timeout=10)
    assert done.stdout == "cannot read z.jsonl: not a regular file (a character device)\n"


def _inflating(path: Path, head: bytes, filler: bytes, tail: bytes = b"") -> Path:
    """A gzip file of a few hundred KB: ``head``, INFLATED_MIB MiB of ``filler``, ``tail``."""
    member = gzip.compress(filler * (1024 * 1024 // len(filler)), compresslevel=9)
    with path.open("wb") as out:
        out.write(gzip.compress(head))
        for _ in range(INFLATED_MIB):
            out.write(member)
        out.write(gzip.compress(tail))
    return path


@pytest.mark.parametrize(
    ("name", "head", "filler", "tail", "expected"),
    [
        (
            "long.jsonl.gz",
            compact(VALID).encode() + b'\n{"run": "',
            b"x",
            b'"}\n' + compact(VALID).encode() + b"\n",
            ":2:1: too-large: line longer than the limit of 10,485,760 bytes",
        ),
        (
            "string.json.gz",
            b'[{}, {"run": "',
            b"x",
            b"",
            ":1:6: too-large: JSON value longer than the limit of 10,485,760 bytes for one",
        ),
        ("blank.json.gz", b"", b" \n", b"{}", f":{INFLATED_MIB * 512 * 1024 + 1}:1: /"),
    ],
)
def test_memory_stays_bounded(
    tmp_path: Path, name: str, head: bytes, filler: bytes, tail: bytes, expected: str
) -> None:
    path = _inflating(tmp_path / name, head, filler, tail)
    done = validate_bounded(str(path))
    assert (done.returncode, done.stderr) == (1, "")
    assert expected in done.stdout


def test_blank_lines_are_skipped_fast(tmp_path: Path) -> None:
    path = _inflating(tmp_path / "blank.jsonl.gz", b"", b"\n", compact(VALID).encode())
    done = validate_bounded(str(path), timeout=10)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["1 event, 1 valid, 0 invalid in 1 file"]


def test_a_fifo_in_a_directory_is_skipped_not_waited_for(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.json").write_text(compact(VALID))
    os.mkfifo(folder / "b.jsonl")
    done = validate_bounded(str(folder), timeout=10)
    assert done.returncode == 0
    assert done.stderr == f"lineage-contract: warning: skipped {folder}/b.jsonl: " + (
        "not a regular file (a named pipe)\n"
    )


def test_a_link_to_a_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    done = validate_bounded(str(tmp_path / "zero.jsonl"), timeout=10)
    assert done.returncode == 2
    assert done.stderr == (
        f"lineage-contract: error: cannot read {tmp_path}/zero.jsonl: "
        "not a regular file (a character device)\n"
    )


def test_a_named_pipe_given_by_name_is_read_as_a_stream(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lineage_contract",
            "validate",
            "--no-progress",
            "--no-lineage",
            "--no-conformance",
            str(pipe),
        ],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_limit_memory,
    )
    with pipe.open("wb") as writer:
        writer.write(gzip.compress((compact(VALID) + "\n" + compact(INVALID) + "\n").encode()))
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 1
    assert out.splitlines()[-1] == "2 events, 1 valid, 1 invalid in 1 file"


@pytest.mark.parametrize("jobs", [1, 2])
def test_traces_for_the_checks_across_events_come_back_in_order(
    validator: Validator, tmp_path: Path, jobs: int
) -> None:
    from lineage_contract.lineage import Lineage

    ids = [f"0190d3a4-6c1e-7b8a-9f3d-{i:012x}" for i in range(60)]
    path = tmp_path / "many.jsonl"
    path.write_text(
        "".join(json.dumps({**VALID, "run": {"runId": r}}) + "\n" for r in ids) + "not json\n"
    )
    source = expand([str(path)])[0]
    with Judge(validator, jobs=jobs, parallel_min_bytes=1, chunk_bytes=2_000, trace=True) as judge:
        outcomes = list(judge.outcomes(source))
    lineage: Lineage[int] = Lineage(validator.contract)
    for outcome in outcomes:
        if outcome.trace is not None:
            lineage.add_trace(outcome.trace, outcome.index)
    assert [o.trace is not None for o in outcomes] == [True] * 60 + [False]
    assert [r["id"] for r in lineage.runs.to_list()] == ids
