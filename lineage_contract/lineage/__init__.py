"""Checks across events: run lifecycles, the lineage graph and dataset naming.

Every other check looks at one event. These look at the events together, in
arrival order: each run's lifecycle (:class:`Runs`), the lineage the events
draw (:class:`Graph`, on networkx) and dataset namespaces against
OpenLineage's naming conventions (:mod:`._naming`). :class:`Lineage` feeds all
three. Findings are warnings (:class:`~lineage_contract.validation.Level`),
each a :class:`Finding` placed at the caller's handle on the event that broke
the rule.
"""

from ._finding import Finding
from ._graph import DATASET, DECLARED_COLUMN, JOB, Graph
from ._lineage import Lineage
from ._naming import (
    ALIASES,
    DEFAULT_PORTS,
    NAMESPACE_FORMAT,
    NAMESPACE_SCHEME,
    NAMESPACE_SPELLING,
    ROWS,
    Row,
    check_namespace,
    spelling,
)
from ._runs import (
    AFTER_TERMINAL,
    OPEN,
    RULES,
    SAME_JOB,
    START_FIRST,
    START_ONCE,
    TERMINAL_ONCE,
    TIME_ORDER,
    Run,
    RunEvent,
    Runs,
)
from ._trace import Trace, Tracer

__all__ = [
    "AFTER_TERMINAL",
    "ALIASES",
    "DATASET",
    "DECLARED_COLUMN",
    "DEFAULT_PORTS",
    "JOB",
    "NAMESPACE_FORMAT",
    "NAMESPACE_SCHEME",
    "NAMESPACE_SPELLING",
    "OPEN",
    "ROWS",
    "RULES",
    "SAME_JOB",
    "START_FIRST",
    "START_ONCE",
    "TERMINAL_ONCE",
    "TIME_ORDER",
    "Finding",
    "Graph",
    "Lineage",
    "Row",
    "Run",
    "RunEvent",
    "Runs",
    "Trace",
    "Tracer",
    "check_namespace",
    "spelling",
]
