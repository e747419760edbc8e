"""The ``lineage-contract`` command.

Each subcommand is a module of this package with ``configure(parser)`` and
``run(args) -> int``, imported only when chosen, so that ``lineage-contract
--help`` never pays for werkzeug or Hypothesis, and a module whose dependency
is not installed simply leaves its subcommand out.

Exit status: 0 every event valid, 1 some invalid, 2 a usage error or an input
(or contract) that cannot be read, always with a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from ._errors import PROG, fail

# name -> (module, one-line help shown without importing it)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "lineage_contract.cli._validate",
        "validate payload files (JSON, JSON Lines, YAML, gzipped, directories, -)",
    ),
    "serve": ("lineage_contract.cli._serve", "run a mock of the lineage API on this machine"),
    "generate": ("lineage_contract.cli._generate", "generate example events from the contract"),
    "run": (
        "lineage_contract.cli._run",
        "run a command against a mock and fail when the lineage it sends is wrong",
    ),
    "send": (
        "lineage_contract.cli._send",
        "send the events of payload files or a mock's journal to an endpoint, in order",
    ),
    "report": (
        "lineage_contract.cli._report",
        "write the console's views of payload files or a mock's journal as one HTML file",
    ),
}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    parser = _Parser(
        prog=PROG,
        description="Check OpenLineage events against the Oleander lineage API contract.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, summary) in COMMANDS.items():
        if not _exists(module_name):
            continue
        sub = commands.add_parser(name, help=summary, description=summary)
        if name == chosen:
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                return fail(
                    f"`{name}` needs a dependency that is not installed ({exc}); "
                    f"try: pip install 'lineage-contract[{name}]'"
                )
            module.configure(sub)
            sub.set_defaults(run=module.run)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        return _status(exc.code)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return int(run(args))
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _exists(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):
        return False


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lineage-contract")
    except PackageNotFoundError:
        return "(not installed)"


def _status(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 2
