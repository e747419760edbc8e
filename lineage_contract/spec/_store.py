"""Where OpenLineage's schemas come from: a local mirror, the user's cache, or the network.

A *mirror* is a directory laid out like https://openlineage.io/spec/
(``<version>/OpenLineage.json``, ``facets/<version>/<Name>.json``): a checkout of
OpenLineage's published spec folder works as it is. With one, the published
schemas are read from it and nowhere else. Without one, a schema is fetched
over HTTP(S) the first time it is needed and kept in the user's cache directory,
laid out like a mirror (so the cache can be given as one); ``offline`` forbids
the network. Someone else's schema (a custom facet's) is fetched too, unless
offline, and kept in memory only: it is not published as immutable.

Fetching is bounded (a timeout, a size cap) and shared: each URL is fetched by
one thread at a time, every caller waits for that one answer at most
``timeout`` seconds, and a failure is remembered for ``retry_after`` seconds so
that a server's request threads do not ask again on every event. A schema
that cannot be had raises :class:`SchemaUnavailable`, naming the URL and why.
Which file of a mirror or the cache holds a URL is decided by
:class:`~lineage_contract.contract._published.Copies`, which a contract's
``$ref`` to a published schema reads through too.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Final

import orjson
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ..contract._published import (
    PUBLISHED,
    RELATIVE_FACET_PATH,
    Catalog,
    Copies,
    default_cache_dir,
    mirror_from_env,
    published_path,
)
from ..errors import LineageContractError

DEFAULT_TIMEOUT: Final = 5.0
DEFAULT_MAX_BYTES: Final = 4 * 1024 * 1024
DEFAULT_RETRY_AFTER: Final = 300.0


class SchemaUnavailable(LineageContractError):
    """A schema that cannot be had: ``url`` and ``reason`` say which and why."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


def core_url(version: str) -> str:
    return f"{PUBLISHED}{version}/OpenLineage.json"


def facet_url(version: str, name: str) -> str:
    return f"{PUBLISHED}facets/{version}/{name}.json"


