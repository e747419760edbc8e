"""How the command says that it cannot go on: one line on stderr, exit status 2."""

from __future__ import annotations

import sys

PROG = "lineage-contract"


def fail(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {one_line(message)}\n")
    return 2


def one_line(text: str) -> str:
    return " ".join(text.split())
