"""The pytest plugin, exercised by running small test files with pytester."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lineage_contract import Contract
from lineage_contract.pytest_plugin import LineageServer

ROOT_DIR = Path(__file__).resolve().parents[1]

EVENT = """
import uuid

def event(**overrides):
    base = {
        "eventType": "START",
        "eventTime": "2024-05-01T12:00:00.000Z",
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "ns", "name": "job"},
    }
    base.update(overrides)
    return base
"""


def write(pytester: pytest.Pytester, body: str, name: str = "test_it") -> None:
    pytester.makepyfile(**{name: EVENT + textwrap.dedent(body)})


def test_a_real_openlineage_client_built_from_the_environment(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import os
        from datetime import datetime, timezone
        from openlineage.client import OpenLineageClient
        from openlineage.client.event_v2 import Job, Run, RunEvent, RunState

        BEFORE = {k: v for k, v in os.environ.items() if k.startswith("OPENLINEAGE")}

        def test_emit(openlineage_env):
            assert os.environ["OPENLINEAGE_URL"] == openlineage_env.url
            assert os.environ["OPENLINEAGE_ENDPOINT"] == "/api/v1/lineage"
            assert os.environ["OPENLINEAGE_API_KEY"] == openlineage_env.token
            client = OpenLineageClient()
            run = Run(runId="0196a1c6-1b1a-7c2e-8f5a-6a2b3c4d5e6f")
            for state in (RunState.START, RunState.COMPLETE):
                client.emit(RunEvent(
                    eventType=state, eventTime=datetime.now(timezone.utc).isoformat(),
                    run=run, job=Job(namespace="ns", name="job"),
                    producer="https://example.com/producer",
                ))
            openlineage_env.assert_run_lifecycle(run.runId)
            openlineage_env.assert_received({"eventType": "COMPLETE", "job": {"name": "job"}})
            assert all(r.valid for r in openlineage_env.records)

        def test_environment_restored_afterwards():
            # openlineage-python adds OPENLINEAGE__TRANSPORT__... variables: gone too.
            assert {k: v for k, v in os.environ.items() if k.startswith("OPENLINEAGE")} == BEFORE
        """,
    )
    # A project's own openlineage.yml must not divert the client from the mock.
    pytester.makefile(".yml", openlineage="transport:\n  type: console\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2)


def test_an_invalid_event_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_sends_a_bad_run_id(lineage_server):
            status, _ = lineage_server.post(event(run={"runId": "42"}, eventTime="noon"))
            assert status == 422
        """,
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_sends_a_bad_run_id*",
            "lineage_server received 1 request(s) that broke the contract "
            "(POST /api/v1/lineage) during this test:",
            "  request #1 POST /api/v1/lineage -> 422 at *Z",
            '    /eventTime  format  "noon" is not a valid date-time: *',
            '    /run/runId  format  "42" is not a valid uuid: *',
            "Read them (lineage_server.invalid or .records) to assert on them, "
            "or mark the test @pytest.mark.lineage(allow_invalid=True).",
        ]
    )


READING = {
    "nothing": ("pass", False),
    "events": ("lineage_server.events", False),
    "invalid": ("lineage_server.invalid", True),
    "records": ("lineage_server.records", True),
    "matched_invalid": ("lineage_server.assert_received({'eventTime': 'noon'}, valid=False)", True),
    "matched_any": ("lineage_server.assert_received({'eventTime': 'noon'}, valid=None)", True),
}


def test_reading_the_invalid_records_satisfies_strict_mode(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        "".join(
            f"""
def test_{name}(lineage_server):
    lineage_server.post(event(eventTime="noon"))
    {how}
"""
            for name, (how, _) in READING.items()
        ),
    )
    recorder = pytester.inline_run()
    failed_teardown = {
        report.nodeid.rsplit("test_", 1)[1]
        for report in recorder.getreports("pytest_runtest_logreport")
        if report.when == "teardown" and report.failed
    }
    assert failed_teardown == {name for name, (_, passes) in READING.items() if not passes}
    calls = [r for r in recorder.getreports("pytest_runtest_logreport") if r.when == "call"]
    assert len(calls) == len(READING) and all(r.passed for r in calls)


def test_only_the_records_read_are_excused(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_reads_one(lineage_server):
            lineage_server.post(event(eventTime="noon"))
            lineage_server.invalid
            lineage_server.post(event(eventTime="midnight"))
        """,
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*1 request(s) that broke the contract*", "*request #2*"])
    result.stdout.no_fnmatch_line("*request #1 *")


def test_the_marker_allows_invalid_requests(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import pytest

        @pytest.mark.lineage(allow_invalid=True)
        def test_allowed(lineage_server):
            assert lineage_server.post(b"{")[0] == 400
            assert lineage_server.post(event(), headers={"Authorization": "Bearer x"})[0] == 401

        pytestmark = pytest.mark.lineage(allow_invalid=False)

        def test_module_marker_still_strict(lineage_server):
            lineage_server.post(b"{")
        """,
    )
    result = pytester.runpytest_inprocess("--strict-markers")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_module_marker_still_strict*"])


def test_a_failing_test_gets_no_teardown_error_on_top(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_fails(lineage_server):
            lineage_server.post(event(eventTime="noon"))
            raise RuntimeError("the test's own failure")
        """,
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1, errors=0)
    result.stdout.fnmatch_lines(["*RuntimeError: the test's own failure*"])
    result.stdout.no_fnmatch_line("*broke the contract*")


def test_assert_received_mismatch_shows_the_closest_event(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_mismatch(lineage_server):
            lineage_server.post(event(job={"namespace": "ns", "name": "other"}))
            lineage_server.post(event(eventType="COMPLETE", job={"namespace": "n", "name": "jobb"}))
            lineage_server.post(event(eventTime="noon"))
            lineage_server.assert_received({"eventType": "COMPLETE", "job": {"name": "job"}})
        """,
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: expected a matching event, none matches (2 event(s) received).",
            "E *Closest: event #1, 1 difference(s):",
            'E *  /job/name: expected "job", got "jobb"',
            "E *event #1:",
            "E *{",
            '*"eventType": "COMPLETE",',
            "E *(1 other request(s) that broke the contract were not looked at: "
            "pass valid=False or valid=None to match them)",
        ]
    )
    # The failure points at the test's line, not into the plugin.
    result.stdout.no_fnmatch_line("*pytest_plugin.py*")


def test_each_test_starts_with_a_clear_server(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_first(lineage_server):
            lineage_server.post(event())
            lineage_server.faults.fail_next(500, times=5)
            lineage_server.faults.delay_next(30)

        def test_second(lineage_server):
            assert lineage_server.events == []
            assert lineage_server.post(event())[0] == 200
            assert len(lineage_server.wait_for(1, timeout=2)) == 1
        """,
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2)


def test_faults_and_lifecycle(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import pytest

        def test_faults(lineage_server):
            lineage_server.faults.fail_next(503, times=2)
            assert [lineage_server.post(event())[0] for _ in range(3)] == [503, 503, 200]
            assert len(lineage_server.events) == 1

        def test_wait_for_times_out(lineage_server):
            with pytest.raises(TimeoutError):
                lineage_server.wait_for(1, timeout=0.05)

        def test_lifecycle(lineage_server):
            run = {"runId": "0196a1c6-1b1a-7c2e-8f5a-6a2b3c4d5e6f"}
            lineage_server.post(event(run=run, eventTime="2024-05-01T12:00:01Z"))
            lineage_server.post(event(run=run, eventType="COMPLETE"))
            lineage_server.assert_run_lifecycle(run["runId"])
        """,
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: run 0196a1c6-* does not follow the lifecycle:",
            "E *- #1 /eventTime goes back in time from #0",
        ]
    )


def test_contract_and_validator_fixtures_follow_lineage_spec(
    pytester: pytest.Pytester,
) -> None:
    document = json.loads(Path(Contract.load().source).read_text())
    document["paths"] = {"/v2/events": document["paths"]["/api/v1/lineage"]}
    pytester.makefile(".json", spec=json.dumps(document))
    write(
        pytester,
        """
        from pathlib import Path

        def test_spec(lineage_contract, lineage_validator, lineage_server):
            assert Path(lineage_contract.source).name == "spec.json"
            assert lineage_validator.contract is lineage_contract
            assert lineage_server.endpoint.endswith("/v2/events")
            assert lineage_server.post(event())[0] == 200
        """,
    )
    pytester.runpytest_inprocess("--lineage-spec", "spec.json").assert_outcomes(passed=1)
    # The ini option, relative to the ini file.
    pytester.makeini("[pytest]\nlineage_spec = spec.json\n")
    sub = pytester.mkdir("sub")
    result = pytester.runpytest_inprocess(str(sub.parent / "test_it.py"))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["lineage-contract: spec */spec.json"])


@pytest.mark.parametrize("where", ["option", "ini"])
def test_lineage_spec_takes_a_profile_name(pytester: pytest.Pytester, where: str) -> None:
    write(
        pytester,
        """
        from pathlib import Path

        def test_marquez(lineage_contract, lineage_server):
            assert Path(lineage_contract.source).name == "marquez.json"
            assert lineage_server.post(event())[0] == 201
            assert lineage_server.records[0].valid
        """,
    )
    if where == "ini":
        pytester.makeini("[pytest]\nlineage_spec = marquez\n")
        result = pytester.runpytest_inprocess()
    else:
        result = pytester.runpytest_inprocess("--lineage-spec", "marquez")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["lineage-contract: spec */marquez.json"])


def test_the_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.lineage(allow_invalid=False, fail_on=None):*"])


def test_a_misused_marker_is_reported(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import pytest

        @pytest.mark.lineage(strict=False)
        def test_it(lineage_server):
            pass
        """,
    )
    result = pytester.runpytest_inprocess()
    result.stdout.fnmatch_lines(["*lineage takes only allow_invalid=True|False and fail_on*"])


def test_importing_the_plugin_starts_and_imports_nothing_heavy() -> None:
    code = (
        "import sys, threading, lineage_contract.pytest_plugin\n"
        "heavy = {'hypothesis', 'lineage_contract.mock', 'lineage_contract.strategies',"
        " 'werkzeug.serving'}\n"
        "print(sorted(heavy & set(sys.modules)), threading.active_count())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[] 1"


def test_a_session_without_the_fixtures_starts_no_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
        import threading

        def test_plain():
            assert not [t for t in threading.enumerate() if t.name.startswith("lineage-mock")]
        """
    )
    # A subprocess: in-process, the outer session's own server thread would be seen.
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_one_server_per_xdist_worker(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import os
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_port(lineage_server, n, tmp_path_factory):
            assert lineage_server.post(event())[0] == 200
            assert len(lineage_server.events) == 1
            worker = os.environ["PYTEST_XDIST_WORKER"]
            out = tmp_path_factory.getbasetemp().parent / f"port-{worker}-{n}"
            out.write_text(str(lineage_server.port))
        """,
    )
    # Unrelated heavy plugins left out of the workers: only start-up time.
    result = pytester.runpytest_subprocess(
        "-n", "2", "-p", "no:schemathesis", "-p", "no:anyio", timeout=120
    )
    result.assert_outcomes(passed=4)
    files = list(pytester.path.glob("**/port-*")) or list(Path(pytester.path).glob("**/port-*"))
    ports = {f.name.split("-")[1]: set() for f in files}
    for f in files:
        ports[f.name.split("-")[1]].add(f.read_text())
    assert len(ports) == 2, files
    per_worker = [next(iter(p)) for p in ports.values() if len(p) == 1]
    assert len(per_worker) == 2 and per_worker[0] != per_worker[1]


def test_the_handle_is_exported() -> None:
    assert LineageServer.__doc__


def test_a_property_test_posting_generated_events(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_prop="""
        from hypothesis import HealthCheck, given, settings
        from lineage_contract.strategies import valid_events

        @settings(max_examples=5, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        # A START: a run that begins otherwise breaks its lifecycle for good.
        @given(event=valid_events(event_type="START"))
        def test_accepted(lineage_server, event):
            lineage_server.clear()  # examples may draw the same run twice
            assert lineage_server.post(event)[0] == 200

        def test_all_were_received(lineage_server):
            assert lineage_server.events == []  # cleared between tests, not between examples
        """
    )
    result = pytester.runpytest_inprocess("-W", "ignore::hypothesis.errors.HypothesisWarning")
    result.assert_outcomes(passed=2)


def test_the_strategies_fixture_without_hypothesis(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import sys\nsys.modules['hypothesis'] = None\n")
    pytester.makepyfile(
        test_no_hypothesis="""
        def test_strategies(lineage_strategies):
            pass

        def test_server_still_works(lineage_server):
            assert lineage_server.events == []
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:hypothesispytest", "-p", "no:schemathesis")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.no_fnmatch_line("*During handling*")
    result.stdout.fnmatch_lines(
        ["lineage_strategies needs Hypothesis: pip install 'lineage-contract[[]hypothesis[]]'"]
    )


def test_server_options_and_an_api_key_contract(pytester: pytest.Pytester) -> None:
    document = json.loads(Path(Contract.load().source).read_text())
    document["components"]["securitySchemes"] = {
        "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    }
    document["security"] = [{"key": []}]
    pytester.makefile(".json", spec=json.dumps(document))
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def lineage_server_options():
            return {"invalid_status": 400, "tokens": ["s3cret"]}
        """
    )
    write(
        pytester,
        """
        import pytest

        @pytest.mark.lineage(allow_invalid=True)
        def test_options(lineage_server):
            assert lineage_server.token == "s3cret"
            assert lineage_server.headers["X-Api-Key"] == "s3cret"
            assert lineage_server.post(event())[0] == 200
            assert lineage_server.post(event(eventTime="noon"))[0] == 400
            assert lineage_server.post(event(), headers={"X-Api-Key": "guess"})[0] == 401
        """,
    )
    pytester.runpytest_inprocess("--lineage-spec", "spec.json").assert_outcomes(passed=1)


WARNED = """
import pytest
from lineage_contract.mock import Record
from lineage_contract.validation import Kind, Level, Violation

def warned(lineage_server):
    # A valid request with a warning, as the OpenLineage conformance checks record one.
    finding = Violation(Kind.SPEC, "type", "not a number", pointer="/x", level=Level.WARNING)
    lineage_server.server.journal.append(
        Record(method="POST", path="/api/v1/lineage", status=200, valid=True,
               violations=[finding])
    )
"""


@pytest.mark.parametrize(
    ("ini", "marker", "outcome"),
    [
        ("", "", "passed"),
        ("lineage_fail_on = warning", "", "errors"),
        ("", "@pytest.mark.lineage(fail_on='warning')", "errors"),
        ("lineage_fail_on = warning", "@pytest.mark.lineage(fail_on='error')", "passed"),
        ("lineage_fail_on = warning", "@pytest.mark.lineage(allow_invalid=True)", "passed"),
    ],
)
def test_warnings_fail_a_test_only_when_asked(
    pytester: pytest.Pytester, ini: str, marker: str, outcome: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(
        test_it=WARNED + f"\n{marker}\ndef test_it(lineage_server):\n    warned(lineage_server)\n"
    )
    result = pytester.runpytest_inprocess()
    # A teardown failure: the test passed, its teardown errored.
    result.assert_outcomes(passed=1, errors=int(outcome == "errors"))
    if outcome == "errors":
        result.stdout.fnmatch_lines(["*/x*type*not a number*"])


def test_runs_graph_and_assert_lineage(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_it="""
        import json, pathlib, pytest

        EVENT = json.loads(pathlib.Path("EVENT_PATH").read_text())

        def send(server, kind):
            event = {**EVENT, "eventType": kind,
                     "inputs": [{"namespace": "postgres://db:5432", "name": "public.orders"}],
                     "outputs": [{"namespace": "s3://lake", "name": "orders"}]}
            assert server.post(event)[0] == 200

        def test_it(lineage_server):
            send(lineage_server, "START")
            send(lineage_server, "COMPLETE")
            (run,) = lineage_server.runs
            assert run["state"] == "complete"
            assert len(lineage_server.graph["edges"]) == 2
            lineage_server.assert_lineage(
                job="daily_orders", inputs=["postgres://db:5432/public.orders"],
                outputs=["s3://lake/orders"],
            )
            with pytest.raises(AssertionError, match="missing .'s3://lake/other'"):
                lineage_server.assert_lineage(job="daily_orders", outputs=["s3://lake/other"])
            with pytest.raises(AssertionError, match="no job 'nope'"):
                lineage_server.assert_lineage(job="nope")
        """.replace("EVENT_PATH", str(ROOT_DIR / "fixtures" / "valid" / "start.json"))
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("kinds", "marker", "outcome"),
    [
        (["START", "COMPLETE"], "", "passed"),
        (["START"], "", "passed"),  # open: its end may still come
        (["START", "COMPLETE", "COMPLETE"], "", "errors"),  # a second terminal event
        (["COMPLETE"], "", "errors"),  # no START
        (["COMPLETE"], "@pytest.mark.lineage(allow_invalid=True)", "passed"),
    ],
)
def test_a_lifecycle_broken_for_good_fails_at_teardown(
    pytester: pytest.Pytester, kinds: list[str], marker: str, outcome: str
) -> None:
    start = str(ROOT_DIR / "fixtures" / "valid" / "start.json")
    pytester.makepyfile(
        test_it=f"""
        import json, pathlib, pytest

        EVENT = json.loads(pathlib.Path({start!r}).read_text())

        {marker}
        def test_it(lineage_server):
            for kind in {kinds!r}:
                assert lineage_server.post({{**EVENT, "eventType": kind}})[0] == 200
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1, errors=int(outcome == "errors"))
    if outcome == "errors":
        result.stdout.fnmatch_lines(["*no later event can mend*"])


def test_records_keep_arrival_order_headers_and_times(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        import gzip, json, threading, time

        def test_order(lineage_server):
            lineage_server.faults.delay_next(0.5)
            first, second = event(), event()
            slow = threading.Thread(target=lineage_server.post, args=(first,))
            slow.start()
            while lineage_server.faults.pending:  # the first has taken its delay
                time.sleep(0.005)
            body = gzip.compress(json.dumps(second).encode())
            assert lineage_server.post(body, headers={"Content-Encoding": "gzip"})[0] == 200
            slow.join(10)
            records = lineage_server.records
            assert [r.run_id for r in records] == [first["run"]["runId"], second["run"]["runId"]]
            assert records[0].answered > records[1].time > records[0].time
            sent = dict(records[1].headers)
            assert sent["Content-Encoding"] == "gzip"
            assert sent["Authorization"] == "Bearer [redacted]"
            assert lineage_server.token not in repr([r.to_dict() for r in records])
        """,
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_the_plugin_serves_every_operation_of_openlineage_yml(pytester: pytest.Pytester) -> None:
    spec = Path(__file__).resolve().parents[2] / "shared/corpus/openlineage-spec/OpenLineage.yml"
    pytester.makeini(f"[pytest]\nlineage_spec = {spec}\n")
    write(
        pytester,
        """
        def test_batch(lineage_server):
            assert lineage_server.endpoint.endswith("/lineage")
            assert lineage_server.batch_url == lineage_server.url + "/lineage/batch"
            assert set(lineage_server.urls) == {"postRunEvent", "postEventBatch"}
            assert lineage_server.post(event())[0] == 200
            good = event()
            bad = {**event(), "eventTime": "yesterday"}
            status, answer = lineage_server.post([good, bad], operation="postEventBatch")
            assert status == 200, answer
            assert [f["index"] for f in answer["failed_events"]] == [1]
            assert [r.index for r in lineage_server.records] == [None, 0, 1]
            assert lineage_server.post([event()], operation="/lineage/batch") == (204, None)
        """,
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
