"""What a ``_schemaURL`` (or an event's ``schemaURL``) names: a schema document and a place in it.

OpenLineage's ``Versioning.md`` makes a ``_schemaURL`` an immutable pointer to
the schema of one facet version. In the wild they come in several styles, and
each resolves to a published URL (``https://openlineage.io/spec/...``) and a
JSON pointer in that document:

* ``.../spec/facets/1-1-1/SchemaDatasetFacet.json``, with an empty fragment or
  ``#/$defs/SchemaDatasetFacet``: the definition named like the file. (A facet
  file without such a definition is read at its root, which holds facets by
  key: the facet is checked as ``{key: facet}``.)
* a core-schema definition, ``.../spec/1-0-0/OpenLineage.json#/definitions/X``
  or ``.../2-0-2/OpenLineage.json#/$defs/RunFacet``. ``definitions`` and
  ``$defs`` are read as the same container (2020-12 renamed it; URLs kept
  the old name), and a bare-name fragment (``#ParentRunFacet``) names the
  definition of that name.
* GitHub forms, ``github.com/OpenLineage/OpenLineage/blob/<ref>/spec/<path>``
  (``tree``, ``raw`` too) and
  ``raw.githubusercontent.com/OpenLineage/OpenLineage/<ref>/spec/<path>``, for
  ``spec/OpenLineage.json`` (or the ``.yml`` beside it, which refers to it)
  and ``spec/facets/<Name>.json``. A ref spelled like a spec version
  (``v1-0-0``, ``1-0-0``) stands for that version of the core schema. Any
  other ref (``main``, a release tag, a commit) is a moving or unknown point
  in the repository's history: the kit does not fetch GitHub, and takes it for
  the newest published version, of the core schema or of that facet. Under
  such a ref, a core definition no longer in the core schema (the facets moved
  to files of their own in 1-0-2) is the newest published facet file of that
  name.

Any other URL under openlineage.io or OpenLineage's repository names nothing
(a defect of the event). A URL anywhere else is a custom facet's: its schema is
fetched, and used when it is a JSON Schema.

The newest versions come from the store's :class:`Catalog`; so does the map
from a facet's key to its standard schema, which :func:`standard_facets` reads
from the facet schemas themselves (each names its key under ``properties``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit

import jsonschema
from referencing.exceptions import Unresolvable

from ..contract._published import PUBLISHED, Catalog, published_path
from ._store import SchemaStore, SchemaUnavailable, core_url, facet_url

_GITHUB: Final = re.compile(
    r"https?://(?:www\.)?github\.com/OpenLineage/OpenLineage/(?:blob|tree|raw)/(?P<ref>[^/]+)/spec/(?P<path>[^?]+)"
    r"|https?://raw\.githubusercontent\.com/OpenLineage/OpenLineage/(?P<raw_ref>[^/]+)/spec/(?P<raw_path>[^?]+)"
)
_OPENLINEAGE_HOSTS: Final = frozenset({"openlineage.io", "www.openlineage.io"})
_GITHUB_HOSTS: Final = frozenset({"github.com", "www.github.com", "raw.githubusercontent.com"})
_VERSION_REF: Final = re.compile(r"v?(?P<version>[0-9]+-[0-9]+-[0-9]+)")
_FACET_FILE: Final = re.compile(r"facets/(?P<name>[A-Za-z][A-Za-z0-9_]*)\.json")
_PUBLISHED_FACET: Final = re.compile(r"facets/[0-9-]+/(?P<name>[A-Za-z][A-Za-z0-9_]*)\.json")
_CORE_FILES: Final = frozenset({"OpenLineage.json", "OpenLineage.yml"})
_CONTAINERS: Final = ("$defs", "definitions")

FACET_KINDS: Final = (
    "RunFacet",
    "JobFacet",
    "DatasetFacet",
    "InputDatasetFacet",
    "OutputDatasetFacet",
)
"""The core schema's facet bases: what a facet at each place in an event extends."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """A schema: the document's URL and a JSON pointer in it."""

    document: str
    pointer: str = ""
    wrapped: bool = False
    """The root of a facet file, which holds facets by key: check ``{key: facet}``."""

    @property
    def url(self) -> str:
        """The schema's URL, as findings name it."""
        return (
            f"{self.document}#{quote(self.pointer, safe='/$~')}" if self.pointer else self.document
        )


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A URL that names no schema the kit can use, and why."""

    reason: str
    official: bool
    """The URL is OpenLineage's: naming nothing there is a defect of the event."""
    unavailable: SchemaUnavailable | None = None
    """The document it names could not be had (not in the mirror, offline, a 404...)."""
    transient: bool = False
    """It may resolve later (a schema that could not be had this time)."""


