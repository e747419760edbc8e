"""The lineage the events draw: jobs and datasets, inputs -> job -> outputs, and columns.

Two :mod:`networkx` graphs: :attr:`Graph.lineage` with a node per job and per
dataset (keys ``(kind, namespace, name)``) and an edge per input -> job and
job -> output, each carrying the runs that drew it; :attr:`Graph.columns`
with a node per ``(dataset key, field)`` and an edge per input column ->
output column of a ``columnLineage`` facet. Events are gathered in plain
dicts (the cost per event stays a few lookups) and the graphs built from them
when asked.

A column that column lineage names and its dataset's ``schema`` facet does
not declare is a warning of kind ``lineage``; a dataset without a schema facet
is not judged. The schema judged is the dataset's latest one before column
lineage first names the dataset, and every one from then on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Generic

import networkx as nx

from ..validation._report import Kind, Level, Violation
from ._finding import Finding, W
from ._naming import Seen
from ._trace import Trace, declared

JOB, DATASET = "job", "dataset"
DECLARED_COLUMN = "declared-column"
"""The keyword of a column lineage naming a column its dataset's schema does not declare."""

Key = tuple[str, str, str]
"""A node: ``(kind, namespace, name)``."""
ColumnKey = tuple[Key, str]


class Graph(Generic[W]):
    """The lineage graph, fed :class:`Trace` s in arrival order."""

    def __init__(self) -> None:
        self._nodes: dict[Key, tuple[W, str]] = {}
        """Each node, in the order first seen, with where and at which pointer."""
        self._edges: dict[tuple[Key, Key], dict[str, None]] = {}
        self._columns: dict[tuple[ColumnKey, ColumnKey], tuple[dict[str, None], W, str]] = {}
        self._schemas: dict[Key, list[Any]] = {}
        """The latest schema ``fields`` of each dataset column lineage has not named yet."""
        self._declared: dict[Key, set[str]] = {}
        """The columns declared for each dataset column lineage has named."""
        self._built: tuple[Any, Any] | None = None

    def add(self, trace: Trace, where: W) -> None:
        self._built = None
        nodes, edges = self._nodes, self._edges
        job: Key | None = None
        if trace.job is not None:
            job = (JOB, trace.job[0], "/".join(trace.job[1:]))
            if job not in nodes:
                nodes[job] = (where, "")
        run = trace.run_id
        inputs = len(trace.inputs)
        for rank, dataset in enumerate((*trace.inputs, *trace.outputs)):
            key = (DATASET, dataset.namespace, dataset.name)
            if key not in nodes:
                nodes[key] = (where, dataset.pointer)
            if dataset.schema is not None:
                known = self._declared.get(key)
                if known is None:
                    self._schemas[key] = dataset.schema
                else:
                    known.update(declared(dataset.schema))
            if job is not None:
                edge = (key, job) if rank < inputs else (job, key)
                runs = edges.get(edge)
                if runs is None:
                    runs = edges[edge] = {}
                if run is not None:
                    runs[run] = None  # a dict keeps each run once, in arrival order
            for column in dataset.columns:
                self._column(key, column.field, column.pointer, column.inputs, run, where)

    def _column(
        self,
        target: Key,
        field: str,
        pointer: str,
        inputs: tuple[tuple[str, str, str], ...],
        run: str | None,
        where: W,
    ) -> None:
        self._name(target)
        for namespace, name, source_field in inputs:
            source = (DATASET, namespace, name)
            if source not in self._nodes:
                self._nodes[source] = (where, pointer)
            self._name(source)
            edge = ((source, source_field), (target, field))
            entry = self._columns.get(edge)
            if entry is None:
                entry = self._columns[edge] = ({}, where, pointer)
            if run is not None:
                entry[0][run] = None

    def _name(self, key: Key) -> None:
        """Column lineage names ``key``: from now on every schema of it counts."""
        if key not in self._declared:
            schema = self._schemas.pop(key, None)
            self._declared[key] = set() if schema is None else declared(schema)
            if schema is None:
                self._declared[key].add(_UNDESCRIBED)

    @property
    def lineage(self) -> Any:
        """Jobs and datasets (``nx.DiGraph``): edges carry ``runs``, nodes ``where``."""
        return self._build()[0]

    @property
    def columns(self) -> Any:
        """Columns (``nx.DiGraph`` of ``(dataset key, field)``): edges carry ``runs``."""
        return self._build()[1]

    def _build(self) -> tuple[Any, Any]:
        if self._built is None:
            lineage = nx.DiGraph()
            for key, (where, pointer) in self._nodes.items():
                lineage.add_node(key, where=where, pointer=pointer)
            for (source, target), runs in self._edges.items():
                lineage.add_edge(source, target, runs=list(runs))
            columns = nx.DiGraph()
            for (one, other), (runs, where, pointer) in self._columns.items():
                columns.add_edge(one, other, runs=list(runs), where=where, pointer=pointer)
            self._built = (lineage, columns)
        return self._built

    def declared(self, key: Key) -> set[str] | None:
        """The columns the dataset's schema facets declare; None without any."""
        if key in self._declared:
            known = self._declared[key]
            return None if _UNDESCRIBED in known and len(known) == 1 else known - {_UNDESCRIBED}
        schema = self._schemas.get(key)
        return None if schema is None else declared(schema)

    def datasets(self) -> Iterator[Seen[W]]:
        """Every dataset, in the order first seen, with where it was first seen."""
        for key, (where, pointer) in self._nodes.items():
            if key[0] == DATASET:
                yield Seen(key[1], key[2], where, pointer)

    def findings(self) -> list[Finding[W]]:
        """Columns that column lineage names and the dataset's schema facets do not declare."""
        found: list[Finding[W]] = []
        judged: set[ColumnKey] = set()
        for (source, target), (_, where, pointer) in self._columns.items():
            for role, (key, field) in (("input", source), ("output", target)):
                known = self.declared(key)
                if known is None or field in known or (key, field) in judged:
                    continue
                judged.add((key, field))
                listed = ", ".join(sorted(known)[:10]) + (", ..." if len(known) > 10 else "")
                message = (
                    f"column lineage names {role} column {field!r} of {key[1]}/{key[2]}, "
                    f"which its schema facet does not declare (declared: {listed or 'none'})"
                )
                violation = Violation(
                    Kind.LINEAGE, DECLARED_COLUMN, message, pointer, level=Level.WARNING
                )
                found.append(Finding(violation, where))
        return found

    def layout(self) -> dict[Key, tuple[int, int]]:
        """``(layer, order)`` per node, left to right: a node's layer is after every
        node it reads from (a cycle shares one layer); within a layer, nodes sit
        near the mean position of their predecessors."""
        graph = self.lineage
        condensed = nx.condensation(graph)
        place: dict[Key, tuple[int, int]] = {}
        for depth, generation in enumerate(nx.topological_generations(condensed)):
            members = [m for c in generation for m in condensed.nodes[c]["members"]]

            def weight(node: Key) -> tuple[float, Key]:
                before = [place[p][1] for p in graph.predecessors(node) if p in place]
                return (sum(before) / len(before) if before else -math.inf, node)

            for order, node in enumerate(sorted(members, key=weight)):
                place[node] = (depth, order)
        return place

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``nodes`` (id, kind, namespace, name, layer, order, fields),
        ``edges`` (source, target, runs) and ``columns`` (source and target ids and fields)."""
        place = self.layout()
        ids: dict[Key, str] = {}
        taken: set[str] = set()
        for key in self._nodes:
            text = f"{key[0]}:{key[1]}/{key[2]}"
            while text in taken:  # a namespace or name holding "/" could collide
                text += "'"
            taken.add(text)
            ids[key] = text
        nodes = []
        for key in self._nodes:
            node: dict[str, Any] = {
                "id": ids[key],
                "kind": key[0],
                "namespace": key[1],
                "name": key[2],
                "layer": place[key][0],
                "order": place[key][1],
            }
            fields = self.declared(key) if key[0] == DATASET else None
            if fields is not None:
                node["fields"] = sorted(fields)
            nodes.append(node)
        edges = [
            {"source": ids[s], "target": ids[t], "runs": list(runs)}
            for (s, t), runs in self._edges.items()
        ]
        columns = [
            {
                "source": ids[s[0]],
                "sourceField": s[1],
                "target": ids[t[0]],
                "targetField": t[1],
                "runs": list(runs),
            }
            for (s, t), (runs, _, _) in self._columns.items()
        ]
        return {"nodes": nodes, "edges": edges, "columns": columns}


_UNDESCRIBED = "\x00"  # marks a dataset named by column lineage before any schema of it came
