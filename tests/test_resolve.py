"""Every style of ``_schemaURL`` resolves to the published schema it stands for."""

from __future__ import annotations

import json

import pytest
from conftest import MIRROR
from hypothesis import given
from hypothesis import strategies as st

from lineage_contract.spec import Resolved, SchemaStore, Unresolved, resolve, standard_facets

STORE = SchemaStore(MIRROR, cache_dir=None) if MIRROR.is_dir() else None
SPEC = "https://openlineage.io/spec"
GITHUB = "https://github.com/OpenLineage/OpenLineage/blob"
RAW = "https://raw.githubusercontent.com/OpenLineage/OpenLineage"


def _resolve(url: str, *, facet: bool = True) -> Resolved | Unresolved:
    assert STORE is not None
    return resolve(url, STORE, facet=facet)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # A facet file, with an empty fragment or the definition named like the file.
        (
            f"{SPEC}/facets/1-1-1/SchemaDatasetFacet.json",
            f"{SPEC}/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
        ),
        (
            f"{SPEC}/facets/1-1-1/SchemaDatasetFacet.json#",
            f"{SPEC}/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
        ),
        (
            f"{SPEC}/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet",
            f"{SPEC}/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet",
        ),
        # Core-schema definitions, either container name.
        (
            f"{SPEC}/1-0-0/OpenLineage.json#/definitions/SchemaDatasetFacet",
            f"{SPEC}/1-0-0/OpenLineage.json#/definitions/SchemaDatasetFacet",
        ),
        (
            f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunFacet",
            f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunFacet",
        ),
        (
            f"{SPEC}/2-0-2/OpenLineage.json#/definitions/RunFacet",
            f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunFacet",
        ),
        # GitHub: a version ref is that version; a bare-name fragment names a definition.
        (
            f"{GITHUB}/v1-0-0/spec/OpenLineage.json#/definitions/SchemaDatasetFacet",
            f"{SPEC}/1-0-0/OpenLineage.json#/definitions/SchemaDatasetFacet",
        ),
        (
            f"{GITHUB}/v1-0-0/spec/OpenLineage.yml#ParentRunFacet",
            f"{SPEC}/1-0-0/OpenLineage.json#/definitions/ParentRunFacet",
        ),
        # A moving ref is the newest published version; a facet gone from the core, its file.
        (
            f"{GITHUB}/main/spec/facets/DocumentationJobFacet.json",
            f"{SPEC}/facets/1-1-0/DocumentationJobFacet.json#/$defs/DocumentationJobFacet",
        ),
        (
            f"{GITHUB}/main/spec/OpenLineage.json#ParentRunFacet",
            f"{SPEC}/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet",
        ),
        (
            f"{RAW}/main/spec/OpenLineage.json#/definitions/NominalTimeRunFacet",
            f"{SPEC}/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
        ),
        (
            f"{RAW}/main/spec/OpenLineage.json#/definitions/BaseFacet",
            f"{SPEC}/2-0-2/OpenLineage.json#/$defs/BaseFacet",
        ),
        (
            f"{RAW}/1.40.0/spec/facets/SQLJobFacet.json",
            f"{SPEC}/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet",
        ),
    ],
)
def test_each_url_style_resolves(url: str, expected: str) -> None:
    resolved = _resolve(url)
    assert isinstance(resolved, Resolved), resolved
    assert resolved.url == expected
    assert not resolved.wrapped


def test_a_facet_file_without_its_own_definition_is_read_at_its_root() -> None:
    resolved = _resolve(f"{SPEC}/facets/1-0-0/LineageFacet.json")
    assert resolved == Resolved(f"{SPEC}/facets/1-0-0/LineageFacet.json", "", wrapped=True)


@pytest.mark.parametrize(
    ("url", "official", "reason"),
    [
        (f"{GITHUB}/v1-0-0/spec/OpenLineage.yml#MyCustomJobFacet", True, "has no definition"),
        (
            f"{RAW}/main/spec/OpenLineage.json#/definitions/DataSourceDatasetFacet",
            True,
            "no definition",
        ),
        (f"{SPEC}/1-0-1/OpenLineage.json#/definitions/RunFacet", True, "has no definition"),
        (f"{SPEC}/2-0-2/OpenLineage.json", True, "the whole event schema"),
        (f"{SPEC}/facets/OwnershipJobFacet.json", True, "not a path OpenLineage publishes"),
        (f"{GITHUB}/main/spec/registry/core/registry.json", True, "not a schema of the spec"),
        ("https://openlineage.io/docs/spec/facets", True, "not a path OpenLineage publishes"),
        ("http://test.schema.url", False, "cannot be had"),
        (
            "https://github.com/MarquezProject/marquez/blob/main/facets/v1/logicalPlanFacet",
            False,
            "",
        ),
    ],
)
def test_urls_that_name_no_schema(url: str, official: bool, reason: str) -> None:
    offline = SchemaStore(MIRROR, cache_dir=None, offline=True)
    found = resolve(url, offline, facet=True)
    assert isinstance(found, Unresolved)
    assert found.official is official
    assert reason in found.reason


