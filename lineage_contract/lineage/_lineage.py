"""Everything checked across events at once: the runs, the graph and the naming."""

from __future__ import annotations

from typing import Any, Generic

from ..contract._document import Contract
from . import _naming
from ._finding import Finding, W
from ._graph import Graph
from ._runs import Runs
from ._trace import Trace, Tracer


class Lineage(Generic[W]):
    """Fed events in arrival order, each with the caller's ``where`` handle.

    ``add`` answers the findings an event raised at once (the final ones of its
    run); ``findings`` answers all of them: the runs', the graph's column
    checks and the naming checks, which need every event seen so far, and,
    with ``ended=True``, the runs still open.
    """

    def __init__(self, contract: Contract | None = None) -> None:
        contract = contract if contract is not None else Contract.load()
        contract.anatomy.require_lifecycle(contract.source)
        self.tracer = Tracer(contract.anatomy)
        self.runs: Runs[W] = Runs(contract.anatomy)
        self.graph: Graph[W] = Graph()

    def add(self, event: Any, where: W, *, body: bytes | None = None) -> list[Finding[W]]:
        """Take a parsed event; ``body`` is its bytes as sent, when known (to tell a retry)."""
        return self.add_trace(self.tracer.trace(event, body), where)

    def add_trace(self, trace: Trace | list[Trace], where: W) -> list[Finding[W]]:
        """Take an event already traced (by a worker process, say), or the traces of a
        batch's elements, all placed at ``where``."""
        if isinstance(trace, list):
            return [found for one in trace for found in self.add_trace(one, where)]
        self.graph.add(trace, where)
        return self.runs.add(trace, where)

    def findings(self, *, ended: bool = False) -> list[Finding[W]]:
        """Runs first (run by run, in arrival order), then columns, then naming."""
        return [
            *self.runs.findings(ended=ended),
            *self.graph.findings(),
            *_naming.findings(self.graph.datasets()),
        ]

    def to_dict(self, *, ended: bool = False) -> dict[str, Any]:
        """``runs``, ``graph`` and ``findings``, JSON-ready."""
        return {
            "runs": self.runs.to_list(ended=ended),
            "graph": self.graph.to_dict(),
            "findings": [f.to_dict() for f in self.findings(ended=ended)],
        }
