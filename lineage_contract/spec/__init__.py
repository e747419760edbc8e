"""The OpenLineage specification: where its schemas come from, and how an event is checked.

:class:`SchemaStore` gets the published schemas from a local mirror (a
directory laid out like https://openlineage.io/spec/), the user's cache or the
network; :class:`Conformance` checks every facet of an event against the schema
its ``_schemaURL`` names, and the event against its core schema, each finding a
warning of kind ``spec``.
"""

from ..contract._published import (
    OFFLINE_ENV,
    PUBLISHED,
    SCHEMAS_ENV,
    Catalog,
    default_cache_dir,
    mirror_from_env,
    offline_from_env,
)
from ._conformance import (
    BAD_URL,
    UNAVAILABLE,
    Conformance,
    ConformanceResult,
    Settings,
    Unchecked,
)
from ._resolve import Resolved, Unresolved, resolve, standard_facets
from ._store import SchemaStore, SchemaUnavailable

__all__ = [
    "BAD_URL",
    "OFFLINE_ENV",
    "PUBLISHED",
    "SCHEMAS_ENV",
    "UNAVAILABLE",
    "Catalog",
    "Conformance",
    "ConformanceResult",
    "Resolved",
    "SchemaStore",
    "SchemaUnavailable",
    "Settings",
    "Unchecked",
    "Unresolved",
    "default_cache_dir",
    "mirror_from_env",
    "offline_from_env",
    "resolve",
    "standard_facets",
]
