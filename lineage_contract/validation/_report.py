"""What a verdict looks like: violations, each placed by a JSON pointer, gathered in a report."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..contract import Contract


class Kind(enum.Enum):
    """Which part of a request a violation is about; the mock maps each to an HTTP status.

    Declared in the order that decides a request's verdict: the first kind among
    a report's violations is :attr:`Report.kind` (the route before credentials,
    credentials before anything in the body).
    """

    PATH = "path"
    METHOD = "method"
    SECURITY = "security"
    TOO_LARGE = "too-large"
    MEDIA_TYPE = "media-type"
    UNSUPPORTED_ENCODING = "unsupported-encoding"
    BAD_ENCODING = "bad-encoding"
    JSON = "json"
    SCHEMA = "schema"
    INTERNAL = "internal"
    """The kit itself failed on the request (a bug, or a journal that cannot write)."""
    # Warnings: the event keeps the contract but breaks the OpenLineage specification.
    SPEC = "spec"
    """A facet or the event against the OpenLineage schema its ``_schemaURL`` names."""
    LIFECYCLE = "lifecycle"
    """A run's events together: START first, one terminal event, time never going back."""
    NAMING = "naming"
    """Dataset namespaces and names against OpenLineage's naming conventions."""
    LINEAGE = "lineage"
    """The lineage graph the events draw: column lineage against the datasets' schemas."""


_PRECEDENCE = {kind: rank for rank, kind in enumerate(Kind)}


class Level(enum.Enum):
    """How much a finding weighs.

    An ``error`` breaks the contract: it decides the verdict, the HTTP status
    and the exit code. A ``warning`` keeps the contract but breaks the
    OpenLineage specification or a rule across events: it is reported, and
    counts only where asked (``--fail-on warning``); a mock never answers
    differently for one.
    """

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule.

    ``pointer`` is the RFC 6901 pointer of the offending value inside the payload
    (for a missing property, the pointer it should have had). ``keyword`` is the
    rule broken (``required``, ``type``, ``format``, ... or, outside the body,
    ``method``, ``security``, ...). ``schema_pointer`` points into the OpenAPI
    document at the rule, when there is one; ``schema_url`` names the schema a
    finding was checked against when it is not the contract (an OpenLineage
    facet schema, after resolution).
    """

    kind: Kind
    keyword: str
    message: str
    pointer: str = ""
    schema_pointer: str = ""
    position: int | None = None
    """Character offset of a JSON syntax error in the decoded body."""
    level: Level = Level.ERROR
    schema_url: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "pointer": self.pointer,
            "keyword": self.keyword,
            "message": self.message,
            "schemaPointer": self.schema_pointer,
            "level": self.level.value,
        }
        if self.position is not None:
            data["position"] = self.position
        if self.schema_url:
            data["schemaURL"] = self.schema_url
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Violation:
        """The violation :meth:`to_dict` gave."""
        return cls(
            Kind(data["kind"]),
            data["keyword"],
            data["message"],
            pointer=data.get("pointer", ""),
            schema_pointer=data.get("schemaPointer", ""),
            position=data.get("position"),
            level=Level(data.get("level", Level.ERROR.value)),
            schema_url=data.get("schemaURL", ""),
        )

    @property
    def where(self) -> str:
        """Where it is, for a person: the pointer, ``(root)`` for the whole event, the
        request part (``security``, ``method``...) outside the body, and nothing for a
        body that is not JSON (there is no value to point at)."""
        if self.pointer:
            return self.pointer
        if self.kind is Kind.SCHEMA:
            return "(root)"
        return "" if self.kind is Kind.JSON else self.kind.value

    def __str__(self) -> str:
        """``where: message [keyword]``: how every output shows one violation
        (``warning: `` first for a warning)."""
        where = self.where
        level = "warning: " if self.level is Level.WARNING else ""
        return f"{level}{where + ': ' if where else ''}{self.message} [{self.keyword}]"


def table(violations: Iterable[Violation], indent: str = "  ") -> list[str]:
    """One aligned line per violation (where, keyword, message), for a message to a person."""
    rows = [(v.where or "(root)", v.keyword, v.message) for v in violations]
    where = max((len(r[0]) for r in rows), default=0)
    rule = max((len(r[1]) for r in rows), default=0)
    return [f"{indent}{p:<{where}}  {k:<{rule}}  {m}" for p, k, m in rows]


@dataclass(frozen=True, slots=True)
class Report:
    """The verdict on one payload or request, with every finding at once.

    ``violations`` holds errors and warnings alike; the verdict (``valid``,
    ``kind``) follows the errors only.
    """

    violations: tuple[Violation, ...] = ()
    event: Any = None
    """The parsed payload, when it parsed (even if it broke the schema)."""
    parsed: bool = False
    body: bytes | None = field(default=None, repr=False)
    """The decoded body of a request (after gzip), when there was one."""
    operation: Contract | None = field(default=None, repr=False, compare=False)
    """The operation of the document a request reached (None when it reached none)."""

    @property
    def valid(self) -> bool:
        """No error: the contract holds (warnings may remain)."""
        return not self.violations or all(v.level is Level.WARNING for v in self.violations)

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.level is Level.ERROR)

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.level is Level.WARNING)

    def __bool__(self) -> bool:
        return self.valid

    def __iter__(self) -> Iterator[Violation]:
        return iter(self.violations)

    def __len__(self) -> int:
        return len(self.violations)

    @property
    def kinds(self) -> frozenset[Kind]:
        return frozenset(v.kind for v in self.violations)

    @property
    def kind(self) -> Kind | None:
        """The kind that decides the verdict (see :class:`Kind`); None when valid."""
        errors = self.errors
        if not errors:
            return None
        return min((v.kind for v in errors), key=_PRECEDENCE.__getitem__)

    def summary(self) -> str:
        if not self.violations:
            return "valid"
        lines = [f"{len(self.errors)} violation(s), {len(self.warnings)} warning(s):"]
        lines.extend(f"  {v}" for v in self.violations)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "violations": [v.to_dict() for v in self.violations]}
