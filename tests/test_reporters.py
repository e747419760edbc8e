from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from lineage_contract import Kind, Level, Violation
from lineage_contract.cli._reporters import (
    REPORTERS,
    GitHubReporter,
    JsonReporter,
    JUnitReporter,
    ProgressLine,
    Summary,
    TextReporter,
    annotation,
    describe,
    where,
)
from lineage_contract.files import Outcome, Placed
from lineage_contract.validation._render import printable

MISSING = Violation(Kind.SCHEMA, "required", "required property 'runId' is missing", "/run/runId")
ENUM = Violation(Kind.SCHEMA, "enum", '"DONE" is not one of: START', "/eventType")
ROOT = Violation(Kind.SCHEMA, "type", "expected object, got array", "")
SYNTAX = Violation(Kind.JSON, "json", "not valid JSON: Expecting value")

# Two files: a.jsonl (3 events, 2 invalid), b.json (1 event, broken), then c.json unreadable.
RUN: list[tuple[str, list[Outcome]]] = [
    (
        "dir/a.jsonl",
        [
            Outcome("dir/a.jsonl", 0, 1),
            Outcome(
                "dir/a.jsonl",
                1,
                2,
                1,
                (Placed(MISSING, 2, 40), Placed(ENUM, 2, 15)),
            ),
            Outcome("dir/a.jsonl", 2, 3, 1, (Placed(ROOT, 3, 1),)),
        ],
    ),
    ("b, odd: name.json", [Outcome("b, odd: name.json", 0, 1, 1, (Placed(SYNTAX, 7, 3),))]),
]


def play(format: str, quiet: int = 0) -> tuple[str, Summary]:
    out = io.StringIO()
    reporter = REPORTERS[format](out, quiet=quiet)
    summary = Summary()
    for name, outcomes in RUN:
        summary.files += 1
        reporter.begin(name)
        for outcome in outcomes:
            summary.add(outcome)
            reporter.outcome(outcome)
        reporter.end(name)
    summary.files += 1
    summary.unreadable += 1
    reporter.begin("c.json")
    reporter.unreadable("c.json", "cannot read c.json: Permission denied")
    reporter.end("c.json")
    reporter.finish(summary)
    return out.getvalue(), summary


@pytest.mark.parametrize(
    ("summary", "code", "line"),
    [
        (Summary(1, 1, 1, 0, 0), 0, "1 event, 1 valid, 0 invalid in 1 file"),
        (Summary(2, 3, 1, 2, 0), 1, "3 events, 1 valid, 2 invalid in 2 files"),
        (Summary(3, 0, 0, 0, 1), 2, "0 events, 0 valid, 0 invalid in 3 files, 1 unreadable"),
        (Summary(2, 5, 0, 5, 1), 2, "5 events, 0 valid, 5 invalid in 2 files, 1 unreadable"),
        (Summary(1, 12_345, 12_345, 0, 0), 0, "12,345 events, 12,345 valid, 0 invalid in 1 file"),
    ],
)
def test_summary(summary: Summary, code: int, line: str) -> None:
    assert summary.exit_code == code
    assert summary.line() == line


@pytest.mark.parametrize(
    ("placed", "location", "text"),
    [
        (
            Placed(MISSING, 2, 40),
            "f:2:40",
            "/run/runId: required property 'runId' is missing [required]",
        ),
        (Placed(ROOT, 3), "f:3", "(root): expected object, got array [type]"),
        (Placed(SYNTAX), "f", "not valid JSON: Expecting value [json]"),
    ],
)
def test_where_and_describe(placed: Placed, location: str, text: str) -> None:
    assert where("f", placed) == location
    assert describe(placed) == text


def test_text_lists_each_violation_then_the_summary() -> None:
    text, _ = play("text")
    assert text.splitlines() == [
        "dir/a.jsonl:2:40: /run/runId: required property 'runId' is missing [required]",
        'dir/a.jsonl:2:15: /eventType: "DONE" is not one of: START [enum]',
        "dir/a.jsonl:3:1: (root): expected object, got array [type]",
        "b, odd: name.json:7:3: not valid JSON: Expecting value [json]",
        "4 events, 1 valid, 3 invalid in 3 files, 1 unreadable",
    ]


