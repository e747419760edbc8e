from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage_contract.errors import LineageContractError
from lineage_contract.mock._journal import (
    Journal,
    JournalTimeout,
    MemoryJournal,
    Page,
    Record,
    SqliteJournal,
    open_journal,
    records_json,
)
from lineage_contract.validation import Kind, Level, Violation, parse_json

RUN_A = "0190d3a4-6c1e-7b8a-9f3d-2e4c5a6b7c8d"
RUN_B = "0190d3a4-6c1e-7b8a-9f3d-2e4c5a6b7c8e"


def record(
    *,
    valid: bool = True,
    run_id: str | None = RUN_A,
    job: str | None = "etl/daily",
    status: int = 200,
) -> Record:
    event = {"run": {"runId": run_id}, "job": {"namespace": "etl", "name": "daily"}}
    return Record(
        method="POST",
        path="/api/v1/lineage",
        status=status,
        valid=valid,
        violations=[] if valid else [Violation(Kind.SCHEMA, "type", "not a string", pointer="/x")],
        body=orjson.dumps(event),
        parsed=True,
        run_id=run_id,
        job=job,
    )


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Journal:
    if request.param == "memory":
        return MemoryJournal(100)
    return SqliteJournal(tmp_path / "journal.db")


# -- records ---------------------------------------------------------------------


def test_record_event_is_parsed_from_the_body() -> None:
    rec = record()
    assert rec.event == {"run": {"runId": RUN_A}, "job": {"namespace": "etl", "name": "daily"}}
    assert Record("POST", "/", 400, False, body=b"{", parsed=False).event is None
    body = b'{"n": 123456789012345678901234567890}'
    assert Record("POST", "/", 200, True, body=body, parsed=True).event == parse_json(body)


def test_record_to_dict_embeds_the_event_as_sent() -> None:
    rec = record()
    rec.id, rec.time = 7, 0.5
    data = orjson.loads(records_json([rec]))[0]
    assert data == {
        "id": 7,
        "time": "1970-01-01T00:00:00.500000Z",
        "method": "POST",
        "path": "/api/v1/lineage",
        "status": 200,
        "valid": True,
        "violations": [],
        "runId": RUN_A,
        "job": "etl/daily",
        "upstream": None,  # not forwarded
        "batch": None,  # not an element of a batch
        "index": None,
        "event": rec.event,
        "body": None,  # each body once: the event is the body, as sent
        "answered": None,
        "headers": [],
    }
    assert rec.to_dict()["body"] == rec.body.decode()
    broken = Record("POST", "/", 400, False, body=b"{x", parsed=False)
    listed = orjson.loads(records_json([broken]))[0]
    assert (listed["event"], listed["body"]) == (None, "{x")


@pytest.mark.parametrize(
    ("status", "valid", "accepted"),
    [
        (200, True, True),
        (204, True, True),
        (503, True, False),
        (None, True, False),
        (200, False, False),
    ],
)
def test_accepted(status: int | None, valid: bool, accepted: bool) -> None:
    assert Record("POST", "/", status, valid).accepted is accepted


# -- both journals ---------------------------------------------------------------


def test_records_get_ids_in_arrival_order(journal: Journal) -> None:
    runs = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(3)]
    for run in runs:
        journal.append(record(run_id=run))
    assert [(r.id, r.run_id) for r in journal.records()] == list(zip([1, 2, 3], runs, strict=True))
    assert journal.count == len(journal) == 3
    assert journal.dropped == 0


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [1, 2, 3, 4]),
        ({"valid": True}, [1, 3, 4]),
        ({"valid": False}, [2]),
        ({"run_id": RUN_B}, [3]),
        ({"job": "etl/daily"}, [1, 2, 3]),
        ({"job": "daily"}, [1, 2, 3]),
        ({"job": "other/weekly"}, [4]),
        ({"job": "ly"}, []),
        ({"job": "etl"}, []),
        ({"valid": True, "job": "daily"}, [1, 3]),
        ({"since": 2}, [3, 4]),
    ],
)
def test_filters(journal: Journal, filters: dict[str, Any], expected: list[int]) -> None:
    journal.append(record())
    journal.append(record(valid=False))
    journal.append(record(run_id=RUN_B))
    journal.append(record(job="other/weekly", run_id=None))
    assert [r.id for r in journal.records(**filters)] == expected