class SchemaStore:
    """JSON schemas by URL, from a mirror, the cache or the network; safe to share between threads.

    ``mirror``: a directory laid out like :data:`PUBLISHED`. ``cache_dir``: where
    fetched published schemas are kept (:func:`default_cache_dir` by default;
    None for no disk cache). ``offline``: never use the network. ``base_url``:
    where to fetch what is published under :data:`PUBLISHED` (a test serves a
    mirror from a loopback server). ``timeout``: the longest a call waits for a
    schema, in seconds; ``max_bytes``: the largest schema read.
    """

    def __init__(
        self,
        mirror: str | os.PathLike[str] | None = None,
        *,
        cache_dir: str | os.PathLike[str] | bool | None = True,
        offline: bool = False,
        base_url: str = PUBLISHED,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        retry_after: float = DEFAULT_RETRY_AFTER,
    ) -> None:
        self.mirror = Path(mirror) if mirror is not None else None
        if self.mirror is not None and not self.mirror.is_dir():
            raise LineageContractError(f"schema mirror {self.mirror} is not a directory")
        if cache_dir is True:
            self.cache_dir: Path | None = default_cache_dir()
        else:
            self.cache_dir = Path(cache_dir) if cache_dir not in (None, False) else None  # type: ignore[arg-type]
        self.offline = offline
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._documents: dict[str, Any] = {}
        self._failures: dict[str, tuple[float, str]] = {}
        self._pending: dict[str, Future[Any]] = {}
        self._copies = Copies(self.mirror, self.cache_dir)
        self.fetches = 0
        """Network requests made so far (each URL at most once at a time)."""
        registry: Registry[Any] = Registry(retrieve=self._retrieve)  # type: ignore[call-arg]
        self.registry = registry
        """A ``referencing`` registry whose retrieval is this store's."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **options: Any) -> SchemaStore:
        """A store over the mirror :data:`SCHEMAS_ENV` names (none when unset)."""
        return cls(mirror_from_env(environ), **options)

    def describe(self) -> str:
        """Where schemas come from, for a message."""
        if self.mirror is not None:
            return f"the mirror {self.mirror}"
        return "the cache (offline)" if self.offline else self.base_url

    # -- what is published -------------------------------------------------

    def catalog(self) -> Catalog:
        return self._copies.catalog

    # -- documents ---------------------------------------------------------

    def get(self, url: str, *, deadline: float | None = None) -> Any:
        """The JSON document at ``url`` (no fragment); waits until ``deadline`` at most.

        ``deadline`` is a :func:`time.monotonic` time, ``timeout`` from now by default.
        """
        found = self._documents.get(url)
        if found is not None:
            return found
        future = self.start(url)
        wait = (
            deadline if deadline is not None else time.monotonic() + self.timeout
        ) - time.monotonic()
        try:
            return future.result(timeout=max(0.0, wait))
        except TimeoutError:
            raise SchemaUnavailable(url, f"no answer within {self.timeout:g} s") from None

    def start(self, url: str) -> Future[Any]:
        """Begin getting ``url`` without waiting; the future holds the document or the error."""
        with self._lock:
            future: Future[Any] | None = self._pending.get(url)
            if future is not None:
                return future
            future = Future()
            if url in self._documents:
                future.set_result(self._documents[url])
                return future
            failed = self._failures.get(url)
            if failed is not None and time.monotonic() - failed[0] < self.retry_after:
                future.set_exception(SchemaUnavailable(url, failed[1]))
                return future
            self._pending[url] = future
        try:
            source = self._source(url)
        except SchemaUnavailable as exc:
            self._settle(url, future, error=exc)
            return future
        if isinstance(source, Path):
            try:
                self._settle(url, future, document=_read(source, self.max_bytes))
            except SchemaUnavailable as exc:
                self._settle(url, future, error=SchemaUnavailable(url, exc.reason))
            return future
        threading.Thread(
            target=self._fetch,
            args=(url, source, future),
            name="lineage-contract schema",
            daemon=True,
        ).start()
        return future

    def _source(self, url: str) -> Path | str:
        """The file to read ``url`` from, or the URL to fetch it from."""
        path = self._copies.path(url)
        if path is not None:
            file = self._copies.file(path)
            if file is not None:
                return file
            if self.mirror is not None:
                raise SchemaUnavailable(url, f"not in the mirror {self.mirror}")
            if self.offline:
                raise SchemaUnavailable(url, "offline, and not in the cache")
            return self.base_url + path
        if url.startswith(PUBLISHED):
            raise SchemaUnavailable(url, "not a path OpenLineage publishes schemas at")
        if self.offline:
            raise SchemaUnavailable(url, "offline")
        if not url.startswith(("https://", "http://")):
            raise SchemaUnavailable(url, "only http and https URLs are fetched")
        return url

    def _fetch(self, url: str, source: str, future: Future[Any]) -> None:
        with self._lock:
            self.fetches += 1
        try:
            data = self._download(source)
            document = _parse(data, source)
        except SchemaUnavailable as exc:
            where = f" (fetched from {source})" if source != url else ""
            self._settle(url, future, error=SchemaUnavailable(url, exc.reason + where))
            return
        except Exception as exc:  # a fetch thread must always settle its future
            self._settle(url, future, error=SchemaUnavailable(url, f"fetch failed ({exc})"))
            return
        path = published_path(url)
        if (
            path is not None
            and self.cache_dir is not None
            and not RELATIVE_FACET_PATH.fullmatch(path)
        ):
            _write(self.cache_dir / path, data)
        self._settle(url, future, document=document)

    def _download(self, url: str) -> bytes:
        request = urllib.request.Request(
            url,
            headers={
                "Accept": "application/schema+json, application/json",
                "User-Agent": "lineage-contract",
            },
        )
        deadline = time.monotonic() + self.timeout
        chunks: list[bytes] = []
        size = 0
        try:
            with urllib.request.urlopen(
                request, timeout=self.timeout
            ) as response:  # http(s) only: see _source
                while chunk := response.read(64 * 1024):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise SchemaUnavailable(url, f"larger than {self.max_bytes:,} bytes")
                    if time.monotonic() > deadline:
                        raise SchemaUnavailable(
                            url, f"no complete answer within {self.timeout:g} s"
                        )
                    chunks.append(chunk)
        except urllib.error.HTTPError as exc:
            raise SchemaUnavailable(url, f"HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise SchemaUnavailable(url, f"no answer within {self.timeout:g} s") from None
            raise SchemaUnavailable(url, f"cannot connect ({reason})") from None
        except TimeoutError:
            raise SchemaUnavailable(url, f"no answer within {self.timeout:g} s") from None
        except OSError as exc:
            raise SchemaUnavailable(url, f"cannot fetch ({exc.strerror or exc})") from None
        return b"".join(chunks)

    def _settle(
        self,
        url: str,
        future: Future[Any],
        *,
        document: Any = None,
        error: SchemaUnavailable | None = None,
    ) -> None:
        with self._lock:
            if error is None:
                self._documents[url] = document
                self._failures.pop(url, None)
            else:
                self._failures[url] = (time.monotonic(), error.reason)
            self._pending.pop(url, None)
        if error is None:
            future.set_result(document)
        else:
            future.set_exception(error)

    def _retrieve(self, uri: str) -> Resource[Any]:
        return Resource.from_contents(self.get(uri), default_specification=DRAFT202012)

    def known(self) -> Iterable[str]:
        """The URLs of the documents held in memory."""
        return tuple(self._documents)


def _read(path: Path, limit: int) -> Any:
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as exc:
        raise SchemaUnavailable(str(path), f"cannot read {path} ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise SchemaUnavailable(str(path), f"{path} is larger than {limit:,} bytes")
    return _parse(data, str(path))


def _parse(data: bytes, where: str) -> Any:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SchemaUnavailable(where, f"not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise SchemaUnavailable(where, "not a JSON object, so not a schema")
    return document


def _write(path: Path, data: bytes) -> None:
    """Keep ``data`` at ``path``, whole or not at all; a cache that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass
