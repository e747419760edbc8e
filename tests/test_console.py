"""The console: its routes and policy over HTTP, then the page in a real browser (headless
Chromium from Debian's packages, driven by Selenium), live against a mock and as a report
opened from disk. A missing browser fails these tests: nothing here skips."""

from __future__ import annotations

import copy
import json
import re
import struct
import time
import urllib.request
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.test import Client

from lineage_contract.cli import main
from lineage_contract.mock import MockServer, SqliteJournal, create_app
from lineage_contract.mock._console import CSP, asset

ROOT = Path(__file__).resolve().parents[1]
START = orjson.loads((ROOT / "fixtures" / "valid" / "start.json").read_bytes())
XSS = "<img src=x onerror=alert(1)>"
WAIT = 10.0
"""Seconds any wait for the page may take at most (it is usually well under one)."""


def event(
    event_type: str,
    run_id: str,
    job: str = "daily_orders",
    *,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    second: int = 0,
) -> dict[str, Any]:
    made = copy.deepcopy(START)
    made["eventType"] = event_type
    made["eventTime"] = f"2024-05-01T12:00:{second:02d}Z"
    made["run"] = {"runId": run_id}
    made["job"] = {"namespace": "etl", "name": job}
    if inputs is not None:
        made["inputs"] = inputs
    if outputs is not None:
        made["outputs"] = outputs
    return made


def facet(facet_name: str, **fields: Any) -> dict[str, Any]:
    return {
        "_producer": "https://example.com/producer",
        "_schemaURL": f"https://openlineage.io/spec/facets/1-0-0/{facet_name}.json",
        **fields,
    }


ORDERS = {
    "namespace": "postgres://db:5432",
    "name": "shop.public.orders",
    "facets": {
        "schema": facet(
            "SchemaDatasetFacet",
            fields=[{"name": "order_id", "type": "BIGINT"}, {"name": "amount", "type": "NUMERIC"}],
        ),
        "dataSource": facet("DatasourceDatasetFacet", name="shop", uri="postgres://db:5432/shop"),
    },
}
DAILY = {
    "namespace": "postgres://db:5432",
    "name": "shop.public.daily_totals",
    "facets": {
        "schema": facet("SchemaDatasetFacet", fields=[{"name": "total", "type": "NUMERIC"}]),
        "columnLineage": facet(
            "ColumnLineageDatasetFacet",
            fields={
                "total": {
                    # "discount" is not in the orders' schema: a finding on this dataset.
                    "inputFields": [
                        {"namespace": ORDERS["namespace"], "name": ORDERS["name"], "field": f}
                        for f in ("amount", "discount")
                    ]
                }
            },
        ),
    },
}


TOKEN = "console-secret-token"


def post(server: MockServer, body: Any, headers: dict[str, str] | None = None) -> int:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        server.endpoint,
        data,
        {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


RUN_COMPLETE, RUN_FAILED, RUN_OPEN, RUN_XSS = (str(uuid.uuid4()) for _ in range(4))
INVALID = event("START", "not-a-uuid", "broken")


def send_events(server: MockServer) -> None:
    """A run that completes (with lineage), one that fails, one left open, an invalid
    event and a job named like markup."""
    sent = [
        event("START", RUN_COMPLETE, inputs=[ORDERS], outputs=[DAILY]),
        event("COMPLETE", RUN_COMPLETE, inputs=[ORDERS], outputs=[DAILY], second=5),
        event("START", RUN_FAILED, "weekly_report"),
        event("FAIL", RUN_FAILED, "weekly_report", second=9),
        event("START", RUN_OPEN, "hourly_sync"),
        INVALID,
    ]
    for body in sent:
        post(server, body)
    # A header whose value is markup, on the event whose job is.
    post(server, event("START", RUN_XSS, XSS), {"X-Note": XSS, "Cookie": f"s={TOKEN}"})


def line_of(body: dict[str, Any], key: str) -> int:
    """The 1-based line of ``"key":`` in the body pretty-printed with two spaces."""
    lines = json.dumps(body, indent=2).splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.strip().startswith(f'"{key}":'))


