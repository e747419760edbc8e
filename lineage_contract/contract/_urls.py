"""Where a document's other operations are, given the URL of one of them."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def url_beside(url: str, path: str, other: str) -> str | None:
    """The URL of path ``other`` beside ``url``, the URL of path ``path``.

    ``url`` names an endpoint by its full URL (``https://api.example/v2/lineage``
    for the path ``/lineage`` under a server's base ``/v2``): the other path
    takes the place of ``path`` at its end. None when ``url`` does not end in
    ``path`` (or carries a query or fragment), so that nothing is guessed.
    """
    parts = urlsplit(url)
    if parts.query or parts.fragment or not parts.path.endswith(path):
        return None
    return urlunsplit(parts._replace(path=parts.path[: len(parts.path) - len(path)] + other))
