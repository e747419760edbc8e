"""JSON pointers and ``$ref``s into a document, resolved one way: through ``referencing``.

Every part of the kit that looks something up in the OpenAPI document, or in a
schema translated from it, does it through :class:`Refs`, and every failure is
a :class:`RefError`: ``{source}: cannot resolve {ref} at {where}: {reason}``.
The reason never quotes a file's contents.

Where a ref may lead is decided in one place, the registry's ``retrieve``:
inside the document; for a document read from a file, a ``.json``, ``.yaml``
or ``.yml`` file in its directory (or below it), read offline with the same
bounds as the document; a schema OpenLineage publishes (under
``https://openlineage.io/spec/``), read from the copy a mirror or the user's
cache keeps (:class:`Copies`); never another ``file:`` URL, never the network.
:meth:`Refs.check` follows every ref at load, those of the files reached too,
so that a ref leading anywhere else is refused before any payload is judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit
from urllib.request import url2pathname

from referencing import Registry, Resource, Specification
from referencing.exceptions import NoSuchAnchor, PointerToNowhere, Unresolvable

from ..errors import ContractError, RefError
from ._pointers import pointer
from ._published import PUBLISHED, SCHEMAS_ENV, Copies
from ._reading import read_document

# OpenAPI 3.0 has no $id and no anchors: a document is plain data to point into.
_OPAQUE: Final = Specification.OPAQUE
_SUFFIXES: Final = (".json", ".yaml", ".yml")

# Keys whose value is data (a "$ref" inside it is not a reference), and keys
# whose value maps names an author chose to objects (there a key is only a name).
_LITERAL: Final = frozenset({"example", "default", "enum", "const", "value"})
_NAMED: Final = frozenset(
    {
        "paths",
        "properties",
        "patternProperties",
        "schemas",
        "responses",
        "parameters",
        "examples",
        "requestBodies",
        "headers",
        "securitySchemes",
        "links",
        "callbacks",
        "content",
        "encoding",
        "variables",
        "$defs",
    }
)


class _Refused(Exception):
    """Raised inside ``retrieve``; ``referencing`` wraps it, :class:`Refs` unwraps it."""


class Refs:
    """The nodes of one document, found by pointer or by ``$ref``.

    ``file`` is where the document was read from, if it was: refs to files beside
    it resolve against it. ``copies`` keeps OpenLineage's published schemas, if
    refs may name them.
    """

    def __init__(
        self,
        document: Any,
        *,
        source: str = "<memory>",
        file: Path | None = None,
        copies: Copies | None = None,
    ):
        self.document = document
        self.source = source
        self._copies = copies
        self.base = file.resolve().as_uri() if file is not None else ""
        self._directory = file.resolve().parent if file is not None else None
        self._files: dict[str, Resource[Any]] = {}
        # The document is not changed once read: what a pointer names is found once.
        self._found: dict[str, Any] = {}
        self._pointed: dict[str, Any] = {}
        registry: Registry[Any] = Registry(retrieve=self._retrieve)  # type: ignore[call-arg]
        registry = registry.with_resource(self.base, _OPAQUE.create_resource(document))
        self.resolver = registry.resolver(base_uri=self.base)
        """A ``referencing`` resolver with this policy, for libraries that follow refs."""

    def at(self, ptr: str) -> Any:
        """The node at an RFC 6901 pointer into the document."""
        try:
            return self._pointed[ptr]
        except KeyError:
            node = self._pointed[ptr] = self._resolve(f"{self.base}#{quote(ptr)}", "#" + ptr, "")
            return node

    def target(self, ref: Any, *, where: str = "") -> tuple[str, Any]:
        """The pointer and the node of what a ``$ref`` (met at ``where``) names in this document."""
        if not isinstance(ref, str):
            raise RefError(self.source, str(ref), "a $ref is a string", where)
        target = urljoin(self.base, ref)
        node = self._resolve(target, ref, where)
        uri, fragment = urldefrag(target)
        if uri != self.base:
            raise RefError(self.source, ref, "it names another document", where)
        return unquote(fragment), node

    def follow(self, node: Any, *, where: str = "", base: str | None = None) -> Any:
        """``node``, or the node its chain of ``$ref``s ends at; ``base`` is the URI of the
        file ``node`` is in, when not the document."""
        base = self.base if base is None else base
        seen: list[str] = []
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            target = urljoin(base, ref)
            if target in seen:
                chain = " -> ".join(self._place(uri) for uri in [*seen, target])
                raise RefError(self.source, ref, f"its $refs go round in a circle ({chain})", where)
            seen.append(target)
            node = self._resolve(target, ref, where)
            base = urldefrag(target).url
            where = self._place(target)  # a $ref met there is reported there
        return node

    def check(self) -> None:
        """Every reference in the document resolves, and so does every reference in the
        files beside it that the document reaches (JSON Schema or OAS schemas alike)."""
        for where, ref in references(self.document):
            self.follow({"$ref": ref}, where=where)
        done: set[str] = set()
        while len(done) < len(self._files):
            for uri in [u for u in self._files if u not in done]:
                done.add(uri)
                for where, ref in references(self._files[uri].contents, schema=True):
                    self.follow({"$ref": ref}, where=self._place(f"{uri}#{where}"), base=uri)

    def files(self) -> dict[str, Any]:
        """The contents of each file read so far (beside the document, or a published
        schema's copy), by URI."""
        return {uri: resource.contents for uri, resource in self._files.items()}

    def base_of(self, uri: str) -> str:
        """``""`` for the document itself, a published schema's URL, else the file's path
        relative to the document's directory (the name messages and translated schemas
        know it by)."""
        base = urldefrag(uri).url
        if is_url(base):
            return base
        if base == self.base or self._directory is None:
            return ""
        return Path(url2pathname(urlsplit(base).path)).relative_to(self._directory).as_posix()

    def _place(self, uri: str) -> str:
        """A place as messages name it: a pointer in the document, ``file#pointer`` beside it."""
        base, fragment = urldefrag(uri)
        if base == self.base:
            return unquote(fragment)
        return f"{base if is_url(base) else _name(base)}#{unquote(fragment)}"

    def _resolve(self, target: str, ref: str, where: str) -> Any:
        try:
            return self._found[target]
        except KeyError:
            pass
        try:
            node = self._found[target] = self.resolver.lookup(target).contents
            return node
        except PointerToNowhere as exc:
            reason = f"{unquote(exc.ref)!r} does not exist"
        except NoSuchAnchor:
            reason = "its fragment is not a JSON pointer"
        except Unresolvable as exc:
            reason = _refusal(exc) or "it names nothing the kit can read"
        except (ValueError, TypeError):
            # referencing indexes a list with int(segment), and a scalar not at all.
            reason = f"{unquote(urldefrag(target).fragment)!r} does not exist"
        raise RefError(self.source, ref, reason, where) from None

    def _retrieve(self, uri: str) -> Resource[Any]:
        found = self._files.get(uri)
        if found is None:
            path = self._copy(uri) if is_url(uri) else self._beside(uri)
            try:
                contents = read_document(path)
            except ContractError:
                # Its message may quote the file: say only which file it was.
                raise _Refused(
                    f"{path.name} is not a JSON or YAML document the kit can read"
                ) from None
            found = self._files[uri] = _OPAQUE.create_resource(contents)
        return found

    def _copy(self, uri: str) -> Path:
        """The copy this machine keeps of the published schema a URL names."""
        copies = self._copies or Copies()
        path = copies.path(uri)
        if path is None:
            if uri.startswith(PUBLISHED):
                raise _Refused("it is not a path OpenLineage publishes schemas at")
            raise _Refused(
                "it names a URL, and the kit does not fetch: refs are followed inside the "
                "document, to files beside it and to OpenLineage's published schemas "
                f"({PUBLISHED}...) kept in a mirror or the cache, never another URL"
            )
        file = copies.file(path)
        if file is not None:
            return file
        if copies.mirror is not None:
            state = "" if copies.mirror.is_dir() else ", which is not a directory"
            raise _Refused(
                f"the mirror {copies.mirror} ({SCHEMAS_ENV}{state}) has no {path}, and the "
                f"kit does not fetch at load: set {SCHEMAS_ENV} to a mirror that has it"
            )
        how = (
            f"set {SCHEMAS_ENV} to a directory laid out like {PUBLISHED} (a checkout of "
            "OpenLineage's spec folder)"
        )
        if copies.cache_dir is None:
            raise _Refused(f"no mirror is set, and the kit does not fetch at load: {how}")
        raise _Refused(
            f"{SCHEMAS_ENV} is not set and the cache {copies.cache_dir} has no {path}, and "
            f"the kit does not fetch at load: {how}, or put the schema at "
            f"{copies.cache_dir / path}"
        )

    def _beside(self, uri: str) -> Path:
        """The file a URI names, if the kit may read it."""
        parts = urlsplit(uri)
        if self._directory is None:
            raise _Refused("a document not read from a file has no files beside it")
        if parts.netloc not in ("", "localhost") or parts.query:
            raise _Refused("it is not a plain path to a file beside the document")
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self._directory):
            raise _Refused("it names a file outside the document's directory")
        if path.suffix.lower() not in _SUFFIXES:
            raise _Refused(f"only {', '.join(_SUFFIXES)} files beside the document are read")
        if not path.is_file():
            raise _Refused(f"there is no file {path.name} beside the document")
        return path


def is_url(uri: str) -> bool:
    """Whether a URI names something on the network (not a file, not the document)."""
    return urlsplit(uri).scheme not in ("file", "")


def _name(uri: str) -> str:
    return Path(url2pathname(urlsplit(uri).path)).name


def _refusal(exc: BaseException) -> str | None:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, _Refused):
            return str(cause)
        cause = cause.__cause__
    return None


def references(document: Any, *, schema: bool = False) -> Iterator[tuple[str, str]]:
    """``(pointer, ref)`` for each Reference Object of an OpenAPI document, in order.

    A ``$ref`` inside data (an ``example``, a ``default``, an ``x-`` extension)
    is not a reference; a property or a path named ``example`` is not data.
    With ``schema`` the document is JSON Schema, where a ``$ref``'s siblings count.
    """
    stack: list[tuple[tuple[str | int, ...], Any, bool]] = [((), document, False)]
    while stack:
        path, node, named = stack.pop()
        if isinstance(node, Mapping):
            if not named and isinstance(node.get("$ref"), str):
                yield pointer(path), node["$ref"]
                if not schema:
                    continue  # OAS 3.0: a Reference Object's siblings are ignored
            children = [
                ((*path, key), value, not named and key in _NAMED)
                for key, value in node.items()
                if named
                or not (
                    key in _LITERAL
                    or str(key).startswith("x-")
                    or (schema and key in ("$ref", "examples"))
                )
            ]
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(reversed([((*path, i), value, False) for i, value in enumerate(node)]))
