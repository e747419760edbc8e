"""Where a document's other operations are, given the URL of one: contract.url_beside."""

from __future__ import annotations

import pytest

from lineage_contract.contract import url_beside


@pytest.mark.parametrize(
    ("url", "path", "other", "expected"),
    [
        (
            "http://127.0.0.1:5000/lineage",
            "/lineage",
            "/lineage/batch",
            "http://127.0.0.1:5000/lineage/batch",
        ),
        # A server's base path stays in front.
        (
            "https://api.example/v2/lineage",
            "/lineage",
            "/lineage/batch",
            "https://api.example/v2/lineage/batch",
        ),
        (
            "https://user:pw@api.example/api/v1/lineage",
            "/api/v1/lineage",
            "/api/v1/batch",
            "https://user:pw@api.example/api/v1/batch",
        ),
        # Nothing is guessed: a URL that does not end in the path, or carries a query.
        ("https://api.example/ingest", "/lineage", "/lineage/batch", None),
        ("https://api.example/lineage?x=1", "/lineage", "/lineage/batch", None),
        ("https://api.example/lineage#top", "/lineage", "/lineage/batch", None),
        ("https://api.example/", "/lineage", "/lineage/batch", None),
    ],
)
def test_the_other_path_takes_the_place_of_the_endpoint_path(
    url: str, path: str, other: str, expected: str | None
) -> None:
    assert url_beside(url, path, other) == expected
