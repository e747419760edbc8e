"""The documents the kit ships, by name: ``--spec oleander`` (the default) or ``--spec marquez``.

A name is a name: ``marquez`` is the profile even when a file of that name is in
the working directory (write ``./marquez`` for the file). Any other value is a
path to a document.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Final

DEFAULT: Final = "oleander"

_PROFILES: Final = {
    # The Oleander API's contract, kept once at the repo root; a wheel carries it in the package.
    "oleander": "openapi.json",
    # Written by this project from Marquez's documented behaviour.
    "marquez": "contract/profiles/marquez.json",
}

PROFILES: Final = tuple(_PROFILES)
"""The names :func:`document_path` knows, the default first."""


def bundled_document_path() -> Path:
    """The Oleander contract shipped with the package (in a wheel) or kept at the repo root."""
    return profile_path(DEFAULT)


def profile_path(name: str) -> Path:
    """The file of a profile (``KeyError`` for a name that is not one)."""
    relative = _PROFILES[name]
    packaged = resources.files("lineage_contract").joinpath(relative)
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / relative


def document_path(source: str | os.PathLike[str] | None) -> Path:
    """The file a ``--spec`` value names: a profile's, or the path itself."""
    if source is None:
        return bundled_document_path()
    text = os.fspath(source)
    return profile_path(text) if text in _PROFILES else Path(text)
