"""What a verdict looks like: violations, each placed by a JSON pointer, gathered in a report."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


class Kind(enum.Enum):
    """Which part of a request a violation is about; the mock maps each to an HTTP status."""

    METHOD = "method"
    PATH = "path"
    SECURITY = "security"
    MEDIA_TYPE = "media-type"
    UNSUPPORTED_ENCODING = "unsupported-encoding"
    BAD_ENCODING = "bad-encoding"
    TOO_LARGE = "too-large"
    JSON = "json"
    SCHEMA = "schema"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule.

    ``pointer`` is the RFC 6901 pointer of the offending value inside the payload
    (for a missing property, the pointer it should have had). ``keyword`` is the
    rule broken (``required``, ``type``, ``format``, ... or, outside the body,
    ``method``, ``security``, ...). ``schema_pointer`` points into the OpenAPI
    document at the rule, when there is one.
    """

    kind: Kind
    keyword: str
    message: str
    pointer: str = ""
    schema_pointer: str = ""
    position: int | None = None
    """Character offset of a JSON syntax error in the decoded body."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "pointer": self.pointer,
            "keyword": self.keyword,
            "message": self.message,
            "schemaPointer": self.schema_pointer,
        }
        if self.position is not None:
            data["position"] = self.position
        return data

    def __str__(self) -> str:
        if self.kind in (Kind.SCHEMA, Kind.JSON):
            where = self.pointer or "(root)"
        else:
            where = self.kind.value
        return f"{where}: {self.message} [{self.keyword}]"


@dataclass(frozen=True, slots=True)
class Report:
    """The verdict on one payload or request, with every violation at once."""

    violations: tuple[Violation, ...] = ()
    event: Any = None
    """The parsed payload, when it parsed (even if it broke the schema)."""
    parsed: bool = False
    body: bytes | None = field(default=None, repr=False)
    """The decoded body of a request (after gzip), when there was one."""

    @property
    def valid(self) -> bool:
        return not self.violations

    def __bool__(self) -> bool:
        return self.valid

    def __iter__(self) -> Iterator[Violation]:
        return iter(self.violations)

    def __len__(self) -> int:
        return len(self.violations)

    @property
    def kinds(self) -> frozenset[Kind]:
        return frozenset(v.kind for v in self.violations)

    def summary(self) -> str:
        if self.valid:
            return "valid"
        lines = [f"{len(self.violations)} violation(s):"]
        lines.extend(f"  {v}" for v in self.violations)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "violations": [v.to_dict() for v in self.violations]}