def test_records_round_trip(journal: Journal) -> None:
    sent = record(valid=False, status=422)
    journal.append(sent)
    (got,) = journal.records()
    assert got.id == 1
    for name in ("method", "path", "status", "valid", "violations", "body", "run_id", "job"):
        assert getattr(got, name) == getattr(sent, name), name
    assert got.time == pytest.approx(sent.time)
    assert got.event == sent.event


def test_clear_keeps_ids_growing(journal: Journal) -> None:
    journal.append(record())
    journal.append(record())
    journal.clear()
    assert journal.records() == [] and journal.count == 0
    journal.append(record())
    assert [r.id for r in journal.records()] == [3]


def test_tally(journal: Journal) -> None:
    for valid in (True, False, True):
        journal.append(record(valid=valid))
    assert (journal.tally(), journal.tally(valid=True), journal.tally(valid=False)) == (3, 2, 1)


def test_wait_for_returns_once_enough_arrived(journal: Journal) -> None:
    def later() -> None:
        for valid in (False, True, True):
            time.sleep(0.02)
            journal.append(record(valid=valid))

    thread = threading.Thread(target=later)
    thread.start()
    got = journal.wait_for(2, timeout=10, valid=True)
    thread.join()
    assert [r.valid for r in got] == [True, True]


def test_wait_for_times_out_with_what_arrived(journal: Journal) -> None:
    journal.append(record())
    with pytest.raises(TimeoutError, match=r"waited 0\.05s for 2 record") as info:
        journal.wait_for(2, timeout=0.05)
    assert isinstance(info.value, JournalTimeout)
    assert [r.id for r in info.value.records] == [1]


def test_pages(journal: Journal) -> None:
    for valid in (True, False, True, True, True):
        journal.append(record(valid=valid))
    pages = [journal.page(limit=2, since=since) for since in (0, 2, 4)]
    assert [[r.id for r in p.records] for p in pages] == [[1, 2], [3, 4], [5]]
    assert [p.next_cursor for p in pages] == [2, 4, None]
    valid = journal.page(valid=True, limit=2)
    assert ([r.id for r in valid.records], valid.next_cursor) == ([1, 3], 3)
    size = len(record().body)
    assert len(journal.page(max_bytes=2 * size).records) == 2
    assert len(journal.page(max_bytes=2 * size - 1).records) == 1
    assert len(journal.page(max_bytes=1).records) == 1  # the first always
    assert journal.page(since=5) == Page([], None)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"limit": 10}, [6, 5, 4, 3, 2, 1]),
        ({"limit": 2}, [6, 5]),
        ({"limit": 2, "before": 5}, [4, 3]),
        ({"limit": 10, "since": 4}, [6, 5]),
        ({"limit": 10, "since": 2, "before": 5}, [4, 3]),
        ({"limit": 10, "valid": False}, [5, 2]),
        ({"limit": 10, "run_id": RUN_B}, [6, 3]),
        ({"limit": 10, "job": "daily"}, [5, 3, 2, 1]),
        ({"limit": 10, "warned": True}, [5]),
        ({"limit": 10, "warned": False}, [6, 4, 3, 2, 1]),
        ({"limit": 10, "before": 1}, []),
    ],
)
def test_latest_lists_newest_first(
    journal: Journal, options: dict[str, Any], expected: list[int]
) -> None:
    warning = Violation(Kind.SPEC, "required", "no _producer", pointer="/y", level=Level.WARNING)
    for made in (
        record(),
        record(valid=False),
        record(run_id=RUN_B),
        record(job="other/weekly", run_id=None),
        record(valid=False),
        record(run_id=RUN_B, job="other/weekly"),
    ):
        journal.append(made)
    (fifth,) = [r for r in journal.records() if r.id == 5]
    if isinstance(journal, MemoryJournal):
        fifth.violations.append(warning)
    else:  # the row as the journal keeps it
        with journal.connection(write=True) as conn:
            conn.execute(
                "UPDATE records SET violations = ? WHERE id = 5",
                (orjson.dumps([v.to_dict() for v in [*fifth.violations, warning]]),),
            )
    assert [r.id for r in journal.latest(**options)] == expected


# -- memory ------------------------------------------------------------------------


def test_memory_journal_drops_the_oldest() -> None:
    journal = MemoryJournal(limit=3)
    for valid in (False, True, True, True, False):
        journal.append(record(valid=valid))
    assert [r.id for r in journal.records()] == [3, 4, 5]
    assert journal.dropped == 2
    assert (journal.tally(valid=True), journal.tally(valid=False)) == (2, 1)
    journal.clear()
    assert journal.dropped == 0


