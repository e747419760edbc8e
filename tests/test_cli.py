from __future__ import annotations

import copy
import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from lineage_contract import cli
from lineage_contract.files import _sources as src

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"

VALID: dict[str, Any] = {
    "eventType": "START",
    "eventTime": "2024-05-01T12:00:00Z",
    "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "0190d3a4-6c1e-7b8a-9f3d-2e4c5a6b7c8d"},
    "job": {"namespace": "etl", "name": "daily_orders"},
}
INVALID: dict[str, Any] = {**copy.deepcopy(VALID), "run": {"facets": {}}, "eventType": "DONE"}


def compact(event: Any) -> str:
    return json.dumps(event, separators=(",", ":"))


def per_event(argv: tuple[str, ...]) -> list[str]:
    """``validate`` with only its per-event checks, which these tests pin to the letter
    (the checks across events and against the OpenLineage spec have tests of their own)."""
    if argv[:1] != ("validate",):
        return list(argv)
    chosen = list(argv[1:])
    if not any(a.endswith("lineage") for a in argv):
        chosen.insert(0, "--no-lineage")
    if not any(a.endswith("conformance") for a in argv):
        chosen.insert(0, "--no-conformance")
    return ["validate", *chosen]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(per_event(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_module(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "lineage_contract", *per_event(argv)],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def one_clean_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lineage-contract")
    return lines[0]


# -- exit status -------------------------------------------------------------------------


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _spec(path: Path, document: Any) -> str:
    return _write(path, json.dumps(document))


USAGE: list[tuple[str, Callable[[Path], list[str]], int, str]] = [
    ("valid", lambda p: ["validate", _write(p / "ok.json", compact(VALID))], 0, ""),
    ("invalid", lambda p: ["validate", _write(p / "bad.json", compact(INVALID))], 1, ""),
    (
        "one invalid among valid",
        lambda p: [
            "validate",
            _write(p / "ok.json", compact(VALID)),
            _write(p / "bad.jsonl", compact(VALID) + "\n" + compact(INVALID)),
        ],
        1,
        "",
    ),
    ("missing file", lambda p: ["validate", str(p / "nope.json")], 2, "No such file"),
    (
        "path through a file",
        lambda p: ["validate", _write(p / "f.json", "{}") + "/x.json"],
        2,
        "Not a directory",
    ),
    ("empty directory", lambda p: ["validate", str(p)], 2, "no payload files"),
    (
        "missing spec",
        lambda p: ["validate", "--spec", str(p / "nope.yaml"), _write(p / "e.json", "{}")],
        2,
        "cannot read contract",
    ),
    (
        "spec not YAML",
        lambda p: [
            "validate",
            "--spec",
            _write(p / "s.yaml", "a: [\n"),
            _write(p / "e.json", "{}"),
        ],
        2,
        "neither JSON nor YAML",
    ),
    (
        "spec not OpenAPI 3.0",
        lambda p: ["validate", "--spec", _spec(p / "s.json", {"openapi": "3.1.0"}), "-"],
        2,
        "not supported",
    ),
    (
        "spec not a valid document",
        lambda p: [
            "validate",
            "--spec",
            _spec(p / "s.json", {"openapi": "3.0.1", "info": {}, "paths": {}}),
            "-",
        ],
        2,
        "invalid OpenAPI document",
    ),
    ("no command", lambda p: [], 2, "required"),
    ("no paths", lambda p: ["validate"], 2, "required"),
    ("unknown format", lambda p: ["validate", "--format", "xml", "-"], 2, "invalid choice"),
    ("zero jobs", lambda p: ["validate", "--jobs", "0", "-"], 2, "at least 1"),
    ("zero event bytes", lambda p: ["validate", "--max-event-bytes", "0", "-"], 2, "at least 1"),
    (
        "a device",
        lambda p: (p / "zero.jsonl").symlink_to("/dev/null") or ["validate", str(p / "zero.jsonl")],
        2,
        "zero.jsonl: not a regular file (a character device)",
    ),
    ("unknown command", lambda p: ["frobnicate"], 2, "invalid choice"),
]


@pytest.mark.parametrize(
    ("make", "code", "message"), [u[1:] for u in USAGE], ids=[u[0] for u in USAGE]
)
def test_exit_status(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make: Callable[[Path], list[str]],
    code: int,
    message: str,
) -> None:
    status, _, err = run(capsys, *make(tmp_path))
    assert status == code
    if code == 2:
        assert message in one_clean_line(err)
    else:
        assert err == ""


def test_unreadable_file_among_others_is_reported_and_the_rest_still_judged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _write(tmp_path / "a.json", compact(INVALID))
    (tmp_path / "b.json").symlink_to(tmp_path / "gone.json")  # listed, cannot be opened
    _write(tmp_path / "c.json", compact(VALID))
    status, out, err = run(capsys, "validate", str(tmp_path))
    assert status == 2
    assert "b.json" in one_clean_line(err)
    assert f"{tmp_path}/a.json:1:" in out
    assert out.splitlines()[-1] == "2 events, 1 valid, 1 invalid in 3 files, 1 unreadable"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files without permission"
)
def test_permission_denied(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "secret.json"
    path.write_text(compact(VALID))
    path.chmod(0)
    status, _, err = run(capsys, "validate", str(path))
    assert status == 2
    assert "Permission denied" in one_clean_line(err)


# -- every kind of input, and positions ----------------------------------------------------


def _pretty(p: Path) -> list[str]:
    return [_write(p / "event.json", json.dumps(INVALID, indent=2))]


def _array(p: Path) -> list[str]:
    return [_write(p / "events.json", json.dumps([VALID, INVALID], indent=2))]


def _jsonl(p: Path) -> list[str]:
    return [_write(p / "events.jsonl", compact(VALID) + "\n" + compact(INVALID) + "\n")]


def _ndjson(p: Path) -> list[str]:
    return [_write(p / "events.ndjson", "\n" + compact(INVALID) + "\n")]


def _yaml(p: Path) -> list[str]:
    return [_write(p / "event.yaml", json.dumps(INVALID, indent=2))]


def _gz(p: Path) -> list[str]:
    path = p / "events.jsonl.gz"
    path.write_bytes(gzip.compress((compact(VALID) + "\n" + compact(INVALID) + "\n").encode()))
    return [str(path)]


def _dir(p: Path) -> list[str]:
    (p / "sub").mkdir()
    _write(p / "sub" / "b.json", compact(INVALID))
    _write(p / "a.json", compact(VALID))
    _write(p / "notes.txt", "not an event")
    return [str(p)]


KINDS: list[tuple[str, Callable[[Path], list[str]], list[str], str]] = [
    # id, make inputs, where each violation is (relative to tmp_path), summary
    ("pretty json", _pretty, ["event.json:2:16", "event.json:6:10"], "1 event, 0 valid, 1 invalid"),
    ("array json", _array, ["events.json:16:18", "events.json:20:12"], "2 events, 1 valid"),
    ("jsonl", _jsonl, ["events.jsonl:2:14", "events.jsonl:2:225"], "2 events, 1 valid"),
    ("ndjson", _ndjson, ["events.ndjson:2:14", "events.ndjson:2:225"], "1 event, 0 valid"),
    ("yaml", _yaml, ["event.yaml:2:16", "event.yaml:6:10"], "1 event, 0 valid"),
    ("gzip", _gz, ["events.jsonl.gz:2:14", "events.jsonl.gz:2:225"], "2 events, 1 valid"),
    ("directory", _dir, ["sub/b.json:1:14", "sub/b.json:1:225"], "2 events, 1 valid"),
]


@pytest.mark.parametrize(
    ("make", "places", "summary"), [k[1:] for k in KINDS], ids=[k[0] for k in KINDS]
)
def test_every_kind_of_input(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make: Callable[[Path], list[str]],
    places: list[str],
    summary: str,
) -> None:
    status, out, _ = run(capsys, "validate", *make(tmp_path))
    assert status == 1
    lines = out.splitlines()
    assert [line.split(": ", 1)[0].removeprefix(f"{tmp_path}/") for line in lines[:-1]] == places
    assert [line.split(": ")[1] for line in lines[:-1]] == ["/eventType", "/run/runId"]
    assert lines[-1].startswith(summary)


@pytest.mark.parametrize("value", [".nan", ".inf", "!!binary aGk=", "!!set {a: null}"])
def test_yaml_values_json_cannot_hold_make_the_event_invalid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str
) -> None:
    lines = [f"{key}: {json.dumps(item)}" for key, item in VALID.items()]
    path = _write(tmp_path / "event.yaml", "\n".join([*lines, f"extra: {value}"]) + "\n")
    status, out, _ = run(capsys, "validate", path)
    assert status == 1
    assert out.splitlines()[0].startswith(f"{path}:7:8: /extra: ")


def test_positions_point_at_the_offending_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = json.dumps(INVALID, indent=2)
    path = _write(tmp_path / "event.json", text)
    _, out, _ = run(capsys, "validate", "-q", path)
    found = {}
    for line in out.splitlines():
        location, pointer = line.split(": ")[:2]
        row, column = map(int, location.rsplit(":", 2)[1:])
        found[pointer] = text.splitlines()[row - 1][column - 1 :]
    assert found["/eventType"].startswith('"DONE"')
    assert found["/run/runId"].startswith("{")  # the run object that lacks it


def test_stdin(tmp_path: Path) -> None:
    data = (compact(VALID) + "\n" + compact(INVALID) + "\n").encode()
    for payload in (data, gzip.compress(data)):
        result = run_module("validate", "-", stdin=payload)
        assert result.returncode == 1, result.stderr
        lines = result.stdout.decode().splitlines()
        assert lines[0].startswith("<stdin>:2:14: /eventType:")
        assert lines[-1] == "2 events, 1 valid, 1 invalid in 1 file"


def test_console_script_and_module_agree(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.json", compact(INVALID))
    script = Path(sys.executable).with_name("lineage-contract")
    assert script.exists(), "the install made no console script"
    by_script = subprocess.run(
        [str(script), *per_event(("validate", path))], capture_output=True, timeout=60, check=False
    )
    by_module = run_module("validate", path)
    assert by_script.returncode == by_module.returncode == 1
    assert by_script.stdout == by_module.stdout
    assert b"Traceback" not in by_script.stderr + by_module.stderr


@pytest.mark.parametrize(
    ("name", "data", "where"),
    [
        ("empty.json", b"", "1:1"),
        ("text.json", b"not json at all", "1:1"),
        ("truncated.json", b'{\n  "run": {"runId": "x"', "2:23"),
        ("truncated.jsonl", compact(VALID).encode() + b'\n{"run": ', "2:9"),
        ("empty.jsonl", b"", "1:1"),
    ],
)
def test_not_json_is_invalid_with_its_position(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, data: bytes, where: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    status, out, err = run(capsys, "validate", str(path))
    assert status == 1
    assert err == ""
    assert out.startswith(f"{path}:{where}: ")
    assert "[json]" in out.splitlines()[0]


# -- output formats --------------------------------------------------------------------------


def _mixed(p: Path) -> list[str]:
    return [*_jsonl(p), _write(p / "broken.json", "{"), _write(p / "ok.json", compact(VALID))]


def test_format_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run(capsys, "validate", "--format", "json", *_mixed(tmp_path))
    assert status == 1
    document = json.loads(out)
    assert document["summary"] == {
        "files": 3,
        "events": 4,
        "valid": 2,
        "invalid": 2,
        "warnings": 0,
        "across": 0,
        "unreadable": 0,
    }
    jsonl, broken, ok = document["files"]
    assert [v["pointer"] for v in jsonl["failures"][0]["violations"]] == [
        "/eventType",
        "/run/runId",
    ]
    assert jsonl["failures"][0]["line"] == 2
    assert broken["failures"][0]["violations"][0]["kind"] == "json"
    assert ok["failures"] == []


def test_format_junit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run(capsys, "validate", "--format", "junit", *_mixed(tmp_path))
    assert status == 1
    root = ET.fromstring(out)
    assert (root.get("tests"), root.get("failures")) == ("4", "2")
    suites = root.findall("testsuite")
    assert [s.get("failures") for s in suites] == ["1", "1", "0"]
    assert len(root.findall(".//testcase")) == 4
    assert len(root.findall(".//failure")) == 2


GITHUB = re.compile(r"^::error file=[^,]+,line=\d+,col=\d+,title=[^,:]+::\S.*$")


def test_format_github(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run(capsys, "validate", "--format", "github", *_mixed(tmp_path))
    assert status == 1
    lines = out.splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == 3
    assert all(GITHUB.match(line) for line in annotations), annotations
    assert f"file={tmp_path}/events.jsonl,line=2,col=14," in annotations[0]
    assert lines[-1] == "4 events, 2 valid, 2 invalid in 3 files"


@pytest.mark.parametrize("fmt", ["json", "junit"])
def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> None:
    report = tmp_path / f"report.{fmt}"
    status, out, _ = run(capsys, "validate", "-f", fmt, "-o", str(report), *_jsonl(tmp_path))
    assert status == 1
    assert out == ""
    text = report.read_text()
    assert json.loads(text) if fmt == "json" else ET.fromstring(text) is not None


@pytest.mark.parametrize(("flags", "lines"), [((), 3), (("-q",), 2), (("-qq",), 0)])
def test_quiet(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flags: tuple[str, ...], lines: int
) -> None:
    status, out, _ = run(capsys, "validate", *flags, *_jsonl(tmp_path))
    assert status == 1
    assert len(out.splitlines()) == lines


# -- the fixtures ----------------------------------------------------------------------------


def _expected(table: Path) -> list[dict[str, str]]:
    rows = [line for line in table.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(rows, delimiter="\t"))


def test_valid_fixtures_pass(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "validate", str(FIXTURES / "valid"))
    assert status == 0, out
    assert re.fullmatch(r"(\d+) events?, \1 valid, 0 invalid in \d+ files?\n", out)


def test_invalid_fixtures_report_what_expected_tsv_says(capsys: pytest.CaptureFixture[str]) -> None:
    folder = FIXTURES / "invalid"
    status, out, _ = run(capsys, "validate", "--format", "json", str(folder))
    assert status == 1
    document = json.loads(out)
    found = set()
    for result in document["files"]:
        assert result["invalid"] == 1, result["file"]
        for failure in result["failures"]:
            for v in failure["violations"]:
                assert v["line"] is not None and v["column"] is not None, result["file"]
                found.add((Path(result["file"]).name, v["pointer"], v["keyword"]))
    expected = {(r["file"], r["pointer"], r["keyword"]) for r in _expected(folder / "EXPECTED.tsv")}
    assert found == expected


def test_jsonl_fixture_lines(capsys: pytest.CaptureFixture[str]) -> None:
    folder = FIXTURES / "jsonl"
    _, out, _ = run(capsys, "validate", "--format", "json", str(folder))
    found = {
        (str(v["line"]), v["pointer"], v["keyword"])
        for result in json.loads(out)["files"]
        for failure in result["failures"]
        for v in failure["violations"]
    }
    expected = {(r["line"], r["pointer"], r["keyword"]) for r in _expected(folder / "EXPECTED.tsv")}
    assert found == expected


# -- another contract -----------------------------------------------------------------------


LONG = compact({**VALID, "job": {"namespace": "etl", "name": "x" * 200}})


@pytest.mark.parametrize(
    ("name", "text", "biggest"),
    [
        ("e.jsonl", f"{compact(VALID)}\n{LONG}\n", len(LONG)),
        ("e.json", f"[{compact(VALID)},\n {LONG}  ]", len(LONG)),
        ("e.yaml", f"{LONG}\n", len(LONG) + 1),  # YAML is read whole: the file counts
    ],
)
def test_max_event_bytes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, text: str, biggest: int
) -> None:
    path = _write(tmp_path / name, text)
    assert run(capsys, "validate", "-q", "--max-event-bytes", str(biggest), path)[0] == 0
    status, out, _ = run(capsys, "validate", "-q", "--max-event-bytes", str(biggest - 1), path)
    assert status == 1
    [line] = out.splitlines()
    assert f"the limit of {biggest - 1:,} bytes" in line
    assert line.endswith("[maxEventBytes]")


def test_spec_changes_the_verdict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = json.loads((ROOT / "openapi.json").read_text())
    run_event = document["components"]["schemas"]["RunEvent"]["allOf"][1]
    run_event["required"] = [*run_event.get("required", []), "eventType"]
    spec = _spec(tmp_path / "stricter.json", document)
    event = {k: v for k, v in VALID.items() if k != "eventType"}
    path = _write(tmp_path / "event.json", json.dumps(event, indent=2))
    assert run(capsys, "validate", path)[0] == 0
    status, out, _ = run(capsys, "validate", "--spec", spec, path)
    assert status == 1
    assert out.startswith(f"{path}:1:1: /eventType: required property 'eventType' is missing")


# -- parallel --------------------------------------------------------------------------------


def test_parallel_run_reports_as_a_single_process_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = []
    for i in range(200):
        lines.append(compact(INVALID if i % 7 == 3 else VALID))
        if i % 23 == 0:
            lines.append("")
        if i % 41 == 5:
            lines.append('{"cut": ')
    path = _write(tmp_path / "events.jsonl", "\n".join(lines) + "\n")
    monkeypatch.setattr(src, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(src, "CHUNK_BYTES", 1_500)
    reports = {}
    for jobs in ("1", "2"):
        status, out, _ = run(capsys, "validate", "--format", "json", "--jobs", jobs, path)
        assert status == 1
        reports[jobs] = json.loads(out)
    assert reports["1"] == reports["2"]
    failures = reports["2"]["files"][0]["failures"]
    assert [f["line"] for f in failures][:3] == [5, 8, 13]
    assert reports["2"]["summary"]["events"] == 205


# -- the command itself ------------------------------------------------------------------------


def test_help_imports_neither_werkzeug_nor_hypothesis() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from lineage_contract.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    assert main(['--help']) == 0\n"
        "assert 'validate' in out.getvalue()\n"
        "print(sorted(m for m in ('werkzeug', 'hypothesis') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert re.fullmatch(r"lineage-contract \S+\n", out)


PLUGIN = """
from __future__ import annotations
import argparse

def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--answer", type=int, default=0)

def run(args: argparse.Namespace) -> int:
    print("ran with", args.answer)
    return args.answer
"""


@pytest.mark.parametrize(
    ("module", "source", "argv", "code", "shown"),
    [
        ("lc_fake_plugin", PLUGIN, ["fake", "--answer", "3"], 3, "ran with 3"),
        ("lc_fake_plugin", PLUGIN, ["--help"], 0, "fake"),
        ("lc_broken_plugin", "import lc_no_such_dependency\n", ["fake"], 2, "needs a dependency"),
        ("lc_absent_plugin", None, ["fake"], 2, "invalid choice"),
    ],
)
def test_plugged_subcommands(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    source: str | None,
    argv: list[str],
    code: int,
    shown: str,
) -> None:
    if source is not None:
        (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "COMMANDS", {"fake": (module, "a fake subcommand")})
    monkeypatch.delitem(sys.modules, module, raising=False)
    status, out, err = run(capsys, *argv)
    assert status == code
    assert shown in (out if code != 2 else one_clean_line(err))


def test_absent_plugin_is_not_listed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(cli.COMMANDS, "ghost", ("lc_no_such_module", "haunts"))
    status, out, _ = run(capsys, "--help")
    assert status == 0
    assert "ghost" not in out
    assert "validate" in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("flags", "drawn"), [((), True), (("--no-progress",), False), (("-q",), False)]
)
def test_progress_line_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...], drawn: bool
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["validate", *flags, *_jsonl(tmp_path)]) == 1
    shown = terminal.getvalue()
    assert ("events.jsonl" in shown and " MB" in shown) == drawn
    if drawn:
        assert shown.endswith("\r\x1b[K"), "the progress line is cleared at the end"


HOSTILE_KEY = "\n::error::forged\x1b[2J\x1b]0;t\x07\x85"


@pytest.mark.parametrize("fmt", ["text", "github", "junit", "json"])
def test_hostile_names_and_keys_reach_no_output_raw(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    event = {**VALID, "run": {**VALID["run"], "facets": {HOSTILE_KEY: {}}}}
    _write(folder / f"{HOSTILE_KEY}.jsonl", compact(event) + "\n")
    (folder / f"{HOSTILE_KEY}.json").symlink_to("/dev/null")
    status, out, err = run(capsys, "validate", "--format", fmt, str(folder))
    assert status == 1
    assert "\x1b" not in out + err and "\x85" not in out + err
    forged = [line for line in (out + err).splitlines() if line.startswith("::")]
    assert all(line.startswith("::error file=") for line in forged)
    assert len(forged) == (2 if fmt == "github" else 0)  # _producer and _schemaURL missing
    [warning] = err.splitlines()
    assert warning.startswith("lineage-contract: warning: skipped ") and "\\x1b" in warning
    if fmt == "junit":
        assert ET.fromstring(out).get("failures") == "1"
    if fmt == "json":
        [violation, _] = json.loads(out)["files"][0]["failures"][0]["violations"]
        assert violation["pointer"] == f"/run/facets/{HOSTILE_KEY}/_producer"


def test_an_error_naming_a_hostile_path_is_one_clean_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(capsys, "validate", str(tmp_path / f"{HOSTILE_KEY}.json"))
    assert status == 2
    assert "\x1b" not in one_clean_line(err)
    assert "\\x1b[2J" in err


# -- across events ------------------------------------------------------------------


def _step(kind: str, run_id: str, time: str) -> str:
    return compact({**VALID, "eventType": kind, "eventTime": time, "run": {"runId": run_id}})


GOOD = "3f5e83fa-3480-44ff-99c5-ff943904e5e8"
LATE = "0d6f3ab1-5b3c-4a2e-9f61-1c2d3e4f5a6b"


@pytest.mark.parametrize(
    ("lines", "findings"),
    [
        # (line, keyword) of each finding across events
        ([("START", GOOD, "T12"), ("COMPLETE", GOOD, "T13")], []),
        ([("COMPLETE", LATE, "T12")], [(1, "start-first")]),
        ([("START", LATE, "T12")], [(1, "open")]),
        ([("START", LATE, "T13"), ("COMPLETE", LATE, "T12")], [(2, "time-order")]),
        (
            [("START", LATE, "T12"), ("COMPLETE", LATE, "T13"), ("COMPLETE", LATE, "T14")],
            [(3, "terminal-once")],
        ),
    ],
)
def test_validate_checks_the_events_together(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    lines: list[tuple[str, str, str]],
    findings: list[tuple[int, str]],
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(_step(k, r, f"2024-05-01{t}:00:00Z") + "\n" for k, r, t in lines))
    code, out, _ = run(capsys, "validate", "--lineage", "-f", "json", str(path))
    document = json.loads(out)
    got = [(f["line"], f["keyword"]) for f in document["across"]]
    assert got == findings
    assert all(f["level"] == "warning" and f["file"] == str(path) for f in document["across"])
    assert code == 0  # warnings: the contract holds
    assert document["summary"]["across"] == len(findings)
    assert {r["id"] for r in document["runs"]} == {r for _, r, _ in lines}
    strict, text, _ = run(capsys, "validate", "--lineage", "--fail-on", "warning", str(path))
    assert strict == (1 if findings else 0)
    for line, keyword in findings:
        assert f"{path}:{line}: warning: " in text and f"[{keyword}]" in text


# -- against the OpenLineage specification ------------------------------------------

DATASOURCE = "https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json"


def _with_datasource(uri: str) -> dict[str, Any]:
    facet = {"_producer": "https://example.com/p", "_schemaURL": DATASOURCE, "uri": uri}
    return {
        **VALID,
        "inputs": [
            {
                "namespace": "postgres://db:5432",
                "name": "t",
                "facets": {"dataSource": {"name": "db", **facet}},
            }
        ],
    }


@pytest.mark.parametrize(
    ("uri", "flags", "warned", "code"),
    [
        ("postgres://db:5432", [], False, 0),
        ("file", [], True, 0),  # a warning: the contract holds
        ("file", ["--fail-on", "warning"], True, 1),
        ("file", ["--no-conformance"], False, 0),
        ("file", ["--jobs", "2"], True, 0),
    ],
)
def test_validate_checks_facets_against_their_schema(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    uri: str,
    flags: list[str],
    warned: bool,
    code: int,
) -> None:
    # The mirror and offline mode come from tests/conftest.py, for every test.
    path = _write(tmp_path / "facet.jsonl", compact(_with_datasource(uri)) + "\n")
    status = cli.main(["validate", "--no-lineage", "-f", "json", *flags, path])
    out = capsys.readouterr().out
    assert status == code
    document = json.loads(out)
    assert document["summary"]["warnings"] == int(warned)
    found = [v for f in document["files"][0]["failures"] for v in f["violations"]]
    if warned:
        (finding,) = found
        assert finding["pointer"] == "/inputs/0/facets/dataSource/uri"
        assert (finding["level"], finding["kind"]) == ("warning", "spec")
        assert finding["schemaURL"].startswith(DATASOURCE)
    else:
        assert found == []


WARNED_RUN = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def _warned_step(kind: str, time: str) -> dict[str, Any]:
    # A schemaURL that names no OpenLineage version: a warning, the contract holds.
    return {
        **VALID,
        "eventType": kind,
        "eventTime": f"2024-05-01T{time}:00:00Z",
        "run": {"runId": WARNED_RUN},
        "schemaURL": "http://test.schema.url",
    }


@pytest.mark.parametrize(
    ("name", "write", "jobs"),
    [
        ("runs.jsonl", lambda events: "".join(compact(e) + "\n" for e in events), "1"),
        ("runs.jsonl", lambda events: "".join(compact(e) + "\n" for e in events), "2"),
        ("runs.json", lambda events: json.dumps(events, indent=2), "1"),
        ("runs.yaml", lambda events: yaml.safe_dump_all(events), "1"),
    ],
    ids=["json-lines", "json-lines-parallel", "json", "yaml"],
)
def test_events_with_warnings_still_count_across_events(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    write: Callable[[list[dict[str, Any]]], str],
    jobs: str,
) -> None:
    monkeypatch.setattr(src, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(src, "CHUNK_BYTES", 300)
    events = [_warned_step("START", "12"), _warned_step("START", "13"), _warned_step("FAIL", "14")]
    path = tmp_path / name
    path.write_text(write(events))
    argv = ("validate", "--conformance", "--lineage", "--jobs", jobs, "-f", "json", str(path))
    code, out, _ = run(capsys, *argv)
    document = json.loads(out)
    assert code == 0
    assert document["summary"]["events"] == 3
    assert document["summary"]["warnings"] == 3
    assert [f["keyword"] for f in document["across"]] == ["start-once"]
    (run_seen,) = document["runs"]
    assert (run_seen["id"], len(run_seen["events"]), run_seen["state"]) == (WARNED_RUN, 3, "fail")


# -- OpenLineage's own document: several operations -----------------------------------------

OPENLINEAGE = str(ROOT.parent / "shared" / "corpus" / "openlineage-spec" / "OpenLineage.yml")
CORPUS_EVENTS = ROOT.parent / "shared" / "corpus" / "openlineage-events"


def _spec_manifest() -> Counter[bool]:
    with (CORPUS_EVENTS / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        return Counter(
            row["spec_2_0_2"].strip() == "valid" for row in csv.DictReader(handle, delimiter="\t")
        )


def test_validate_judges_the_corpus_against_the_openlineage_document(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(
        capsys, "validate", "--spec", OPENLINEAGE, "-f", "json", str(CORPUS_EVENTS)
    )
    summary = json.loads(out)["summary"]
    expected = _spec_manifest()
    assert (status, summary["valid"], summary["invalid"]) == (1, expected[True], expected[False])
    assert err == ""


@pytest.mark.parametrize(
    ("operation", "content", "expected"),
    [
        # The single-event operation, named or not: an array file is a list of events.
        (None, [VALID, {**VALID, "eventTime": "x"}], (1, 1, ["/eventTime"])),
        ("postRunEvent", [VALID, VALID], (2, 0, [])),
        # The batch operation: an array is one batch, its elements under /<index>.
        ("postEventBatch", [VALID, {**VALID, "eventTime": "x"}], (0, 1, ["/1/eventTime"])),
        ("/lineage/batch", [VALID, VALID], (1, 0, [])),
        ("POST /lineage/batch", VALID, (0, 1, [""])),
    ],
)
def test_validate_judges_a_file_against_the_operation_it_names(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    operation: str | None,
    content: Any,
    expected: tuple[int, int, list[str]],
) -> None:
    path = _write(tmp_path / "events.json", json.dumps(content))
    flags = ["--operation", operation] if operation else []
    status, out, _ = run(capsys, "validate", "--spec", OPENLINEAGE, *flags, "-f", "json", path)
    document = json.loads(out)
    pointers = [v["pointer"] for f in document["files"][0]["failures"] for v in f["violations"]]
    summary = document["summary"]
    assert (summary["valid"], summary["invalid"], pointers) == expected
    assert status == (1 if expected[1] else 0)


def test_validate_checks_the_elements_of_batches_together(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A run completed before it started, told in two batches: a finding across events.
    start = {**VALID, "eventTime": "2024-05-01T12:00:00Z"}
    done = {**VALID, "eventType": "COMPLETE", "eventTime": "2024-05-01T11:00:00Z"}
    other = {**VALID, "run": {"runId": "0190d3a4-6c1e-7b8a-9f3d-000000000001"}}
    other["job"] = {"namespace": "etl", "name": "other"}
    batches = f"{compact([start])}\n{compact([other, done])}\n"
    path = _write(tmp_path / "batches.jsonl", batches)
    argv = ["--spec", OPENLINEAGE, "--operation", "postEventBatch", "--lineage", "-f", "json"]
    status, out, _ = run(capsys, "validate", *argv, path)
    across = json.loads(out)["across"]
    assert status == 0
    # Each finding points into the batch at the element that broke the rule.
    found = [(f["keyword"], f["line"], f["pointer"]) for f in across]
    assert found == [("time-order", 2, "/1/eventTime"), ("open", 2, "/0/run/runId")]


def test_validate_refuses_an_unknown_operation(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "validate", "--spec", OPENLINEAGE, "--operation", "nope", "-")
    assert status == 2
    assert "no operation 'nope'" in err


@pytest.mark.parametrize("operation", ["postRunEvent", "postEventBatch"])
def test_generate_draws_for_the_operation_it_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, operation: str
) -> None:
    argv = ["generate", "--spec", OPENLINEAGE, "--operation", operation, "-n", "5", "--seed", "1"]
    assert cli.main(argv) == 0
    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 5
    path = _write(tmp_path / "drawn.jsonl", out)
    assert all(
        isinstance(json.loads(line), list) is (operation == "postEventBatch") for line in lines
    )
    status, _, _ = run(capsys, "validate", "--spec", OPENLINEAGE, "--operation", operation, path)
    assert status == 0
