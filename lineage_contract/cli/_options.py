"""Argument types the subcommands share: argparse turns their refusals into usage errors."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_operation(parser: argparse.ArgumentParser, what: str) -> None:
    """``--operation``: which operation of a document of several."""
    parser.add_argument(
        "--operation",
        metavar="ID|PATH|'METHOD /path'",
        help=f"the operation of the document to {what}: an operationId, a path or "
        "'METHOD /path' (default: the one that takes a single event)",
    )


def whole_number(minimum: int = 0) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def add_spec(parser: argparse.ArgumentParser, *, purpose: str) -> None:
    """``--spec PATH|PROFILE``: the contract a subcommand works with."""
    from ..contract import PROFILES

    parser.add_argument(
        "--spec",
        metavar="PATH|PROFILE",
        help=f"OpenAPI 3.0 document (JSON or YAML) to {purpose}, or a profile: "
        f"{' or '.join(PROFILES)} (default: {PROFILES[0]})",
    )


def add_max_event_bytes(parser: argparse.ArgumentParser) -> None:
    """``--max-event-bytes N``: the largest event a reading subcommand takes."""
    from ..validation._validator import DEFAULT_MAX_BODY

    parser.add_argument(
        "--max-event-bytes",
        type=whole_number(1),
        default=DEFAULT_MAX_BODY,
        metavar="N",
        help="largest event read: a JSON Lines line, a JSON value, a whole YAML file "
        f"(default: {DEFAULT_MAX_BODY:,}, the mock's body limit)",
    )
