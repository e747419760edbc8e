"""The ``lineage-contract`` command.

``validate`` lives here. ``serve`` and ``generate`` live in their own modules
(``lineage_contract.serve`` and ``lineage_contract.generate``, each with
``configure(parser)`` and ``run(args) -> int``), imported only when chosen, so
that ``lineage-contract --help`` never pays for werkzeug or Hypothesis, and a
module that is not there simply leaves its subcommand out.

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
from typing import Any, NoReturn, TextIO

PROG = "lineage-contract"

# name -> (module, one-line help shown without importing it)
PLUGGED: dict[str, tuple[str, str]] = {
    "serve": ("lineage_contract.serve", "run a mock of the lineage API on this machine"),
    "generate": ("lineage_contract.generate", "generate example events from the contract"),
}

FORMATS = ("text", "json", "junit", "github")


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
    configure_validate(
        commands.add_parser(
            "validate",
            help="validate payload files (JSON, JSON Lines, YAML, gzipped, directories, -)",
            description=_validate_description(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    for name, (module_name, summary) in PLUGGED.items():
        if not _exists(module_name):
            continue
        sub = commands.add_parser(name, help=summary, description=summary)
        if name == chosen:
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                return _fail(
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


def configure_validate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="payload files or directories; - reads standard input",
    )
    parser.add_argument(
        "-f", "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--spec",
        metavar="PATH",
        help="OpenAPI 3.0 document (JSON or YAML) to validate against (default: the bundled one)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=0,
        help="text: no summary line; twice: no output at all, only the exit status",
    )
    parser.add_argument(
        "-o", "--output", metavar="PATH", help="write the report to PATH instead of stdout"
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        metavar="N",
        help="worker processes for big JSON Lines files (default: one per CPU)",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress line, even on a terminal"
    )
    parser.set_defaults(run=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    from .contract import Contract
    from .errors import ContractError
    from .reporters import REPORTERS, ProgressLine, Summary
    from .sources import InputError, Judge, expand
    from .validator import Validator

    try:
        validator = Validator(Contract.load(args.spec))
    except ContractError as exc:
        return _fail(str(exc))
    try:
        sources = expand(args.paths)
    except InputError as exc:
        return _fail(str(exc))
    try:
        out: TextIO = (
            open(args.output, "w", encoding="utf-8")  # noqa: SIM115 - closed below
            if args.output
            else sys.stdout
        )
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    reporter = REPORTERS[args.format](out, quiet=args.quiet)
    progress = None
    if not args.quiet and not args.no_progress and sys.stderr.isatty():
        sizes = [s.size for s in sources]
        total = None if None in sizes else sum(s or 0 for s in sizes)
        progress = ProgressLine(sys.stderr, total)
    summary = Summary()
    try:
        with Judge(validator, spec=args.spec, jobs=args.jobs) as judge:
            for source in sources:
                summary.files += 1
                reporter.begin(source.name)
                if progress is not None:
                    progress.start(source.name, source.size)
                try:
                    for outcome in judge.outcomes(source, progress):
                        summary.add(outcome)
                        reporter.outcome(outcome)
                except InputError as exc:
                    summary.unreadable += 1
                    if progress is not None:
                        progress.close()
                    sys.stderr.write(f"{PROG}: error: {_one_line(str(exc))}\n")
                    reporter.unreadable(source.name, str(exc))
                reporter.end(source.name)
        if progress is not None:
            progress.close()
        reporter.finish(summary)
    finally:
        if out is not sys.stdout:
            out.close()
    return summary.exit_code


def _validate_description() -> str:
    return (
        "Validate every event in the given files against the contract.\n\n"
        "  .json           one event, or an array of events\n"
        "  .jsonl .ndjson  one event per line\n"
        "  .yaml .yml      one event (or a list of events) per document\n"
        "  *.gz            any of the above, gzipped\n"
        "  DIRECTORY       every such file under it, in sorted order\n"
        "  -               standard input (JSON or JSON Lines, gzipped or not)\n\n"
        "Each violation is shown as file:line:col, its JSON pointer and a message.\n"
        "Exit status: 0 all valid, 1 some invalid, 2 usage error or unreadable input."
    )


def _exists(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):
        return False


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lineage-contract")
    except PackageNotFoundError:
        return "(not installed)"


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {_one_line(message)}\n")
    return 2


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _status(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 2
