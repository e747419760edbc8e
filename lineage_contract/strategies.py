"""Hypothesis strategies for lineage events, built by walking the contract's request schema.

* :func:`valid_events` draws events the contract accepts.
* :func:`invalid_events` draws :class:`BrokenEvent` s: a valid event with exactly
  one rule of the document broken, saying where (``pointer``) and which
  (``keyword``). :func:`rules` lists the rules it chooses from.
* :func:`run_lifecycles` draws the events of one run, in order.

Nothing here copies the schema. The strategy is compiled from
``Contract.request_schema``: ``$ref``, ``allOf`` (merged), ``oneOf``/``anyOf``
(one branch per variant; a ``oneOf`` value is kept only when no sibling
branch accepts it too), ``type`` (``nullable`` arrives as a ``"null"`` type),
``enum``/``const``, ``format``, ``required`` and optional ``properties``,
``additionalProperties``, ``items`` and the ``min*``/``max*``/``pattern``/
``multipleOf`` bounds. Keywords it cannot generate for are enforced by
filtering with the full check at that place. Change the document and the
strategies follow.

What makes values look like OpenLineage rather than noise is a table of value
hints (:data:`_PROPERTY_HINTS`, :data:`_FACETS`), keyed by property name,
component name or format: facet names for open maps, namespaces such as
``postgres://db:5432``, dataset names such as ``schema.table``, ``https://``
producers and schema URLs, RFC 3339 times with real-world offsets. A hint is
only a value: it is used where the walked schema allows it, and a value that
fails the checks at that place falls back to schema-driven generation.
Undeclared properties are generated only where the schema declares
``additionalProperties`` (absent means allowed, but producers do not send
extras there).

Options (keyword-only): ``max_datasets`` bounds every array, ``max_facets``
every open map. ``event_type`` fixes the event type and ``job`` is merged into
(dicts) or replaces the job; both are located by :mod:`lineage_contract.anatomy`,
as are the event type, run id and event time of run lifecycles.

Invalid events break one rule of :func:`rules`: every ``required`` name at
every level (facets' own required fields inside ``additionalProperties`` maps
included), every ``type``, ``enum``/``const``, ``format``,
``additionalProperties: false``, and the ``minLength``/``maxLength``/
``pattern``/``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum``/
``multipleOf``/``minItems: 1`` bounds. A replacement value is checked when the
strategy is built to fail that place with that keyword alone; removals and
additions cannot fail to break. Where ``oneOf``/``anyOf`` alternatives lie on
the way (another branch might accept the broken event), each draw is also
checked with the validator. Not broken: ``maxItems``, ``uniqueItems``,
``minItems`` above 1, ``min``/``maxProperties`` and ``readOnly`` properties.

Importing this module registers nothing with Hypothesis and needs no network.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import itertools
import json
import math
import re
import string
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Final

import jsonschema
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .anatomy import MISSING, OTHER, RUNNING, START, TERMINAL, get
from .contract import Contract
from .dialect import python_pattern
from .errors import ContractError
from .formats import CHECKERS
from .report import pointer, unpointer

__all__ = [
    "ITEM",
    "KEY",
    "BrokenEvent",
    "Rule",
    "invalid_events",
    "rules",
    "run_lifecycles",
    "valid_events",
]

Strategy = st.SearchStrategy[Any]

_TYPES: Final = ("object", "array", "string", "integer", "number", "boolean", "null")
# Keywords that assert nothing about an instance.
# fmt: off
_ANNOTATIONS: Final = frozenset({
    "$schema", "$id", "$defs", "$comment", "$anchor", "$dynamicAnchor", "title", "description",
    "default", "examples", "deprecated", "readOnly", "writeOnly", "contentMediaType",
    "contentEncoding", "contentSchema",
})
# Keywords the generator builds values for; any other assertion is filtered for.
_GENERATED: Final = frozenset({
    "$ref", "allOf", "anyOf", "oneOf", "type", "enum", "const", "format", "minLength",
    "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "properties", "required", "additionalProperties", "patternProperties", "items",
    "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
})
# fmt: on
# OAS 3.0 formats that only annotate (see lineage_contract.formats).
_ANNOTATION_FORMATS: Final = frozenset({"float", "double", "binary", "password"})
_INTEGER_FORMATS: Final = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_SIZE_BOUNDS: Final = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
)
_MAX_VARIANTS: Final = 64
_MAX_RULE_DEPTH: Final = 12

DEFAULT_MAX_DATASETS: Final = 3
DEFAULT_MAX_FACETS: Final = 3


# ---------------------------------------------------------------------------
# The schema, merged: what one value at one place must satisfy
# ---------------------------------------------------------------------------


class _Wild:
    """A path segment standing for any array index or any map key."""

    def __init__(self, text: str, kind: str) -> None:
        self.text = text
        self.kind = kind

    def __repr__(self) -> str:
        return self.text


ITEM: Final = _Wild("*", "item")
"""Path segment: any element of an array."""
KEY: Final = _Wild("*", "key")
"""Path segment: any undeclared key of an object (an ``additionalProperties`` map)."""

Segment = str | _Wild
_Combo = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, eq=False)
class _Flat:
    """The constraints on one value after ``$ref``, ``allOf`` and one choice of branches."""

    governing: tuple[str, ...]
    """Pointers (into the request schema) of every schema applied at this place."""
    names: tuple[str, ...]
    """Names of the ``$defs`` components met, for value hints."""
    exclusions: tuple[str, ...] = ()
    """``oneOf`` siblings the value must not also match."""
    satisfiable: bool = True
    types: tuple[str, ...] | None = None
    enum: tuple[Any, ...] | None = None
    enum_keyword: str = "enum"
    formats: tuple[str, ...] = ()
    min_length: int = 0
    max_length: int | None = None
    patterns: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: tuple[float, ...] = ()
    properties: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    extra: tuple[str, ...] | None = ()
    """Governing schemas of undeclared keys; None when they are forbidden."""
    extra_declared: bool = False
    pattern_properties: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    min_items: int = 0
    max_items: int | None = None
    unique_items: bool = False
    min_properties: int = 0
    max_properties: int | None = None
    opaque: bool = False
    """Has assertions the generator does not build for: filter with the full check."""

    def allows(self, kind: str) -> bool:
        if self.types is None:
            return True
        return kind in self.types or (kind == "integer" and "number" in self.types)


_BLANK: Final = _Flat(governing=(), names=())


def _json_key(value: Any) -> str:
    # JSON equality: True is not 1, 1 is 1.0.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, sort_keys=True)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class _Model:
    """The request schema of one contract, walked once and kept for every strategy."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.root: Mapping[str, Any] = contract.request_schema
        checker = jsonschema.FormatChecker(formats=())
        for name, check in CHECKERS.items():
            checker.checks(name)(check)
        self._reference = jsonschema.Draft202012Validator(self.root, format_checker=checker)
        self._variants: dict[tuple[str, ...], tuple[_Flat, ...]] = {}
        self._checks: dict[tuple[str, ...], Callable[[Any], bool]] = {}
        self._validators: dict[tuple[str, ...], Any] = {}
        self.rules: dict[tuple[int, int], tuple[Rule, ...]] = {}
        """Rules found per (max_datasets, max_facets): only those bounds change reachability."""

    # -- reading the schema --

    def node(self, ptr: str) -> Any:
        node: Any = self.root
        for part in unpointer(ptr):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def _ref(self, ref: Any, where: str) -> str:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise ContractError(f"{self.contract.source}: cannot follow $ref {ref!r} at {where}")
        return ref[1:]

    # -- checking values at a place --

    def validator(self, governing: tuple[str, ...]) -> Any:
        found = self._validators.get(governing)
        if found is None:
            schema = {"allOf": [{"$ref": "#" + p} for p in governing]}
            found = self._validators[governing] = self._reference.evolve(schema=schema)
        return found

    def check(self, governing: tuple[str, ...]) -> Callable[[Any], bool]:
        """Whether a value is valid at a place governed by these schemas."""
        found = self._checks.get(governing)
        if found is None:
            found = self._checks[governing] = self.validator(governing).is_valid
        return found

    def breaks_only(self, governing: tuple[str, ...], value: Any, keyword: str) -> bool:
        """Whether ``value`` fails at this place with ``keyword`` and nothing else."""
        leaves = [
            leaf
            for error in self.validator(governing).iter_errors(value)
            for leaf in _leaf_errors(error)
        ]
        return bool(leaves) and all(
            not leaf.absolute_path and leaf.validator == keyword for leaf in leaves
        )

    # -- merging --

    def variants(self, governing: tuple[str, ...]) -> tuple[_Flat, ...]:
        """The ways to satisfy the schemas at one place, one per choice of branches."""
        found = self._variants.get(governing)
        if found is None:
            combos = self._expand(governing, frozenset())
            found = tuple(
                self._merge(governing, leaves, exclusions, names)
                for leaves, exclusions, names in combos[:_MAX_VARIANTS]
            )
            self._variants[governing] = found
        return found

    def _expand(self, pointers: Iterable[str], seen: frozenset[str]) -> list[_Combo]:
        """Leaves, ``oneOf`` exclusions and component names, one triple per branch choice."""
        leaves: list[str] = []
        names: list[str] = []
        groups: list[tuple[str, str, int]] = []
        visited = set(seen)

        def visit(ptr: str) -> None:
            if ptr in visited:
                return  # a $ref cycle at one place adds nothing new
            visited.add(ptr)
            node = self.node(ptr)
            if node is True or (isinstance(node, Mapping) and not node):
                return
            leaves.append(ptr)
            if not isinstance(node, Mapping):
                return
            if "$ref" in node:
                target = self._ref(node["$ref"], ptr)
                parts = unpointer(target)
                if len(parts) == 2 and parts[0] == "$defs":
                    names.append(parts[1])
                visit(target)
            for index in range(len(node.get("allOf", ()))):
                visit(f"{ptr}/allOf/{index}")
            for keyword in ("anyOf", "oneOf"):
                if keyword in node:
                    groups.append((keyword, ptr, len(node[keyword])))

        for ptr in pointers:
            visit(ptr)
        results: list[_Combo] = [(tuple(leaves), (), tuple(names))]
        for keyword, ptr, count in groups:
            grown: list[_Combo] = []
            for have, excluded, named in results:
                for index in range(count):
                    branch = f"{ptr}/{keyword}/{index}"
                    others = (
                        tuple(f"{ptr}/{keyword}/{j}" for j in range(count) if j != index)
                        if keyword == "oneOf"
                        else ()
                    )
                    for sub, sub_excluded, sub_named in self._expand((branch,), frozenset(visited)):
                        grown.append(
                            (have + sub, excluded + others + sub_excluded, named + sub_named)
                        )
            results = grown[:_MAX_VARIANTS]
        return results

    def _merge(
        self,
        governing: tuple[str, ...],
        leaves: tuple[str, ...],
        exclusions: tuple[str, ...],
        names: tuple[str, ...],
    ) -> _Flat:
        out: dict[str, Any] = {"governing": governing, "names": names, "exclusions": exclusions}
        types: list[str] | None = None
        enum: list[Any] | None = None
        keywords: set[str] = set()
        formats: list[str] = []
        patterns: list[str] = []
        multiples: list[float] = []
        required: list[str] = []
        declared: dict[str, None] = {}
        items: list[str] = []
        satisfiable = True
        opaque = False
        lows: list[tuple[float, bool]] = []
        highs: list[tuple[float, bool]] = []
        bounds: dict[str, list[int]] = {}
        schemas = [(ptr, self.node(ptr)) for ptr in leaves]
        for ptr, node in schemas:
            if node is False:
                satisfiable = False
                continue
            if not isinstance(node, Mapping):
                continue
            for key, value in node.items():
                if key in _ANNOTATIONS:
                    continue
                if key not in _GENERATED:
                    opaque = True
                if key == "type":
                    given = [value] if isinstance(value, str) else list(value)
                    types = given if types is None else _intersect_types(types, given)
                elif key in ("enum", "const"):
                    keywords.add(key)
                    values = list(value) if key == "enum" else [value]
                    wanted = {_json_key(v) for v in values}
                    enum = values if enum is None else [v for v in enum if _json_key(v) in wanted]
                elif key == "format" and value not in _ANNOTATION_FORMATS:
                    formats.append(value)
                elif key == "pattern":
                    patterns.append(value)
                elif key == "multipleOf":
                    multiples.append(value)
                elif key == "required":
                    required.extend(n for n in value if n not in required)
                elif key == "properties":
                    declared.update(dict.fromkeys(value))
                elif key == "items":
                    items.append(f"{ptr}/items")
                elif key in ("minimum", "exclusiveMinimum"):
                    lows.append((value, key == "exclusiveMinimum"))
                elif key in ("maximum", "exclusiveMaximum"):
                    highs.append((value, key == "exclusiveMaximum"))
                elif key in _SIZE_BOUNDS:
                    bounds.setdefault(key, []).append(value)
                elif key == "uniqueItems" and value is True:
                    out["unique_items"] = True
        properties: dict[str, tuple[str, ...]] = {}
        for name in list(declared) + [n for n in required if n not in declared]:
            properties[name] = self._property_governing(schemas, name)
        extra = [
            f"{ptr}/additionalProperties"
            for ptr, node in schemas
            if isinstance(node, Mapping) and "additionalProperties" in node
        ]
        out["extra"] = None if any(self.node(p) is False for p in extra) else tuple(extra)
        out["extra_declared"] = bool(extra) and out["extra"] is not None
        out["pattern_properties"] = tuple(
            pat
            for _, node in schemas
            if isinstance(node, Mapping)
            for pat in node.get("patternProperties", {})
        )
        out["properties"] = properties
        out["required"] = tuple(required)
        if types is not None:
            if not types:
                satisfiable = False
            out["types"] = tuple(types)
        if enum is not None:
            if not enum:
                satisfiable = False
            out["enum"] = tuple(enum)
            out["enum_keyword"] = "const" if keywords == {"const"} else "enum"
        out["formats"] = tuple(dict.fromkeys(formats))
        out["patterns"] = tuple(patterns)
        out["multiple_of"] = tuple(multiples)
        out["items"] = tuple(items)
        for low, exclusive in lows:
            key = "exclusive_minimum" if exclusive else "minimum"
            out[key] = low if out.get(key) is None else max(out[key], low)
        for high, exclusive in highs:
            key = "exclusive_maximum" if exclusive else "maximum"
            out[key] = high if out.get(key) is None else min(out[key], high)
        for key, values in bounds.items():
            attr = re.sub(r"([A-Z])", r"_\1", key).lower()
            out[attr] = max(values) if key.startswith("min") else min(values)
        if out.get("max_length") is not None and out["max_length"] < out.get("min_length", 0):
            satisfiable = False
        if out.get("max_items") is not None and out["max_items"] < out.get("min_items", 0):
            satisfiable = False
        out["satisfiable"] = satisfiable
        out["opaque"] = opaque
        return _Flat(**out)

    def _property_governing(self, schemas: Sequence[tuple[str, Any]], name: str) -> tuple[str, ...]:
        found: list[str] = []
        for ptr, node in schemas:
            if not isinstance(node, Mapping):
                continue
            if name in node.get("properties", {}):
                found.append(f"{ptr}/properties/{_escape(name)}")
                continue
            matched = [
                f"{ptr}/patternProperties/{_escape(pat)}"
                for pat in node.get("patternProperties", {})
                if _ecma(pat).search(name)
            ]
            if matched:
                found.extend(matched)
            elif "additionalProperties" in node:
                found.append(f"{ptr}/additionalProperties")
        return tuple(found)


