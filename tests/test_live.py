"""The live views (mock/_live.py): ``GET /_lineage/runs`` and ``/_lineage/graph`` folded as
records arrive, always equal to a rebuild from the whole journal."""

from __future__ import annotations

import copy
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule
from werkzeug.test import Client

from lineage_contract import Contract, Validator
from lineage_contract.cli._report import record_items, write_report
from lineage_contract.mock import MockApp, Record, create_app
from lineage_contract.mock._console import lineage_views, record_entries

ROOT = Path(__file__).resolve().parents[1]
START = orjson.loads((ROOT / "fixtures" / "valid" / "start.json").read_bytes())
AUTH = {"Authorization": "Bearer t"}
JSON = {"Content-Type": "application/json"}
RUNS = [f"0190d3a4-6c1e-7b8a-9f3d-2e4c5a6b7c{n:02d}" for n in range(4)]


def event(kind: str, run: int, *, second: int = 0, reads: int | None = None) -> dict[str, Any]:
    made = copy.deepcopy(START)
    made["eventType"] = kind
    made["eventTime"] = f"2024-05-01T12:00:{second:02d}Z"
    made["run"] = {"runId": RUNS[run]}
    made["job"] = {"namespace": "etl", "name": f"job_{run % 2}"}
    if reads is not None:
        table = {"namespace": "postgres://db:5432", "name": f"shop.t{reads}"}
        facet = {"_producer": "https://example.com/p", "_schemaURL": "https://example.com/n"}
        made["inputs"] = [{**table, "facets": {"n": {**facet, "value": second}}}]
        made["outputs"] = [{"namespace": "s3://lake", "name": f"out{run}"}]
    return made


