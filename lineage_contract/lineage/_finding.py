"""A finding across events: a warning, the event it is placed at, and whether it is settled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..validation._report import Violation

W = TypeVar("W")
"""The caller's handle on an event (a record id, ``file:line:col``): opaque here."""


@dataclass(frozen=True, slots=True)
class Finding(Generic[W]):
    """One rule across events broken, placed at the event that broke it.

    ``final`` says no later event can make it right (a second terminal event,
    time going back); an open run is not final: its terminal event may still come.
    """

    violation: Violation
    where: W
    run: str | None = None
    """The run it is about, when it is about one."""
    final: bool = True

    def to_dict(self) -> dict[str, Any]:
        data = self.violation.to_dict()
        where: Any = self.where
        data["where"] = (
            where if isinstance(where, str | int | float) or where is None else str(where)
        )
        if self.run is not None:
            data["run"] = self.run
        data["final"] = self.final
        return data

    def __str__(self) -> str:
        return f"{self.where}: {self.violation}"
