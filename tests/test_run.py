"""``lineage-contract run -- COMMAND`` end to end, with openlineage-python as the command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lineage_contract.mock import SqliteJournal

EMITTER = """
import sys, uuid
from datetime import UTC, datetime
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState

client = OpenLineageClient()  # from the environment, as a pipeline builds it
run, job = Run(runId=str(uuid.uuid4())), Job(namespace="tests", name="emitter")
now = datetime.now(UTC).isoformat()
for step in sys.argv[1].split(","):
    if step == "exit3":
        sys.exit(3)
    state, _, when = step.partition("@")
    try:  # as dbt-ol does: a rejected event does not fail the pipeline
        client.emit(RunEvent(eventType=RunState[state], eventTime=when or now, run=run,
                             job=job, producer="https://example.com/emitter"))
    except Exception as exc:
        print("lineage failed:", exc, file=sys.stderr)
print("emitted", sys.argv[1])
"""


@pytest.fixture(scope="module")
def emitter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "emitter.py"
    path.write_text(EMITTER)
    return path


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage_contract", "run", "--settle", "0.2", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    ("steps", "options", "status", "said"),
    [
        ("START,COMPLETE", [], 0, "2 event(s): 2 valid, 0 invalid"),
        # A time without an offset breaks the contract's date-time format: the command
        # exits 0 all the same, the step does not.
        ("START@2024-05-01T12:00:00,COMPLETE", [], 1, "/eventTime  format"),
        ("START", [], 0, "1 open"),
        ("START", ["--require-complete"], 1, "[open]"),
        ("START", ["--fail-on", "warning"], 1, "[open]"),
        ("START,COMPLETE,COMPLETE", [], 0, "[terminal-once]"),
        ("START,COMPLETE,COMPLETE", ["--fail-on", "warning"], 1, "[terminal-once]"),
        ("START,COMPLETE,exit3", [], 3, "command exited 3"),
    ],
)
def test_the_step_fails_when_the_lineage_is_wrong(
    emitter: Path, steps: str, options: list[str], status: int, said: str
) -> None:
    result = run(*options, "--", sys.executable, str(emitter), steps)
    assert result.returncode == status, result.stderr
    assert said in result.stderr
    if "exit3" not in steps:
        assert result.stdout.strip() == f"emitted {steps}"  # the command's stdout passes


def test_a_config_file_in_the_working_directory_does_not_win(emitter: Path, tmp_path: Path) -> None:
    (tmp_path / "openlineage.yml").write_text("transport:\n  type: console\n")
    result = run("--", sys.executable, str(emitter), "START,COMPLETE", cwd=tmp_path)
    assert result.returncode == 0 and "2 valid" in result.stderr


def test_json_summary_and_journal(emitter: Path, tmp_path: Path) -> None:
    journal = tmp_path / "run.sqlite"
    args = ["--format", "json", "--journal", str(journal), "--gzip"]
    result = run(*args, "--", sys.executable, str(emitter), "START,COMPLETE")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.split("\n", 1)[1])  # after the command's own line
    assert (summary["events"], summary["valid"], summary["invalid"]) == (2, 2, 0)
    assert [r["state"] for r in summary["runs"]] == ["complete"]
    with SqliteJournal(journal) as records:
        assert records.tally(valid=True) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "needs a command"), (["--", "/no/such/program"], "cannot run")],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr


def test_a_report_of_what_the_command_sent(emitter: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    done = run("--report", str(report), "--", sys.executable, str(emitter), "START,COMPLETE")
    assert done.returncode == 0, done.stderr
    html = report.read_text()
    (data,) = re.findall(r'<script type="application/json" id="lineage-data">(.*?)</script>', html)
    embedded = json.loads(data)
    assert [r["eventType"] for r in embedded["requests"]] == ["START", "COMPLETE"]
    assert [r["state"] for r in embedded["runs"]] == ["complete"]
    assert embedded["title"].startswith("lineage-contract run: ")


def test_a_report_that_cannot_be_written_is_a_usage_error(emitter: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "report.html"
    done = run("--report", str(missing), "--", sys.executable, str(emitter), "START")
    assert done.returncode == 2
    assert f"cannot write {missing}" in done.stderr