# -- over HTTP -----------------------------------------------------------------------------


@pytest.fixture
def client() -> Iterator[Client]:
    app = create_app()
    yield Client(app)
    app.close()


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/", "text/html"),
        ("/_lineage/ui", "text/html"),
        ("/_lineage/ui/", "text/html"),
        ("/_lineage/ui/console.css", "text/css"),
        ("/_lineage/ui/console.js", "text/javascript"),
        ("/_lineage/ui/requests", "application/json"),
    ],
)
def test_the_console_is_served_under_its_policy(client: Client, path: str, media_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.head(path).status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/_lineage/ui", 200),
        ("/_lineage/ui/console.js", 200),
        ("/_lineage/ui/console.css", 200),
        ("/_lineage/ui/requests", 401),
        ("/_lineage/graph", 401),
    ],
)
def test_the_page_needs_no_admin_token_and_its_data_does(path: str, status: int) -> None:
    app = create_app(admin_tokens=["adm"])
    client = Client(app)
    assert client.get(path).status_code == status
    assert client.get(path, headers={"Authorization": "Bearer adm"}).status_code == 200
    app.close()


def test_the_policy_allows_only_the_consoles_own_script_and_style() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("name", ["index.html", "console.css", "console.js"])
def test_the_console_fetches_nothing_from_elsewhere(name: str) -> None:
    text = asset(name).decode()
    # The only absolute URL is the SVG namespace, a name that is never fetched.
    assert (
        re.findall(r"(?:https?:)?//[\w.-]+\.\w+", text.replace("//www.w3.org/2000/svg", "")) == []
    )
    assert "innerHTML" not in text and "outerHTML" not in text and "insertAdjacentHTML" not in text


def test_the_page_at_the_root_is_not_recorded(client: Client) -> None:
    client.get("/")
    client.get("/_lineage/ui")
    assert orjson.loads(client.get("/_lineage/ui/requests").get_data())["total"] == 0
    # Other methods on / still go to the contract's judge, and are recorded.
    assert client.post("/", json={}).status_code == 404
    assert orjson.loads(client.get("/_lineage/ui/requests").get_data())["total"] == 1


def test_rows_come_newest_first_a_page_at_a_time(client: Client) -> None:
    run = str(uuid.uuid4())
    headers = {"Authorization": "Bearer t"}
    for n in range(5):
        body = INVALID if n == 2 else event("START", run, second=n)
        client.post("/api/v1/lineage", json=body, headers=headers)

    def page(query: str) -> dict[str, Any]:
        response = client.get(f"/_lineage/ui/requests?{query}")
        assert response.status_code == 200, response.get_data()
        data: dict[str, Any] = orjson.loads(response.get_data())
        return data

    first = page("limit=2")
    assert [r["id"] for r in first["requests"]] == [5, 4]
    assert (first["next"], first["newest"], first["total"]) == (4, 5, 5)
    assert [r["id"] for r in page("limit=2&before=4")["requests"]] == [3, 2]
    assert page("limit=2&before=2")["next"] is None
    assert [r["id"] for r in page("since=3")["requests"]] == [5, 4]
    (invalid,) = page("valid=false")["requests"]
    assert (invalid["id"], invalid["valid"], invalid["errors"], invalid["status"]) == (
        3,
        False,
        1,
        422,
    )
    assert [r["id"] for r in page(f"runId={run}")["requests"]] == [5, 4, 2, 1]
    row = page("limit=1")["requests"][0]
    assert {k: row[k] for k in ("eventType", "job", "runId", "method")} == {
        "eventType": "START",
        "job": "etl/daily_orders",
        "runId": run,
        "method": "POST",
    }
    for bad in ("before=x", "limit=0", "nope=1", "valid=maybe"):
        assert client.get(f"/_lineage/ui/requests?{bad}").status_code == 400, bad