def test_memory_journal_is_bounded_in_bytes() -> None:
    size = len(record().body)
    journal = MemoryJournal(limit=100, max_bytes=3 * size)
    for valid in (False, True, True, True, False):
        journal.append(record(valid=valid))
    assert [r.id for r in journal.records()] == [3, 4, 5]
    assert journal.dropped == 2
    assert (journal.tally(valid=True), journal.tally(valid=False)) == (2, 1)
    big = Record("POST", "/", 200, True, body=b"x" * 10 * size)
    journal.append(big)  # bigger than the bound alone: kept, the others go
    assert journal.records() == [big] and journal.dropped == 5
    journal.clear()
    journal.append(record())
    assert journal.count == 1


def test_memory_journal_counts_exactly_under_threads() -> None:
    journal = MemoryJournal(limit=1000)

    def worker() -> None:
        for _ in range(250):
            journal.append(record())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert journal.count == 1000 and journal.dropped == 1000
    ids = [r.id for r in journal.records()]
    assert ids == list(range(1001, 2001))


def test_open_journal(tmp_path: Path) -> None:
    assert isinstance(open_journal(None, limit=5), MemoryJournal)
    assert open_journal(None, limit=5).limit == 5  # type: ignore[attr-defined]
    assert isinstance(open_journal(tmp_path / "j.db"), SqliteJournal)
    assert isinstance(open_journal(str(tmp_path / "k.db")), SqliteJournal)
    mine = MemoryJournal()
    assert open_journal(mine) is mine


# -- sqlite ------------------------------------------------------------------------


