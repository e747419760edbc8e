"""Under concurrent load the journal holds exactly what was acknowledged, even across ``kill -9``.

16 clients on keep-alive connections send events with distinct run ids to a
``serve`` subprocess journaling to SQLite; the file is read back afterwards.
Bounded in count and time (``LOAD_EVENTS`` events, ``bench/serve.py --load``
runs larger counts).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lineage_contract.mock import SqliteJournal

ROOT = Path(__file__).resolve().parents[1]
PATH = "/api/v1/lineage"
CLIENTS = 16
LOAD_EVENTS = int(os.environ.get("LINEAGE_LOAD_EVENTS", "20000"))
STARTUP = 60.0
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer load"}


def body(run_id: str) -> bytes:
    return json.dumps(
        {
            "eventType": "COMPLETE",
            "eventTime": "2024-05-01T12:00:00.000Z",
            "producer": "https://example.com/tests/load",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run_id},
            "job": {"namespace": "tests", "name": "load"},
        }
    ).encode()


@contextmanager
def serve(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "lineage_contract", "serve", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        line = lines.get(timeout=STARTUP).decode()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        assert match, line
        yield process, int(match.group(1))
    finally:
        if process.poll() is None:
            # The server and its workers share the session this test gave them.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


class Load:
    """``CLIENTS`` threads sending up to ``total`` events, noting each acknowledged run id."""

    def __init__(self, port: int, total: int) -> None:
        self.port = port
        self.per_client = [total // CLIENTS + (i < total % CLIENTS) for i in range(CLIENTS)]
        self.acked: list[list[str]] = [[] for _ in range(CLIENTS)]
        self.other: list[int] = []
        self.failures = 0
        self.deadline = time.monotonic() + 120

    def client(self, i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            for _ in range(self.per_client[i]):
                run_id = str(uuid.uuid4())
                try:
                    conn.request("POST", PATH, body(run_id), HEADERS)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    # The server is gone (killed): nothing more to send.
                    self.failures += 1
                    return
                if response.status == 200:
                    self.acked[i].append(run_id)
                else:
                    self.other.append(response.status)
                if time.monotonic() > self.deadline:
                    return
        finally:
            conn.close()

    @property
    def acknowledged(self) -> set[str]:
        return {r for acked in self.acked for r in acked}

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        return threads

    def run(self) -> None:
        for t in self.start():
            t.join()


def journal_run_ids(path: Path) -> list[str]:
    journal = SqliteJournal(path)
    try:
        return [r.run_id for r in journal.records(valid=True) if r.run_id is not None]
    finally:
        journal.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "workers",
    [
        pytest.param(0, id="one-process"),
        pytest.param(2, id="two-workers"),
    ],
)
def test_journal_holds_exactly_the_acknowledged_events(tmp_path: Path, workers: int) -> None:
    journal = tmp_path / "load.sqlite"
    total = LOAD_EVENTS if workers else LOAD_EVENTS // 4
    with serve("--journal", str(journal), "--workers", str(workers)) as (process, port):
        load = Load(port, total)
        load.run()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert load.failures == 0
    assert load.other == []
    acked = load.acknowledged
    assert len(acked) == total
    held = journal_run_ids(journal)
    assert len(held) == len(acked)
    assert set(held) == acked


@pytest.mark.slow
def test_kill_9_mid_load_loses_no_acknowledged_event(tmp_path: Path) -> None:
    journal = tmp_path / "killed.sqlite"
    with serve("--journal", str(journal)) as (process, port):
        load = Load(port, LOAD_EVENTS)
        threads = load.start()
        # Kill once a good share has been acknowledged, while requests are in flight.
        wanted = min(2000, LOAD_EVENTS // 4)
        while len(load.acknowledged) < wanted and time.monotonic() < load.deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        for t in threads:
            t.join()
        assert process.wait(timeout=30) == -signal.SIGKILL
    acked = load.acknowledged
    assert len(acked) >= wanted
    assert load.failures > 0, "the kill interrupted the load"
    held = journal_run_ids(journal)
    assert acked <= set(held), f"{len(acked - set(held))} acknowledged events lost"
    # Beyond the acknowledged, at most the requests in flight when the server died.
    assert len(held) - len(acked) <= CLIENTS

    # A restart on the same file carries on.
    with serve("--journal", str(journal)) as (process, port):
        again = Load(port, 160)
        again.run()
        status, listed = _get(port, "/_lineage/events?valid=true")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert status == 200
    assert len(again.acknowledged) == 160
    after = journal_run_ids(journal)
    assert after[: len(held)] == held
    assert set(after[len(held) :]) == again.acknowledged
    assert len(listed) == len(after)


def _get(port: int, path: str) -> tuple[int, Any]:
    """Every record the events API lists at ``path``, following its pages."""
    records: list[Any] = []
    url: str | None = path
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        while url is not None:
            conn.request("GET", url)
            response = conn.getresponse()
            records += json.loads(response.read())
            if response.status != 200:
                break
            cursor = response.getheader("X-Lineage-Next-Cursor")
            url = f"{path}&cursor={cursor}" if cursor else None
    finally:
        conn.close()
    return response.status, records