# -- in the browser --------------------------------------------------------------------------


def chromium() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    browser = chromium()
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    journal = tmp_path_factory.mktemp("console") / "journal.db"
    with MockServer(journal=journal) as running:
        send_events(running)
        yield running
    running.close()


@pytest.fixture
def page(driver: WebDriver) -> Iterator[WebDriver]:
    """The driver, checked after the test: the page logged no error and opened no alert."""
    driver.get_log("browser")  # what earlier tests left
    yield driver
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.accept()
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def wait(driver: WebDriver, test: Callable[[WebDriver], Any], timeout: float = WAIT) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(test)


def rows(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#requests tbody tr")


def open_console(driver: WebDriver, url: str) -> None:
    driver.get(url)
    wait(driver, lambda d: rows(d) or d.find_element(By.ID, "requests-empty").is_displayed())


def row_of(driver: WebDriver, record_id: int) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f'#requests tbody tr[data-id="{record_id}"]')


def select_request(driver: WebDriver, record_id: int) -> WebElement:
    row_of(driver, record_id).click()
    return wait(driver, lambda d: d.find_element(By.ID, "body"))


def show(driver: WebDriver, view: str) -> None:
    driver.find_element(By.ID, f"tab-{view}").click()
    wait(driver, lambda d: d.find_element(By.ID, f"view-{view}").is_displayed())


