"""``lineage-contract generate``: exactly N JSON lines, reproducible, valid or broken as asked."""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from lineage_contract import Contract, Validator
from lineage_contract.cli import _generate as command

CONTRACT = Contract.load()
VALIDATOR = Validator(CONTRACT)


def run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="lineage-contract generate")
    command.configure(parser)
    args = parser.parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    status = _with_streams(out, err, lambda: args.run(args))
    return status, out.getvalue(), err.getvalue()


def _with_streams(out: io.StringIO, err: io.StringIO, call: Any) -> int:
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        return int(call())


def lines(text: str) -> list[Any]:
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("count", [0, 1, 7, 40])
def test_writes_exactly_count_valid_events(count: int) -> None:
    status, out, err = run("--count", str(count), "--seed", "3")
    assert status == 0, err
    events = lines(out)
    assert len(events) == count
    for event in events:
        assert VALIDATOR.check(event).valid, VALIDATOR.check(event).summary()


def test_more_events_than_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "BATCH", 9)
    status, out, _ = run("--count", "25", "--seed", "1")
    assert status == 0
    events = lines(out)
    assert len(events) == 25
    assert len({json.dumps(e, sort_keys=True) for e in events}) > 12


def test_the_same_seed_gives_the_same_bytes() -> None:
    first = run("--count", "30", "--seed", "42")[1]
    assert run("--count", "30", "--seed", "42")[1] == first
    assert run("--count", "30", "--seed", "43")[1] != first


def test_invalid_events_each_break_the_rule_written_to_stderr() -> None:
    status, out, err = run("--count", "40", "--seed", "5", "--invalid")
    assert status == 0
    events, broken = lines(out), lines(err)
    assert len(events) == len(broken) == 40
    assert [b["line"] for b in broken] == list(range(1, 41))
    for event, rule in zip(events, broken, strict=True):
        report = VALIDATOR.check(event)
        assert not report.valid
        assert any(
            v.pointer == rule["pointer"] and v.keyword == rule["keyword"] for v in report.violations
        ), (rule, report.summary())
    assert len({b["keyword"] for b in broken}) >= 2


def test_spec_points_at_another_document(tmp_path: Path) -> None:
    document = copy.deepcopy(dict(CONTRACT.document))
    event_type = document["components"]["schemas"]["RunEvent"]["allOf"][1]["properties"]
    event_type["eventType"]["enum"] = ["COMPLETE"]
    spec = tmp_path / "narrow.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    status, out, _ = run("--count", "30", "--seed", "2", "--spec", str(spec))
    assert status == 0
    kinds = {e["eventType"] for e in lines(out) if "eventType" in e}
    assert kinds == {"COMPLETE"}


def test_an_unreadable_spec_is_a_usage_error(tmp_path: Path) -> None:
    status, out, err = run("--count", "3", "--spec", str(tmp_path / "missing.yaml"))
    assert status == 2
    assert out == ""
    assert err.startswith("lineage-contract generate: error: cannot read contract")


@pytest.mark.parametrize("count", ["-1", "many"])
def test_a_bad_count_is_refused(count: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("--count", count)
    assert exit_info.value.code == 2
    assert "--count" in capsys.readouterr().err


def test_write_events_to_any_stream() -> None:
    out, rules = io.StringIO(), io.StringIO()
    command.write_events(CONTRACT, out, count=5, invalid=True, seed=9, rules_out=rules)
    assert len(out.getvalue().splitlines()) == len(rules.getvalue().splitlines()) == 5


def test_the_command_line_runs_it(capsys: pytest.CaptureFixture[str]) -> None:
    from lineage_contract import cli

    assert "generate" in cli.COMMANDS
    assert cli.main(["generate", "--count", "4", "--seed", "8"]) == 0
    assert len(lines(capsys.readouterr().out)) == 4
