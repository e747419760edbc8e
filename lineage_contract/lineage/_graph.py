"""The lineage the events draw: jobs and datasets, inputs -> job -> outputs, and columns.

Two :mod:`networkx` graphs: :attr:`Graph.lineage` with a node per job and per
dataset (keys ``(kind, namespace, name)``) and an edge per input -> job and
job -> output, each carrying the runs that drew it; :attr:`Graph.columns`
with a node per ``(dataset key, field)`` and an edge per input column ->
output column of a ``columnLineage`` facet. A column that a dataset's
``schema`` facets (any of them, across events) do not declare is a warning of
kind ``lineage``; a dataset no schema facet describes is not judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Generic

import networkx as nx

from ..validation._report import Kind, Level, Violation
from ._finding import Finding, W
from ._naming import Seen
from ._trace import DatasetTrace, Trace

JOB, DATASET = "job", "dataset"
DECLARED_COLUMN = "declared-column"
"""The keyword of a column lineage naming a column its dataset's schema does not declare."""

Key = tuple[str, str, str]
"""A node: ``(kind, namespace, name)``."""


class Graph(Generic[W]):
    """The lineage graph, fed :class:`Trace` s in arrival order."""

    def __init__(self) -> None:
        self.lineage: Any = nx.DiGraph()
        self.columns: Any = nx.DiGraph()
        self._declared: dict[Key, set[str]] = {}

    def add(self, trace: Trace, where: W) -> None:
        job = None
        if trace.job is not None:
            job = (JOB, trace.job[0], "/".join(trace.job[1:]))
            self._node(job, where, "")
        run = trace.run_id
        for side, datasets in ((0, trace.inputs), (1, trace.outputs)):
            for dataset in datasets:
                key = self._dataset(dataset, where)
                if job is not None:
                    self._edge(self.lineage, (key, job) if side == 0 else (job, key), run, where)
        for dataset in (*trace.inputs, *trace.outputs):
            target = (DATASET, dataset.namespace, dataset.name)
            for column in dataset.columns:
                for namespace, name, field in column.inputs:
                    source = (DATASET, namespace, name)
                    self._node(source, where, column.pointer)
                    edge = ((source, field), (target, column.field))
                    self._edge(self.columns, edge, run, where, column.pointer)

    def _dataset(self, dataset: DatasetTrace, where: W) -> Key:
        key = (DATASET, dataset.namespace, dataset.name)
        self._node(key, where, dataset.pointer)
        if dataset.fields is not None:
            declared = self._declared.get(key)
            if declared is None:
                self._declared[key] = set(dataset.fields)
            elif not dataset.fields <= declared:
                declared.update(dataset.fields)
        return key

    def _node(self, key: Key, where: W, pointer: str) -> None:
        if key not in self.lineage:
            self.lineage.add_node(key, where=where, pointer=pointer)

    @staticmethod
    def _edge(
        graph: Any, edge: tuple[Any, Any], run: str | None, where: W, pointer: str = ""
    ) -> None:
        data = graph.get_edge_data(*edge)
        if data is None:
            graph.add_edge(*edge, runs={}, where=where, pointer=pointer)
            data = graph.get_edge_data(*edge)
        if run is not None:
            data["runs"][run] = None  # a dict keeps the runs once each, in arrival order

    def datasets(self) -> Iterator[Seen[W]]:
        """Every dataset, in the order first seen, with where it was first seen."""
        for key, data in self.lineage.nodes(data=True):
            if key[0] == DATASET:
                yield Seen(key[1], key[2], data["where"], data["pointer"])

    def findings(self) -> list[Finding[W]]:
        """Columns that column lineage names and the dataset's schema facets do not declare."""
        found: list[Finding[W]] = []
        judged: set[tuple[Key, str]] = set()
        for source, target, data in self.columns.edges(data=True):
            for role, (key, field) in (("input", source), ("output", target)):
                declared = self._declared.get(key)
                if declared is None or field in declared or (key, field) in judged:
                    continue
                judged.add((key, field))
                listed = ", ".join(sorted(declared)[:10]) + (", ..." if len(declared) > 10 else "")
                message = (
                    f"column lineage names {role} column {field!r} of {key[1]}/{key[2]}, "
                    f"which its schema facet does not declare (declared: {listed or 'none'})"
                )
                violation = Violation(
                    Kind.LINEAGE, DECLARED_COLUMN, message, data["pointer"], level=Level.WARNING
                )
                found.append(Finding(violation, data["where"]))
        return found

    def layout(self) -> dict[Key, tuple[int, int]]:
        """``(layer, order)`` per node, left to right: a node's layer is after every
        node it reads from (a cycle shares one layer); within a layer, nodes sit
        near the mean position of their predecessors."""
        graph = self.lineage
        condensed = nx.condensation(graph)
        layers: list[list[Key]] = []
        for generation in nx.topological_generations(condensed):
            members = [m for c in generation for m in condensed.nodes[c]["members"]]
            layers.append(members)
        place: dict[Key, tuple[int, int]] = {}
        for depth, members in enumerate(layers):

            def weight(node: Key) -> tuple[float, Key]:
                before = [place[p][1] for p in graph.predecessors(node) if p in place]
                return (sum(before) / len(before) if before else -math.inf, node)

            for order, node in enumerate(sorted(members, key=weight)):
                place[node] = (depth, order)
        return place

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``nodes`` (id, kind, namespace, name, layer, order), ``edges``
        (source, target, runs) and ``columns`` (source and target dataset ids and fields)."""
        place = self.layout()
        ids: dict[Key, str] = {}
        taken: set[str] = set()
        for key in self.lineage:
            text = f"{key[0]}:{key[1]}/{key[2]}"
            while text in taken:  # a namespace or name holding "/" could collide
                text += "'"
            taken.add(text)
            ids[key] = text
        nodes = [
            {
                "id": ids[key],
                "kind": key[0],
                "namespace": key[1],
                "name": key[2],
                "layer": place[key][0],
                "order": place[key][1],
                **({"fields": sorted(self._declared[key])} if key in self._declared else {}),
            }
            for key in self.lineage
        ]
        edges = [
            {"source": ids[s], "target": ids[t], "runs": list(data["runs"])}
            for s, t, data in self.lineage.edges(data=True)
        ]
        columns = [
            {
                "source": ids[s[0]],
                "sourceField": s[1],
                "target": ids[t[0]],
                "targetField": t[1],
                "runs": list(data["runs"]),
            }
            for s, t, data in self.columns.edges(data=True)
        ]
        return {"nodes": nodes, "edges": edges, "columns": columns}
