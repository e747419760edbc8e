from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lineage_contract.mock._faults import Fault, FaultError, Faults, SharedFaults, parse_fault
from lineage_contract.mock._journal import SqliteJournal


@pytest.mark.parametrize(
    ("body", "fault", "times"),
    [
        ({"status": 503, "times": 2}, Fault(status=503), 2),
        ({"status": 500}, Fault(status=500), 1),
        ({"delay": 1.5, "times": 1}, Fault(delay=1.5), 1),
        ({"delay": 2}, Fault(delay=2), 1),
        ({"drop": True, "times": 3}, Fault(drop=True), 3),
        ({"status": 429, "delay": 0.1}, Fault(status=429, delay=0.1), 1),
        ({"drop": True, "delay": 0.1}, Fault(delay=0.1, drop=True), 1),
    ],
)
def test_parse_fault(body: dict[str, Any], fault: Fault, times: int) -> None:
    assert parse_fault(body) == (fault, times)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "needs a status, a delay or drop"),
        ({"status": 200}, "400-599"),
        ({"status": 600}, "400-599"),
        ({"status": "503"}, "400-599"),
        ({"status": True}, "400-599"),
        ({"status": 503.0}, "400-599"),
        ({"delay": -1}, "delay"),
        ({"delay": float("nan")}, "delay"),
        ({"delay": 10_000}, "delay"),
        ({"delay": "1"}, "delay"),
        ({"drop": "yes"}, "drop must be true or false"),
        ({"drop": False}, "needs a status"),
        ({"drop": True, "status": 503}, "not both"),
        ({"status": 503, "times": 0}, "times"),
        ({"status": 503, "times": 1.5}, "times"),
        ({"status": 503, "times": True}, "times"),
        ({"status": 503, "bogus": 1}, "unknown fault field"),
        ([{"status": 503}], "JSON object"),
        ("503", "JSON object"),
    ],
)
def test_nonsense_is_refused(body: Any, message: str) -> None:
    with pytest.raises(FaultError, match=message):
        parse_fault(body)


def test_countdown_in_order() -> None:
    faults = Faults()
    assert faults.take() is None
    faults.fail_next(503, times=2)
    faults.delay_next(0.5)
    faults.drop_next()
    assert faults.pending == 4
    assert faults.to_list() == [
        {"status": 503, "times": 2},
        {"delay": 0.5, "times": 1},
        {"drop": True, "times": 1},
    ]
    taken = [faults.take() for _ in range(5)]
    assert taken == [Fault(status=503), Fault(status=503), Fault(delay=0.5), Fault(drop=True), None]
    assert faults.pending == 0 and faults.to_list() == []


def test_clear() -> None:
    faults = Faults()
    faults.fail_next(500, times=10)
    faults.clear()
    assert faults.pending == 0 and faults.take() is None


def test_countdown_is_exact_under_threads() -> None:
    faults = Faults()
    faults.fail_next(503, times=500)
    got: list[Fault | None] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = [faults.take() for _ in range(100)]
        with lock:
            got.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(f is not None for f in got) == 500
    assert faults.pending == 0


def test_shared_faults_are_seen_by_another_instance(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    one = SharedFaults(SqliteJournal(path))
    other = SharedFaults(SqliteJournal(path))  # as another process would open it
    one.fail_next(503, times=2)
    other.delay_next(0.25)
    assert one.pending == other.pending == 3
    assert other.to_list() == [{"status": 503, "times": 2}, {"delay": 0.25, "times": 1}]
    assert [other.take(), one.take(), other.take(), one.take()] == [
        Fault(status=503),
        Fault(status=503),
        Fault(delay=0.25),
        None,
    ]
    one.drop_next(times=4)
    other.clear()
    assert one.pending == 0 and one.take() is None


def _steps(journal: SqliteJournal, operation: Callable[[], object]) -> int:
    """SQLite virtual-machine steps ``operation`` costs: the work, without a clock."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # carry on

    for conn in journal._pool:
        conn.set_progress_handler(count, 1)
    operation()
    for conn in journal._pool:
        conn.set_progress_handler(None, 1)
    return steps


@pytest.mark.parametrize("queued", [10, 2000])
def test_shared_faults_cost_does_not_grow_with_the_queue(tmp_path: Path, queued: int) -> None:
    journal = SqliteJournal(tmp_path / "journal.db")
    faults = SharedFaults(journal)
    for _ in range(queued):
        faults.fail_next(503)
    half = queued // 2
    for _ in range(half):  # spent countdowns must not weigh on the next takes
        faults.take()
    add = _steps(journal, lambda: faults.fail_next(500))
    take = _steps(journal, faults.take)
    # A few hundred steps whatever the queue holds; a scan of 2,000 rows costs tens of thousands.
    assert add < 500 and take < 500, (add, take)
    assert faults.pending == queued - half
    journal.close()
