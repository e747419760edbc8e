"""The console: a page that shows what a mock received, live, and the same page as a report.

The page, its style sheet and its script are package data (``console/``),
written for this project and served as they are: no build step, nothing
fetched from elsewhere. The mock serves them under ``/_lineage/ui/`` (and the
page at ``/``) with a Content-Security-Policy that lets the page run only its
own script and style and talk only to the mock. The script reads the rows of
the requests view from :func:`requests_page` (newest first, a page at a time)
and everything else from the mock's ``/_lineage/`` endpoints.

:func:`report_html` builds one self-contained file of the same page: the style
and script inlined (allowed by their hashes), the data embedded as JSON.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.resources
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from werkzeug.wrappers import Response

from ..contract import Anatomy, Contract, get
from ..contract._pointers import unpointer
from ..validation import Level
from ._journal import Journal, Record

if TYPE_CHECKING:
    from ..lineage import Trace, Tracer

__all__ = [
    "ASSETS",
    "CSP",
    "PAGE_SIZE",
    "asset",
    "asset_response",
    "page_response",
    "report_html",
    "requests_page",
    "summary",
]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""The page's own script and style, requests to the mock only, and never inside a frame
(its buttons change the mock's state)."""

ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
}
PAGE_SIZE = 100
"""Rows of the requests view a page holds by default."""

_STYLE_TAG = '<link rel="stylesheet" href="/_lineage/ui/console.css">'
_SCRIPT_TAG = '<script src="/_lineage/ui/console.js" defer></script>'


@functools.cache
def asset(name: str) -> bytes:
    """One of the console's files, as shipped in the package."""
    if name not in ASSETS:
        raise KeyError(name)
    return importlib.resources.files(__package__).joinpath("console", name).read_bytes()


def _headers(content_type: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
        "Referrer-Policy": "no-referrer",
    }


def page_response() -> Response:
    return asset_response("index.html")


def asset_response(name: str) -> Response:
    return Response(asset(name), headers=_headers(ASSETS[name]))


def json_response(data: Any) -> Response:
    return Response(orjson.dumps(data), headers=_headers("application/json"))


def summary(record: Record, anatomy: Anatomy) -> dict[str, Any]:
    """A row of the requests view: what a person scans for, without the body."""
    errors = sum(1 for v in record.violations if v.level is Level.ERROR)
    event_type = get(record.event, anatomy.event_type) if record.parsed else None
    return {
        "id": record.id,
        "time": record.iso_time,
        "method": record.method,
        "path": record.path,
        "status": record.status,
        "valid": record.valid,
        "warned": record.warned,
        "errors": errors,
        "warnings": len(record.violations) - errors,
        "eventType": event_type if isinstance(event_type, str) else None,
        "job": record.job,
        "runId": record.run_id,
    }


def requests_page(
    journal: Journal,
    anatomy: Anatomy,
    *,
    limit: int = PAGE_SIZE,
    before: int | None = None,
    since: int = 0,
    valid: bool | None = None,
    warned: bool | None = None,
    run_id: str | None = None,
    job: str | None = None,
) -> dict[str, Any]:
    """Rows newest first; ``next`` is the ``before`` of the following page (None: no more),
    ``newest`` the journal's latest id whatever the filters, ``total`` its count, and
    ``settled`` the id to poll ``since``: a request answered late may still land above it,
    never at or below it (see :meth:`Journal.settled`)."""
    settled = journal.settled()  # first: what lands meanwhile is above it
    found = journal.latest(
        limit=limit + 1,
        before=before,
        since=since,
        valid=valid,
        warned=warned,
        run_id=run_id,
        job=job,
    )
    rows = found[:limit]
    newest = journal.latest(limit=1)
    return {
        "requests": [summary(r, anatomy) for r in rows],
        "next": rows[-1].id if len(found) > limit else None,
        "newest": newest[0].id if newest else 0,
        "settled": settled,
        "total": journal.count,
    }


def report_item(record: Record, anatomy: Anatomy) -> dict[str, Any]:
    """A record as a report embeds it: its row and its body, findings and headers."""
    data = record.to_dict()
    if record.parsed:
        data["event"], data["body"] = record.event, None  # ``event`` holds the body
    return {**data, **summary(record, anatomy)}


