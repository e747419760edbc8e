"""Judging payloads and requests: the validator, its reports and their violations.

:class:`Validator` gives the verdict (jsonschema-rs) and explains a refusal
(jsonschema with the kit's format checkers); strict JSON parsing and gzip
decoding are done here too.
"""

from ._payload import PayloadError, gunzip, parse_json
from ._report import Kind, Report, Violation
from ._validator import DEFAULT_MAX_BODY, REFUSED, Validator

__all__ = [
    "DEFAULT_MAX_BODY",
    "REFUSED",
    "Kind",
    "PayloadError",
    "Report",
    "Validator",
    "Violation",
    "gunzip",
    "parse_json",
]
