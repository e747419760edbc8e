"""``lineage-contract generate``: example events from the contract, as JSON Lines.

Each line on stdout is one event drawn by :func:`lineage_contract.strategies.valid_events`
(or, with ``--invalid``, the broken event of a :class:`~lineage_contract.strategies.BrokenEvent`).
With ``--invalid`` the rule each line breaks goes to stderr, one JSON line per
event in the same order (``{"line": 1, "pointer": ..., "keyword": ..., "rule": ...}``),
so stdout stays a file of payloads ready to send.

``--seed S`` makes the output reproducible: the same seed, count, options and
contract give the same bytes. Events are drawn by running Hypothesis' own
engine (``@given`` with ``@seed``, generation phase only, no database) in
batches, so the first events of a run are the small ones Hypothesis starts
with. Hypothesis is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from ._errors import PROG
from ._options import add_operation, add_spec, whole_number

if TYPE_CHECKING:
    from ..contract._document import Contract

__all__ = ["configure", "draw", "run", "write_events"]

BATCH = 1000
"""Events drawn per Hypothesis run: bounds the engine's memory for long outputs."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write events drawn from the contract to stdout, one JSON document per line. "
        "With --invalid, each event breaks exactly one rule of the contract and that rule "
        "is written to stderr as a JSON line (line, pointer, keyword, rule)."
    )
    parser.add_argument(
        "-n",
        "--count",
        type=whole_number(0),
        default=10,
        metavar="N",
        help="events to write (default: 10)",
    )
    parser.add_argument(
        "--invalid",
        action="store_true",
        help="write events that each break one rule; the rules go to stderr",
    )
    parser.add_argument(
        "--seed", type=int, metavar="S", help="seed for reproducible output (same seed, same bytes)"
    )
    add_spec(parser, purpose="draw from")
    add_operation(parser, "draw request bodies for (a batch operation: one batch per line)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..contract._document import Contract
    from ..errors import ContractError

    try:
        contract = Contract.load(args.spec, operation=args.operation)
    except ContractError as exc:
        return _fail(str(exc))
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        return _fail(
            "generating events needs Hypothesis: pip install 'lineage-contract[hypothesis]'"
        )
    try:
        write_events(
            contract,
            sys.stdout,
            count=args.count,
            invalid=args.invalid,
            seed=args.seed,
            rules_out=sys.stderr,
        )
    except ContractError as exc:
        return _fail(str(exc))
    return 0


def write_events(
    contract: Contract,
    out: TextIO,
    *,
    count: int,
    invalid: bool = False,
    seed: int | None = None,
    rules_out: TextIO | None = None,
) -> None:
    """Write ``count`` events as JSON Lines to ``out`` (rules of invalid ones to ``rules_out``)."""
    from .. import strategies

    strategy: Any = (
        strategies.invalid_events(contract) if invalid else strategies.valid_events(contract)
    )
    for line, drawn in enumerate(draw(strategy, count, seed=seed), start=1):
        event = drawn.event if invalid else drawn
        out.write(_dumps(event) + "\n")
        if invalid and rules_out is not None:
            rules_out.write(_dumps({"line": line, **drawn.to_dict()}) + "\n")


def draw(strategy: Any, count: int, *, seed: int | None = None) -> Iterator[Any]:
    """Exactly ``count`` values of ``strategy``, the same ones for the same ``seed``."""
    base = seed if seed is not None else random.SystemRandom().randrange(2**63)
    produced = 0
    batch = 0
    while produced < count:
        found = _batch(strategy, min(BATCH, count - produced), _batch_seed(base, batch))
        if not found:
            raise RuntimeError("Hypothesis drew nothing from the strategy")
        yield from found
        produced += len(found)
        batch += 1


def _batch(strategy: Any, wanted: int, seed: int) -> list[Any]:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as seeded

    found: list[Any] = []

    @seeded(seed)
    @settings(
        database=None,
        max_examples=wanted,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        if len(found) < wanted:
            found.append(value)

    collect()
    return found


def _batch_seed(base: int, batch: int) -> int:
    return (base * 1_000_003 + batch) % 2**64


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG} generate: error: {message}\n")
    return 2
