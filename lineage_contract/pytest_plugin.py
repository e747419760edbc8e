"""pytest plugin: the contract, its validator, a live mock server and the strategies as fixtures.

Installed with the kit (``pytest11`` entry point), so there is nothing to
configure. Importing it starts nothing and imports neither Hypothesis nor the
server: a fixture does that when a test asks for it.

Fixtures:

``lineage_server``
    A mock of the lineage endpoint on 127.0.0.1 and an ephemeral port, started
    once per session (per xdist worker) and cleared before each test. See
    :class:`LineageServer`.
``openlineage_env``
    Points ``OPENLINEAGE_URL``, ``OPENLINEAGE_ENDPOINT``, ``OPENLINEAGE_API_KEY``
    (and ``OPENLINEAGE_CONFIG``) at ``lineage_server`` for the test; gives the server.
``lineage_contract``, ``lineage_validator``
    The loaded :class:`~lineage_contract.Contract` and its
    :class:`~lineage_contract.Validator` (session scope).
``lineage_strategies``
    The Hypothesis strategies bound to that contract (needs Hypothesis).
``lineage_server_options``
    Session fixture returning extra options for the mock (``invalid_status``,
    ``max_body_size``, ...); override it in a ``conftest.py`` to change them.

``--lineage-spec PATH`` (or the ``lineage_spec`` ini option, relative to the
ini file) points all of them at another OpenAPI document.

Strict by default: a request that broke the contract during a test fails that
test at teardown, listing each violation, unless the test *read* it or is
marked ``@pytest.mark.lineage(allow_invalid=True)``. A test reads a record when
the server hands it over: through :attr:`LineageServer.records`,
:attr:`LineageServer.invalid`, or as a match returned by
:meth:`LineageServer.assert_received` with ``valid=False`` or ``valid=None``.
When the test itself failed, nothing is added on top of its own failure.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .contract import Contract
    from .mock import Faults, MockServer, Record
    from .validation import Validator

SPEC_OPTION = "lineage_spec"
SCHEMAS_OPTION = "lineage_schemas"
MARKER = "lineage"
FAIL_ON_OPTION = "lineage_fail_on"
_FAIL_ON = ("error", "warning")
_ENV_PREFIX = "OPENLINEAGE"
_CALL_PASSED = pytest.StashKey[bool]()
_ANY_TOKEN = "lineage-contract-test-token"


# -- configuration ------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lineage-contract", "OpenLineage contract testing")
    group.addoption(
        "--lineage-spec",
        dest=SPEC_OPTION,
        metavar="PATH|PROFILE",
        default=None,
        help="OpenAPI document of the lineage contract, or a profile: oleander (the default) "
        "or marquez",
    )
    parser.addini(
        SPEC_OPTION,
        "OpenAPI document of the lineage contract, relative to the ini file, or a profile: "
        "oleander (the default) or marquez",
        default="",
    )
    parser.addini(
        SCHEMAS_OPTION,
        "a mirror of https://openlineage.io/spec/, relative to the ini file: the mock also "
        "checks every event against the OpenLineage schemas, offline",
        default="",
    )
    parser.addini(
        FAIL_ON_OPTION,
        "what fails a test at teardown: error (a broken contract, the default) or warning "
        "(also a broken OpenLineage specification or a rule across events)",
        default="error",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(allow_invalid=False, fail_on=None): allow_invalid=True lets the test send "
        "requests that break the lineage contract, or runs whose lifecycle breaks for good, "
        "without failing at teardown; "
        "fail_on='warning' fails it on warnings too ('error' only on errors)",
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    path = spec_path(config)
    return f"lineage-contract: spec {path}" if path is not None else None


def spec_path(config: pytest.Config) -> Path | None:
    """The contract document asked for: the command line first, then the ini file.

    Either may name a profile (``oleander``, ``marquez``) instead of a file.
    """
    from .contract import PROFILES, profile_path

    given = config.getoption(SPEC_OPTION) or None
    if given in PROFILES:
        return profile_path(given)
    if given:
        path = Path(given)
        return path if path.is_absolute() else config.invocation_params.dir / path
    named = str(config.getini(SPEC_OPTION) or "")
    return profile_path(named) if named in PROFILES else _ini_path(config, SPEC_OPTION)


def _ini_path(config: pytest.Config, name: str) -> Path | None:
    """An ini option's path, relative to the ini file."""
    value = str(config.getini(name) or "")
    if not value:
        return None
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    path = Path(value)
    return path if path.is_absolute() else base / path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # The teardown check must not pile an error on top of the test's own failure.
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


