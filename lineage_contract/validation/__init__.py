"""Judging payloads and requests: the validator, its reports and their violations.

:class:`Validator` gives the verdict (jsonschema-rs) and explains a refusal
(jsonschema with the kit's format checkers); :func:`judge_request` judges a
whole request for the validator and the mock alike, with :class:`Credentials`
read and compared in one place; strict JSON parsing and gzip decoding are here too.
"""

from ._credentials import Credentials, bearer_token
from ._payload import REFUSED, PayloadError, gunzip, parse_json
from ._report import Kind, Level, Report, Violation, table
from ._request import Body, BytesBody, environ_header, header_getter, judge_request, too_large
from ._validator import DEFAULT_MAX_BODY, EventCheck, Validator

__all__ = [
    "DEFAULT_MAX_BODY",
    "REFUSED",
    "Body",
    "BytesBody",
    "Credentials",
    "EventCheck",
    "Kind",
    "Level",
    "PayloadError",
    "Report",
    "Validator",
    "Violation",
    "bearer_token",
    "environ_header",
    "gunzip",
    "header_getter",
    "judge_request",
    "parse_json",
    "table",
    "too_large",
]
