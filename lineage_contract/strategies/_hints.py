"""Value hints: what OpenLineage values look like (facets, namespaces, producers, times).

What makes values look like OpenLineage rather than noise is a table of value
hints (:data:`PROPERTY_HINTS`, :data:`FACETS`), keyed by property name,
component name or format: facet names for open maps, namespaces such as
``postgres://db:5432``, dataset names such as ``schema.table``, ``https://``
producers and schema URLs, RFC 3339 times with real-world offsets. A hint is
only a value: it is used where the walked schema allows it, and a value that
fails the checks at that place falls back to schema-driven generation.
Undeclared properties are generated only where the schema declares
``additionalProperties`` (absent means allowed, but producers do not send
extras there).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import itertools
import string
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import strategies as st

Strategy = st.SearchStrategy[Any]


_EPOCH: Final = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS: Final = 6 * 366 * 86400  # 2018 to 2029: a sensible range for lineage
# Offsets in use somewhere (minutes); None is "Z". Real ones only: no -23:59.
# fmt: off
OFFSETS: Final = (None, 0, 60, 120, 180, 330, 345, 480, 540, 570, 600, 780, -180, -240, -300,
                   -360, -420, -480, -600, 840, -720)
# fmt: on


def rfc3339(instant: dt.datetime, offset: int | None, digits: int) -> str:
    local = instant + dt.timedelta(minutes=offset or 0)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{local.microsecond:06d}"[:digits]
    if offset is None:
        return text + "Z"
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def instant(seconds: int, micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=seconds, microseconds=micros)


def _decode_time(n: int) -> str:
    # One integer draw per time: cheap to generate, and 0 (where shrinking
    # ends) is 2024-01-01T00:00:00Z.
    n, digits = divmod(n, 3)
    n, offset = divmod(n, len(OFFSETS))
    n, micros = divmod(n, 1_000_000)
    seconds = (n + 1) // 2 * (1 if n % 2 else -1)
    return rfc3339(instant(seconds, micros), OFFSETS[offset], (0, 3, 6)[digits])


@functools.cache
def _date_times() -> Strategy:
    return st.integers(0, 3 * len(OFFSETS) * 1_000_000 * SPAN_SECONDS).map(_decode_time)


_HOSTS: Final = ("db", "warehouse.internal", "10.0.12.7", "analytics-db", "localhost")
_BUCKETS: Final = ("bucket", "data-lake", "raw-events", "acme-warehouse")
_SCHEMAS: Final = ("public", "analytics", "staging", "raw", "sales", "finance")
_TABLES: Final = ("orders", "customers", "daily_revenue", "events", "payments", "users")
_JOB_NAMESPACES: Final = (
    "airflow", "default", "food_delivery", "my-scheduler-namespace", "dbt", "spark-prod", "dagster"
)  # fmt: skip
_DAGS: Final = ("etl_orders", "daily_revenue", "ingest_events", "customer_360")
_TASKS: Final = ("extract", "load_orders", "transform", "run_model", "insert_into")
_VERSIONS: Final = ("1.54.0", "1.40.1", "1.23.0", "2.3.0")
_PRODUCERS: Final = (
    "https://github.com/OpenLineage/OpenLineage/tree/{}/integration/airflow",
    "https://github.com/OpenLineage/OpenLineage/tree/{}/integration/spark",
    "https://github.com/OpenLineage/OpenLineage/tree/{}/integration/dbt",
    "https://github.com/OpenLineage/OpenLineage/tree/{}/client/python",
    "https://github.com/apache/airflow/tree/providers-openlineage/{}",
)
_SPEC_VERSIONS: Final = ("2-0-2", "2-0-1", "2-0-0", "1-0-5")


# Hints are pools drawn with one choice each: a value costs one draw, not one per part.
def _pool(*parts: Iterable[str]) -> tuple[str, ...]:
    return tuple("".join(p) for p in itertools.product(*parts))


@functools.cache
def _dataset_namespaces() -> Strategy:
    return st.sampled_from(
        _pool(
            ("postgres://", "mysql://", "redshift://", "kafka://"),
            _HOSTS,
            (":5432", ":3306", ":5439", ":9092"),
        )
        + _pool(("s3://", "gs://", "abfss://", "hdfs://"), _BUCKETS)
        + ("bigquery", "file", "snowflake://acme-xy123", "trino://trino:8080")
    )


@functools.cache
def _dataset_names() -> Strategy:
    return st.sampled_from(
        _pool(_SCHEMAS, (".",), _TABLES)
        + _pool(("warehouse.", "prod.", "analytics_db."), _SCHEMAS, (".",), _TABLES)
        + _pool(("/warehouse/", "/raw/", "/tmp/outputs/"), _TABLES)
    )


@functools.cache
def _job_names() -> Strategy:
    return st.sampled_from(_pool(_DAGS, ("",)) + _pool(_DAGS, (".",), _TASKS))


@functools.cache
def _producers() -> Strategy:
    return st.sampled_from([t.format(v) for v in _VERSIONS for t in _PRODUCERS])


@functools.cache
def _event_schema_urls() -> Strategy:
    return st.sampled_from(
        [
            f"https://openlineage.io/spec/{v}/OpenLineage.json#/$defs/RunEvent"
            for v in _SPEC_VERSIONS
        ]
    )


def _facet_schema_url(spec: str, version: str = "1-0-1") -> Strategy:
    return st.just(f"https://openlineage.io/spec/facets/{version}/{spec}.json#/$defs/{spec}")


def _uuid4(n: int) -> str:
    return str(uuid.UUID(int=n, version=4))


@functools.cache
def uuids() -> Strategy:
    # One integer draw (st.uuids() costs five); 0, where shrinking ends, is a valid v4 UUID.
    return st.integers(0, 2**128 - 1).map(_uuid4)


def _words() -> Strategy:
    return st.sampled_from(("id", "amount", "created_at", "status", "name", "email", "total"))


def _job_ref() -> Strategy:
    return st.fixed_dictionaries(
        {"namespace": st.sampled_from(_JOB_NAMESPACES), "name": _job_names()}
    )


# Facets: name -> (maps it belongs in, spec class prefix, body of extra properties).
# A map is named by the component of its values, as the contract names them; the
# facet's spec class is the prefix followed by that name (SchemaDatasetFacet).
_RUN, _JOB, _DATASET, _INPUT, _OUTPUT = (
    "RunFacet",
    "JobFacet",
    "DatasetFacet",
    "InputDatasetFacet",
    "OutputDatasetFacet",
)
FACETS: Final[Mapping[str, tuple[tuple[str, ...], str, Callable[[], Strategy]]]] = {
    "parent": (
        (_RUN,),
        "Parent",
        lambda: st.fixed_dictionaries(
            {"run": st.fixed_dictionaries({"runId": uuids()}), "job": _job_ref()}
        ),
    ),
    "nominalTime": (
        (_RUN,),
        "NominalTime",
        lambda: st.fixed_dictionaries(
            {"nominalStartTime": _date_times()}, optional={"nominalEndTime": _date_times()}
        ),
    ),
    "processing_engine": (
        (_RUN,),
        "ProcessingEngine",
        lambda: st.fixed_dictionaries(
            {
                "name": st.sampled_from(("spark", "Airflow", "flink")),
                "version": st.sampled_from(("3.5.1", "2.9.2", "1.18.0")),
                "openlineageAdapterVersion": st.sampled_from(_VERSIONS),
            }
        ),
    ),
    "errorMessage": (
        (_RUN,),
        "ErrorMessage",
        lambda: st.fixed_dictionaries(
            {
                "message": st.sampled_from(("division by zero", "table not found: raw.events")),
                "programmingLanguage": st.sampled_from(("python", "scala", "sql")),
            }
        ),
    ),
    "sql": (
        (_JOB,),
        "SQL",
        lambda: st.fixed_dictionaries(
            {
                "query": st.builds(
                    "SELECT * FROM {}.{}".format,
                    st.sampled_from(_SCHEMAS),
                    st.sampled_from(_TABLES),
                )
            }
        ),
    ),
    "jobType": (
        (_JOB,),
        "JobType",
        lambda: st.fixed_dictionaries(
            {
                "processingType": st.sampled_from(("BATCH", "STREAMING")),
                "integration": st.sampled_from(("AIRFLOW", "SPARK", "DBT", "FLINK")),
                "jobType": st.sampled_from(("QUERY", "TASK", "JOB", "DAG")),
            }
        ),
    ),
    "sourceCodeLocation": (
        (_JOB,),
        "SourceCodeLocation",
        lambda: st.fixed_dictionaries(
            {
                "type": st.just("git"),
                "url": st.builds(
                    "https://github.com/acme/pipelines/blob/main/dags/{}.py".format,
                    st.sampled_from(_DAGS),
                ),
            }
        ),
    ),
    "documentation": (
        (_JOB, _DATASET),
        "Documentation",
        lambda: st.fixed_dictionaries(
            {"description": st.sampled_from(("Daily revenue rollup", "Raw orders from the shop"))}
        ),
    ),
    "ownership": (
        (_JOB, _DATASET),
        "Ownership",
        lambda: st.fixed_dictionaries(
            {
                "owners": st.lists(
                    st.fixed_dictionaries(
                        {"name": st.sampled_from(("team:data-eng", "user:ada"))},
                        optional={"type": st.sampled_from(("MAINTAINER", "OWNER"))},
                    ),
                    max_size=2,
                )
            }
        ),
    ),
    "schema": (
        (_DATASET,),
        "Schema",
        lambda: st.fixed_dictionaries(
            {
                "fields": st.lists(
                    st.fixed_dictionaries(
                        {
                            "name": _words(),
                            "type": st.sampled_from(
                                ("integer", "varchar", "timestamp", "decimal(10,2)")
                            ),
                        }
                    ),
                    max_size=4,
                    unique_by=lambda f: f["name"],
                )
            }
        ),
    ),
    "dataSource": (
        (_DATASET,),
        "Datasource",
        lambda: st.fixed_dictionaries(
            {"name": _dataset_namespaces(), "uri": _dataset_namespaces()}
        ),
    ),
    "symlinks": (
        (_DATASET,),
        "Symlinks",
        lambda: st.fixed_dictionaries(
            {
                "identifiers": st.lists(
                    st.fixed_dictionaries(
                        {
                            "namespace": _dataset_namespaces(),
                            "name": _dataset_names(),
                            "type": st.just("TABLE"),
                        }
                    ),
                    min_size=1,
                    max_size=2,
                )
            }
        ),
    ),
    "lifecycleStateChange": (
        (_DATASET,),
        "LifecycleStateChange",
        lambda: st.fixed_dictionaries(
            {
                "lifecycleStateChange": st.sampled_from(
                    ("CREATE", "OVERWRITE", "ALTER", "TRUNCATE", "DROP")
                )
            }
        ),
    ),
    "storage": (
        (_DATASET,),
        "Storage",
        lambda: st.fixed_dictionaries(
            {
                "storageLayer": st.sampled_from(("iceberg", "delta")),
                "fileFormat": st.sampled_from(("parquet", "orc")),
            }
        ),
    ),
    "version": (
        (_DATASET,),
        "DatasetVersion",
        lambda: st.fixed_dictionaries({"datasetVersion": st.integers(1, 500).map(str)}),
    ),
    "dataQualityMetrics": (
        (_INPUT,),
        "DataQualityMetrics",
        lambda: st.fixed_dictionaries(
            {"rowCount": st.integers(0, 10**7), "columnMetrics": st.just({})}
        ),
    ),
    "inputStatistics": (
        (_INPUT,),
        "InputStatistics",
        lambda: st.fixed_dictionaries(
            {"rowCount": st.integers(0, 10**7), "size": st.integers(0, 10**10)}
        ),
    ),
    "outputStatistics": (
        (_OUTPUT,),
        "OutputStatistics",
        lambda: st.fixed_dictionaries(
            {"rowCount": st.integers(0, 10**7), "size": st.integers(0, 10**10)}
        ),
    ),
}
# Keys of open maps whose values are not named components, by the map's property name.
MAP_KEYS_BY_PROPERTY: Final = {
    "facets": (_RUN, _JOB, _DATASET),
    "inputFacets": (_INPUT,),
    "outputFacets": (_OUTPUT,),
}
GENERIC_KEYS: Final = ("custom", "extra", "note", "owner", "tag", "source")


@dataclass(frozen=True)
class Hint:
    factory: Callable[[], Strategy]
    formats: frozenset[str] = frozenset()
    """Formats every value of the hint is in (so no check is needed for them)."""


_URI_FORMATS: Final = frozenset({"uri", "uri-reference"})
# Looked up as "<key of the containing object>.<its component>.<property>",
# "<component>.<property>", then "<property>".
PROPERTY_HINTS: Final[Mapping[str, Hint]] = {
    "producer": Hint(_producers, _URI_FORMATS),
    "_producer": Hint(_producers, _URI_FORMATS),
    "schemaURL": Hint(_event_schema_urls, _URI_FORMATS),
    "Dataset.namespace": Hint(_dataset_namespaces),
    "Dataset.name": Hint(_dataset_names),
    "Job.namespace": Hint(lambda: st.sampled_from(_JOB_NAMESPACES)),
    "Job.name": Hint(_job_names),
    "namespace": Hint(lambda: st.sampled_from(_JOB_NAMESPACES)),
    "name": Hint(_dataset_names),
    **{
        f"{facet}.{kind}._schemaURL": Hint(
            functools.partial(_facet_schema_url, prefix + kind), _URI_FORMATS
        )
        for facet, (kinds, prefix, _) in FACETS.items()
        for kind in kinds
    },
    "_schemaURL": Hint(functools.partial(_facet_schema_url, "BaseFacet"), _URI_FORMATS),
}


@functools.cache
def _uris() -> Strategy:
    return st.one_of(
        st.sampled_from(
            _pool(
                ("https://",),
                ("example.com", "openlineage.io", "acme.dev"),
                ("/", "/spec", "/producer/v1", "/a/b?c=d#e"),
            )
        ),
        _producers(),
        # Short and plain too, for places whose bounds the pools above cannot meet.
        st.from_regex(r"[a-z][a-z0-9+.-]{0,4}:[a-z0-9._~-]{0,12}", fullmatch=True),
    )


def _times() -> Strategy:
    return _date_times().map(lambda s: s.split("T", 1)[1])


FORMAT_STRATEGIES: Final[Mapping[str, Callable[[], Strategy]]] = {
    "uuid": uuids,
    "date-time": _date_times,
    "date": lambda: st.dates(dt.date(2018, 1, 1), dt.date(2029, 12, 31)).map(dt.date.isoformat),
    "time": _times,
    "uri": _uris,
    "uri-reference": lambda: st.one_of(_uris(), st.sampled_from(("/api/v1/lineage", "x/y", ""))),
    "byte": lambda: st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode("ascii")),
}

GENERIC_ALPHABET: Final = string.ascii_letters + string.digits + "_-."


@functools.cache
def any_json() -> Strategy:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.text(GENERIC_ALPHABET, max_size=12),
    )


# Optional properties producers seldom send (a value hint, like the others).
SELDOM_SENT: Final = frozenset({"_deleted"})
