"""The package's exceptions: one base, a shallow tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .validation._report import Report


class LineageContractError(Exception):
    """Base of every error this package raises on purpose."""


class ContractError(LineageContractError):
    """The OpenAPI document cannot be used: unreadable, invalid, or asking for unknown checks."""


class RefError(ContractError):
    """A ``$ref`` or a JSON pointer into the document that names nothing the kit may read.

    Every lookup in the document fails this way, with one message shape:
    ``{source}: cannot resolve {ref!r} at {where}: {reason}``.
    """

    def __init__(self, source: str, ref: str, reason: str, where: str = "") -> None:
        self.source = source
        self.ref = ref
        self.reason = reason
        self.where = where
        at = f" at {where}" if where else ""
        super().__init__(f"{source}: cannot resolve {ref!r}{at}: {reason}")


class InvalidEvent(LineageContractError):
    """A payload or request broke the contract; ``report`` holds every violation."""

    def __init__(self, report: Report) -> None:
        self.report = report
        super().__init__(report.summary())
