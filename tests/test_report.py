"""``lineage-contract report``: payload files and mock journals as one self-contained page."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage_contract.cli import main
from lineage_contract.files import Judge, expand
from lineage_contract.mock import Record, SqliteJournal
from lineage_contract.validation import Validator

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
START = orjson.loads((FIXTURES / "valid" / "start.json").read_bytes())
DATA = re.compile(r'<script type="application/json" id="lineage-data">(.*?)</script>', re.S)


def report(tmp_path: Path, *paths: str | Path) -> tuple[int, str]:
    out = tmp_path / "report.html"
    status = main(["report", *map(str, paths), "-o", str(out)])
    return status, out.read_text() if out.exists() else ""


def embedded(html: str) -> dict[str, Any]:
    (found,) = DATA.findall(html)
    data: dict[str, Any] = json.loads(found)
    return data


def test_every_event_of_the_files_is_in_the_report(tmp_path: Path) -> None:
    status, html = report(tmp_path, FIXTURES)
    assert status == 0
    items = embedded(html)["requests"]
    with Judge(Validator(), jobs=1) as judge:
        outcomes = [o for s in expand([str(FIXTURES)]) for o in judge.outcomes(s)]
    assert [(i["path"], i["valid"]) for i in items] == [
        (f"{o.source}:{o.line or '?'}", o.valid) for o in outcomes
    ]
    assert [i["id"] for i in items] == list(range(1, len(items) + 1))
    (enum,) = [i for i in items if i["path"].endswith("bad-event-type-enum.json:1")]
    assert (
        enum["event"]["eventType"]
        == orjson.loads((FIXTURES / "invalid" / "bad-event-type-enum.json").read_bytes())[
            "eventType"
        ]
    )
    (finding,) = enum["violations"]
    source = (FIXTURES / "invalid" / "bad-event-type-enum.json").read_text().splitlines()
    at = next(n for n, text in enumerate(source, 1) if '"eventType"' in text)
    assert (finding["pointer"], finding["keyword"], finding["line"]) == ("/eventType", "enum", at)


def test_the_page_is_self_contained(tmp_path: Path) -> None:
    _, html = report(tmp_path, FIXTURES / "valid")
    assert 'src="' not in html and 'href="/' not in html and '<link rel="stylesheet"' not in html
    (policy,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    (script,) = re.findall(r"<script>(.*?)</script>", html, re.S)
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    for directive, inlined in (("script-src", script), ("style-src", style)):
        digest = base64.b64encode(hashlib.sha256(inlined.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "connect-src" not in policy


@pytest.mark.parametrize(
    "text", ["</script><script>alert(1)</script>", "<!--<script>", "</SCRIPT >", "\u2028"]
)
def test_no_value_can_end_the_data_element(tmp_path: Path, text: str) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps({**START, "job": {"namespace": "etl", "name": text}}))
    _, html = report(tmp_path, path)
    (found,) = DATA.findall(html)
    assert "<" not in found
    (item,) = json.loads(found)["requests"]
    assert item["job"] == f"etl/{text}" and item["event"]["job"]["name"] == text


def test_a_journal_and_files_in_the_order_given(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "journal.db")
    body = orjson.dumps(START)
    journal.append(
        Record("POST", "/api/v1/lineage", 200, True, body=body, parsed=True, job="etl/daily")
    )
    journal.close()
    status, html = report(tmp_path, FIXTURES / "valid" / "start.json", tmp_path / "journal.db")
    assert status == 0
    items = embedded(html)["requests"]
    assert [(i["method"], i["status"]) for i in items] == [("", None), ("POST", 200)]
    assert items[1]["event"] == START
    assert embedded(html)["graph"]["nodes"]


def test_a_missing_input_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, html = report(tmp_path, FIXTURES / "valid", tmp_path / "nope.json")
    assert (status, html) == (2, "")
    assert "nope.json" in capsys.readouterr().err