@dataclass(frozen=True, slots=True)
class _Located:
    document: str
    fragment: str
    official: bool = True
    moving: bool = False


def locate(url: str, catalog: Catalog) -> _Located | Unresolved:
    """Where ``url`` leads before any document is read: the published document and the fragment."""
    base, _, fragment = url.partition("#")
    fragment = unquote(fragment)
    if published_path(base) is not None:
        return _Located(base, fragment)
    match = _GITHUB.fullmatch(base)
    if match is not None:
        ref = match["ref"] or match["raw_ref"]
        path = match["path"] or match["raw_path"]
        return _from_github(ref, path, fragment, catalog)
    parts = urlsplit(base)
    if (parts.hostname or "") in _OPENLINEAGE_HOSTS or base.startswith(PUBLISHED):
        return Unresolved("not a path OpenLineage publishes schemas at", official=True)
    if parts.hostname in _GITHUB_HOSTS and parts.path.lower().startswith(
        "/openlineage/openlineage/"
    ):
        return Unresolved("not a file of OpenLineage's spec folder", official=True)
    return _Located(base, fragment, official=False)


def _from_github(ref: str, path: str, fragment: str, catalog: Catalog) -> _Located | Unresolved:
    version = _VERSION_REF.fullmatch(ref)
    if path in _CORE_FILES:
        if version is not None:
            return _Located(core_url(version["version"]), fragment)
        newest = catalog.newest_core
        if newest is None:
            return Unresolved(
                f"the ref {ref!r} is no spec version, and no mirror lists the newest one",
                official=True,
            )
        return _Located(core_url(newest), fragment, moving=True)
    facet = _FACET_FILE.fullmatch(path)
    if facet is not None:
        newest = catalog.newest_facet(facet["name"])
        if newest is None:
            return Unresolved(f"no published version of {facet['name']} is known", official=True)
        return _Located(facet_url(newest, facet["name"]), fragment, moving=True)
    return Unresolved(f"spec/{path} is not a schema of the spec", official=True)


def resolve(url: str, store: SchemaStore, *, facet: bool) -> Resolved | Unresolved:
    """The schema a facet's ``_schemaURL`` (``facet``) or an event's ``schemaURL`` names."""
    located = locate(url, store.catalog())
    if isinstance(located, Unresolved):
        return located
    if not located.official:
        if not facet:
            return Unresolved("not an OpenLineage schema URL", official=False)
        return _custom(located, store)
    try:
        document = store.get(located.document)
    except SchemaUnavailable as exc:
        return Unresolved(exc.reason, official=True, unavailable=exc, transient=True)
    return _place(document, located, store, facet)


def _custom(located: _Located, store: SchemaStore) -> Resolved | Unresolved:
    try:
        document = store.get(located.document)
    except SchemaUnavailable as exc:
        return Unresolved(
            f"a custom schema that cannot be had: {exc.reason}",
            official=False,
            transient=not store.offline,
        )
    if not is_json_schema(document):
        return Unresolved("a custom URL whose document is not a JSON Schema", official=False)
    if located.fragment and not located.fragment.startswith("/"):
        return Unresolved(
            f"a custom schema, and #{located.fragment} is not a JSON pointer", official=False
        )
    if located.fragment and not _exists(store, located.document, located.fragment):
        return Unresolved(f"a custom schema without {located.fragment}", official=False)
    return Resolved(located.document, located.fragment)


def _place(
    document: Any, located: _Located, store: SchemaStore, facet: bool
) -> Resolved | Unresolved:
    path = published_path(located.document) or ""
    facet_file = _PUBLISHED_FACET.fullmatch(path)
    fragment = located.fragment
    if not fragment:
        if facet_file is None:
            if facet:
                return Unresolved("it names the whole event schema, not a facet", official=True)
            return Resolved(located.document)
        own = f"/$defs/{facet_file['name']}"
        if _exists(store, located.document, own):
            return Resolved(located.document, own)
        return Resolved(located.document, wrapped=True)
    if fragment.startswith("/"):
        head, _, rest = fragment[1:].partition("/")
        candidates = [fragment]
        if head in _CONTAINERS and rest:
            candidates += [f"/{c}/{rest}" for c in _CONTAINERS if c != head]
        name = rest.split("/", 1)[0] if head in _CONTAINERS else ""
    else:
        candidates = [f"/{c}/{fragment}" for c in _CONTAINERS]
        name = fragment
    for candidate in candidates:
        if _exists(store, located.document, candidate):
            return Resolved(located.document, candidate)
    if located.moving and facet_file is None and facet and name:
        newest = store.catalog().newest_facet(name)
        if newest is not None:
            moved = facet_url(newest, name)
            if _exists(store, moved, f"/$defs/{name}"):
                return Resolved(moved, f"/$defs/{name}")
    return Unresolved(f"{located.document} has no definition #{fragment}", official=True)


def _exists(store: SchemaStore, document: str, pointer: str) -> bool:
    try:
        store.registry.resolver().lookup(f"{document}#{quote(pointer, safe='/$~')}")
    except (Unresolvable, SchemaUnavailable, LookupError, TypeError, ValueError):
        return False
    return True


def is_json_schema(document: Any) -> bool:
    """Whether a fetched document is a JSON Schema (any object is one, so ask for a keyword too)."""
    if not isinstance(document, Mapping):
        return False
    keywords = ("$schema", "type", "properties", "$ref", "allOf", "anyOf", "oneOf", "$defs")
    if not any(k in document for k in keywords):
        return False
    try:
        jsonschema.validators.validator_for(
            document, default=jsonschema.Draft202012Validator
        ).check_schema(document)
    except jsonschema.SchemaError:
        return False
    return True


def standard_facets(store: SchemaStore) -> dict[tuple[str, str], Resolved]:
    """``(kind, key) -> schema`` for every standard facet, newest version, from the schemas.

    Each facet file names its key under ``properties`` (``{"dataSource": {"$ref":
    "#/$defs/DatasourceDatasetFacet"}}``, or an ``anyOf`` of a definition per
    place); the kind (one of :data:`FACET_KINDS`) is the core base a definition
    extends. A schema that cannot be had is left out.
    """
    catalog = store.catalog()
    found: dict[tuple[str, str], Resolved] = {}
    for name in catalog.facets:
        version = catalog.newest_facet(name)
        assert version is not None
        url = facet_url(version, name)
        try:
            document = store.get(url)
        except SchemaUnavailable:
            continue
        properties = document.get("properties")
        if not isinstance(properties, Mapping):
            continue
        for key, node in properties.items():
            for ref in _alternatives(node):
                for kind in sorted(_kinds(document, url, ref)):
                    found.setdefault((kind, key), Resolved(url, unquote(ref[1:])))
    return found


def _alternatives(node: Any) -> list[str]:
    """The local definitions a facet key's schema names: its ``$ref``, or each of its
    ``anyOf``/``oneOf`` members' (one facet file may define a facet per place)."""
    if not isinstance(node, Mapping):
        return []
    members = [node] if "$ref" in node else [*node.get("anyOf", ()), *node.get("oneOf", ())]
    return [
        m["$ref"]
        for m in members
        if isinstance(m, Mapping) and isinstance(m.get("$ref"), str) and m["$ref"].startswith("#/")
    ]


def _kinds(document: Any, base: str, ref: str) -> set[str]:
    """The core facet bases the definition at ``ref`` is made of (its ``$ref``,
    ``allOf``, ``oneOf`` and ``anyOf``, local refs followed; not its properties)."""
    kinds: set[str] = set()
    seen: set[str] = set()
    nodes: list[Any] = [{"$ref": ref}]
    while nodes:
        node = nodes.pop()
        if not isinstance(node, Mapping):
            continue
        for key in ("allOf", "oneOf", "anyOf"):
            members = node.get(key)
            if isinstance(members, list):
                nodes.extend(members)
        target = node.get("$ref")
        if not isinstance(target, str) or target in seen:
            continue
        seen.add(target)
        if target.startswith("#/"):
            local: Any = document
            for part in unquote(target[2:]).split("/"):
                local = local.get(part) if isinstance(local, Mapping) else None
            nodes.append(local)
            continue
        uri, fragment = urldefrag(urljoin(base, target))
        head, _, kind = fragment.lstrip("/").partition("/")
        if published_path(uri) and head in _CONTAINERS and kind in FACET_KINDS:
            kinds.add(kind)
    return kinds


def _refs(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(
                v for k, v in node.items() if k not in ("enum", "const", "examples", "default")
            )
        elif isinstance(node, list):
            stack.extend(node)


def external_refs(document: Any, base: str) -> set[str]:
    """The documents ``document`` (read from ``base``) refers to, without fragments."""
    root = document.get("$id") if isinstance(document, Mapping) else None
    root = root if isinstance(root, str) else base
    found = set()
    for ref in _refs(document):
        if not ref.startswith("#"):
            uri = urldefrag(urljoin(root, ref)).url
            if uri and uri != root and uri != base:
                found.add(uri)
    return found
