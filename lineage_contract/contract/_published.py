"""OpenLineage's published schemas: their URLs, and the copies of them this machine keeps.

OpenLineage publishes its schemas under :data:`PUBLISHED`, each at a path that
never changes (``<version>/OpenLineage.json``, ``facets/<version>/<Name>.json``).
A *mirror* is a directory laid out the same way (a checkout of OpenLineage's
spec folder works as it is); the user's *cache* is laid out so too. This
module maps a published URL to its file in either, once, for both readers: a
contract's ``$ref`` to a published schema (followed at load, offline) and the
conformance checks' :class:`~lineage_contract.spec.SchemaStore` (which may
also fetch).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

PUBLISHED: Final = "https://openlineage.io/spec/"
"""Where OpenLineage publishes its schemas: every ``$id`` starts so."""
SCHEMAS_ENV: Final = "LINEAGE_CONTRACT_SCHEMAS"
"""The environment variable naming a mirror directory."""
OFFLINE_ENV: Final = "LINEAGE_CONTRACT_OFFLINE"
"""The environment variable that, set to 1, forbids fetching schemas."""

_VERSION = re.compile(r"[0-9]+-[0-9]+-[0-9]+")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# The published paths: the core schema of a version, a facet schema of a version.
_CORE_PATH = re.compile(r"(?P<version>[0-9]+-[0-9]+-[0-9]+)/OpenLineage\.json")
_FACET_PATH = re.compile(
    r"facets/(?P<version>[0-9]+-[0-9]+-[0-9]+)/(?P<name>[A-Za-z][A-Za-z0-9_]*)\.json"
)
# The core schemas 1-0-4 to 2-0-1 name their facets relatively (``facets/X.json``),
# a path openlineage.io never published: it meant the facet's file in the
# repository at the time, taken here as the newest published version of it.
RELATIVE_FACET_PATH: Final = re.compile(
    r"[0-9]+-[0-9]+-[0-9]+/facets/(?P<name>[A-Za-z][A-Za-z0-9_]*)\.json"
)


def offline_from_env(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes")


def mirror_from_env(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The mirror :data:`SCHEMAS_ENV` names, if it is set and not empty."""
    value = environ.get(SCHEMAS_ENV, "").strip()
    return Path(value) if value else None


def default_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CACHE_HOME/lineage-contract/schemas`` (``~/.cache`` when unset)."""
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lineage-contract" / "schemas"


def version_key(version: str) -> tuple[int, ...]:
    """``"1-10-0"`` as ``(1, 10, 0)``, so that versions sort as numbers."""
    return tuple(int(part) for part in version.split("-"))


def published_path(url: str) -> str | None:
    """The path under :data:`PUBLISHED` of a published schema's URL (no fragment), else None."""
    if not url.startswith(PUBLISHED):
        return None
    rest = url[len(PUBLISHED) :]
    if (
        _CORE_PATH.fullmatch(rest)
        or _FACET_PATH.fullmatch(rest)
        or RELATIVE_FACET_PATH.fullmatch(rest)
    ):
        return rest
    return None


@dataclass(frozen=True, slots=True)
class Catalog:
    """The published versions a mirror holds: of the core schema, and of each facet schema.

    Versions are sorted oldest first. Without a mirror the catalog is empty: the
    web site has no listing to read it from.
    """

    core: tuple[str, ...] = ()
    facets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of_mirror(cls, root: Path) -> Catalog:
        core = [
            p.parent.name
            for p in root.glob("*/OpenLineage.json")
            if _VERSION.fullmatch(p.parent.name)
        ]
        facets: dict[str, list[str]] = {}
        for path in root.glob("facets/*/*.json"):
            if _VERSION.fullmatch(path.parent.name) and _NAME.fullmatch(path.stem):
                facets.setdefault(path.stem, []).append(path.parent.name)
        return cls(
            tuple(sorted(core, key=version_key)),
            {name: tuple(sorted(v, key=version_key)) for name, v in sorted(facets.items())},
        )

    @property
    def newest_core(self) -> str | None:
        return self.core[-1] if self.core else None

    def newest_facet(self, name: str) -> str | None:
        versions = self.facets.get(name)
        return versions[-1] if versions else None


@dataclass(frozen=True)
class Copies:
    """Where this machine keeps copies of the published schemas: a mirror, else the cache.

    With a mirror, the mirror only (it is the user's word on what is published).
    Equal copies compare and hash equal, so that what was loaded with one mirror
    is never taken for what another (or none) would give.
    """

    mirror: Path | None = None
    cache_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Copies:
        """The mirror :data:`SCHEMAS_ENV` names, and the user's cache."""
        return cls(mirror_from_env(environ), default_cache_dir(environ))

    @classmethod
    def of_mirror(cls, mirror: Path, environ: Mapping[str, str] = os.environ) -> Copies:
        """``mirror``, and the user's cache."""
        return cls(mirror, default_cache_dir(environ))

    @functools.cached_property
    def catalog(self) -> Catalog:
        return Catalog.of_mirror(self.mirror) if self.mirror is not None else Catalog()

    def path(self, url: str) -> str | None:
        """Where under a mirror (or :data:`PUBLISHED`) the schema at ``url`` is, if published:
        a core schema's relative facet path is the newest version of that facet the mirror
        holds."""
        path = published_path(url)
        relative = RELATIVE_FACET_PATH.fullmatch(path) if path is not None else None
        if relative is not None:
            newest = self.catalog.newest_facet(relative["name"])
            if newest is not None:
                return f"facets/{newest}/{relative['name']}.json"
        return path

    def file(self, path: str) -> Path | None:
        """The copy of the schema at ``path`` (as :meth:`path` gives it), if one is kept."""
        root = self.mirror if self.mirror is not None else self.cache_dir
        if root is None:
            return None
        file = root / path
        return file if file.is_file() else None
