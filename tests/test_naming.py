"""Dataset namespaces against OpenLineage's naming table, and spellings that never connect."""

from __future__ import annotations

from typing import Any

import pytest

from lineage_contract import Contract
from lineage_contract.lineage import (
    NAMESPACE_FORMAT,
    NAMESPACE_SCHEME,
    NAMESPACE_SPELLING,
    ROWS,
    Lineage,
    check_namespace,
    spelling,
)
from lineage_contract.validation import Kind, Level

CONTRACT = Contract.load()

# One namespace per row of the table that follows it, and one that does not.
ROW_CASES = [
    ("Athena", "awsathena://athena.us-east-1.amazonaws.com", "awsathena://athena.amazonaws.com"),
    ("AWS Glue", "arn:aws:glue:eu-west-1:123456789012", "arn:aws:glue:eu-west-1:acme"),
    ("Azure Cosmos DB", "azurecosmos://acme.documents.azure.com/dbs/shop", "azurecosmos://acme"),
    ("Azure Data Explorer", "azurekusto://acme.kusto.windows.net", "azurekusto://acme"),
    ("Azure Synapse", "sqlserver://acme.sql.azuresynapse.net:1433", "sqlserver://acme"),
    ("BigQuery", "bigquery", "bigquery://my-project"),
    ("Cassandra", "cassandra://db:9042", "cassandra://db"),
    ("MySQL", "mysql://db:3306", "mysql://db:port"),
    ("Oracle", "oracle://db:1521", "oracle://db/ORCL"),
    ("Postgres", "postgres://db:5432", "postgres://db"),
    ("Teradata", "teradata://db:1025", "teradata://db"),
    ("Redshift", "redshift://cluster.us-west-2:5439", "redshift://cluster:5439"),
    ("Snowflake", "snowflake://myorg-account_1", "snowflake://xy12345.us-east-1"),
    ("Trino", "trino://coordinator:8080", "trino://coordinator"),
    (
        "ABFSS (Azure Data Lake Gen2)",
        "abfss://raw@acme.dfs.core.windows.net",
        "abfss://acme.dfs.core.windows.net",
    ),
    ("DBFS (Databricks File System)", "hdfs://workspace", "hdfs://workspace/path"),
    ("GCS", "gs://bucket", "gs://bucket/prefix"),
    ("HDFS", "hdfs://namenode:8020", "hdfs://namenode:rpc"),
    ("Kafka", "kafka://broker:9092", "kafka://broker"),
    ("Local file system", "file", "file:"),
    ("Remote file system", "file://host", "file://host/dir"),
    ("S3", "s3://bucket", "s3://bucket/"),
    (
        "WASBS (Azure Blob Storage)",
        "wasbs://raw@acme.dfs.core.windows.net",
        "wasbs://raw@acme",
    ),
]


def test_every_row_of_the_table_has_a_case() -> None:
    assert {row.store for row in ROWS} == {store for store, _, _ in ROW_CASES}


@pytest.mark.parametrize(("store", "good", "bad"), ROW_CASES)
def test_each_row_keeps_its_shape_and_names_itself_when_broken(store: str, good: str, bad: str):
    assert check_namespace(good) is None
    broken = check_namespace(bad)
    assert broken is not None
    assert broken.kind is Kind.NAMING and broken.level is Level.WARNING
    assert broken.keyword == NAMESPACE_FORMAT
    assert f"({store} row)" in broken.message


@pytest.mark.parametrize(
    ("namespace", "words"),
    [
        ("postgresql://db:5432", "the Postgres row of OpenLineage's naming conventions spells"),
        ("s3a://bucket", "the S3 row"),
        ("gcs://bucket", "the GCS row"),
        ("POSTGRES://db:5432", "spells the scheme 'postgres'"),
        ("warehouse", "names no datasource"),
    ],
)
def test_a_scheme_the_table_spells_otherwise_or_none_at_all(namespace: str, words: str):
    broken = check_namespace(namespace)
    assert broken is not None and broken.keyword == NAMESPACE_SCHEME
    assert words in broken.message


def test_schemes_the_table_does_not_list_are_not_judged() -> None:
    assert check_namespace("clickhouse://db:9000") is None
    assert check_namespace("custom:thing") is None


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("postgres://db:5432", "postgresql://db:5432"),  # scheme alias
        ("postgres://db:5432", "postgres://db"),  # default port
        ("s3://bucket", "s3://bucket/"),  # trailing slash
        ("s3://bucket", "s3://Bucket"),  # case
        ("kafka://broker:9092", "KAFKA://broker"),  # all at once
    ],
)
def test_spellings_of_one_datasource_even_out(one: str, other: str) -> None:
    assert spelling(one) == spelling(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("postgres://db:5432", "postgres://db:5433"), ("s3://a", "s3://b"), ("s3://a", "gs://a")],
)
def test_different_datasources_stay_apart(one: str, other: str) -> None:
    assert spelling(one) != spelling(other)


def _event(run: str, namespace: str, name: str) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2024-05-01T12:00:00Z",
        "run": {"runId": run},
        "job": {"namespace": "warehouse", "name": "copy"},
        "outputs": [{"namespace": namespace, "name": name}],
    }


def naming(events: list[dict[str, Any]]) -> list[Any]:
    lineage: Lineage[str] = Lineage(CONTRACT)
    for index, one in enumerate(events, 1):
        lineage.add(one, f"e.jsonl:{index}:1")
    return [f for f in lineage.findings() if f.violation.kind is Kind.NAMING]


RUN_A = "3f1b1c2e-8a8b-4f4e-9c55-0d7f1e0a2b11"
RUN_B = "9d0c4c44-5b7e-4a55-8f4c-54d2a9c1e0aa"


def test_one_dataset_under_two_spellings_is_one_warning_naming_both() -> None:
    events = [
        _event(RUN_A, "postgres://db:5432", "shop.public.orders"),
        _event(RUN_A, "postgres://db:5432", "shop.public.users"),
        _event(RUN_B, "postgresql://db", "shop.public.orders"),
        _event(RUN_B, "postgresql://db", "shop.public.users"),
    ]
    found = naming(events)
    spelled = [f for f in found if f.violation.keyword == NAMESPACE_SPELLING]
    assert len(spelled) == 1
    message = spelled[0].violation.message
    assert "'postgres://db:5432' and 'postgresql://db'" in message
    assert "'shop.public.orders', 'shop.public.users'" in message
    assert spelled[0].where == "e.jsonl:3:1"  # where the second spelling came
    assert spelled[0].violation.pointer == "/outputs/0/namespace"
    # The alias is also reported once, at its first dataset, however often it recurs.
    assert [(f.violation.keyword, f.where) for f in found] == [
        (NAMESPACE_SCHEME, "e.jsonl:3:1"),
        (NAMESPACE_SPELLING, "e.jsonl:3:1"),
    ]


def test_different_names_under_two_spellings_are_not_a_split_dataset() -> None:
    events = [_event(RUN_A, "s3://bucket", "a"), _event(RUN_B, "s3://bucket/", "b")]
    assert [f.violation.keyword for f in naming(events)] == [NAMESPACE_FORMAT]
