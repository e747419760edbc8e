"""The options that say whether and how events are checked against the OpenLineage spec.

``validate``, ``serve`` and ``run`` share them: ``--schemas DIR`` (a mirror laid out
like https://openlineage.io/spec/, or ``LINEAGE_CONTRACT_SCHEMAS``), ``--offline``
(or ``LINEAGE_CONTRACT_OFFLINE=1``: the schemas come from the mirror and the cache
only) and ``--no-conformance``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..contract import Contract
    from ..spec import Settings
    from ..validation import EventCheck


def add_arguments(parser: argparse.ArgumentParser, *, always: bool = True) -> None:
    """``always``: on by default; else on when a mirror is given (a server's request
    path pays for every check, so it checks by default only what it can read locally)."""
    parser.add_argument(
        "--conformance",
        action=argparse.BooleanOptionalAction,
        default=True if always else None,
        help="check every facet against the OpenLineage schema its _schemaURL names, and the "
        "event against its core schema (warnings; default: "
        + ("on)" if always else "on when --schemas or $LINEAGE_CONTRACT_SCHEMAS names a mirror)"),
    )
    parser.add_argument(
        "--schemas",
        type=Path,
        metavar="DIR",
        help="a mirror of https://openlineage.io/spec/ to read schemas from "
        "(default: $LINEAGE_CONTRACT_SCHEMAS, else fetched once and cached)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="never fetch a schema: the mirror and the cache only "
        "(also $LINEAGE_CONTRACT_OFFLINE=1); a schema not there is a warning",
    )


def offline(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> bool:
    from ..spec import offline_from_env

    return bool(args.offline) if args.offline is not None else offline_from_env(environ)


def settings(args: argparse.Namespace) -> Settings | None:
    """Where schemas come from, as the options say; None with ``--no-conformance``."""
    from ..spec import Settings, mirror_from_env

    mirror = args.schemas or mirror_from_env()
    wanted = args.conformance if args.conformance is not None else mirror is not None
    if not wanted:
        return None
    return Settings(str(mirror) if mirror is not None else None, offline(args))


def conformance(args: argparse.Namespace, contract: Contract) -> EventCheck | None:
    """The check the options ask for, None with ``--no-conformance``."""
    found = settings(args)
    return found.event_check(contract) if found is not None else None