def not_blank(png: bytes) -> None:
    """A real screenshot: a PNG of the window's size whose pixels are far from uniform."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) >= (800, 600)
    data, at = b"", 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        if png[at + 4 : at + 8] == b"IDAT":
            data += png[at + 8 : at + 8 + length]
        at += 12 + length
    pixels = zlib.decompress(data)
    # A blank page filters to a few byte values; text, badges and lines to many.
    assert len(set(pixels)) > 100
    assert len(png) > 10_000


class Views:
    """Checks a person would make, on the console at ``url`` (live or from disk)."""

    def __init__(self, driver: WebDriver, url: str, records: list[dict[str, Any]]) -> None:
        self.driver = driver
        self.url = url
        self.records = records

    def id_of(self, test: Callable[[dict[str, Any]], bool]) -> int:
        return int(next(r["id"] for r in self.records if test(r)))

    def check_rows(self) -> None:
        open_console(self.driver, self.url)
        shown = [int(r.get_attribute("data-id") or 0) for r in rows(self.driver)]
        assert shown == sorted((r["id"] for r in self.records), reverse=True)
        invalid = self.id_of(lambda r: not r["valid"])
        assert "invalid" in row_of(self.driver, invalid).text

    def check_finding_line(self) -> None:
        open_console(self.driver, self.url)
        body = select_request(self.driver, self.id_of(lambda r: not r["valid"]))
        marked = body.find_elements(By.CSS_SELECTOR, ".line.marked")
        expected = line_of(INVALID, "runId")
        assert [int(m.get_attribute("data-line") or 0) for m in marked] == [expected]
        assert '"runId": "not-a-uuid"' in marked[0].text
        findings = self.driver.find_element(By.ID, "findings").text
        assert "/run/runId" in findings and "format" in findings and f"line {expected}" in findings

    def check_markup_is_text(self) -> None:
        open_console(self.driver, self.url)
        named = self.id_of(lambda r: r["job"] == f"etl/{XSS}")
        assert f"etl/{XSS}" in row_of(self.driver, named).text
        select_request(self.driver, named)
        assert XSS in self.driver.find_element(By.ID, "detail").text
        assert self.driver.find_elements(By.TAG_NAME, "img") == []

    def check_headers_and_times(self) -> None:
        open_console(self.driver, self.url)
        select_request(self.driver, self.id_of(lambda r: r["job"] == f"etl/{XSS}"))
        table = self.driver.find_element(By.CSS_SELECTOR, "#detail table.headers")
        shown = {
            cells[0].text: cells[1].text
            for cells in (
                tr.find_elements(By.TAG_NAME, "td") for tr in table.find_elements(By.TAG_NAME, "tr")
            )
        }
        assert shown["Authorization"] == "Bearer [redacted]"
        assert shown["Cookie"] == "[redacted]"
        assert shown["Content-Type"] == "application/json"
        assert shown["X-Note"] == XSS  # markup shows as its characters
        assert self.driver.find_elements(By.TAG_NAME, "img") == []
        detail = self.driver.find_element(By.ID, "detail").text
        assert TOKEN not in detail and TOKEN not in self.driver.page_source
        facts = self.driver.find_element(By.CSS_SELECTOR, "#detail dl.facts").text
        assert re.search(r"arrived\s+\d{4}-\d\d-\d\dT", facts), facts
        assert re.search(r"answered\s+\d{4}-\d\d-\d\dT", facts), facts

    def check_filters(self) -> None:
        open_console(self.driver, self.url)
        self.driver.find_element(By.ID, "f-invalid").click()
        wait(self.driver, lambda d: len(rows(d)) == 1)
        self.driver.find_element(By.ID, "f-invalid").click()
        self.driver.find_element(By.ID, "f-run").send_keys(RUN_FAILED)
        wait(self.driver, lambda d: len(rows(d)) == 2)
        assert {r.find_elements(By.TAG_NAME, "td")[5].text for r in rows(self.driver)} == {
            "START",
            "FAIL",
        }

    def check_runs(self, *, ended: bool) -> None:
        open_console(self.driver, self.url)
        show(self.driver, "runs")
        wait(self.driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#runs .run"))

        def card(run_id: str) -> WebElement:
            return self.driver.find_element(By.CSS_SELECTOR, f'#runs .run[data-run="{run_id}"]')

        def run(run_id: str) -> tuple[str | None, list[str]]:
            steps = card(run_id).find_elements(By.CSS_SELECTOR, ".timeline .step")
            return card(run_id).get_attribute("data-state"), [s.text.split()[0] for s in steps]

        assert run(RUN_COMPLETE) == ("complete", ["START", "COMPLETE"])
        assert run(RUN_FAILED) == ("fail", ["START", "FAIL"])
        assert run(RUN_OPEN)[0] == "open"
        assert "5.00 s" in card(RUN_COMPLETE).text  # START at :00, COMPLETE at :05
        # Once the input has ended (a report), a run still open is a finding.
        findings = card(RUN_OPEN).find_elements(By.CSS_SELECTOR, ".findings")
        assert bool(findings) is ended
        if ended:
            assert "never ended" in findings[0].text

    def check_graph(self) -> None:
        open_console(self.driver, self.url)
        show(self.driver, "lineage")
        wait(self.driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#lineage-graph .node"))
        nodes = {
            g.get_attribute("data-id"): g
            for g in self.driver.find_elements(By.CSS_SELECTOR, "#lineage-graph .node")
        }
        job = "job:etl/daily_orders"
        orders = f"dataset:{ORDERS['namespace']}/{ORDERS['name']}"
        daily = f"dataset:{DAILY['namespace']}/{DAILY['name']}"
        assert {job, orders, daily} <= set(nodes)
        edges = {
            (e.get_attribute("data-source"), e.get_attribute("data-target"))
            for e in self.driver.find_elements(By.CSS_SELECTOR, "#lineage-graph .edge")
        }
        assert {(orders, job), (job, daily)} <= edges
        assert (daily, job) not in edges and (job, orders) not in edges
        assert "flagged" in (nodes[daily].get_attribute("class") or "")
        assert "flagged" not in (nodes[orders].get_attribute("class") or "")

        def left(node: str) -> float:
            return float((nodes[node].get_attribute("transform") or "").split("(")[1].split(",")[0])

        assert left(orders) < left(job) < left(daily)  # inputs, the job, outputs
        nodes[orders].click()
        fields = wait(self.driver, lambda d: d.find_element(By.ID, "fields"))
        assert [li.text for li in fields.find_elements(By.TAG_NAME, "li")] == [
            "order_id BIGINT",
            "amount NUMERIC",
        ]
        assert "postgres://db:5432/shop" in self.driver.find_element(By.ID, "node-detail").text
        nodes[daily].click()
        columns = wait(self.driver, lambda d: d.find_element(By.ID, "columns"))
        assert f"total \u2190 {ORDERS['namespace']}/{ORDERS['name']}.amount" in columns.text
        assert "'discount'" in self.driver.find_element(By.ID, "node-detail").text
        nodes[job].click()
        runs = wait(self.driver, lambda d: d.find_element(By.ID, "job-runs"))
        assert RUN_COMPLETE in runs.text and "complete" in runs.text

    def screenshots(self, folder: Path) -> None:
        open_console(self.driver, self.url)
        select_request(self.driver, self.id_of(lambda r: not r["valid"]))
        for view in ("requests", "runs", "lineage"):
            show(self.driver, view)
            if view == "lineage":
                wait(
                    self.driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#graph svg, #graph p")
                )
            path = folder / f"console-{view}.png"
            assert self.driver.save_screenshot(str(path))
            not_blank(path.read_bytes())


def live_records(server: MockServer) -> list[dict[str, Any]]:
    return [{"id": r.id, "valid": r.valid, "job": r.job} for r in server.records()]


@pytest.fixture
def live(page: WebDriver, server: MockServer) -> Views:
    return Views(page, server.url + "/", live_records(server))


def test_live_rows_are_there(live: Views) -> None:
    live.check_rows()


def test_live_the_invalid_finding_is_marked_at_its_line(live: Views) -> None:
    live.check_finding_line()


def test_live_markup_in_an_event_shows_as_text(live: Views) -> None:
    live.check_markup_is_text()


def test_live_headers_redacted_and_times(live: Views) -> None:
    live.check_headers_and_times()


def test_live_filters(live: Views) -> None:
    live.check_filters()


def test_live_runs(live: Views) -> None:
    live.check_runs(ended=False)


def test_live_graph(live: Views) -> None:
    live.check_graph()


def test_live_screenshots_of_each_view(live: Views, tmp_path: Path) -> None:
    live.screenshots(tmp_path)


def test_a_new_event_appears_without_a_reload(page: WebDriver, server: MockServer) -> None:
    open_console(page, server.url + "/_lineage/ui")
    page.execute_script("window.stayed = true")
    run = str(uuid.uuid4())
    assert post(server, event("START", run, "late_job")) == 200
    began = time.monotonic()
    wait(page, lambda d: any("etl/late_job" in r.text for r in rows(d)))
    assert time.monotonic() - began < 2.0  # polled twice a second
    assert page.execute_script("return window.stayed") is True


def test_a_request_answered_late_appears_where_it_arrived(page: WebDriver) -> None:
    import threading

    with MockServer() as fresh:
        open_console(page, fresh.url + "/")
        page.execute_script("window.stayed = true")
        fresh.faults.delay_next(1.0)
        slow = threading.Thread(
            target=post, args=(fresh, event("START", str(uuid.uuid4()), "slow"))
        )
        slow.start()
        while fresh.app.faults.pending:  # the slow request has taken its delay
            time.sleep(0.005)
        assert post(fresh, event("START", str(uuid.uuid4()), "fast")) == 200
        wait(page, lambda d: len(rows(d)) == 1)
        slow.join(10)
        wait(page, lambda d: len(rows(d)) == 2)
        shown = [
            (r.get_attribute("data-id"), r.find_elements(By.TAG_NAME, "td")[6].text)
            for r in rows(page)
        ]
        assert shown == [("2", "etl/fast"), ("1", "etl/slow")]  # newest first, by arrival
        assert page.execute_script("return window.stayed") is True
    fresh.close()


def test_the_buttons_clear_the_journal_and_inject_faults(page: WebDriver) -> None:
    with MockServer() as fresh:
        post(fresh, event("START", str(uuid.uuid4())))
        open_console(page, fresh.url + "/")
        assert len(rows(page)) == 1
        for name, value in (("fault-times", "2"), ("fault-status", "502")):
            field = page.find_element(By.ID, name)
            field.clear()
            field.send_keys(value)
        page.find_element(By.ID, "fault").click()
        wait(page, lambda d: fresh.faults.pending == 2)
        assert fresh.faults.to_list() == [{"status": 502, "times": 2}]
        page.find_element(By.ID, "clear").click()
        wait(page, lambda d: fresh.journal.count == 0 and not rows(d))
        assert post(fresh, event("START", str(uuid.uuid4()))) == 502
        wait(page, lambda d: len(rows(d)) == 1)
    fresh.close()


def test_a_mock_with_an_admin_token_gets_it_from_the_page(driver: WebDriver) -> None:
    with MockServer(admin_tokens=["adm-secret"]) as guarded:
        post(guarded, event("START", str(uuid.uuid4()), "guarded_job"))
        driver.get(guarded.url + "/")
        form = wait(driver, lambda d: d.find_element(By.ID, "token-form"))
        wait(driver, lambda d: form.is_displayed())
        assert rows(driver) == []
        driver.find_element(By.ID, "admin-token").send_keys("adm-secret")
        driver.find_element(By.ID, "token-save").click()
        wait(driver, lambda d: any("etl/guarded_job" in r.text for r in rows(d)))
        assert not form.is_displayed()
        driver.execute_script("sessionStorage.clear()")
    guarded.close()
    # Only the refused requests were logged, nothing the page did wrong.
    logged = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert logged and all("401" in m for m in logged), logged


# -- the report, from disk -------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    journal = server.app.journal
    assert isinstance(journal, SqliteJournal)
    path = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(journal.path), "-o", str(path)]) == 0
    return path


@pytest.fixture
def from_disk(page: WebDriver, report: Path) -> Views:
    data = embedded(report.read_text())
    records = [{"id": r["id"], "valid": r["valid"], "job": r["job"]} for r in data["requests"]]
    return Views(page, report.as_uri(), records)


def embedded(html: str) -> dict[str, Any]:
    (found,) = re.findall(
        r'<script type="application/json" id="lineage-data">(.*?)</script>', html, re.S
    )
    data: dict[str, Any] = json.loads(found)
    return data


def test_report_rows_are_there(from_disk: Views) -> None:
    from_disk.check_rows()


def test_report_the_invalid_finding_is_marked_at_its_line(from_disk: Views) -> None:
    from_disk.check_finding_line()


def test_report_markup_in_an_event_shows_as_text(from_disk: Views) -> None:
    from_disk.check_markup_is_text()


def test_report_headers_redacted_and_times(from_disk: Views) -> None:
    from_disk.check_headers_and_times()
    assert TOKEN not in from_disk.driver.page_source


def test_report_filters(from_disk: Views) -> None:
    from_disk.check_filters()


def test_report_runs(from_disk: Views) -> None:
    from_disk.check_runs(ended=True)


def test_report_graph(from_disk: Views) -> None:
    from_disk.check_graph()


def test_report_screenshots_of_each_view(from_disk: Views, tmp_path: Path) -> None:
    from_disk.screenshots(tmp_path)


def test_the_report_sends_no_request(page: WebDriver, report: Path) -> None:
    page.get_log("performance")
    open_console(page, report.as_uri())
    for view in ("runs", "lineage", "requests"):
        show(page, view)
    select_request(page, int(rows(page)[0].get_attribute("data-id") or 0))
    sent = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in page.get_log("performance")
        if json.loads(entry["message"])["message"]["method"] == "Network.requestWillBeSent"
    ]
    assert sent and all(url == report.as_uri() or url.startswith("data:") for url in sent), sent
