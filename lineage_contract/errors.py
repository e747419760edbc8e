"""The package's exceptions: one base, a shallow tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .validation._report import Report


class LineageContractError(Exception):
    """Base of every error this package raises on purpose."""


class ContractError(LineageContractError):
    """The OpenAPI document cannot be used: unreadable, invalid, or asking for unknown checks."""


class InvalidEvent(LineageContractError):
    """A payload or request broke the contract; ``report`` holds every violation."""

    def __init__(self, report: Report) -> None:
        self.report = report
        super().__init__(report.summary())
