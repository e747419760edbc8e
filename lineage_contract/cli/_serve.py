"""``lineage-contract serve``: run the mock server from the command line.

One process serves with werkzeug's threaded server; ``--workers N`` runs N
worker processes under granian sharing one SQLite journal (see
:mod:`lineage_contract.mock`). ``listening on http://HOST:PORT`` is printed on
stdout once connections are accepted, one line per request goes to stderr, and
SIGINT or SIGTERM stops the server with status 0.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from ..mock._faults import DEFAULT_MAX_DELAY
from ..mock._forward import DEFAULT_TIMEOUT, Forwarding
from ..mock._server import DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT
from ..mock._serving import (
    MAX_HEADER_TIMEOUT,
    ServeOptions,
    Stop,
    Stopped,
    error_status,
    max_delay_seconds,
    serve_threaded,
    serve_workers,
)
from ._conformance import add_arguments as add_conformance_arguments
from ._conformance import settings as conformance_settings
from ._options import add_spec


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=0, help="port to bind; 0 picks a free one (default)"
    )
    parser.add_argument(
        "--token",
        dest="tokens",
        action="append",
        default=[],
        metavar="T",
        help="accept only this bearer token (repeatable); by default any non-empty token",
    )
    parser.add_argument(
        "--admin-token",
        dest="admin_tokens",
        action="append",
        default=[],
        metavar="T",
        help="the /_lineage/ endpoints want this bearer token (repeatable); "
        "needed to bind an address other than loopback",
    )
    parser.add_argument(
        "--insecure-admin",
        action="store_true",
        help="leave /_lineage/ open on an address other machines can reach",
    )
    parser.add_argument(
        "--journal",
        type=Path,
        metavar="PATH",
        help="keep the journal in this SQLite file (survives restarts; shared by workers)",
    )
    add_spec(parser, purpose="serve")
    parser.add_argument(
        "--invalid-status",
        type=_status,
        default=422,
        metavar="N",
        help="status for a body that breaks the schema (default 422)",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=0,
        metavar="N",
        help="serve with N worker processes under granian (needs lineage-contract[serve])",
    )
    add_conformance_arguments(parser, always=False)
    parser.add_argument(
        "--forward",
        metavar="URL",
        help="also send each request the mock accepts to this endpoint (http or https), "
        "and answer with what it says",
    )
    parser.add_argument(
        "--forward-token",
        metavar="T",
        help="send Authorization: Bearer T upstream instead of the client's credentials",
    )
    parser.add_argument(
        "--forward-invalid",
        action="store_true",
        help="forward requests that break the contract too (the journal still says so)",
    )
    parser.add_argument(
        "--forward-timeout",
        type=_seconds,
        default=None,
        metavar="S",
        help=f"answer 504 when the upstream has not answered in S seconds "
        f"(default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument("--quiet", action="store_true", help="no log line per request on stderr")
    parser.add_argument(
        "--max-delay",
        type=_max_delay,
        default=DEFAULT_MAX_DELAY,
        metavar="S",
        help=f"refuse delay faults longer than S seconds (default {DEFAULT_MAX_DELAY:g})",
    )
    parser.add_argument(
        "--header-timeout",
        type=_header_timeout,
        default=DEFAULT_HEADER_TIMEOUT,
        metavar="S",
        help="close a connection whose request line and headers take over S seconds, "
        f"or that stays idle that long between requests (default {DEFAULT_HEADER_TIMEOUT:g}, "
        f"at most {MAX_HEADER_TIMEOUT:g})",
    )
    parser.add_argument(
        "--read-timeout",
        type=_seconds,
        default=DEFAULT_READ_TIMEOUT,
        metavar="S",
        help="give up on a body when S seconds pass without bytes of it "
        f"(default {DEFAULT_READ_TIMEOUT:g}; the threaded server only)",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="connections held at once (per worker with --workers, where more wait; "
        f"the threaded server answers more 503) (default {DEFAULT_MAX_CONNECTIONS})",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; 0 on a clean stop, 2 for an unusable option."""
    tokens: list[str] = list(args.tokens or [])
    admin: list[str] = list(args.admin_tokens or [])
    bad = [t for t in (*tokens, *admin) if not t or any(c.isspace() or c == "," for c in t)]
    if bad:
        return _usage(f"a token cannot be empty nor hold spaces or commas: {bad[0]!r}")
    if not admin and not args.insecure_admin and not _loopback(args.host):
        return _usage(
            f"{args.host} is reachable from other machines: give --admin-token for the "
            "/_lineage/ endpoints (or --insecure-admin to leave them open)"
        )
    if args.workers and not all(t.isascii() for t in (*tokens, *admin)):
        # granian hands the app an empty value for a header that is not ASCII.
        return _usage("under --workers a token must be ASCII (granian drops other header values)")
    try:
        forward = _forwarding(args)
    except ValueError as exc:
        return _usage(str(exc))
    options = ServeOptions(
        forward=forward,
        host=args.host,
        port=args.port,
        tokens=tuple(tokens),
        admin_tokens=tuple(admin),
        conformance=conformance_settings(args),
        journal=args.journal,
        spec=Path(args.spec) if args.spec else None,
        invalid_status=args.invalid_status,
        max_delay=args.max_delay,
        header_timeout=args.header_timeout,
        read_timeout=args.read_timeout,
        max_connections=args.max_connections,
    )
    # Signals from here on stop cleanly, also while the contract is still loading.
    stop = Stop.on_signals()
    try:
        if args.workers:
            return serve_workers(options, args.workers, quiet=args.quiet)
        return serve_threaded(options, stop, quiet=args.quiet)
    except Stopped:
        return 0


def _forwarding(args: argparse.Namespace) -> Forwarding | None:
    if args.forward is None:
        alone = [
            name
            for name, given in (
                ("--forward-token", args.forward_token is not None),
                ("--forward-invalid", args.forward_invalid),
                ("--forward-timeout", args.forward_timeout is not None),
            )
            if given
        ]
        if alone:
            raise ValueError(f"{', '.join(alone)} needs --forward URL")
        return None
    # Whether it points at this server is known once the port is bound (ServeOptions.loop).
    return Forwarding(
        args.forward,
        token=args.forward_token,
        timeout=args.forward_timeout if args.forward_timeout is not None else DEFAULT_TIMEOUT,
        invalid=args.forward_invalid,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def _usage(message: str) -> int:
    print(f"lineage-contract serve: {message}", file=sys.stderr, flush=True)
    return 2


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range: {value}")
    return value


def _status(text: str) -> int:
    try:
        return error_status(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _max_delay(text: str) -> float:
    try:
        return max_delay_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text}")
    return value


def _header_timeout(text: str) -> float:
    value = _seconds(text)
    if value > MAX_HEADER_TIMEOUT:
        raise argparse.ArgumentTypeError(f"at most {MAX_HEADER_TIMEOUT:g} seconds: {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {value}")
    return value


def _workers(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"workers must be 0 or more: {value}")
    return value