def get(client: Client, view: str) -> Any:
    answer = client.get(f"/_lineage/{view}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return orjson.loads(answer.get_data())


def post(client: Client, body: Any) -> int:
    return client.post("/api/v1/lineage", json=body, headers=AUTH).status_code


def rebuilt(app: MockApp) -> tuple[Any, Any]:
    """The views as a rebuild from the whole journal draws them, as JSON."""
    runs, graph = lineage_views(record_entries(app.journal.records()), app.contract)
    return orjson.loads(orjson.dumps(runs)), orjson.loads(orjson.dumps(graph))


def assert_live(app: MockApp, client: Client) -> None:
    runs, graph = rebuilt(app)
    assert get(client, "runs") == runs
    assert get(client, "graph") == graph
    assert app.lineage().runs.to_list() == runs  # the caller's own copy, the same views


@pytest.fixture
def app() -> Any:
    made = create_app()
    yield made
    made.close()


def test_views_follow_posts(app: MockApp) -> None:
    client = Client(app)
    for n, kind in enumerate(["START", "RUNNING", "COMPLETE", "START"]):
        assert post(client, event(kind, n // 3, second=n, reads=n % 2)) == 200
        assert_live(app, client)
    assert [(r["id"], r["state"]) for r in get(client, "runs")] == [
        (RUNS[0], "complete"),
        (RUNS[1], "open"),
    ]


@pytest.mark.parametrize(
    ("fault", "drawn"),
    [
        (None, True),
        ({"status": 503}, False),  # the endpoint did not take it: no lineage (graph included)
        ({"status": 202}, True),
    ],
)
def test_only_accepted_events_draw_lineage(
    app: MockApp, fault: dict[str, Any] | None, drawn: bool
) -> None:
    client = Client(app)
    if fault is not None:
        client.post("/_lineage/faults", json=fault)
    post(client, event("START", 0, reads=1))
    runs, graph = get(client, "runs"), get(client, "graph")
    assert bool(runs) is drawn
    assert {n["kind"] for n in graph["nodes"]} == ({"job", "dataset"} if drawn else set())
    assert (get(client, "runs"), get(client, "graph")) == rebuilt(app)


def test_an_invalid_events_findings_land_on_a_node_another_drew(app: MockApp) -> None:
    client = Client(app)
    post(client, event("START", 0))
    bad = event("COMPLETE", 0)
    del bad["eventTime"]
    assert post(client, bad) == 422
    (job,) = [n for n in get(client, "graph")["nodes"] if n["kind"] == "job"]
    assert job["findings"] == 1 and job["findingList"][0]["level"] == "error"
    assert [len(r["events"]) for r in get(client, "runs")] == [1]  # it drew no lineage


@pytest.mark.parametrize("journal", ["memory", "sqlite"])
def test_a_clear_resets_the_views(journal: str, tmp_path: Path) -> None:
    app = create_app(journal=None if journal == "memory" else tmp_path / "j.db")
    client = Client(app)
    try:
        post(client, event("START", 0, reads=0))
        assert get(client, "runs") and get(client, "graph")["nodes"]
        assert client.delete("/_lineage/events", headers=JSON).status_code == 204
        assert get(client, "runs") == []
        assert get(client, "graph")["nodes"] == []
        post(client, event("COMPLETE", 0))  # the run after the clear: it begins with COMPLETE
        (run,) = get(client, "runs")
        assert [f["keyword"] for f in run["findings"]] == ["start-first"]
        assert_live(app, client)
    finally:
        app.close()


def test_trimming_drops_the_oldest_from_the_views() -> None:
    app = create_app(journal_limit=3)
    client = Client(app)
    for run in range(4):
        post(client, event("START", run))
        assert_live(app, client)
    assert [r["id"] for r in get(client, "runs")] == RUNS[1:]
    app.close()


def test_a_delayed_request_lands_in_arrival_order() -> None:
    app = create_app()
    client = Client(app)
    client.post("/_lineage/faults", json={"delay": 0.5})
    delayed = threading.Thread(target=post, args=(Client(app), event("START", 0)))
    delayed.start()
    try:
        deadline = time.monotonic() + 5
        while app.journal.settled() != 0 and time.monotonic() < deadline:
            time.sleep(0.005)  # until the START has taken its place
        assert post(client, event("COMPLETE", 0, second=1)) == 200
        # Asked while the START is held: the COMPLETE alone, not folded ahead of it.
        (run,) = get(client, "runs")
        assert [e["type"] for e in run["events"]] == ["COMPLETE"]
    finally:
        delayed.join(10)
    (run,) = get(client, "runs")
    assert [(e["where"], e["type"]) for e in run["events"]] == [(1, "START"), (2, "COMPLETE")]
    assert run["findings"] == []
    assert_live(app, client)
    app.close()


def test_two_workers_on_one_sqlite_journal_share_the_views(tmp_path: Path) -> None:
    one, other = create_app(journal=tmp_path / "j.db"), create_app(journal=tmp_path / "j.db")
    first, second = Client(one), Client(other)
    try:
        post(first, event("START", 0))
        assert [r["state"] for r in get(second, "runs")] == ["open"]
        post(second, event("COMPLETE", 0, second=1))
        assert [r["state"] for r in get(first, "runs")] == ["complete"]
        assert get(first, "graph") == get(second, "graph")
        assert second.delete("/_lineage/events", headers=JSON).status_code == 204
        assert get(first, "runs") == [] and get(first, "graph")["nodes"] == []
        post(second, event("START", 1))
        assert [r["id"] for r in get(first, "runs")] == [RUNS[1]]
        assert_live(one, first)
    finally:
        one.close()
        other.close()


def test_the_report_of_a_journal_draws_what_the_mock_accepted(app: MockApp, tmp_path: Path) -> None:
    client = Client(app)
    post(client, event("START", 0, reads=0))
    client.post("/_lineage/faults", json={"status": 503})
    post(client, event("START", 1, reads=1))
    page = tmp_path / "report.html"
    write_report(page, record_items(app.records(), app.contract), app.contract, title="t")
    html = page.read_text()
    data = orjson.loads(html.split('id="lineage-data">')[1].split("</script>")[0])
    assert [r["id"] for r in data["runs"]] == [r["id"] for r in get(client, "runs")] == RUNS[:1]
    nodes = [n["id"] for n in data["graph"]["nodes"]]  # the report's runs have ended
    assert nodes == [n["id"] for n in get(client, "graph")["nodes"]]
    assert "dataset:postgres://db:5432/shop.t1" not in nodes


# -- any interleaving ------------------------------------------------------------------

CONTRACT = Contract.load()
VALIDATOR = Validator(CONTRACT)


def record(body: dict[str, Any]) -> Record:
    """What the mock records of a request it answered (for a place taken by hand)."""
    raw = orjson.dumps(body)
    report = VALIDATOR.check(raw)
    anatomy = CONTRACT.anatomy
    return Record(
        "POST",
        CONTRACT.path,
        200 if report.valid else 422,
        report.valid,
        violations=list(report.violations),
        body=raw,
        parsed=report.parsed,
        run_id=anatomy.run_of(report.event),
        job=anatomy.job_of(report.event),
    )


EVENTS = st.builds(
    event,
    st.sampled_from(["START", "RUNNING", "COMPLETE", "FAIL", "OTHER", "BOGUS"]),
    st.integers(0, len(RUNS) - 1),
    second=st.integers(0, 59),
    reads=st.none() | st.integers(0, 2),
)


class Interleavings(RuleBasedStateMachine):
    """Posts (some faulted or invalid), clears, delayed requests (a place taken by hand,
    filled or abandoned later) and trimming (a memory journal of 6): the live views always
    equal a rebuild from the whole journal."""

    places = Bundle("places")
    journal: Any = None

    def __init__(self) -> None:
        super().__init__()
        self.app = create_app(journal=self.journal, journal_limit=6)
        self.client = Client(self.app)

    @rule(body=EVENTS, fault=st.sampled_from([None, 503]))
    def post(self, body: dict[str, Any], fault: int | None) -> None:
        if fault is not None:
            self.client.post("/_lineage/faults", json={"status": fault})
        post(self.client, body)

    @rule()
    def clear(self) -> None:
        self.client.delete("/_lineage/events", headers=JSON)

    @rule(target=places)
    def hold(self) -> Any:
        return multiple(self.app.journal.arrive(time.time(), held=True))

    @rule(place=places, body=EVENTS, abandon=st.booleans())
    def land(self, place: Any, body: dict[str, Any], abandon: bool) -> None:
        if abandon:
            self.app.journal.abandon(place)
        else:
            self.app.journal.append(record(body), place)

    @invariant()
    def views_equal_a_rebuild(self) -> None:
        assert_live(self.app, self.client)

    def teardown(self) -> None:
        self.app.close()


@pytest.mark.parametrize("journal", ["memory", "sqlite"])
def test_any_interleaving(journal: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    class Machine(Interleavings):
        def __init__(self) -> None:
            if journal == "sqlite":
                self.journal = tmp_path_factory.mktemp("live") / "j.db"
            super().__init__()

    Machine.TestCase.settings = settings(
        max_examples=60,
        stateful_step_count=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    Machine.TestCase().runTest()