def report_html(
    requests: Iterable[dict[str, Any]],
    *,
    runs: list[dict[str, Any]] | None,
    graph: dict[str, Any] | None,
    title: str,
) -> str:
    """The console as one file that opens from disk: nothing is fetched, nothing is sent.

    The data is JSON in a ``<script type="application/json">`` element with every
    ``<`` escaped, so that no value can end the element or open a comment; the
    style and the script are inlined and the policy allows those two by hash.
    """
    data = orjson.dumps({"title": title, "requests": list(requests), "runs": runs, "graph": graph})
    embedded = data.replace(b"<", b"\\u003c").decode()
    style = asset("console.css").decode()
    script = asset("console.js").decode()
    policy = (
        f"default-src 'none'; script-src {_hash(script)}; style-src {_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    if "</script" in script.lower() or "</style" in style.lower():  # would end the element
        raise RuntimeError("console.js or console.css holds an end tag")
    page = asset("index.html").decode()
    for tag in (_STYLE_TAG, _SCRIPT_TAG):
        if tag not in page:  # the page and this function are edited together
            raise RuntimeError(f"console/index.html lost {tag}")
    head = (
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        f"<style>{style}</style>\n"
        f'<script type="application/json" id="lineage-data">{embedded}</script>'
    )
    page = page.replace(_STYLE_TAG, head).replace(_SCRIPT_TAG, "")
    # At the end of the body, the script finds the page (and the data) already parsed.
    return page.replace("</body>", f"<script>{script}</script>\n</body>")


def _hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


Entry = tuple[Any, Any, "bytes | None", list[dict[str, Any]], bool]
"""One event for the lineage views: where it is (a record id), the parsed event, its bytes
when known, its findings (``Violation.to_dict()`` s) and whether it draws lineage (keeps the
contract and, for a request to a mock, was accepted: see :attr:`Record.accepted`)."""

Key = tuple[str, str, str]
"""A graph node: ``(kind, namespace, name)``."""


class Spot(NamedTuple):
    """Where a finding's pointer in an event lands: the event's job and its datasets."""

    job: Key | None
    inputs: tuple[Key | None, ...]
    """The node of each ``/inputs/N`` (None where that item is not an object)."""
    outputs: tuple[Key | None, ...]


class Fact(NamedTuple):
    """What the lineage views keep of one event: small, and never the event itself."""

    where: Any
    spot: Spot
    own: tuple[tuple[Key | None, dict[str, Any]], ...]
    """The event's own findings, each with the node its pointer lands on."""
    trace: Trace | None
    """None for an event that draws no lineage."""
    facets: tuple[tuple[tuple[str, str], dict[str, Any]], ...] = ()
    """``((namespace, name), facets)`` of each of its datasets that has facets."""


def fact(tracer: Tracer, entry: Entry) -> Fact:
    """What the views need of one entry, read once."""
    where, event, body, violations, draws = entry
    spot = _spot(tracer, event)
    own = tuple((_node_of(spot, v.get("pointer") or ""), v) for v in violations)
    if not draws:
        return Fact(where, spot, own, None)
    facets = tuple(
        ((dataset["namespace"], dataset["name"]), named)
        for dataset in _datasets(event)
        if isinstance(named := dataset.get("facets"), dict)
    )
    return Fact(where, spot, own, tracer.trace(event, body), facets)


class Views:
    """The runs and the lineage graph the console draws, fed :class:`Fact` s in arrival order.

    The graph of :class:`~lineage_contract.lineage.Lineage` (from the events that draw
    lineage), each node with its findings (those across events and each event's own,
    placed by pointer: ``/inputs/0/...`` on that dataset, anything else on the event's
    job) and each dataset with its facets, the latest of each name.
    """

    def __init__(self, contract: Contract) -> None:
        from ..lineage import Lineage  # networkx: only when the graph is asked for

        self.lineage: Lineage[Any] = Lineage(contract)
        self._spots: dict[Any, Spot] = {}
        self._facets: dict[tuple[str, str], dict[str, Any]] = {}
        self._placed: list[tuple[Key | None, dict[str, Any]]] = []

    @property
    def tracer(self) -> Tracer:
        return self.lineage.tracer

    def add(self, fact: Fact) -> None:
        self._spots[fact.where] = fact.spot
        self._placed.extend(fact.own)
        if fact.trace is None:
            return
        self.lineage.add_trace(fact.trace, fact.where)
        for key, named in fact.facets:
            self._facets.setdefault(key, {}).update(named)

    def runs(self, *, ended: bool = False) -> list[dict[str, Any]]:
        """``ended``: no more events will come (open runs are findings)."""
        return self.lineage.runs.to_list(ended=ended)

    def graph(self, *, ended: bool = False) -> dict[str, Any]:
        """JSON-ready; a dataset's ``facets`` is the views' own (serialise it before the
        next :meth:`add`)."""
        lineage = self.lineage
        across = [f.to_dict() for f in lineage.findings(ended=ended)]
        graph = lineage.graph.to_dict()
        graph["findings"] = across
        nodes = {(n["kind"], n["namespace"], n["name"]): n for n in graph["nodes"]}
        for node in graph["nodes"]:
            node["findings"] = 0
            node["findingList"] = []
            if node["kind"] == "dataset":
                node["facets"] = self._facets.get((node["namespace"], node["name"]), {})
        spots = self._spots
        for key, finding in [
            *self._placed,
            *((_node_of(spots.get(f.get("where")), f.get("pointer") or ""), f) for f in across),
        ]:
            node = nodes.get(key) if key is not None else None
            if node is not None:
                node["findings"] += 1
                node["findingList"].append(finding)
        return graph


def lineage_views(
    entries: Iterable[Entry], contract: Contract, *, ended: bool = False
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The runs and the lineage graph the events tell, as the console draws them (see
    :class:`Views`). ``ended``: no more events will come (open runs are findings)."""
    views = Views(contract)
    for entry in entries:
        views.add(fact(views.tracer, entry))
    return views.runs(ended=ended), views.graph(ended=ended)


def record_entry(record: Record, event: Any) -> Entry:
    """A parsed record as :func:`lineage_views` takes it, with its ``event`` (parsed by
    the caller, who may not want it kept on the record)."""
    violations = [v.to_dict() for v in record.violations]
    return record.id, event, record.body, violations, record.accepted


def record_entries(records: Iterable[Record]) -> Iterator[Entry]:
    """The parsed records of a journal as :func:`lineage_views` takes them."""
    for record in records:
        if record.parsed:
            yield record_entry(record, record.event)


_SIDES = ("inputs", "outputs")


def _datasets(event: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(event, dict):
        return
    for side in _SIDES:
        items = event.get(side)
        for item in items if isinstance(items, list) else ():
            if (
                isinstance(item, dict)
                and isinstance(item.get("namespace"), str)
                and isinstance(item.get("name"), str)
            ):
                yield item


_NOWHERE = Spot(None, (), ())


def _spot(tracer: Tracer, event: Any) -> Spot:
    from ..lineage import DATASET, JOB

    if not isinstance(event, dict):
        return _NOWHERE
    sides = []
    for side in _SIDES:
        items = event.get(side)
        sides.append(
            tuple(
                (DATASET, str(item.get("namespace")), str(item.get("name")))
                if isinstance(item, dict)
                else None
                for item in (items if isinstance(items, list) else ())
            )
        )
    job = tracer.job(event)
    return Spot(None if job is None else (JOB, job[0], "/".join(job[1:])), sides[0], sides[1])


def _node_of(spot: Spot | None, pointer: str) -> Key | None:
    """The graph node a finding at ``pointer`` in an event is about: a dataset or the job."""
    if spot is None:
        return None
    try:
        parts = unpointer(pointer)
    except ValueError:
        parts = []
    if len(parts) >= 2 and parts[0] in _SIDES:
        items = spot.inputs if parts[0] == _SIDES[0] else spot.outputs
        index = int(parts[1]) if parts[1].isdigit() else -1
        if 0 <= index < len(items) and (key := items[index]) is not None:
            return key
    return spot.job
