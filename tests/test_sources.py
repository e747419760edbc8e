from __future__ import annotations

import copy
import gzip
import io
import itertools
import json
import os
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from lineage_contract import Kind, Validator
from lineage_contract.files import InputError, Judge, Outcome, Source, expand, kind_of
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
