"""Where schemas come from: the mirror, the cache, the network (a loopback server), offline."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from conftest import MIRROR, SchemaServer

from lineage_contract.errors import LineageContractError
from lineage_contract.spec import (
    SCHEMAS_ENV,
    Catalog,
    SchemaStore,
    SchemaUnavailable,
    default_cache_dir,
    mirror_from_env,
)

FACET = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json"
CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


def _store(server: SchemaServer, cache: Path | None, **options: object) -> SchemaStore:
    return SchemaStore(cache_dir=cache, base_url=server.spec, timeout=1.0, **options)  # type: ignore[arg-type]


def test_the_mirror_is_read_as_published() -> None:
    store = SchemaStore(MIRROR, cache_dir=None)
    assert store.get(FACET)["$id"] == FACET
    assert store.get(CORE)["$id"] == CORE
    with pytest.raises(SchemaUnavailable, match="not in the mirror") as info:
        store.get("https://openlineage.io/spec/9-9-9/OpenLineage.json")
    assert info.value.url == "https://openlineage.io/spec/9-9-9/OpenLineage.json"


def test_the_catalog_lists_the_mirror_newest_last() -> None:
    catalog = SchemaStore(MIRROR, cache_dir=None).catalog()
    assert catalog.core[0] == "1-0-0"
    assert catalog.newest_core == "2-0-2"
    assert catalog.facets["JobTypeJobFacet"] == ("2-0-2", "2-0-3", "2-0-4")
    assert catalog.newest_facet("SchemaDatasetFacet") == "1-2-0"
    assert catalog.newest_facet("NoSuchFacet") is None
    assert SchemaStore(cache_dir=None, offline=True).catalog() == Catalog()


def test_a_fetched_schema_is_cached_and_the_second_run_asks_nothing(
    schema_server: SchemaServer, tmp_path: Path
) -> None:
    first = _store(schema_server, tmp_path)
    assert first.get(FACET)["$id"] == FACET
    assert first.get(FACET)["$id"] == FACET  # memory
    assert schema_server.requests == ["/spec/facets/1-1-1/SchemaDatasetFacet.json"]
    # The cache is laid out like a mirror.
    assert (tmp_path / "facets" / "1-1-1" / "SchemaDatasetFacet.json").is_file()
    second = _store(schema_server, tmp_path)
    assert second.get(FACET)["$id"] == FACET
    assert schema_server.requests == ["/spec/facets/1-1-1/SchemaDatasetFacet.json"]
    assert second.fetches == 0
    assert SchemaStore(tmp_path, cache_dir=None).get(FACET)["$id"] == FACET


def test_a_404_names_the_url_and_the_status(schema_server: SchemaServer, tmp_path: Path) -> None:
    store = _store(schema_server, tmp_path)
    url = "https://openlineage.io/spec/facets/9-9-9/SchemaDatasetFacet.json"
    with pytest.raises(SchemaUnavailable, match="HTTP 404") as info:
        store.get(url)
    assert info.value.url == url
    # Remembered: the next call does not ask again.
    with pytest.raises(SchemaUnavailable, match="HTTP 404"):
        store.get(url)
    assert len(schema_server.requests) == 1
    assert not list(tmp_path.rglob("*.json"))


def test_a_body_that_is_not_json_is_unavailable(schema_server: SchemaServer) -> None:
    schema_server.routes["/custom/facet.json"] = (200, b"<html>hello</html>", 0.0)
    schema_server.routes["/custom/array.json"] = (200, b"[1, 2]", 0.0)
    store = _store(schema_server, None)
    with pytest.raises(SchemaUnavailable, match="not JSON"):
        store.get(schema_server.url + "custom/facet.json")
    with pytest.raises(SchemaUnavailable, match="not a JSON object"):
        store.get(schema_server.url + "custom/array.json")


def test_a_body_over_the_cap_is_unavailable(schema_server: SchemaServer) -> None:
    schema_server.routes["/big.json"] = (200, b'{"a": "' + b"x" * 5000 + b'"}', 0.0)
    store = _store(schema_server, None, max_bytes=1000)
    with pytest.raises(SchemaUnavailable, match="larger than 1,000 bytes"):
        store.get(schema_server.url + "big.json")


def test_a_slow_server_costs_the_timeout_and_no_more(schema_server: SchemaServer) -> None:
    schema_server.routes["/spec/facets/1-1-1/SchemaDatasetFacet.json"] = (200, b"{}", 2.0)
    store = SchemaStore(cache_dir=None, base_url=schema_server.spec, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SchemaUnavailable, match=r"no answer within 0\.3 s"):
        store.get(FACET)
    assert time.monotonic() - started < 1.0


def test_each_url_is_fetched_once_at_a_time(schema_server: SchemaServer) -> None:
    path = "/spec/facets/1-1-1/SchemaDatasetFacet.json"
    schema_server.routes[path] = (200, (MIRROR / path.removeprefix("/spec/")).read_bytes(), 0.3)
    store = SchemaStore(cache_dir=None, base_url=schema_server.spec, timeout=2.0)
    got: list[object] = []

    def ask() -> None:
        got.append(store.get(FACET)["$id"])

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert got == [FACET] * 8
    assert schema_server.requests == [path]
    assert store.fetches == 1


def test_offline_never_asks_the_network(schema_server: SchemaServer, tmp_path: Path) -> None:
    store = _store(schema_server, tmp_path, offline=True)
    with pytest.raises(SchemaUnavailable, match="offline, and not in the cache"):
        store.get(FACET)
    with pytest.raises(SchemaUnavailable, match="offline"):
        store.get(schema_server.url + "custom/facet.json")
    assert schema_server.requests == []
    _store(schema_server, tmp_path).get(FACET)  # fills the cache
    assert _store(schema_server, tmp_path, offline=True).get(FACET)["$id"] == FACET
    assert len(schema_server.requests) == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://openlineage.io/spec/facets/../secret.json", "not a path OpenLineage publishes"),
        ("file:///etc/passwd", "only http and https"),
        ("ftp://example.com/schema.json", "only http and https"),
    ],
)
def test_urls_the_store_refuses(url: str, reason: str) -> None:
    with pytest.raises(SchemaUnavailable, match=reason):
        SchemaStore(cache_dir=None).get(url)


def test_a_custom_schema_is_fetched_but_not_cached_on_disk(
    schema_server: SchemaServer, tmp_path: Path
) -> None:
    schema_server.routes["/custom/facet.json"] = (200, json.dumps({"type": "object"}).encode(), 0)
    store = _store(schema_server, tmp_path)
    assert store.get(schema_server.url + "custom/facet.json") == {"type": "object"}
    assert not list(tmp_path.rglob("*.json"))


def test_the_mirror_comes_from_the_environment(tmp_path: Path) -> None:
    assert mirror_from_env({SCHEMAS_ENV: str(tmp_path)}) == tmp_path
    assert mirror_from_env({SCHEMAS_ENV: "  "}) is None
    assert mirror_from_env({}) is None
    assert SchemaStore.from_env({SCHEMAS_ENV: str(MIRROR)}, cache_dir=None).mirror == MIRROR
    with pytest.raises(LineageContractError, match="not a directory"):
        SchemaStore(tmp_path / "missing")


def test_the_cache_is_in_the_users_cache_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "lineage-contract" / "schemas"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "lineage-contract" / "schemas"
