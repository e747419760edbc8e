"""How the command says that it cannot go on: one line on stderr, exit status 2."""

from __future__ import annotations

import sys

PROG = "lineage-contract"


def fail(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {one_line(message)}\n")
    return 2


def one_line(text: str) -> str:
    """A message on one line, whitespace runs made one space, anything else unprintable escaped."""
    # Imported here: `lineage-contract --help` does not load the validator.
    from ..validation._render import printable

    return printable(" ".join(text.split()))
