"""``python -m lineage_contract`` is the ``lineage-contract`` command."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
