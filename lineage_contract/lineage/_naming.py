"""Dataset namespaces against OpenLineage's naming conventions, and spellings that never meet.

The conventions (https://openlineage.io/docs/spec/naming, the spec's
``Naming.md``) give each data store a namespace shape, ``scheme://authority``
built from the datasource. :data:`ROWS` is that table, one :class:`Row` per
store; each finding names the row it checked against. Three rules, one
keyword each, all warnings of kind ``naming``:

* ``namespace-scheme``: no scheme at all, a scheme in capitals, or an alias of
  a table scheme (``postgresql`` for ``postgres``, ``s3a`` for ``s3``);
* ``namespace-format``: a table scheme whose namespace fits none of its rows
  (``postgres://db`` lacks the port);
* ``namespace-spelling``: the same dataset name under namespaces that differ only
  by scheme alias, default port, trailing slash or case: the lineage graph keeps
  them apart, so they never connect. One finding names every spelling.

Schemes the table does not list are not judged: the table names the common
stores, not every store.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic

from ..validation._report import Kind, Level, Violation
from ._finding import Finding, W

NAMESPACE_SCHEME = "namespace-scheme"
NAMESPACE_FORMAT = "namespace-format"
NAMESPACE_SPELLING = "namespace-spelling"


@dataclass(frozen=True, slots=True)
class Row:
    """One data store of the naming table: its namespace shape, ``{placeholders}`` and all."""

    store: str
    namespace: str

    @property
    def scheme(self) -> str:
        return self.namespace.split(":", 1)[0]

    def pattern(self) -> re.Pattern[str]:
        parts = re.split(r"(\{[^}]*\})", self.namespace)
        return re.compile(
            "".join(
                _PLACEHOLDERS.get(p, _ANY) if p.startswith("{") else re.escape(p) for p in parts
            )
        )


_ANY = r"[^/:@;?#\s]+"
_PLACEHOLDERS = {
    "{port}": r"[0-9]{1,5}",
    "{namenode port}": r"[0-9]{1,5}",
    "{account id}": r"[0-9]{12}",
    "{region}": r"[a-z]{2}(?:-[a-z]+)+-[0-9]",
    "{region_name}": r"[a-z]{2}(?:-[a-z]+)+-[0-9]",
    # Snowflake organization names are letters and digits, account names add "_".
    "{organization name}": r"[A-Za-z0-9]+",
    "{account name}": r"[A-Za-z0-9_]+",
}

_AZURE = ".dfs.core.windows.net"
ROWS: tuple[Row, ...] = (
    Row("Athena", "awsathena://athena.{region_name}.amazonaws.com"),
    Row("AWS Glue", "arn:aws:glue:{region}:{account id}"),
    Row("Azure Cosmos DB", "azurecosmos://{host}/dbs/{database}"),
    Row("Azure Data Explorer", "azurekusto://{host}.kusto.windows.net"),
    Row("Azure Synapse", "sqlserver://{host}:{port}"),
    Row("BigQuery", "bigquery"),
    Row("BigQuery", "bigquery://"),
    Row("Cassandra", "cassandra://{host}:{port}"),
    Row("MySQL", "mysql://{host}:{port}"),
    Row("Oracle", "oracle://{host}:{port}"),
    Row("Postgres", "postgres://{host}:{port}"),
    Row("Teradata", "teradata://{host}:{port}"),
    Row("Redshift", "redshift://{cluster_identifier}.{region_name}:{port}"),
    Row("Snowflake", "snowflake://{organization name}-{account name}"),
    Row("Trino", "trino://{host}:{port}"),
    Row(
        "ABFSS (Azure Data Lake Gen2)",
        "abfss://{container name}@{service name}.dfs.core.windows.net",
    ),
    Row("DBFS (Databricks File System)", "hdfs://{workspace name}"),
    Row("GCS", "gs://{bucket name}"),
    Row("HDFS", "hdfs://{namenode host}:{namenode port}"),
    Row("Kafka", "kafka://{bootstrap server host}:{port}"),
    Row("Local file system", "file"),
    Row("Remote file system", "file://{host}"),
    Row("S3", "s3://{bucket name}"),
    Row(
        "WASBS (Azure Blob Storage)", "wasbs://{container name}@{service name}.dfs.core.windows.net"
    ),
)

ALIASES = {
    "postgresql": "postgres",
    "psql": "postgres",
    "s3a": "s3",
    "s3n": "s3",
    "gcs": "gs",
    "mssql": "sqlserver",
    "mariadb": "mysql",
}
"""Other spellings of a table scheme, as drivers and URLs write them."""

DEFAULT_PORTS = {
    # Redshift's is the naming document's own ("Port (defaults to 5439)"); the others are
    # each server's documented default, which a client may leave out of its URL.
    "redshift": 5439,
    "postgres": 5432,
    "mysql": 3306,
    "sqlserver": 1433,
    "oracle": 1521,
    "teradata": 1025,
    "cassandra": 9042,
    "trino": 8080,
    "kafka": 9092,
    "hdfs": 8020,
}

_BY_SCHEME: dict[str, list[tuple[Row, re.Pattern[str]]]] = {}
for _row in ROWS:
    _BY_SCHEME.setdefault(_row.scheme, []).append((_row, _row.pattern()))
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_AUTHORITY = re.compile(r"//([^/?#]*)")


def check_namespace(namespace: str) -> Violation | None:
    """The naming rule a dataset namespace breaks, if any (the first, in the module's order)."""
    if namespace in _BY_SCHEME:  # a bare scheme row: "bigquery", "file"
        return None
    match = _SCHEME.match(namespace)
    if match is None:
        return _warn(
            NAMESPACE_SCHEME,
            f"namespace {namespace!r} names no datasource: OpenLineage's naming conventions "
            "build it as scheme://authority from the data store (Postgres: "
            "postgres://{host}:{port}, S3: s3://{bucket name}, ...)",
        )
    scheme = match.group(1)
    canonical = ALIASES.get(scheme.lower(), scheme.lower())
    rows = _BY_SCHEME.get(canonical)
    if rows is None:
        return None
    if canonical != scheme:
        cited = rows[0][0]
        return _warn(
            NAMESPACE_SCHEME,
            f"namespace {namespace!r}: the {cited.store} row of OpenLineage's naming "
            f"conventions spells the scheme {canonical!r} ({cited.namespace}), not {scheme!r}",
        )
    if any(pattern.fullmatch(namespace) for _, pattern in rows):
        return None
    shapes = " or ".join(f"{row.namespace} ({row.store} row)" for row, _ in rows)
    return _warn(
        NAMESPACE_FORMAT,
        f"namespace {namespace!r} does not follow OpenLineage's naming conventions: {shapes}",
    )


def spelling(namespace: str) -> str:
    """The namespace with scheme aliases, case, default port and trailing slashes evened out."""
    text = namespace.rstrip("/") or namespace
    match = _SCHEME.match(text)
    if match is None:
        return text.lower()
    scheme = match.group(1).lower()
    scheme = ALIASES.get(scheme, scheme)
    rest = text[match.end() :]
    authority = _AUTHORITY.match(rest)
    if authority is None:
        return f"{scheme}:{rest}" if rest else scheme
    host = authority.group(1).lower()
    port = DEFAULT_PORTS.get(scheme)
    if port is not None and host and not re.search(r":[0-9]*$", host):
        host = f"{host}:{port}"
    path = rest[authority.end() :]
    return f"{scheme}://{host}{path}" if host or path else scheme


@dataclass(frozen=True, slots=True)
class Seen(Generic[W]):
    """A dataset as first seen: its namespace and name, where, and its pointer there."""

    namespace: str
    name: str
    where: W
    pointer: str


def findings(datasets: Iterable[Seen[W]]) -> list[Finding[W]]:
    """Every naming finding over the datasets seen (given in the order first seen).

    A namespace that breaks a rule is reported once, at its first dataset; a
    datasource spelled several ways once, where a second spelling first came.
    """
    found: list[Finding[W]] = []
    judged: set[str] = set()
    by_spelling: dict[str, dict[str, dict[str, tuple[int, Seen[W]]]]] = {}
    for rank, seen in enumerate(datasets):
        if seen.namespace not in judged:
            judged.add(seen.namespace)
            violation = check_namespace(seen.namespace)
            if violation is not None:
                found.append(_placed(violation, seen))
        names = by_spelling.setdefault(spelling(seen.namespace), {})
        names.setdefault(seen.name, {}).setdefault(seen.namespace, (rank, seen))
    for names in by_spelling.values():
        split = {name: by_ns for name, by_ns in names.items() if len(by_ns) > 1}
        if not split:
            continue
        spellings = list(dict.fromkeys(ns for by_ns in split.values() for ns in by_ns))
        _, at = min(
            (entry for by_ns in split.values() for entry in list(by_ns.values())[1:]),
            key=lambda entry: entry[0],
        )
        shown = ", ".join(repr(name) for name in list(split)[:3])
        if len(split) > 3:
            shown += f" and {len(split) - 3} more"
        violation = _warn(
            NAMESPACE_SPELLING,
            f"namespaces {' and '.join(repr(s) for s in spellings)} spell one datasource "
            f"{len(spellings)} ways (scheme alias, default port, trailing slash or case): "
            f"the datasets {shown} under them never connect in the lineage",
        )
        found.append(_placed(violation, at))
    return found


def _warn(rule: str, message: str) -> Violation:
    return Violation(Kind.NAMING, rule, message, level=Level.WARNING)


def _placed(violation: Violation, seen: Seen[W]) -> Finding[W]:
    return Finding(dataclasses.replace(violation, pointer=f"{seen.pointer}/namespace"), seen.where)