@pytest.mark.parametrize(("quiet", "lines"), [(0, 5), (1, 4), (2, 0)])
def test_text_quiet_levels(quiet: int, lines: int) -> None:
    text, _ = play("text", quiet)
    assert len(text.splitlines()) == lines


def test_json_report_parses_and_counts() -> None:
    text, _ = play("json")
    document = json.loads(text)
    assert document["valid"] is False
    assert document["summary"] == {
        "files": 3,
        "events": 4,
        "valid": 1,
        "invalid": 3,
        "warnings": 0,
        "across": 0,
        "unreadable": 1,
    }
    a, b, c = document["files"]
    assert (a["file"], a["events"], a["valid"], a["invalid"]) == ("dir/a.jsonl", 3, 1, 2)
    assert [f["index"] for f in a["failures"]] == [1, 2]
    first = a["failures"][0]["violations"][0]
    assert first["pointer"] == "/run/runId"
    assert (first["line"], first["column"], first["keyword"]) == (2, 40, "required")
    assert b["failures"][0]["violations"][0]["kind"] == "json"
    assert c["error"].endswith("Permission denied")
    assert c["events"] == 0


def test_junit_parses_and_counts_failures() -> None:
    text, _ = play("junit")
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "3", "1")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["dir/a.jsonl", "b, odd: name.json", "c.json"]
    assert [(s.get("tests"), s.get("failures"), s.get("errors")) for s in suites] == [
        ("3", "2", "0"),
        ("1", "1", "0"),
        ("1", "0", "1"),
    ]
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == [
        "event 1 (line 1)",
        "event 2 (line 2)",
        "event 3 (line 3)",
    ]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.get("type") == "required"
    assert "dir/a.jsonl:2:15: /eventType" in failure.text
    error = suites[2].find("testcase/error")
    assert error is not None and "Permission denied" in (error.get("message") or "")


ANNOTATION = re.compile(r"^::error file=[^,:]+(,line=\d+(,col=\d+)?)?(,title=[^,:]+)?::[^\r\n]+$")


def test_github_lines_are_well_formed_annotations() -> None:
    text, _ = play("github")
    lines = text.splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == 5
    for line in annotations:
        assert ANNOTATION.match(line), line
    assert annotations[0] == (
        "::error file=dir/a.jsonl,line=2,col=40,title=lineage contract%3A required"
        "::/run/runId: required property 'runId' is missing [required]"
    )
    # Commas and colons in a file name are escaped, or the runner would split on them.
    assert annotations[3].startswith("::error file=b%2C odd%3A name.json,line=7,col=3,")
    assert annotations[4] == "::error file=c.json::cannot read c.json: Permission denied"
    assert lines[-1] == "4 events, 1 valid, 3 invalid in 3 files, 1 unreadable"


@pytest.mark.parametrize(
    ("message", "properties", "expected"),
    [
        ("plain", {}, "::error::plain"),
        ("50% done\nnext\r", {}, "::error::50%25 done%0Anext%0D"),
        ("m", {"file": "a,b:c%.json", "line": "3"}, "::error file=a%2Cb%3Ac%25.json,line=3::m"),
    ],
)
def test_annotation_escaping(message: str, properties: dict[str, str], expected: str) -> None:
    assert annotation("error", message, properties) == expected


def test_every_format_is_registered() -> None:
    expected = {
        "text": TextReporter,
        "json": JsonReporter,
        "junit": JUnitReporter,
        "github": GitHubReporter,
    }
    assert expected == REPORTERS


def test_progress_line_draws_and_clears() -> None:
    out = io.StringIO()
    progress = ProgressLine(out, total=2_000_000)
    progress.start("big.jsonl", 2_000_000)
    progress(1_000_000)
    drawn = out.getvalue()
    assert "1.0/2.0 MB" in drawn and " 50%" in drawn and "big.jsonl" in drawn
    progress(1_500_000)  # within 0.1 s: not redrawn
    assert out.getvalue() == drawn
    progress.close()
    assert out.getvalue().endswith("\r\x1b[K")


def test_progress_line_stays_silent_when_never_drawn() -> None:
    out = io.StringIO()
    ProgressLine(out, total=None).close()
    assert out.getvalue() == ""


# -- text from the inputs, shown safely ------------------------------------------------------

