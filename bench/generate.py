"""How fast do the strategies draw events? Ours against two baselines, side by side in one run.

    .venv/bin/python bench/generate.py [--examples 300] [--rounds 3] [--budget 12] [--quick]

Each strategy runs under ``@given`` exactly as a property test would (seeded, no
database, generation phase only, health checks off), with a body that only
keeps the event, and is timed over ``--examples`` examples or ``--budget``
seconds, whichever ends first. Printed per strategy: events per second, the
share of its events the contract's validator accepts, and the speed relative
to the hand-written baseline, with the share of events that carry datasets
and their mean size (bigger events cost more to draw). Strategies run in
interleaved rounds and the best round counts, as ``timeit`` does: on a shared
machine noise only ever slows a run down.

* ``valid_events()``: this kit's strategy, compiled from the contract.
* ``hand-written``: ``st.fixed_dictionaries`` of the same shape (same required
  and optional fields, facets, arrays), what a user would write by hand.
* ``hypothesis-jsonschema``: ``from_schema(contract.request_schema)`` as it is;
  when it refuses the schema (it knows no ``uuid`` format) the error is printed,
  and it is run again with a ``uuid`` format supplied. Not a dependency of the
  kit: install it in the venv to include it (``pip install hypothesis-jsonschema``).

Target (issue 4): ``valid_events()`` at least as fast as the hand-written strategy.
The whole run stays under a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from lineage_contract import Contract, Validator
from lineage_contract.strategies import valid_events


class _OutOfTime(Exception):
    pass


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    valid: int
    size: float
    """Mean size of an event, in bytes of compact JSON."""
    with_datasets: int
    note: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def measure(
    name: str, strategy: st.SearchStrategy[Any], examples: int, budget: float, validator: Validator
) -> Result:
    events: list[Any] = []
    _warm_up(strategy)
    start = time.perf_counter()

    @seed(0)
    @settings(
        database=None,
        deadline=None,
        max_examples=examples,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def body(event: Any) -> None:
        events.append(event)
        if time.perf_counter() - start > budget:
            raise _OutOfTime

    note = ""
    try:
        body()
    except _OutOfTime:
        note = f"stopped at the {budget:.0f} s budget"
    seconds = time.perf_counter() - start
    valid = sum(validator.is_valid(e) for e in events)
    size = sum(len(json.dumps(e, separators=(",", ":"))) for e in events) / max(1, len(events))
    carrying = sum(
        1 for e in events if isinstance(e, dict) and (e.get("inputs") or e.get("outputs"))
    )
    return Result(name, len(events), seconds, valid, size, carrying, note)


def _warm_up(strategy: st.SearchStrategy[Any]) -> None:
    # Untimed: the first draws pay for lazy strategy building and Hypothesis' caches.
    @seed(1)
    @settings(database=None, deadline=None, max_examples=5, phases=[Phase.generate])
    @given(strategy)
    def draw(_: Any) -> None:
        pass

    draw()


# -- the hand-written baseline: the same shape, written out with fixed_dictionaries ----------

_PRODUCERS = [
    f"https://github.com/OpenLineage/OpenLineage/tree/{v}/integration/{i}"
    for v in ("1.54.0", "1.40.1")
    for i in ("airflow", "spark", "dbt")
]


def _time() -> st.SearchStrategy[str]:
    return st.builds(
        lambda d, offset: d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + offset,
        st.datetimes(dt.datetime(2018, 1, 1), dt.datetime(2030, 1, 1)),
        st.sampled_from(["Z", "+00:00", "+02:00", "-05:00", "+05:30"]),
    )


def _facet(body: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "_producer": st.sampled_from(_PRODUCERS),
            "_schemaURL": st.just("https://openlineage.io/spec/facets/1-0-1/Facet.json"),
            **body,
        },
        optional={"_deleted": st.booleans()},
    )


def _facets(names: dict[str, dict[str, st.SearchStrategy[Any]]]) -> st.SearchStrategy[Any]:
    return st.lists(st.sampled_from(sorted(names)), max_size=3, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({n: _facet(names[n]) for n in chosen})
    )


def hand_written() -> st.SearchStrategy[dict[str, Any]]:
    text = st.sampled_from(["orders", "customers", "daily_revenue", "events"])
    run_facets = {
        "parent": {"run": st.fixed_dictionaries({"runId": st.uuids().map(str)})},
        "nominalTime": {"nominalStartTime": _time()},
        "errorMessage": {"message": text},
    }
    job_facets = {
        "sql": {"query": text},
        "jobType": {"jobType": st.just("TASK")},
        "documentation": {"description": text},
    }
    dataset_facets = {
        "schema": {"fields": st.lists(st.fixed_dictionaries({"name": text}))},
        "dataSource": {"name": text, "uri": st.just("postgres://db:5432")},
        "symlinks": {"identifiers": st.just([])},
    }

    def dataset(extra: str, extra_facets: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {
                "namespace": st.sampled_from(["postgres://db:5432", "s3://bucket", "bigquery"]),
                "name": st.builds("{}.{}".format, text, text),
            },
            optional={"facets": _facets(dataset_facets), extra: _facets(extra_facets)},
        )

    return st.fixed_dictionaries(
        {
            "eventTime": _time(),
            "producer": st.sampled_from(_PRODUCERS),
            "schemaURL": st.just(
                "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
            ),
            "run": st.fixed_dictionaries(
                {"runId": st.uuids().map(str)}, optional={"facets": _facets(run_facets)}
            ),
            "job": st.fixed_dictionaries(
                {"namespace": st.sampled_from(["airflow", "default"]), "name": text},
                optional={"facets": _facets(job_facets)},
            ),
        },
        optional={
            "eventType": st.sampled_from(
                ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]
            ),
            "inputs": st.lists(
                dataset("inputFacets", {"inputStatistics": {"rowCount": st.integers(0)}}),
                max_size=3,
            ),
            "outputs": st.lists(
                dataset("outputFacets", {"outputStatistics": {"rowCount": st.integers(0)}}),
                max_size=3,
            ),
        },
    )


# -- hypothesis-jsonschema ---------------------------------------------------------------------


def jsonschema_strategies(contract: Contract) -> list[tuple[str, Callable[[], Any], str]]:
    try:
        from hypothesis_jsonschema import from_schema
    except ImportError as exc:
        return [("hypothesis-jsonschema", lambda: None, f"not installed ({exc})")]
    schema = contract.request_schema
    try:
        from hypothesis_jsonschema._from_schema import STRING_FORMATS

        missing = sorted(set(contract.formats) - set(STRING_FORMATS) - {"int32", "int64"})
    except ImportError:  # a private table: only a hint for the report
        missing = []
    note = f"it knows no {', '.join(missing)} format" if missing else ""
    return [
        ("hypothesis-jsonschema", lambda: from_schema(schema), note),
        (
            "hypothesis-jsonschema + uuid",
            lambda: from_schema(schema, custom_formats={"uuid": st.uuids().map(str)}),
            "with custom_formats={'uuid': st.uuids().map(str)}",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=300, help="examples per strategy and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best counts")
    parser.add_argument("--budget", type=float, default=12.0, help="seconds per strategy at most")
    parser.add_argument("--quick", action="store_true", help="100 examples, 1 round, 5 s budget")
    args = parser.parse_args(argv)
    if args.quick:
        args.examples, args.rounds, args.budget = 100, 1, 5.0
    contract = Contract.load()
    validator = Validator(contract)
    best: dict[str, Result] = {}
    problems: dict[str, str] = {}

    candidates: list[tuple[str, Callable[[], Any], str]] = [
        ("valid_events()", lambda: valid_events(contract), ""),
        ("hand-written fixed_dictionaries", hand_written, ""),
        *jsonschema_strategies(contract),
    ]
    # Interleaved rounds, best of each: the machine is shared, noise only slows a run down.
    for _ in range(args.rounds):
        for name, make, note in candidates:
            if name in problems:
                continue
            if note.startswith("not installed"):
                problems[name] = note
                continue
            try:
                result = measure(name, make(), args.examples, args.budget, validator)
            except Exception as exc:  # a baseline failing must not stop the comparison
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                problems[name] = "; ".join(
                    p for p in (f"failed: {type(exc).__name__}: {first[:300]}", note) if p
                )
                continue
            result.note = "; ".join(n for n in (note, result.note) if n)
            if name not in best or result.rate > best[name].rate:
                best[name] = result

    results = list(best.values())
    baseline = best.get("hand-written fixed_dictionaries")
    print(
        f"{'strategy':<32} {'events':>6} {'seconds':>7} {'events/s':>8} {'valid':>6} "
        f"{'datasets':>8} {'bytes':>6} {'vs hand':>7}"
    )
    for r in results:
        ratio = f"{r.rate / baseline.rate:.2f}x" if baseline and baseline.rate else "-"
        share = f"{100 * r.valid / r.count:.0f}%" if r.count else "-"
        datasets = f"{100 * r.with_datasets / r.count:.0f}%" if r.count else "-"
        print(
            f"{r.name:<32} {r.count:>6} {r.seconds:>7.2f} {r.rate:>8.1f} {share:>6} "
            f"{datasets:>8} {r.size:>6.0f} {ratio:>7}" + (f"  ({r.note})" if r.note else "")
        )
    for name, problem in problems.items():
        print(f"{name}: {problem}")
    ours = best.get("valid_events()")
    if ours and baseline:
        verdict = "met" if ours.rate >= baseline.rate else "NOT met"
        print(
            f"target (valid_events() at least as fast as hand-written, best of "
            f"{args.rounds}): {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
