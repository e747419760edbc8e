"""Schemathesis, a fuzzer that knows nothing of this package, against the running mock.

Positive and negative requests generated from the contract: no server error, no
response off the documented schemas, no invalid body accepted, no valid body
refused, no request served without credentials. Bounded by ``--max-examples``
(a few hundred requests, seconds); a stand-in that accepts everything shows the
checks bite.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from lineage_contract.contract import bundled_document_path
from lineage_contract.mock import MockServer

TOKEN = "fuzz-token"
CHECKS = [
    "not_a_server_error",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
]
# Stricter than schemathesis' defaults, which let a valid body pass with 401 or 5xx
# and an invalid one be refused with 404, 405 or 5xx.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["200"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "413", "415", "422"]
"""


def schemathesis_run(
    url: str, workdir: Path, spec: Path | None = None, config_text: str = CONFIG
) -> subprocess.CompletedProcess[str]:
    installed = Path(sys.executable).parent / "schemathesis"
    command = str(installed) if installed.exists() else shutil.which("schemathesis")
    assert command is not None, "schemathesis comes with the [test] extra"
    config = workdir / "schemathesis.toml"
    config.write_text(config_text)
    return subprocess.run(
        [
            command,
            "--config-file",
            str(config),
            "run",
            str(spec or bundled_document_path()),
            "--url",
            url,
            "-H",
            f"Authorization: Bearer {TOKEN}",
            "--checks",
            ",".join(CHECKS),
            "--mode",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            # No --max-time: with one, fuzzing repeats until the time is spent.
            "--max-examples",
            "100",
            "--workers",
            "1",
            "--seed",
            "20240501",
            "--generation-database",
            "none",
            "--request-timeout",
            "10",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=workdir,
    )


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(tokens=(TOKEN,)) as running:
        yield running


def test_schemathesis_finds_nothing_wrong_with_the_mock(server: MockServer, tmp_path: Path) -> None:
    done = schemathesis_run(server.url, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "No issues found" in output
    records = server.records()
    # It reached the mock with valid bodies, invalid ones and no credentials.
    assert sum(r.status == 200 and r.valid for r in records) >= 10, output[-3000:]
    assert sum(r.status in (400, 422) for r in records) >= 10, output[-3000:]
    assert any(r.status == 401 for r in records)
    assert all(r.status is not None and r.status < 500 for r in records)
    assert all((r.status == 200) == r.valid for r in records)


def _accept_everything(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "14")])
    return [b'{"status":200}']


def test_the_same_run_catches_a_server_that_accepts_everything(tmp_path: Path) -> None:
    careless = make_server("127.0.0.1", 0, _accept_everything, threaded=True)
    thread = threading.Thread(target=careless.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        done = schemathesis_run(f"http://127.0.0.1:{careless.server_port}", tmp_path)
    finally:
        careless.shutdown()
        careless.server_close()
        thread.join(5)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    assert "Invalid data should have been rejected" in output, output[-3000:]
    assert "authentication" in output.lower(), output[-3000:]


OPENLINEAGE = Path(__file__).resolve().parents[2] / "shared/corpus/openlineage-spec/OpenLineage.yml"
# The batch operation documents 204 for a batch taken whole and 200 for a partial success:
# an array with an invalid element is answered 200 ``partial_success``, as documented.
OPENLINEAGE_CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["200", "204"]

[checks.negative_data_rejection]
expected-statuses = ["200", "400", "413", "415", "422"]
"""


def test_schemathesis_finds_nothing_wrong_with_the_mock_of_openlineage_yml(tmp_path: Path) -> None:
    from lineage_contract import Contract

    with MockServer(contract=Contract.load(OPENLINEAGE)) as server:
        done = schemathesis_run(server.url, tmp_path, OPENLINEAGE, OPENLINEAGE_CONFIG)
        records = server.records()
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "No issues found" in output
    paths = {r.path for r in records}
    assert {"/lineage", "/lineage/batch"} <= paths, output[-3000:]
    assert sum(r.valid and r.path == "/lineage" for r in records) >= 10, output[-3000:]
    assert sum(r.index is not None for r in records) >= 10, output[-3000:]
    assert sum(r.status == 422 for r in records) >= 10, output[-3000:]
    assert all(r.status is not None and r.status < 500 for r in records)