# -- contract and validator ----------------------------------------------------


@pytest.fixture(scope="session")
def lineage_contract(pytestconfig: pytest.Config) -> Contract:
    """The contract the session tests against (``--lineage-spec`` or the bundled one);
    its ``$ref`` s to published OpenLineage schemas read the ``lineage_schemas`` mirror."""
    from .contract import Contract

    mirror = _ini_path(pytestconfig, SCHEMAS_OPTION)
    return Contract.load(spec_path(pytestconfig), mirror=mirror)


@pytest.fixture(scope="session")
def lineage_validator(lineage_contract: Contract) -> Validator:
    from .validation import Validator

    return Validator(lineage_contract)


# -- the mock server -----------------------------------------------------------


@pytest.fixture(scope="session")
def lineage_server_options() -> dict[str, Any]:
    """Extra :func:`~lineage_contract.mock._app.create_app` options; override to change them."""
    return {}


@pytest.fixture(scope="session")
def lineage_session_server(
    request: pytest.FixtureRequest,
    lineage_contract: Contract,
    lineage_server_options: dict[str, Any],
) -> Iterator[MockServer]:
    """The running mock, one per session (per xdist worker: port 0, so no clash).

    With a mirror of the OpenLineage schemas (the ``lineage_schemas`` ini option,
    relative to the ini file, or ``LINEAGE_CONTRACT_SCHEMAS``) it also checks every
    event against them, offline: a test suite never fetches a schema.
    """
    from .mock import MockServer
    from .spec import Settings, mirror_from_env

    mirror = _ini_path(request.config, SCHEMAS_OPTION) or mirror_from_env()
    options: dict[str, Any] = {"tokens": (secrets.token_urlsafe(24),)}
    if mirror is not None:
        options["conformance"] = Settings(str(mirror), offline=True).event_check(lineage_contract)
    options.update(lineage_server_options)
    server = MockServer(host="127.0.0.1", port=0, contract=lineage_contract, **options)
    server.start()
    try:
        yield server
    finally:
        server.close()