HOSTILE = [
    "\n::error file=forged::forged",
    "\r::warning::forged\r\n",
    "\x1b[2J\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07",
    "\x00\x08\x7f\x85\x9b31m",
    "\u2028::error::after a line separator",
    "lone \ud800 surrogate",
    "\ufffe\uffff",
]


def hostile_run(format: str, text: str) -> str:
    """One file named with ``text``, an event whose key and message hold it, an unreadable one."""
    out = io.StringIO()
    reporter = REPORTERS[format](out)
    summary = Summary()
    name = f"dir/{text}.jsonl"
    violation = Violation(
        Kind.SCHEMA, "required", f"required property '{text}' is missing", f"/run/facets/{text}"
    )
    outcome = Outcome(name, 0, 1, 1, (Placed(violation, 1, 5), Placed(SYNTAX)))
    summary.files += 2
    summary.add(outcome)
    reporter.begin(name)
    reporter.outcome(outcome)
    reporter.end(name)
    summary.unreadable += 1
    reporter.begin(text)
    reporter.unreadable(text, f"cannot read {text}: Permission denied")
    reporter.end(text)
    reporter.finish(summary)
    written = out.getvalue()
    written.encode("utf-8")  # every format can be written to a UTF-8 file or terminal
    return written


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("format", sorted(REPORTERS))
def test_no_input_text_reaches_the_output_raw(format: str, text: str) -> None:
    written = hostile_run(format, text)
    assert "\x1b" not in written
    assert not any(c in written for c in "\x00\x07\x08\x7f\x85\x9b\u2028\ud800\ufffe")
    lines = written.splitlines()
    commands = [line for line in lines if line.lstrip().startswith("::")]
    if format == "github":
        assert len(commands) == 3, commands  # two violations and the unreadable file
        for line in commands:
            assert ANNOTATION.match(line), line
    else:
        assert commands == []


@pytest.mark.parametrize("text", HOSTILE)
def test_junit_stays_well_formed(text: str) -> None:
    root = ET.fromstring(hostile_run("junit", text))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.text is not None
    assert f"/run/facets/{printable(text)}: required" in failure.text
    assert [s.get("name") for s in root.findall("testsuite")][1] == printable(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_json_keeps_the_input_text_exactly(text: str) -> None:
    document = json.loads(hostile_run("json", text))
    first, second = document["files"]
    assert first["file"] == f"dir/{text}.jsonl"
    assert first["failures"][0]["violations"][0]["pointer"] == f"/run/facets/{text}"
    assert second["error"] == f"cannot read {text}: Permission denied"


WARNING = Violation(
    Kind.SPEC,
    "format",
    "'file' is not a 'uri'",
    "/inputs/0/facets/dataSource/uri",
    level=Level.WARNING,
    schema_url="https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json",
)
WARNED = Outcome("w.json", 0, 1, 1, (Placed(WARNING, 4, 9),))


def play_warned(format: str, fail_on: str) -> tuple[str, Summary]:
    out = io.StringIO()
    reporter = REPORTERS[format](out, fail_on=fail_on)
    summary = Summary(fail_on=fail_on)
    summary.files += 1
    reporter.begin("w.json")
    summary.add(WARNED)
    reporter.outcome(WARNED)
    reporter.end("w.json")
    reporter.finish(summary)
    return out.getvalue(), summary


@pytest.mark.parametrize("format", sorted(REPORTERS))
@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1)])
def test_a_warning_is_shown_and_fails_only_when_asked(format: str, fail_on: str, code: int) -> None:
    text, summary = play_warned(format, fail_on)
    assert (summary.valid, summary.invalid, summary.warned) == (1, 0, 1)
    assert summary.exit_code == code
    if format == "json":
        document = json.loads(text)
        assert document["summary"]["warnings"] == 1 and document["summary"]["valid"] == 1
        (violation,) = document["files"][0]["failures"][0]["violations"]
        assert violation["level"] == "warning" and violation["schemaURL"] == WARNING.schema_url
    elif format == "junit":
        suite = ET.fromstring(text).find("testsuite")
        assert suite is not None and suite.get("failures") == str(code)
        assert "is not a 'uri'" in text
    elif format == "github":
        assert text.startswith("::warning file=w.json,line=4,col=9")
    else:
        assert text.startswith("w.json:4:9: warning: /inputs/0/facets/dataSource/uri: ")
        assert "1 with warnings" in text
