"""Helpers for tests: assertions on events and runs, partial matching, expected-event templates.

The openapi-core reference judge is :mod:`lineage_contract.testing.reference`
(it needs ``pip install 'lineage-contract[reference]'``).
"""

from ._assertions import (
    ABSENT,
    ANY,
    ANY_DATETIME,
    ANY_NUMBER,
    ANY_STRING,
    ANY_UUID,
    MISSING,
    Difference,
    Placeholder,
    assert_matches,
    assert_received,
    assert_run_lifecycle,
    assert_valid_event,
    closest,
    format_differences,
    match,
    one_of,
    placeholder,
    unordered,
)
from ._templates import from_template

__all__ = [
    "ABSENT",
    "ANY",
    "ANY_DATETIME",
    "ANY_NUMBER",
    "ANY_STRING",
    "ANY_UUID",
    "MISSING",
    "Difference",
    "Placeholder",
    "assert_matches",
    "assert_received",
    "assert_run_lifecycle",
    "assert_valid_event",
    "closest",
    "format_differences",
    "from_template",
    "match",
    "one_of",
    "placeholder",
    "unordered",
]