class LineageServer:
    """The ``lineage_server`` fixture: the session's mock, seen from one test.

    ``url`` is the base URL, ``endpoint`` the lineage operation's full URL and
    ``token`` a bearer token the mock accepts (``headers`` carries it). The mock
    serves every operation of the document: ``urls`` maps each operationId to its
    full URL, and ``batch_url`` is the batch operation's (None without one).
    """

    def __init__(self, server: MockServer, token: str) -> None:
        self.server = server
        self.token = token
        self._read: set[int] = set()

    # -- where and how to reach it --

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    @property
    def path(self) -> str:
        """The lineage path, relative to :attr:`url`."""
        return self.server.endpoint[len(self.server.url) :]

    @property
    def urls(self) -> dict[str, str]:
        """The full URL of each operation of the document, by ``operation_id``."""
        return {op.operation_id: self.url + op.path for op in self.contract.operations}

    @property
    def batch_url(self) -> str | None:
        """The full URL of the document's batch operation, if it has one."""
        batch = self.contract.batch_operation
        return self.url + batch.path if batch is not None else None

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def contract(self) -> Contract:
        return self.server.contract

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization`` and ``Content-Type`` for a request the mock will accept."""
        return {
            "Content-Type": self.contract.json_media_type,
            **self.server.app.credentials.headers(self.token),
        }

    # -- what it received --

    @property
    def events(self) -> list[Any]:
        """The events accepted (valid and answered with success), parsed, in order."""
        return self.server.events()

    @property
    def records(self) -> list[Record]:
        """Every request received, with its verdict; reading them counts as reading the invalid."""
        return self._hand_over(self.server.records())

    @property
    def invalid(self) -> list[Record]:
        """The requests that broke the contract; reading them lets the test pass strict mode."""
        return self._hand_over(self.server.records(valid=False))

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Any]:
        """Wait until ``count`` requests arrived (whatever their verdict); return :attr:`events`.

        Raises :class:`TimeoutError` listing what arrived when ``timeout`` passes first.
        """
        self.server.wait_for(count, timeout)
        return self.events

    def clear(self) -> None:
        """Forget what was received and the faults queued (done before each test)."""
        self.server.clear()
        self._read.clear()

    @property
    def faults(self) -> Faults:
        """The mock's faults: ``faults.fail_next(503, times=2)``, ``delay_next``, ``drop_next``."""
        return self.server.faults

    # -- sending --

    def post(
        self,
        payload: Any,
        *,
        headers: Mapping[str, str] | None = None,
        operation: str | None = None,
    ) -> tuple[int, Any]:
        """POST ``payload`` (JSON-encoded unless bytes) with the token; return (status, body).

        ``operation`` sends it to another operation of the document (an operationId,
        a path or ``"METHOD /path"``: ``post(events, operation="postEventBatch")``).
        """
        from .validation._payload import PayloadError, parse_json

        target = self.contract.operation_named(operation) if operation else self.contract
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.url + target.path if operation else self.endpoint,
            data=data,
            method=target.method,
            headers={**self.headers, **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, parse_json(raw) if raw else None
        except PayloadError:
            return status, raw.decode("utf-8", "replace")

    # -- assertions --

    def assert_received(
        self,
        expected: Any,
        *,
        count: int | None = None,
        ordered: bool = True,
        valid: bool | None = True,
        timeout: float = 0.0,
    ) -> list[Any]:
        """Fail unless ``count`` received events (default: at least one) match ``expected``.

        Partial matching (see :mod:`lineage_contract.testing._assertions`): only the keys in
        ``expected`` are compared; placeholders and patterns allowed. ``valid``
        picks the events looked at: accepted ones (True, the default), those that
        broke the contract (False) or both (None; matched invalid ones count as
        read). ``timeout`` keeps trying that long, for clients that send later.
        Returns the matching events; on failure shows the closest one, key by key.
        """
        from .testing._assertions import assert_received

        __tracebackhide__ = True
        deadline = time.monotonic() + timeout
        while True:
            records = self._candidates(valid)
            events = [r.event for r in records]
            try:
                matched = assert_received(expected, events, count=count, ordered=ordered)
            except AssertionError as failure:
                if time.monotonic() < deadline:
                    time.sleep(0.02)
                    continue
                raise AssertionError(f"{failure}{self._not_looked_at(valid)}") from None
            picked = {id(e) for e in matched}
            self._hand_over([r for r, e in zip(records, events, strict=True) if id(e) in picked])
            return matched

    def _not_looked_at(self, valid: bool | None) -> str:
        if valid is None:
            return ""
        other = self.server.records(valid=not valid)
        if valid is False:
            other = [r for r in other if r.accepted]
        if not other:
            return ""
        kind = "that broke the contract" if valid else "accepted"
        return (
            f"\n({len(other)} other request(s) {kind} were not looked at: "
            f"pass valid={not valid} or valid=None to match them)"
        )

    def assert_run_lifecycle(self, run_id: str) -> list[Any]:
        """Fail unless run ``run_id`` went START, RUNNING/OTHER..., then one COMPLETE/FAIL/ABORT.

        Event time must never go back. Where type, run id and time live is read
        from the contract. Returns the run's events.
        """
        from .testing._assertions import assert_run_lifecycle

        __tracebackhide__ = True
        return assert_run_lifecycle(self.events, run_id, contract=self.contract)

    @property
    def runs(self) -> list[dict[str, Any]]:
        """Each run of the accepted events: state, duration, parent, events, findings."""
        return self.server.app.live.view(lambda views: views.runs())

    @property
    def graph(self) -> dict[str, Any]:
        """The lineage graph the accepted events draw: ``nodes``, ``edges``, ``columns``."""
        return self.server.app.live.view(lambda views: views.lineage.graph.to_dict())

    def assert_lineage(
        self,
        *,
        job: str,
        inputs: Sequence[str] = (),
        outputs: Sequence[str] = (),
    ) -> None:
        """Fail unless job ``job`` (``namespace/name`` or a bare name) reads at least
        ``inputs`` and writes at least ``outputs`` (datasets as ``namespace/name``)."""
        __tracebackhide__ = True
        graph = self.graph
        nodes = {n["id"]: n for n in graph["nodes"]}

        def label(node_id: str) -> str:
            return f"{nodes[node_id]['namespace']}/{nodes[node_id]['name']}"

        jobs = [i for i, n in nodes.items() if n["kind"] == "job" and job in (label(i), n["name"])]
        if not jobs:
            seen = sorted(label(i) for i, n in nodes.items() if n["kind"] == "job")
            raise AssertionError(f"no job {job!r} in the lineage; jobs seen: {seen}")
        edges = graph["edges"]
        read = sorted(label(e["source"]) for e in edges if e["target"] == jobs[0])
        written = sorted(label(e["target"]) for e in edges if e["source"] == jobs[0])
        lines = [
            f"  {what}: expected at least {list(wanted)}, got {got} (missing {missing})"
            for what, wanted, got in (("inputs", inputs, read), ("outputs", outputs, written))
            if (missing := [d for d in wanted if d not in got])
        ]
        if lines:
            raise AssertionError(f"job {label(jobs[0])} in the lineage:\n" + "\n".join(lines))

    # -- strict mode --

    def settled_lifecycle_findings(self) -> list[Any]:
        """Lifecycle findings of the accepted events that no later event can make right
        (a second terminal event, events after it, time going back...); an open run is not."""
        from .validation import Kind

        return [
            f
            for f in self.server.app.live.view(lambda views: views.lineage.findings())
            if f.final and f.violation.kind is Kind.LIFECYCLE
        ]

    def unread_violations(self, *, fail_on: str = "error") -> list[Record]:
        """Requests that broke the contract (or, with ``fail_on="warning"``, that have
        warnings) and that the test has not read."""
        if fail_on == "warning":
            found = [r for r in self.server.records() if r.violations]
        else:
            found = self.server.records(valid=False)
        return [r for r in found if r.id not in self._read]

    def _hand_over(self, records: list[Record]) -> list[Record]:
        self._read.update(r.id for r in records if r.violations)
        return records

    def _candidates(self, valid: bool | None) -> list[Record]:
        if valid is True:
            return [r for r in self.server.records(valid=True) if r.accepted]
        return [r for r in self.server.records(valid=valid) if r.parsed]

    def __repr__(self) -> str:
        return f"<LineageServer {self.endpoint}>"


def _token(server: MockServer) -> str:
    """A token the mock accepts: the first configured, or any when none is."""
    tokens = server.app.credentials.tokens
    return tokens[0] if tokens else _ANY_TOKEN


def describe_violations(records: list[Record], contract: Contract) -> str:
    """The teardown message: each request, then its violations (pointer, rule, message)."""
    from .validation import table

    lines = [
        f"lineage_server received {len(records)} request(s) that broke the contract "
        f"({contract.method} {contract.path}) during this test:"
    ]
    for record in records:
        answered = "no answer (dropped)" if record.status is None else str(record.status)
        lines.append(
            f"  request #{record.id} {record.method} {record.path} -> {answered} "
            f"at {record.iso_time}"
        )
        lines.extend(table(record.violations, indent="    "))
    lines.append(
        "Read them (lineage_server.invalid or .records) to assert on them, or mark the test "
        f"@pytest.mark.{MARKER}(allow_invalid=True)."
    )
    return "\n".join(lines)


def _strictness(item: pytest.Item) -> tuple[bool, str]:
    """(allow_invalid, fail_on) from the test's ``lineage`` marker and the ini option."""
    fail_on = str(item.config.getini(FAIL_ON_OPTION) or "error")
    marker = item.get_closest_marker(MARKER)
    kwargs = dict(marker.kwargs) if marker is not None else {}
    unknown = set(kwargs) - {"allow_invalid", "fail_on"}
    if marker is not None and (unknown or marker.args):
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER} takes only allow_invalid=True|False and "
            f"fail_on='error'|'warning'; got "
            f"{', '.join(map(repr, marker.args))}{', '.join(sorted(unknown))}"
        )
    fail_on = str(kwargs.get("fail_on") or fail_on)
    if fail_on not in _FAIL_ON:
        raise pytest.UsageError(
            f"lineage fail_on must be one of {', '.join(_FAIL_ON)}, got {fail_on!r}"
        )
    return bool(kwargs.get("allow_invalid", False)), fail_on