def test_sqlite_is_wal_and_committed_on_return(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    journal = SqliteJournal(path)
    sent = record()
    journal.append(sent)
    # Another process (as after a kill -9 of this one) sees the record at once.
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        assert pool.apply(_bodies, (str(path),)) == [sent.body]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT body FROM records").fetchall() == [(sent.body,)]


def _bodies(path: str) -> list[bytes]:
    with SqliteJournal(path) as journal:
        return [r.body for r in journal.records()]


def test_sqlite_records_of_a_killed_process_survive(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_append_and_die, args=(str(path), 40))
    worker.start()
    worker.join(60)
    assert worker.exitcode == -signal.SIGKILL
    assert len(list(tmp_path.glob("journal.db.*.log"))) == 1  # nothing moved it yet
    journal = SqliteJournal(path)  # a restart
    assert [r.id for r in journal.records()] == list(range(1, 41))
    assert list(tmp_path.glob("journal.db.*.log")) == []  # moved, then deleted


def _append_and_die(path: str, count: int) -> None:
    journal = SqliteJournal(path)
    for _ in range(count):
        journal.append(record())
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("count", [1, 3])
def test_sqlite_full_logs_are_sealed_and_moved(tmp_path: Path, count: int) -> None:
    journal = SqliteJournal(tmp_path / "journal.db", log_limit=1)  # every record fills a log
    for _ in range(count):
        journal.append(record())
    if journal._sealing is not None:
        journal._sealing.join(10)
    assert journal.count == count
    assert list(tmp_path.glob("journal.db.*.log")) == []


def test_sqlite_torn_end_of_a_dead_log_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    writer = SqliteJournal(path)
    writer.append(record())
    log_file = next(tmp_path.glob("journal.db.*.log"))
    writer._log.close()  # type: ignore[union-attr]  # as a kill -9 would
    with log_file.open("ab") as torn:
        torn.write(b"\xff\x00\x00\x00half a frame")  # a write the kill cut short
    assert len(SqliteJournal(path).records()) == 1
    assert not log_file.exists()


def test_sqlite_restart_carries_on(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    first = SqliteJournal(path)
    for _ in range(3):
        first.append(record())
    first.clear()
    first.append(record(run_id=RUN_B))
    first.close()
    second = SqliteJournal(path)
    assert [(r.id, r.run_id) for r in second.records()] == [(4, RUN_B)]
    second.append(record())
    assert [r.id for r in second.records()] == [4, 5]


def _append_many(path: str, count: int, valid: bool) -> None:
    journal = SqliteJournal(path)
    for _ in range(count):
        journal.append(record(valid=valid))
    journal.close()


def test_sqlite_shared_by_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "journal.db")
    SqliteJournal(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(path, 150, v)) for v in (True, False)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    journal = SqliteJournal(path)
    assert (journal.count, journal.tally(valid=True), journal.tally(valid=False)) == (300, 150, 150)
    assert sorted(r.id for r in journal.records()) == list(range(1, 301))


def _append_inherited(journal: SqliteJournal, count: int) -> None:
    for _ in range(count):
        journal.append(record())


def test_sqlite_survives_fork_after_use(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "journal.db")
    journal.append(record())  # the parent's pool now holds a connection
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_inherited, args=(journal, 100)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    journal.append(record())
    assert journal.count == 202
    assert len({r.id for r in journal.records()}) == 202


def test_sqlite_rotation_under_reads_loses_no_acknowledged_record(tmp_path: Path) -> None:
    # Logs rotate every few records while other threads read (each read moves
    # and seals logs): a log a reader took for sealed before its writer held it
    # was deleted under the writer, which went on acknowledging into it.
    path = tmp_path / "journal.db"
    journal = SqliteJournal(path, log_limit=4096)
    acknowledged: list[str] = []
    deadline = time.monotonic() + 2.0

    def write(worker: int) -> None:
        for n in range(100_000):
            if time.monotonic() > deadline:
                return
            run = f"{worker}-{n}"
            journal.append(record(run_id=run))
            acknowledged.append(run)

    def read() -> None:
        while time.monotonic() < deadline:
            journal.tally()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    live = {r.run_id for r in journal.records()}
    journal.close()
    with SqliteJournal(path) as again:
        kept = [r.run_id for r in again.records()]
    assert len(acknowledged) > 1000  # enough rotations to matter
    assert not set(acknowledged) - live, f"{len(set(acknowledged) - live)} lost"
    assert sorted(kept) == sorted(acknowledged)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/dev/null", "not a regular file"),
        (".", "not a regular file"),
        ("nope/journal.db", "unable to open database file"),
        ("garbage.db", "file is not a database"),
    ],
)
def test_sqlite_refuses_an_unusable_path(tmp_path: Path, name: str, reason: str) -> None:
    (tmp_path / "garbage.db").write_bytes(b"not a database" * 100)
    path = tmp_path / name
    with pytest.raises(LineageContractError, match=f"cannot open journal .*: {reason}"):
        SqliteJournal(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.db"]  # nothing made beside


class _FullDisk(SqliteJournal):
    """A journal whose database can grow no further, as on a full disk."""

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        conn.execute("PRAGMA max_page_count=12")
        return conn


def test_sqlite_full_disk_reports_the_first_error(tmp_path: Path) -> None:
    journal = _FullDisk(tmp_path / "journal.db")
    for _ in range(20):
        journal.append(Record("POST", "/", 200, True, body=b"x" * 30_000))
    # SQLite rolls the transaction back itself; a ROLLBACK after it must not hide why.
    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        journal.records()
    journal.close()
    assert len(list(tmp_path.glob("journal.db.*.log"))) == 1  # nothing lost: logged still
    with SqliteJournal(tmp_path / "journal.db") as roomy:  # as once space is freed
        assert len(roomy.records()) == 20


def test_an_element_of_a_batch_keeps_its_batch_and_index(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    # A journal file from before batches: the columns are added when it is opened.
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE records (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL,"
            " method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER, valid INTEGER NOT NULL,"
            " parsed INTEGER NOT NULL, violations BLOB NOT NULL, body BLOB NOT NULL,"
            " run_id TEXT, job TEXT)"
        )
    conn.close()
    journal = SqliteJournal(path)
    try:
        journal.append(
            Record("POST", "/lineage/batch", 204, True, [], b"{}", True, batch="b1", index=3)
        )
        journal.append(Record("POST", "/lineage", 200, True, [], b"{}", True))
        kept = [(r.batch, r.index) for r in journal.records()]
    finally:
        journal.close()
    assert kept == [("b1", 3), (None, None)]


# -- arrival order, headers, times --------------------------------------------------


def _arrived(journal: Journal, run_id: str, *, held: bool = False) -> tuple[Any, float]:
    at = time.time()
    return journal.arrive(at, held=held), at


def _answered(journal: Journal, place: Any, at: float, run_id: str) -> None:
    late = record(run_id=run_id)
    late.time, late.answered = at, time.time()
    journal.append(late, place)


def _follow(journal: Journal, cursor: int, seen: list[int]) -> int:
    """A client following the cursor: every page from ``cursor`` on; the new cursor."""
    while True:
        page = journal.page(since=cursor, limit=1)
        seen.extend(r.id for r in page.records)
        if page.records:
            cursor = page.records[-1].id
        if page.next_cursor is None:
            return cursor


def test_a_record_answered_late_is_listed_where_it_arrived_and_paged_once(
    journal: Journal,
) -> None:
    journal.append(record(run_id="first"))
    held, held_at = _arrived(journal, "held", held=True)
    fast, fast_at = _arrived(journal, "fast")
    _answered(journal, fast, fast_at, "fast")
    seen: list[int] = []
    cursor = _follow(journal, 0, seen)
    # Still held: no record yet, and the cursor stops before its place.
    assert [r.run_id for r in journal.records()] == ["first", "fast"]
    assert journal.tally() == 2 and journal.tally(valid=False) == 0
    assert [r.run_id for r in journal.latest(limit=5)] == ["fast", "first"]
    _answered(journal, held, held_at, "held")
    cursor = _follow(journal, cursor, seen)
    listed = journal.records()
    assert [r.run_id for r in listed] == ["first", "held", "fast"]
    assert [r.id for r in listed] == sorted(r.id for r in listed)
    assert sorted(seen) == [r.id for r in listed] and len(set(seen)) == len(seen)
    assert journal.settled() == listed[-1].id == cursor


def test_an_abandoned_place_stops_holding_the_cursor_back(journal: Journal) -> None:
    held, _ = _arrived(journal, "held", held=True)
    fast, at = _arrived(journal, "fast")
    _answered(journal, fast, at, "fast")
    assert journal.page().records == []
    journal.abandon(held)
    assert [r.run_id for r in journal.page().records] == ["fast"]


def test_a_held_place_outlives_a_clear(journal: Journal) -> None:
    held, at = _arrived(journal, "held", held=True)
    journal.clear()
    _answered(journal, held, at, "held")
    assert [r.run_id for r in journal.page().records] == ["held"]


def test_headers_and_answer_time_are_kept(journal: Journal) -> None:
    sent = record()
    sent.time, sent.answered = 1.25, 1.5
    sent.headers = (("Content-Encoding", "gzip"), ("Authorization", "Bearer [redacted]"))
    journal.append(sent)
    (kept,) = journal.records()
    assert kept.headers == sent.headers
    assert (kept.time, kept.answered) == (1.25, 1.5)
    data = orjson.loads(records_json([kept]))[0]
    assert data["time"] == "1970-01-01T00:00:01.250000Z"
    assert data["answered"] == "1970-01-01T00:00:01.500000Z"
    assert data["headers"] == [["Content-Encoding", "gzip"], ["Authorization", "Bearer [redacted]"]]


_OLD_SCHEMA = """
CREATE TABLE records (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, method TEXT NOT NULL,
    path TEXT NOT NULL, status INTEGER, valid INTEGER NOT NULL, parsed INTEGER NOT NULL,
    violations BLOB NOT NULL, body BLOB NOT NULL, run_id TEXT, job TEXT
);
CREATE TABLE logs (name TEXT PRIMARY KEY, offset INTEGER NOT NULL);
"""


def test_a_journal_written_before_headers_were_kept_still_reads(tmp_path: Path) -> None:
    from lineage_contract.mock._commit_log import HEADER

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(_OLD_SCHEMA)
        conn.execute(
            "INSERT INTO records (time, method, path, status, valid, parsed, violations, body,"
            " run_id, job) VALUES (2.0, 'POST', '/api/v1/lineage', 200, 1, 1, '[]', X'7B7D',"
            " 'r1', 'etl/daily')"
        )
    conn.close()
    # And a frame a process of the old version logged (eight metadata fields).
    meta = orjson.dumps([3.0, "POST", "/p", 200, True, True, "r2", None])
    payload = b"\n".join((meta, b"[]", b"{}"))
    frame = HEADER.pack(len(payload), zlib.crc32(payload)) + payload
    (tmp_path / "old.db.1-abcd.log").write_bytes(frame)
    with SqliteJournal(path) as journal:
        listed = journal.records()
        assert [(r.run_id, r.headers, r.answered) for r in listed] == [
            ("r1", (), None),
            ("r2", (), None),
        ]
        assert [r.id for r in journal.page().records] == [r.id for r in listed]


def test_sqlite_a_place_held_by_a_dead_process_is_given_up(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    SqliteJournal(path).close()
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_hold_and_die, args=(str(path),))
    worker.start()
    worker.join(30)
    with SqliteJournal(path) as journal:
        journal.append(record(run_id="after"))
        assert [r.run_id for r in journal.page().records] == ["after"]


def _hold_and_die(path: str) -> None:
    journal = SqliteJournal(path)
    journal.arrive(time.time(), held=True)
    os.kill(os.getpid(), signal.SIGKILL)