def _escape(name: str) -> str:
    return pointer([name])[1:]


def _intersect_types(have: list[str], given: list[str]) -> list[str]:
    out = [t for t in have if t in given or (t == "integer" and "number" in given)]
    out.extend(t for t in given if t == "integer" and "number" in have and t not in out)
    return out


def _leaf_errors(error: Any) -> Iterator[Any]:
    """The errors that matter under ``anyOf``/``oneOf`` wrappers when every branch failed."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        failed = {sub.relative_schema_path[0] for sub in error.context}
        if len(failed) == len(error.validator_value):
            for sub in error.context:
                yield from _leaf_errors(sub)
            return
    yield error


_MODELS: weakref.WeakKeyDictionary[Contract, _Model] = weakref.WeakKeyDictionary()


def _model(contract: Contract | None) -> _Model:
    contract = contract if contract is not None else Contract.load()
    found = _MODELS.get(contract)
    if found is None:
        found = _MODELS[contract] = _Model(contract)
    return found


# ---------------------------------------------------------------------------
# Value hints: what OpenLineage values look like
# ---------------------------------------------------------------------------

_EPOCH: Final = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_SPAN_SECONDS: Final = 6 * 366 * 86400  # 2018 to 2029: a sensible range for lineage
# Offsets in use somewhere (minutes); None is "Z". Real ones only: no -23:59.
# fmt: off
_OFFSETS: Final = (None, 0, 60, 120, 180, 330, 345, 480, 540, 570, 600, 780, -180, -240, -300,
                   -360, -420, -480, -600, 840, -720)
# fmt: on


def _rfc3339(instant: dt.datetime, offset: int | None, digits: int) -> str:
    local = instant + dt.timedelta(minutes=offset or 0)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{local.microsecond:06d}"[:digits]
    if offset is None:
        return text + "Z"
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def _instant(seconds: int, micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=seconds, microseconds=micros)


def _decode_time(n: int) -> str:
    # One integer draw per time: cheap to generate, and 0 (where shrinking
    # ends) is 2024-01-01T00:00:00Z.
    n, digits = divmod(n, 3)
    n, offset = divmod(n, len(_OFFSETS))
    n, micros = divmod(n, 1_000_000)
    seconds = (n + 1) // 2 * (1 if n % 2 else -1)
    return _rfc3339(_instant(seconds, micros), _OFFSETS[offset], (0, 3, 6)[digits])


@functools.cache
def _date_times() -> Strategy:
    return st.integers(0, 3 * len(_OFFSETS) * 1_000_000 * _SPAN_SECONDS).map(_decode_time)


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
def _uuids() -> Strategy:
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
_FACETS: Final[Mapping[str, tuple[tuple[str, ...], str, Callable[[], Strategy]]]] = {
    "parent": (
        (_RUN,),
        "Parent",
        lambda: st.fixed_dictionaries(
            {"run": st.fixed_dictionaries({"runId": _uuids()}), "job": _job_ref()}
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
_MAP_KEYS_BY_PROPERTY: Final = {
    "facets": (_RUN, _JOB, _DATASET),
    "inputFacets": (_INPUT,),
    "outputFacets": (_OUTPUT,),
}
_GENERIC_KEYS: Final = ("custom", "extra", "note", "owner", "tag", "source")


@dataclass(frozen=True)
class _Hint:
    factory: Callable[[], Strategy]
    formats: frozenset[str] = frozenset()
    """Formats every value of the hint is in (so no check is needed for them)."""


_URI_FORMATS: Final = frozenset({"uri", "uri-reference"})
# Looked up as "<key of the containing object>.<its component>.<property>",
# "<component>.<property>", then "<property>".
_PROPERTY_HINTS: Final[Mapping[str, _Hint]] = {
    "producer": _Hint(_producers, _URI_FORMATS),
    "_producer": _Hint(_producers, _URI_FORMATS),
    "schemaURL": _Hint(_event_schema_urls, _URI_FORMATS),
    "Dataset.namespace": _Hint(_dataset_namespaces),
    "Dataset.name": _Hint(_dataset_names),
    "Job.namespace": _Hint(lambda: st.sampled_from(_JOB_NAMESPACES)),
    "Job.name": _Hint(_job_names),
    "namespace": _Hint(lambda: st.sampled_from(_JOB_NAMESPACES)),
    "name": _Hint(_dataset_names),
    **{
        f"{facet}.{kind}._schemaURL": _Hint(
            functools.partial(_facet_schema_url, prefix + kind), _URI_FORMATS
        )
        for facet, (kinds, prefix, _) in _FACETS.items()
        for kind in kinds
    },
    "_schemaURL": _Hint(functools.partial(_facet_schema_url, "BaseFacet"), _URI_FORMATS),
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


_FORMAT_STRATEGIES: Final[Mapping[str, Callable[[], Strategy]]] = {
    "uuid": _uuids,
    "date-time": _date_times,
    "date": lambda: st.dates(dt.date(2018, 1, 1), dt.date(2029, 12, 31)).map(dt.date.isoformat),
    "time": _times,
    "uri": _uris,
    "uri-reference": lambda: st.one_of(_uris(), st.sampled_from(("/api/v1/lineage", "x/y", ""))),
    "byte": lambda: st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode("ascii")),
}

_GENERIC_ALPHABET: Final = string.ascii_letters + string.digits + "_-."


@functools.cache
def _any_json() -> Strategy:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.text(_GENERIC_ALPHABET, max_size=12),
    )


# ---------------------------------------------------------------------------
# Building strategies
# ---------------------------------------------------------------------------

# A forced path: at each place, which variant to use and which child must exist.
Force = tuple[tuple[int, Segment | None], ...]


@dataclass(frozen=True)
class _Site:
    """A place in an event: its schemas plus what hints need to know about it."""

    governing: tuple[str, ...]
    prop: str | None = None
    """The property or map key this value sits under."""
    parents: tuple[str, ...] = ()
    """Component names of the containing object."""
    container: str | None = None
    """The key the containing object sits under (a facet's name, for its fields)."""
    force: Force = ()
    root: bool = False


@dataclass(frozen=True)
class _Fix:
    value: Any
    merge: bool


class _Builder:
    def __init__(
        self,
        model: _Model,
        *,
        max_datasets: int,
        max_facets: int,
        fixes: Mapping[str, _Fix] | None = None,
    ) -> None:
        self.model = model
        self.max_items = max_datasets
        self.max_keys = max_facets
        self.fixes = dict(fixes or {})
        self._cache: dict[_Site, Strategy | None] = {}
        self._building: set[_Site] = set()

    def event(self, force: Force = ()) -> Strategy:
        found = self.value(_Site(("",), force=force, root=True))
        if found is None:
            raise ContractError(f"{self.model.contract.source}: no event can satisfy the schema")
        return found

    def value(self, site: _Site) -> Strategy | None:
        """A strategy for the values valid at ``site``, or None when there are none."""
        if site in self._cache:
            return self._cache[site]
        if site in self._building:
            return st.deferred(lambda: _or_nothing(self._cache.get(site)))
        self._building.add(site)
        try:
            variants = self.model.variants(site.governing)
            seg: Segment | None = None
            if site.force:
                index, seg = site.force[0]
                variants = variants[index : index + 1]
            parts = [
                s for v in variants if (s := self._flat(v, site, seg, site.force[1:])) is not None
            ]
            found = None if not parts else parts[0] if len(parts) == 1 else st.one_of(parts)
        finally:
            self._building.discard(site)
        self._cache[site] = found
        return found

    def _flat(self, v: _Flat, site: _Site, seg: Segment | None, rest: Force) -> Strategy | None:
        if not v.satisfiable:
            return None
        if seg is None and _unconstrained(v):
            return _any_json()
        if v.enum is not None and seg is None:
            accept = self._acceptor(v)
            values = [e for e in v.enum if accept(e)]
            return st.sampled_from(values) if values else None
        kinds = list(v.types) if v.types is not None else list(_TYPES)
        if seg is not None:
            kinds = [k for k in kinds if k == ("array" if seg is ITEM else "object")]
        parts = [s for k in kinds if (s := self._typed(k, v, site, seg, rest)) is not None]
        if not parts:
            return None
        found = parts[0] if len(parts) == 1 else st.one_of(parts)
        if v.opaque or v.exclusions or (v.enum is not None and seg is not None):
            found = found.filter(self._acceptor(v))
        return found

    def _acceptor(self, v: _Flat) -> Callable[[Any], bool]:
        check = self.model.check(v.governing)
        excluded = [self.model.check((p,)) for p in v.exclusions]
        if not excluded:
            return check
        return lambda x: check(x) and not any(e(x) for e in excluded)

    def _typed(
        self, kind: str, v: _Flat, site: _Site, seg: Segment | None, rest: Force
    ) -> Strategy | None:
        if kind == "object":
            return self._object(v, site, seg, rest)
        if kind == "array":
            return self._array(v, site, seg, rest)
        if kind == "string":
            return self._string(v, site)
        if kind in ("integer", "number"):
            return self._number(v, kind == "integer")
        if kind == "boolean":
            return st.booleans()
        return st.none()

    # -- strings --

    def _string(self, v: _Flat, site: _Site) -> Strategy:
        plain = self._plain_string(v)
        hint = self._hint(site)
        if hint is None:
            return plain
        simple = (
            not v.patterns
            and v.min_length == 0
            and v.max_length is None
            and not v.opaque
            and not v.exclusions
            and set(v.formats) <= hint.formats
        )
        if simple:
            return hint.factory()
        return _with_fallback(hint.factory(), self._acceptor(v), plain)

    def _hint(self, site: _Site) -> _Hint | None:
        if site.prop is None:
            return None
        keys = [f"{site.container}.{name}.{site.prop}" for name in site.parents]
        keys += [f"{name}.{site.prop}" for name in site.parents]
        keys.append(site.prop)
        return next((_PROPERTY_HINTS[k] for k in keys if k in _PROPERTY_HINTS), None)

    def _plain_string(self, v: _Flat) -> Strategy:
        lo, hi = v.min_length, v.max_length
        checks: list[Callable[[str], bool]] = []
        formats = [f for f in v.formats if f in _FORMAT_STRATEGIES]
        if formats:
            base = _FORMAT_STRATEGIES[formats[0]]()
            checks.extend(CHECKERS[f] for f in v.formats[1:] if f in CHECKERS)
            checks.extend(_ecma(p).search for p in v.patterns)  # type: ignore[misc]
        elif v.patterns:
            base = st.from_regex(_ecma(v.patterns[0]))
            checks.extend(_ecma(p).search for p in v.patterns[1:])  # type: ignore[misc]
        else:
            size = max(hi if hi is not None else lo + 16, lo)
            return st.text(_GENERIC_ALPHABET, min_size=lo, max_size=size)
        if lo or hi is not None:
            checks.append(lambda s: lo <= len(s) <= (hi if hi is not None else len(s)))
        if not checks:
            return base
        return base.filter(lambda s: all(c(s) for c in checks))

    # -- numbers --

    def _number(self, v: _Flat, integral: bool) -> Strategy:
        lo, hi = v.minimum, v.maximum
        lo_x, hi_x = v.exclusive_minimum, v.exclusive_maximum
        for name in v.formats:
            if name in _INTEGER_FORMATS:
                integral = True
                low, high = _INTEGER_FORMATS[name]
                lo = low if lo is None else max(lo, low)
                hi = high if hi is None else min(hi, high)
        multiples = list(v.multiple_of)
        if not integral and not multiples:
            return st.floats(
                min_value=_pick(lo, lo_x, max),
                max_value=_pick(hi, hi_x, min),
                exclude_min=lo_x is not None and (lo is None or lo_x >= lo),
                exclude_max=hi_x is not None and (hi is None or hi_x <= hi),
                allow_nan=False,
                allow_infinity=False,
            )
        step = multiples[0] if multiples else 1
        start, stop = _ceil_step(lo, lo_x, step), _floor_step(hi, hi_x, step)
        if start is not None and stop is not None and start > stop:
            return st.nothing()
        found = st.integers(start, stop).map(lambda k: k * step)
        if integral and not isinstance(step, int):
            found = found.filter(lambda x: float(x).is_integer()).map(int)
        if len(multiples) > 1:
            found = found.filter(lambda x: all(_is_multiple(x, m) for m in multiples[1:]))
        return found

    # -- arrays --

    def _array(self, v: _Flat, site: _Site, seg: Segment | None, rest: Force) -> Strategy | None:
        low = max(v.min_items, 1 if seg is ITEM else 0)
        high = max(low, self.max_items)
        if v.max_items is not None:
            high = min(high, v.max_items)
        if high < low:
            return None
        item_site = _Site(
            v.items,
            prop=site.prop,
            parents=site.parents,
            container=site.container,
            force=rest if seg is ITEM else (),
        )
        item = self.value(item_site) if v.items else _any_json()
        if item is None:
            return st.just([]) if low == 0 else None
        unique = _json_key if v.unique_items else None
        return st.lists(item, min_size=low, max_size=high, unique_by=unique)

    # -- objects --

    def _object(self, v: _Flat, site: _Site, seg: Segment | None, rest: Force) -> Strategy | None:
        required = set(v.required)
        names: list[str] = []
        parts: list[Strategy] = []
        fixes = self.fixes if site.root else {}
        for name, governing in v.properties.items():
            forced = seg == name
            child = _Site(
                governing,
                prop=name,
                parents=v.names,
                container=site.prop,
                force=rest if forced else (),
            )
            strategy = self.value(child) if governing else _any_json()
            if strategy is None:
                if name in required or forced or name in fixes:
                    return None
                continue
            if name in fixes:
                fix = fixes[name]
                strategy = (
                    strategy.map(functools.partial(_deep_merge, fix.value))
                    if fix.merge
                    else st.just(fix.value)
                )
            elif name not in required and not forced:
                strategy = _optional(name, strategy)
            names.append(name)
            parts.append(strategy)
        extras = self._extras(v, site, seg, rest)
        if extras is not None:
            parts.append(extras)
        # tuples, not fixed_dictionaries: keeps the document's order and draws no shuffle.
        found = st.tuples(*parts).map(functools.partial(_assemble, names, extras is not None))
        if v.min_properties or v.max_properties is not None:
            low, high = v.min_properties, v.max_properties
            found = found.filter(lambda d: low <= len(d) <= (high if high is not None else len(d)))
        return found

    def _extras(self, v: _Flat, site: _Site, seg: Segment | None, rest: Force) -> Strategy | None:
        """Undeclared properties, where the schema declares what they may be."""
        extra = v.extra
        if extra is None or not v.extra_declared:
            return None
        forced = seg is KEY
        taken = set(v.properties)

        def free(key: str) -> bool:
            return key not in taken and not any(_ecma(p).search(key) for p in v.pattern_properties)

        if not forced and site.prop is not None and site.prop in _FACETS:
            body = _FACETS[site.prop][2]().map(lambda d: {k: x for k, x in d.items() if free(k)})
            if all(self.model.node(p) in (True, {}) for p in extra):
                return body
            check = self.model.check(extra)
            generic = _or_nothing(self.value(_Site(extra, parents=v.names)))
            return body.flatmap(lambda d: _checked_values(d, check, generic))
        keys = [k for k in self._map_keys(v, site) if free(k)]
        if not keys:
            return None
        size = self.max_keys if keys[0] in _FACETS else min(2, self.max_keys)
        low = 1 if forced else 0
        if size < low:
            return None

        def value_for(key: str) -> Strategy:
            where = _Site(
                extra,
                prop=key if key in _FACETS else None,
                parents=v.names,
                container=site.prop,
                force=rest if forced else (),
            )
            return _or_nothing(self.value(where))

        values = {k: value_for(k) for k in keys}

        @functools.lru_cache(maxsize=512)
        def shaped(chosen: tuple[str, ...]) -> Strategy:
            return st.fixed_dictionaries({k: values[k] for k in chosen})

        # Keys first (unique sampled_from lists never reject), then their values.
        chosen = st.lists(st.sampled_from(keys), min_size=low, max_size=size, unique=True)
        return chosen.map(tuple).flatmap(shaped)

    def _map_keys(self, v: _Flat, site: _Site) -> list[str]:
        values = self.model.variants(v.extra) if v.extra else ()
        named = [n for flat in values for n in flat.names]
        kinds = [n for n in named if any(n in maps for maps, _, _ in _FACETS.values())]
        if not kinds and site.prop in _MAP_KEYS_BY_PROPERTY:
            kinds = list(_MAP_KEYS_BY_PROPERTY[site.prop])
        if kinds:
            return [name for name, (maps, _, _) in _FACETS.items() if set(maps) & set(kinds)]
        return list(_GENERIC_KEYS)


@functools.lru_cache(maxsize=256)
def _ecma(pattern: str) -> re.Pattern[str]:
    """A JSON Schema (ECMA-262) pattern, compiled so that Python agrees with it."""
    return re.compile(python_pattern(pattern))


def _unconstrained(v: _Flat) -> bool:
    """Whether nothing at this place constrains the value (a ``true`` schema)."""
    return all(
        getattr(v, f.name) == getattr(_BLANK, f.name)
        for f in fields(_Flat)
        if f.name not in ("governing", "names")
    )


def _or_nothing(found: Strategy | None) -> Strategy:
    return st.nothing() if found is None else found


def _with_fallback(hint: Strategy, accept: Callable[[Any], bool], fallback: Strategy) -> Strategy:
    """The hint's value where the place accepts it, else a schema-driven one."""
    return hint.flatmap(lambda x: st.just(x) if accept(x) else fallback)


def _checked_values(
    body: dict[str, Any], check: Callable[[Any], bool], fallback: Strategy
) -> Strategy:
    bad = [k for k, x in body.items() if not check(x)]
    if not bad:
        return st.just(body)
    return st.fixed_dictionaries({k: fallback for k in bad}).map(lambda fixed: {**body, **fixed})


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Final = _Absent()


# Optional properties producers seldom send (a value hint, like the others).
_SELDOM_SENT: Final = frozenset({"_deleted"})


def _optional(name: str, strategy: Strategy) -> Strategy:
    # Present two times in three, so that optional parts (datasets, facets) are
    # common; absent once shrunk. The name in the choices keeps Hypothesis'
    # mutator from copying one property's presence onto every other one.
    absent = st.just(_ABSENT)
    odds = (None, None, None, name) if name in _SELDOM_SENT else (None, name, name)
    return st.sampled_from(odds).flatmap(lambda chosen: absent if chosen is None else strategy)


def _assemble(names: list[str], with_extras: bool, values: tuple[Any, ...]) -> dict[str, Any]:
    out = {k: x for k, x in zip(names, values, strict=False) if x is not _ABSENT}
    if with_extras:
        out.update((k, x) for k, x in values[-1].items() if k not in out)
    return out


def _deep_merge(fixed: Any, drawn: Any) -> Any:
    if isinstance(fixed, Mapping) and isinstance(drawn, Mapping):
        out = dict(drawn)
        for key, value in fixed.items():
            out[key] = _deep_merge(value, out[key]) if key in out else copy.deepcopy(value)
        return out
    return copy.deepcopy(fixed)


def _pick(
    inclusive: float | None, exclusive: float | None, choose: Callable[..., float]
) -> float | None:
    given = [b for b in (inclusive, exclusive) if b is not None]
    return choose(given) if given else None


def _ceil_step(lo: float | None, lo_x: float | None, step: float) -> int | None:
    candidates = []
    if lo is not None:
        candidates.append(math.ceil(lo / step))
    if lo_x is not None:
        candidates.append(math.floor(lo_x / step) + 1)
    return max(candidates) if candidates else None


def _floor_step(hi: float | None, hi_x: float | None, step: float) -> int | None:
    candidates = []
    if hi is not None:
        candidates.append(math.floor(hi / step))
    if hi_x is not None:
        candidates.append(math.ceil(hi_x / step) - 1)
    return min(candidates) if candidates else None


def _is_multiple(value: float, step: float) -> bool:
    quotient = value / step
    return math.isclose(quotient, round(quotient))


# ---------------------------------------------------------------------------
# Locating the parts options and lifecycles name
# ---------------------------------------------------------------------------

_MIDDLE: Final = (RUNNING, OTHER)


def _root_flat(model: _Model) -> _Flat:
    for flat in model.variants(("",)):
        if flat.satisfiable and flat.allows("object"):
            return flat
    raise ContractError(f"{model.contract.source}: the request body is never an object")


def _fixes(model: _Model, event_type: str | None, job: Any) -> dict[str, _Fix]:
    fixes: dict[str, _Fix] = {}
    root = _root_flat(model)
    anatomy = model.contract.anatomy
    if event_type is not None:
        if anatomy.event_type is None or len(anatomy.event_type) != 1:
            raise ContractError(
                f"{model.contract.source}: the event has no event type enum at its root "
                "to fix with event_type="
            )
        path, states = anatomy.event_type[0], anatomy.states
        if event_type not in states:
            raise InvalidArgument(
                f"event_type={event_type!r} is not allowed by the contract; "
                f"{path!r} is one of {', '.join(map(str, states))}"
            )
        fixes[path] = _Fix(event_type, merge=False)
    if job is not None:
        if not anatomy.job:
            raise ContractError(
                f"{model.contract.source}: the event has no job (a required object of "
                "required strings) to fix with job="
            )
        name = anatomy.job[0][0]
        _check_fixed(model, root.properties[name], job, f"/{name}")
        fixes[name] = _Fix(job, merge=isinstance(job, Mapping))
    return fixes


def _check_fixed(model: _Model, governing: tuple[str, ...], value: Any, where: str) -> None:
    """Refuse an override that no valid event could carry, naming where it fails."""
    if not isinstance(value, Mapping):
        if not model.check(governing)(value):
            raise InvalidArgument(f"the value given for {where} is not valid there: {value!r}")
        return
    flats = [f for f in model.variants(governing) if f.satisfiable and f.allows("object")]
    if not flats:
        raise InvalidArgument(f"{where} is never an object in the contract")
    flat = flats[0]
    for key, sub in value.items():
        child = flat.properties.get(key)
        if child is None:
            if flat.extra is None:
                raise InvalidArgument(f"{where}/{key} is not allowed by the contract")
            child = flat.extra
        if child:
            _check_fixed(model, child, sub, f"{where}/{_escape(key)}")


# ---------------------------------------------------------------------------
# Public strategies: valid events and lifecycles
# ---------------------------------------------------------------------------


def _check_bound(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument(f"{name} must be a non-negative integer, got {value!r}")


def valid_events(
    contract: Contract | None = None,
    *,
    event_type: str | None = None,
    job: Any = None,
    max_datasets: int = DEFAULT_MAX_DATASETS,
    max_facets: int = DEFAULT_MAX_FACETS,
) -> st.SearchStrategy[Any]:
    """Events the contract accepts (the bundled contract by default).

    ``event_type`` fixes the event type; ``job`` (a dict) is merged into each
    event's job, overriding what was drawn; ``max_datasets`` bounds every array
    and ``max_facets`` every open map of facets.
    """
    _check_bound("max_datasets", max_datasets)
    _check_bound("max_facets", max_facets)
    model = _model(contract)
    builder = _Builder(
        model,
        max_datasets=max_datasets,
        max_facets=max_facets,
        fixes=_fixes(model, event_type, job),
    )
    return builder.event()


def run_lifecycles(
    contract: Contract | None = None,
    *,
    max_running: int = 3,
    job: Any = None,
    max_datasets: int = DEFAULT_MAX_DATASETS,
    max_facets: int = DEFAULT_MAX_FACETS,
) -> st.SearchStrategy[list[Any]]:
    """The events of one run, in order: START, then up to ``max_running`` RUNNING or
    OTHER events, then one of COMPLETE, FAIL or ABORT (those the contract's enum has).

    Every event carries the same run id and the same required root parts as
    the START event (the run, the job, the producer); event times never go
    back, though their offsets vary. Where the event type, run id and event
    time live is read from the schema (see the module's documentation).
    Raises :class:`~lineage_contract.ContractError` when the contract has no
    event type enum with START and a terminal state, no uuid or no date-time.
    """
    _check_bound("max_running", max_running)
    model = _model(contract)
    where = model.contract.anatomy
    where.require_lifecycle(model.contract.source)
    type_at, time_at, run_at = where.event_type, where.event_time, where.run_id
    assert type_at and time_at and run_at  # for mypy, after the check
    middle = [s for s in _MIDDLE if s in where.states]
    terminal = [s for s in TERMINAL if s in where.states]
    events = valid_events(model.contract, job=job, max_datasets=max_datasets, max_facets=max_facets)
    shared = [n for n in _root_flat(model).required if n not in (type_at[0], time_at[0])]

    @st.composite
    def lifecycle(draw: st.DrawFn) -> list[Any]:
        states = [START]
        if middle:
            states += draw(st.lists(st.sampled_from(middle), max_size=max_running))
        states.append(draw(st.sampled_from(terminal)))
        start = draw(st.integers(-_SPAN_SECONDS // 2, _SPAN_SECONDS // 2))
        gaps = draw(
            st.lists(
                st.integers(0, 6 * 3600 * 1000), min_size=len(states) - 1, max_size=len(states) - 1
            )
        )
        offsets = draw(
            st.lists(st.sampled_from(_OFFSETS), min_size=len(states), max_size=len(states))
        )
        first: dict[str, Any] = {}
        run_id: Any = None
        out = []
        millis = 0
        for index, state in enumerate(states):
            event = draw(events)
            if index == 0:
                first = event
                run_id = get(event, run_at)
                if run_id is MISSING:  # the run id's holder is optional and was left out
                    run_id = draw(_uuids())
            else:
                millis += gaps[index - 1]
                for name in shared:
                    event[name] = copy.deepcopy(first[name])
            instant = _instant(start, 0) + dt.timedelta(milliseconds=millis)
            _set(event, type_at, state)
            _set(event, time_at, _rfc3339(instant, offsets[index], 3))
            _set(event, run_at, run_id)
            out.append(event)
        return out

    return lifecycle()


def _set(event: Any, path: tuple[str, ...], value: Any) -> None:
    node = event
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


# ---------------------------------------------------------------------------
# Rules and invalid events
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule of the document at one place: ``pattern`` (a JSON pointer where ``*``
    stands for any array index or map key) and the ``keyword`` that breaks there."""

    path: tuple[Segment, ...]
    keyword: str
    steps: tuple[int, ...] = field(default=(), compare=False, repr=False)
    """Which variant to take at each place along the path."""
    candidates: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    """Replacement values that break only this rule (for ``additionalProperties``: the
    undeclared name to add)."""
    guarded: bool = field(default=False, compare=False, repr=False)
    """Alternatives lie on the way: check each draw with the validator."""

    @property
    def pattern(self) -> str:
        return "".join("/*" if isinstance(p, _Wild) else pointer([p]) for p in self.path)

    def matches(self, ptr: str) -> bool:
        """Whether a concrete pointer is an instance of this rule's pattern."""
        parts = unpointer(ptr)
        return len(parts) == len(self.path) and all(
            (isinstance(want, _Wild) and (want is KEY or got.isdigit())) or want == got
            for want, got in zip(self.path, parts, strict=True)
        )

    def __str__(self) -> str:
        return f"{self.pattern or '(root)'} [{self.keyword}]"


@dataclass(frozen=True)
class BrokenEvent:
    """A valid event with exactly one rule broken: ``keyword`` at ``pointer``."""

    event: Any
    pointer: str
    keyword: str
    rule: Rule

    def to_dict(self) -> dict[str, Any]:
        return {"pointer": self.pointer, "keyword": self.keyword, "rule": self.rule.pattern}


# Values invalid by construction for each checked format (some are invalid for
# several reasons, so that a lenient checker still rejects one of them).
_BAD_FORMATS: Final[Mapping[str, tuple[Any, ...]]] = {
    "date-time": (
        "2024-05-01T12:00:00",
        "2024-05-01 12:00",
        "2024-02-30T10:00:00Z",
        "yesterday",
        "2024-05-01T25:61:00Z",
    ),
    "date": ("2024-13-01", "01/05/2024", "2023-02-29"),
    "time": ("25:00:00Z", "12:00:00", "noon"),
    "uuid": (
        "not-a-uuid",
        "3f2a6c9e1b7d4e0a9c5f2d8b7a6e4f10",
        "3f2a6c9e-1b7d-4e0a-9c5f-2d8b7a6e4f1",
    ),
    "uri": ("example.com/producer", "/relative/path", "https://exa mple.com", "::"),
    "uri-reference": ("https://exa mple.com", "a b", "%zz"),
    "byte": ("abc", "not base64!", "===="),
    "int32": (2**31, -(2**31) - 1),
    "int64": (2**63, -(2**63) - 1),
}
_TYPE_BREAKERS: Final[tuple[Any, ...]] = (True, None, 0, 0.5, "x", [], {})


def _replacements(v: _Flat, keyword: str) -> list[Any]:
    """Candidate values for breaking ``keyword`` at a place (checked afterwards)."""
    if keyword == "type":
        return [x for x in _TYPE_BREAKERS if not v.allows(_json_type(x))]
    if keyword in ("enum", "const"):
        out: list[Any] = []
        for e in v.enum or ():
            if isinstance(e, str):
                out += [e.lower(), e.upper(), e + "_", e[::-1], "UNKNOWN", ""]
            elif isinstance(e, bool):
                out.append(not e)
            elif isinstance(e, int | float):
                out += [e + 1, e - 1]
        known = {_json_key(e) for e in v.enum or ()}
        return [x for x in out if _json_key(x) not in known]
    if keyword == "format":
        return [x for f in v.formats for x in _BAD_FORMATS.get(f, ())]
    if keyword == "minLength" and v.min_length > 0:
        n = v.min_length - 1
        return ["a" * n, "0" * n, "https://a"[:n]]
    if keyword == "maxLength" and v.max_length is not None:
        n = v.max_length + 1
        return ["a" * n, "https://example.com/" + "a" * n, "0" * n]
    if keyword == "pattern":
        return ["", " ", "!", "a", "0", "A", "é", "-"]
    if keyword in ("minimum", "exclusiveMinimum"):
        bound = v.minimum if keyword == "minimum" else v.exclusive_minimum
        return [] if bound is None else [bound - 1, bound - 0.5, bound]
    if keyword in ("maximum", "exclusiveMaximum"):
        bound = v.maximum if keyword == "maximum" else v.exclusive_maximum
        return [] if bound is None else [bound + 1, bound + 0.5, bound]
    if keyword == "multipleOf":
        return [m * k for m in v.multiple_of for k in (0.5, 1.5, 2.5)] + [1, 7]
    if keyword == "minItems" and v.min_items == 1:
        return [[]]
    return []


def _rule_keywords(v: _Flat) -> list[str]:
    out: list[str] = []
    if v.enum is not None:
        out.append(v.enum_keyword)
    elif v.types is not None:
        out.append("type")
    if v.formats:
        out.append("format")
    pairs = (
        ("minLength", v.min_length > 0),
        ("maxLength", v.max_length is not None),
        ("pattern", bool(v.patterns)),
        ("minimum", v.minimum is not None),
        ("maximum", v.maximum is not None),
        ("exclusiveMinimum", v.exclusive_minimum is not None),
        ("exclusiveMaximum", v.exclusive_maximum is not None),
        ("multipleOf", bool(v.multiple_of)),
        ("minItems", v.min_items == 1),
    )
    out.extend(k for k, present in pairs if present)
    return out


class _Rules:
    """Walk the schema, listing every rule a generated event can break."""

    def __init__(self, model: _Model, builder: _Builder) -> None:
        self.model = model
        self.builder = builder
        self.found: dict[tuple[tuple[Segment, ...], str], Rule] = {}

    def walk(self) -> tuple[Rule, ...]:
        self._place(("",), (), (), (), False)
        return tuple(self.found.values())

    def _add(self, rule: Rule) -> None:
        key = (rule.path, rule.keyword)
        if key not in self.found:
            self.found[key] = rule

    def _place(
        self,
        governing: tuple[str, ...],
        path: tuple[Segment, ...],
        steps: tuple[int, ...],
        trail: tuple[tuple[str, ...], ...],
        guarded: bool,
    ) -> None:
        if governing in trail or len(path) > _MAX_RULE_DEPTH:
            return  # a recursive schema: its rules were met higher up
        variants = self.model.variants(governing)
        live = [i for i, v in enumerate(variants) if v.satisfiable]
        guarded = guarded or len(live) > 1
        for index in live:
            v = variants[index]
            here = (*steps, index)
            if not self._reachable(here, path):
                continue
            for keyword in _rule_keywords(v):
                values = tuple(
                    x
                    for x in _replacements(v, keyword)
                    # A string payload would be read as JSON text by the validator.
                    if (path or not isinstance(x, str))
                    and self.model.breaks_only(governing, x, keyword)
                    and not any(self.model.check((p,))(x) for p in v.exclusions)
                )
                if values:
                    self._add(Rule(path, keyword, here, values, guarded or bool(v.exclusions)))
            if not v.allows("object") and not v.allows("array"):
                continue
            if v.allows("object") and v.enum is None:
                self._object(v, governing, path, here, (*trail, governing), guarded)
            if v.allows("array") and v.enum is None and v.items:
                self._place(v.items, (*path, ITEM), here, (*trail, governing), guarded)

    def _object(
        self,
        v: _Flat,
        governing: tuple[str, ...],
        path: tuple[Segment, ...],
        steps: tuple[int, ...],
        trail: tuple[tuple[str, ...], ...],
        guarded: bool,
    ) -> None:
        fragile = guarded or v.opaque or v.min_properties > 0 or bool(v.exclusions)
        for name in v.required:
            self._add(Rule((*path, name), "required", steps, (), fragile))
        if v.extra is None and v.max_properties is None:
            # A name neither declared nor matched by a pattern: only additionalProperties says no.
            unexpected = _unused_key(
                lambda k: k in v.properties or any(_ecma(p).search(k) for p in v.pattern_properties)
            )
            self._add(Rule(path, "additionalProperties", steps, (unexpected,), fragile))
        for name, child in v.properties.items():
            if child:
                self._place(child, (*path, name), steps, trail, guarded)
        if v.extra and v.extra_declared:
            self._place(v.extra, (*path, KEY), steps, trail, guarded)

    def _reachable(self, steps: tuple[int, ...], path: tuple[Segment, ...]) -> bool:
        try:
            self.builder.event(_force(steps, path))
        except ContractError:
            return False
        return True


def _force(steps: tuple[int, ...], path: tuple[Segment, ...]) -> Force:
    return tuple((index, path[i] if i < len(path) else None) for i, index in enumerate(steps))


def rules(contract: Contract | None = None) -> tuple[Rule, ...]:
    """Every rule :func:`invalid_events` can break in this contract, in document order."""
    model = _model(contract)
    builder = _Builder(model, max_datasets=DEFAULT_MAX_DATASETS, max_facets=DEFAULT_MAX_FACETS)
    return _walk_rules(model, builder)


def _walk_rules(model: _Model, builder: _Builder) -> tuple[Rule, ...]:
    key = (builder.max_items, builder.max_keys)
    found = model.rules.get(key)
    if found is None:
        # A fresh builder: fixed options must not decide which places exist.
        plain = _Builder(model, max_datasets=builder.max_items, max_facets=builder.max_keys)
        found = model.rules[key] = _Rules(model, plain).walk()
    return found


def invalid_events(
    contract: Contract | None = None,
    *,
    select: Callable[[Rule], bool] | None = None,
    event_type: str | None = None,
    job: Any = None,
    max_datasets: int = DEFAULT_MAX_DATASETS,
    max_facets: int = DEFAULT_MAX_FACETS,
) -> st.SearchStrategy[BrokenEvent]:
    """:class:`BrokenEvent` s: valid events with exactly one rule of the contract broken.

    The rule is drawn from :func:`rules` (those ``select`` accepts, when given:
    ``select=lambda r: r.keyword == "format"``); the other options are those of
    :func:`valid_events`. The validator reports a violation at ``.pointer``
    with ``.keyword`` for every drawn event, shrunk ones included.
    """
    _check_bound("max_datasets", max_datasets)
    _check_bound("max_facets", max_facets)
    model = _model(contract)
    builder = _Builder(
        model,
        max_datasets=max_datasets,
        max_facets=max_facets,
        fixes=_fixes(model, event_type, job),
    )
    chosen = [r for r in _walk_rules(model, builder) if select is None or select(r)]
    if not chosen:
        raise InvalidArgument("no rule of the contract is selected: nothing to break")
    reported = _validator_for(model)
    strategies = {r: _broken(builder, r, reported) for r in chosen}
    return st.sampled_from(chosen).flatmap(strategies.__getitem__)


def _validator_for(model: _Model) -> Callable[[BrokenEvent], bool]:
    from .validator import Validator

    validator: list[Validator] = []

    def reported(broken: BrokenEvent) -> bool:
        if not validator:
            validator.append(Validator(model.contract))
        return any(
            v.pointer == broken.pointer and v.keyword == broken.keyword
            for v in validator[0].check(broken.event).violations
        )

    return reported


def _broken(builder: _Builder, rule: Rule, reported: Callable[[BrokenEvent], bool]) -> Strategy:
    removing = rule.keyword == "required"
    to_place = rule.path[:-1] if removing else rule.path
    events = builder.event(_force(rule.steps, to_place))

    @st.composite
    def draw_broken(draw: st.DrawFn) -> BrokenEvent:
        event = copy.deepcopy(draw(events))
        parts: list[str | int] = []
        parent: Any = None
        node = event
        for seg in to_place:
            if seg is ITEM:
                key: str | int = draw(st.integers(0, len(node) - 1))
            elif seg is KEY:
                key = draw(st.sampled_from(list(node)))
            else:
                key = str(seg)
            parts.append(key)
            parent, node = node, node[key]
        if removing:
            name = str(rule.path[-1])
            del node[name]
            parts.append(name)
        elif rule.keyword == "additionalProperties":
            node[rule.candidates[0]] = None
        else:
            value = copy.deepcopy(draw(st.sampled_from(rule.candidates)))
            if parent is None:
                event = value
            else:
                parent[parts[-1]] = value
        return BrokenEvent(event, pointer(parts), rule.keyword, rule)

    found: Strategy = draw_broken()
    if rule.guarded:
        found = found.filter(reported)
    return found


def _unused_key(taken: Callable[[str], bool]) -> str:
    for n in itertools.count():
        key = f"unexpectedProperty{n or ''}"
        if not taken(key):
            return key
    raise AssertionError("unreachable")
