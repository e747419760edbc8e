"""The contract: an OpenAPI 3.0.x document, checked at load, and its lineage operation.

Everything the kit knows about events comes from here: the validator, the
mock's answers and the strategies read the document, never a copy of it. The
OAS 3.0 schema dialect is translated to JSON Schema 2020-12 here, and
:class:`Anatomy` says where events keep their type, time, run and job.
"""

from ._anatomy import MISSING, OTHER, RUNNING, START, TERMINAL, Anatomy, get
from ._document import Contract, ResponseSpec, SecurityScheme
from ._profiles import PROFILES, bundled_document_path, document_path, profile_path
from ._reading import read_document
from ._refs import Refs
from ._urls import url_beside

__all__ = [
    "MISSING",
    "OTHER",
    "PROFILES",
    "RUNNING",
    "START",
    "TERMINAL",
    "Anatomy",
    "Contract",
    "Refs",
    "ResponseSpec",
    "SecurityScheme",
    "bundled_document_path",
    "document_path",
    "get",
    "profile_path",
    "read_document",
    "url_beside",
]