@pytest.fixture
def lineage_server(
    request: pytest.FixtureRequest, lineage_session_server: MockServer
) -> Iterator[LineageServer]:
    """The session's mock, cleared for this test; strict about contract violations."""
    handle = LineageServer(lineage_session_server, _token(lineage_session_server))
    handle.clear()
    yield handle
    allow_invalid, fail_on = _strictness(request.node)
    if not request.node.stash.get(_CALL_PASSED, False) or allow_invalid:
        return
    unread = handle.unread_violations(fail_on=fail_on)
    if unread:
        pytest.fail(describe_violations(unread, handle.contract), pytrace=False)
    settled = handle.settled_lifecycle_findings()
    if settled:
        lines = [
            "lineage_server's runs broke their lifecycle in ways no later event can mend:",
            *(f"  request #{f.where}: {f.violation}" for f in settled),
            f"Mark the test @pytest.mark.{MARKER}(allow_invalid=True) if that is intended.",
        ]
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture(scope="session")
def _lineage_client_config(
    lineage_session_server: MockServer, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """An openlineage.yml naming the mock, so that none in the project directory wins."""
    from .mock._client import write_config

    directory = tmp_path_factory.mktemp("lineage-contract")
    return write_config(
        lineage_session_server, _token(lineage_session_server), directory / "openlineage.yml"
    )


@pytest.fixture
def openlineage_env(
    lineage_server: LineageServer, monkeypatch: pytest.MonkeyPatch, _lineage_client_config: Path
) -> Iterator[LineageServer]:
    """Point the OpenLineage client's environment at ``lineage_server``; give the server.

    Sets ``OPENLINEAGE_URL``, ``OPENLINEAGE_ENDPOINT``, ``OPENLINEAGE_API_KEY``,
    ``OPENLINEAGE_CONFIG`` (an ``openlineage.yml`` saying the same, since a config
    file in the working directory would otherwise win over them) and
    ``AIRFLOW__OPENLINEAGE__TRANSPORT`` (see :mod:`lineage_contract.mock._client`).
    Every other ``OPENLINEAGE*`` variable (``OPENLINEAGE__TRANSPORT__...``,
    ``OPENLINEAGE_DISABLED``) is removed for the test; whatever the client adds
    to the environment is removed afterwards, and the rest restored.
    """
    from .mock._client import client_environment

    for name in [k for k in os.environ if k.startswith(_ENV_PREFIX)]:
        monkeypatch.delenv(name)
    environment = client_environment(
        lineage_server.server, lineage_server.token, _lineage_client_config
    )
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    ours = {k for k in os.environ if k.startswith(_ENV_PREFIX)}
    yield lineage_server
    # openlineage-python copies OPENLINEAGE_URL into OPENLINEAGE__TRANSPORT__... variables.
    for name in [k for k in os.environ if k.startswith(_ENV_PREFIX) and k not in ours]:
        del os.environ[name]


# -- strategies ----------------------------------------------------------------


class LineageStrategies:
    """The strategies of :mod:`lineage_contract.strategies`, bound to the session's contract.

    Draw from them inside a test with Hypothesis' ``st.data()``; at decoration
    time, call :mod:`lineage_contract.strategies` directly.
    """

    def __init__(self, contract: Contract) -> None:
        from . import strategies

        self.contract = contract
        self._module = strategies

    def valid_events(self, **options: Any) -> Any:
        return self._module.valid_events(self.contract, **options)

    def invalid_events(self, **options: Any) -> Any:
        return self._module.invalid_events(self.contract, **options)

    def run_lifecycles(self, **options: Any) -> Any:
        return self._module.run_lifecycles(self.contract, **options)


@pytest.fixture(scope="session")
def lineage_strategies(lineage_contract: Contract) -> LineageStrategies:
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        missing = True
    else:
        missing = False
    if missing:  # failed outside the except block: no chained traceback in the report
        pytest.fail(
            "lineage_strategies needs Hypothesis: pip install 'lineage-contract[hypothesis]'",
            pytrace=False,
        )
    return LineageStrategies(lineage_contract)
