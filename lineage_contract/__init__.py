"""Make the OpenLineage ingestion contract of the Oleander API testable.

The public surface:

* :class:`Contract` loads the OpenAPI 3.0.x document (the bundled ``openapi.json``
  by default) and exposes its lineage operation.
* :class:`Validator` judges a payload (:meth:`~Validator.check`) or a whole
  request (:meth:`~Validator.check_request`) and returns a :class:`Report` of
  :class:`Violation` s, each placed by a JSON pointer; ``iter_errors``,
  ``is_valid`` and ``validate`` follow jsonschema.
* :func:`validate` and :func:`is_valid` do the same against the bundled contract.
* :class:`LineageContractError` is the base of every error raised on purpose;
  :class:`ContractError` for an unusable document, :class:`InvalidEvent` for a
  payload that broke the contract.

The mock server (``lineage_contract.mock._app``), the Hypothesis strategies
(``lineage_contract.strategies``) and the pytest plugin live in their own
modules, imported on demand.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

from .errors import ContractError, InvalidEvent, LineageContractError

if TYPE_CHECKING:
    from .contract import Contract
    from .validation import Kind, Level, Report, Validator, Violation

# The pytest plugin imports this package in every pytest session of anyone who
# installs the kit: the engines (jsonschema, jsonschema-rs, openapi tooling)
# load on first use, not on import.
_LAZY = {
    "Contract": ".contract",
    "Kind": ".validation",
    "Level": ".validation",
    "Report": ".validation",
    "Validator": ".validation",
    "Violation": ".validation",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Contract",
    "ContractError",
    "InvalidEvent",
    "Kind",
    "Level",
    "LineageContractError",
    "Report",
    "Validator",
    "Violation",
    "is_valid",
    "validate",
]


@functools.cache
def _default_validator() -> Validator:
    from .validation import Validator

    return Validator()


def validate(payload: bytes | str | Any) -> Any:
    """Validate against the bundled contract; return the event or raise :class:`InvalidEvent`."""
    return _default_validator().validate(payload)


def is_valid(payload: bytes | str | Any) -> bool:
    return _default_validator().is_valid(payload)