def test_a_version_not_published_is_unavailable() -> None:
    found = _resolve(f"{SPEC}/2-8-9/OpenLineage.json#/definitions/DatasetEvent", facet=False)
    assert isinstance(found, Unresolved)
    assert found.unavailable is not None
    assert found.unavailable.url == f"{SPEC}/2-8-9/OpenLineage.json"


def test_an_event_schema_url_names_the_event_schema() -> None:
    assert _resolve(f"{SPEC}/2-0-2/OpenLineage.json", facet=False) == Resolved(
        f"{SPEC}/2-0-2/OpenLineage.json"
    )
    found = _resolve(f"{SPEC}/1-0-5/OpenLineage.json#/definitions/RunEvent", facet=False)
    assert found == Resolved(f"{SPEC}/1-0-5/OpenLineage.json", "/$defs/RunEvent")
    custom = _resolve("http://test.schema.url", facet=False)
    assert isinstance(custom, Unresolved) and "not an OpenLineage schema URL" in custom.reason


PUBLISHED = (
    sorted(
        (path.parent.name, path.stem)
        for path in MIRROR.glob("facets/*/*.json")
        if path.stem in json.loads(path.read_text()).get("$defs", {})
    )
    if MIRROR.is_dir()
    else [("1-0-0", "X")]
)


@given(st.sampled_from(PUBLISHED), st.sampled_from(["", "#", "#/$defs/{name}", "#{name}"]))
def test_every_published_facet_resolves_to_its_definition(
    published: tuple[str, str], style: str
) -> None:
    version, name = published
    url = f"{SPEC}/facets/{version}/{name}.json" + style.format(name=name)
    assert _resolve(url) == Resolved(f"{SPEC}/facets/{version}/{name}.json", f"/$defs/{name}")


@given(st.sampled_from(sorted({name for _, name in PUBLISHED})), st.sampled_from([GITHUB, RAW]))
def test_every_facet_file_on_github_resolves_to_its_newest_version(name: str, form: str) -> None:
    assert STORE is not None
    newest = STORE.catalog().newest_facet(name)
    url = f"{form}/main/spec/facets/{name}.json"
    assert _resolve(url) == Resolved(f"{SPEC}/facets/{newest}/{name}.json", f"/$defs/{name}")


def test_the_standard_facets_are_read_from_their_schemas() -> None:
    assert STORE is not None
    standard = standard_facets(STORE)
    assert standard[("RunFacet", "parent")].url.endswith(
        "/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet"
    )
    assert standard[("DatasetFacet", "dataSource")].document.endswith(
        "/DatasourceDatasetFacet.json"
    )
    # One key, two places, two schemas.
    assert "DataQualityMetricsDatasetFacet" in standard[("DatasetFacet", "dataQualityMetrics")].url
    assert "InputDatasetFacet" in standard[("InputDatasetFacet", "dataQualityMetrics")].url
    assert standard[("JobFacet", "ownership")].url != standard[("DatasetFacet", "ownership")].url
    # The parent facet's job holds job facets: that does not make it a job facet.
    assert ("JobFacet", "parent") not in standard
    # Every key of every newest facet file is there, and only those.
    catalog = STORE.catalog()
    keys = set()
    for name in catalog.facets:
        document = STORE.get(f"{SPEC}/facets/{catalog.newest_facet(name)}/{name}.json")
        keys |= set(document["properties"])
    assert {key for _, key in standard} == keys


def test_a_facet_file_with_a_definition_per_place_maps_each() -> None:
    assert STORE is not None
    standard = standard_facets(STORE)
    assert standard[("DatasetFacet", "lineage")].pointer == "/$defs/LineageDatasetFacet"
    assert standard[("JobFacet", "lineage")].pointer == "/$defs/LineageJobFacet"
    assert ("RunFacet", "lineage") not in standard
