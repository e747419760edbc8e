"""RFC 6901 JSON pointers: built from path parts and split back into them."""

from __future__ import annotations

from collections.abc import Sequence


def pointer(parts: Sequence[str | int]) -> str:
    """RFC 6901 pointer from path parts (``~`` and ``/`` escaped)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def unpointer(text: str) -> list[str]:
    """Path parts from an RFC 6901 pointer."""
    if not text:
        return []
    if not text.startswith("/"):
        raise ValueError(f"not a JSON pointer: {text!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in text[1:].split("/")]
