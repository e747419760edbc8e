"""Throughput of ``lineage-contract validate`` on a big JSON Lines file of typical events.

Writes a JSON Lines file of ~6 KB RunEvents (a valid corpus event, else a
fixture, else a synthesized one; each line with its own runId) to a temporary
directory, then times in the same run:

* a plain ``json.loads`` loop over the file's lines (the baseline),
* ``lineage-contract validate`` on one process (``--jobs 1``),
* ``lineage-contract validate`` with every core,
* the same file with OpenLineage conformance as well (each line parsed and
  judged by the validator, then ``Conformance.check``, offline against the
  corpus's mirror or the one ``LINEAGE_CONTRACT_SCHEMAS`` names), on one
  process and on every core (the line ranges the CLI's workers take),

and prints MB/s for each and the ratios to the baseline. Target: the default
run at 100 MB/s or more on a 2-core machine, with conformance too (issue 12;
also on a file of events that conform, the common case). Then the same for a
file of ``--blank-mb`` MB that is mostly blank lines (an event, then 64 KB of
newlines, over and over), where reading, not judging, is the cost.

Then the cross-event scenario, in CPU time (other users' load kept out): a
file of run lifecycles (START then COMPLETE per run id, the same events
otherwise) checked line by line with and without the checks across events
(:class:`lineage_contract.lineage.Lineage` fed each parsed event and its bytes,
its findings at the end), and ``validate --jobs 1 --no-conformance`` with
``--no-lineage`` and ``--lineage``, in interleaved rounds (median and spread).
Target: the cross-event checks cost at most 10% of validate's MB/s. The files
are removed at the end.

    .venv/bin/python bench/validate_files.py [--size-mb 200] [--blank-mb 200] [--repeat 2]
    .venv/bin/python bench/validate_files.py --cross-event-only --repeat 7
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import validate as validate_bench  # the synthesized events of bench/validate.py

from lineage_contract import Validator
from lineage_contract.cli import main
from lineage_contract.files._parallel import cpu_count, line_ranges
from lineage_contract.lineage import Lineage
from lineage_contract.spec import Conformance, SchemaStore, mirror_from_env

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "openlineage-events"
TARGET_MB_S = 100.0
CROSS_EVENT_MAX_COST = 0.10
CORPUS_MIRROR = ROOT.parent / "shared" / "corpus" / "openlineage-spec" / "versions"


def schema_mirror() -> Path | None:
    return mirror_from_env() or (CORPUS_MIRROR if CORPUS_MIRROR.is_dir() else None)


_worker: tuple[Validator, Conformance] | None = None


def _start(mirror: str) -> None:
    global _worker
    _worker = (Validator(), Conformance(SchemaStore(mirror, cache_dir=None, offline=True)))


def conform_range(path: str, start: int, end: int) -> tuple[int, int]:
    """(events, events with a finding) of the lines in a byte range."""
    assert _worker is not None
    validator, conformance = _worker
    events = flagged = 0
    with open(path, "rb") as file:
        file.seek(start)
        left = end - start
        for line in file:
            left -= len(line)
            event = validator.accepted_event(line)
            events += 1
            if conformance.check(event).violations:
                flagged += 1
            if left <= 0:
                break
    return events, flagged


def conform(path: Path, mirror: Path, jobs: int) -> tuple[int, int]:
    size = path.stat().st_size
    if jobs == 1:
        _start(str(mirror))
        events, flagged = conform_range(str(path), 0, size)
    else:
        ranges = line_ranges(str(path), size, max(1, size // (jobs * 8)))
        with ProcessPoolExecutor(jobs, initializer=_start, initargs=(str(mirror),)) as pool:
            starts = [a for a, _ in ranges]
            ends = [b for _, b in ranges]
            parts = list(pool.map(conform_range, [str(path)] * len(ranges), starts, ends))
        events, flagged = (sum(p[i] for p in parts) for i in (0, 1))
    return events, flagged


def conformance_scenario(
    path: Path, mb: float, seconds: float, mirror: Path | None, tmp: Path, repeat: int
) -> None:
    """The verdicts with conformance, then the same on a file of events that conform."""
    if mirror is None:
        print("conformance skipped: no schema mirror (set LINEAGE_CONTRACT_SCHEMAS)")
        return
    events, flagged = conform(path, mirror, 1)
    print(f"conformance: {flagged:,} of {events:,} events with findings (each explained)")
    _verdict("validate + conformance", mb, seconds)
    conforming = tmp / "conforming.jsonl"
    size, lines = write_lines(
        conforming, json.loads(validate_bench.sized(6_000)), int(mb * 1_000_000)
    )
    mb = size / 1e6
    seconds = best_of(repeat, lambda: conform(conforming, mirror, cpu_count()))
    events, flagged = conform(conforming, mirror, 1)
    assert flagged == 0, "the synthesized event conforms"
    print(
        f"conforming events of {size // lines:,} bytes, + conformance, all cores: "
        f"{mb / seconds:,.0f} MB/s  {seconds:6.2f} s"
    )
    _verdict("validate + conformance (conforming events)", mb, seconds)
    conforming.unlink()


def typical_event(validator: Validator) -> dict[str, Any]:
    """A valid event whose compact JSON is closest to 6 KB."""
    candidates: list[Path] = []
    for folder in (CORPUS, ROOT / "fixtures" / "valid"):
        if folder.is_dir():
            candidates.extend(sorted(folder.glob("*.json")))
    best: tuple[int, dict[str, Any]] | None = None
    for path in candidates:
        try:
            event = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(event, dict) or not validator.is_valid(event):
            continue
        distance = abs(len(json.dumps(event, separators=(",", ":"))) - 6000)
        if best is None or distance < best[0]:
            best = (distance, event)
    return best[1] if best is not None else synthesized()


def synthesized() -> dict[str, Any]:
    """A ~6 KB RunEvent built by hand, for when neither corpus nor fixtures are there."""
    producer = "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/client/python"
    schema = "https://openlineage.io/spec/facets/1-0-1/SchemaDatasetFacet.json"
    fields = [
        {"name": f"column_{i}", "type": "VARCHAR", "description": "x" * 40} for i in range(60)
    ]
    return {
        "eventType": "COMPLETE",
        "eventTime": "2024-05-01T12:00:00.000Z",
        "run": {"runId": str(uuid.uuid4()), "facets": {}},
        "job": {"namespace": "bench", "name": "bench.job", "facets": {}},
        "inputs": [
            {
                "namespace": "postgres://db:5432",
                "name": "public.table",
                "facets": {
                    "schema": {"_producer": producer, "_schemaURL": schema, "fields": fields}
                },
            }
        ],
        "outputs": [],
        "producer": producer,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }


def write_lines(path: Path, event: dict[str, Any], size: int) -> tuple[int, int]:
    """Write events with fresh runIds until ``size`` bytes; return (bytes, lines)."""
    template = json.dumps(event, separators=(",", ":"))
    run_id = event["run"]["runId"]
    assert template.count(run_id) >= 1
    written = lines = 0
    with path.open("w", encoding="utf-8") as out:
        while written < size:
            line = template.replace(run_id, str(uuid.uuid4())) + "\n"
            out.write(line)
            written += len(line)
            lines += 1
    return written, lines


def write_sparse(path: Path, event: dict[str, Any], size: int) -> tuple[int, int]:
    """Write an event then 64 KB of blank lines until ``size`` bytes; return (bytes, events)."""
    chunk = (json.dumps(event, separators=(",", ":")) + "\n" * 65536).encode()
    count = max(1, size // len(chunk))
    with path.open("wb") as out:
        for _ in range(count):
            out.write(chunk)
    return count * len(chunk), count


def write_lifecycles(path: Path, event: dict[str, Any], size: int) -> tuple[int, int]:
    """Write a START and a COMPLETE per fresh runId until ``size`` bytes; return (bytes, lines)."""
    start, complete = dict(event, eventType="START"), dict(event, eventType="COMPLETE")
    later = "2024-05-01T12:00:01.000Z"
    run_id = event["run"]["runId"]
    templates = [
        json.dumps(start, separators=(",", ":")),
        json.dumps(dict(complete, eventTime=later), separators=(",", ":")),
    ]
    written = lines = 0
    with path.open("w", encoding="utf-8") as out:
        while written < size:
            fresh = str(uuid.uuid4())
            for template in templates:
                line = template.replace(run_id, fresh) + "\n"
                out.write(line)
                written += len(line)
                lines += 1
    return written, lines


def check_loop(validator: Validator, path: Path) -> None:
    check = validator.check
    with path.open("rb") as lines:
        for raw in lines:
            if not check(raw).valid:
                raise SystemExit("the generated lifecycle file should be all valid")


def check_and_lineage_loop(validator: Validator, path: Path) -> None:
    check = validator.check
    lineage: Lineage[int] = Lineage(validator.contract)
    add = lineage.add
    with path.open("rb") as lines:
        for lineno, raw in enumerate(lines, 1):
            report = check(raw)
            if not report.valid:
                raise SystemExit("the generated lifecycle file should be all valid")
            add(report.event, lineno, body=raw)
    found = [f for f in lineage.findings(ended=True) if f.violation.kind.value == "lifecycle"]
    if found:
        raise SystemExit(f"the generated lifecycles should keep every rule: {found[0]}")


def cpu_best(repeat: int, action: Callable[[], object]) -> float:
    """Least CPU seconds of this process over ``repeat`` runs: other users' load stays out."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return min(times)


def cross_event(
    validator: Validator, event: dict[str, Any], tmp: Path, size_mb: int, repeat: int
) -> None:
    path = tmp / "lifecycles.jsonl"
    size, lines = write_lifecycles(path, event, size_mb * 1_000_000)
    mb = size / 1e6
    rounds = max(repeat, 5)
    print(f"cross-event: {mb:,.0f} MB, {lines:,} events ({lines // 2:,} runs), CPU time")
    # Interleaved rounds: each sees the same machine; the median and the spread are printed.
    times: dict[str, list[float]] = {}
    actions: list[tuple[str, Callable[[], object]]] = [
        ("check per line", lambda: check_loop(validator, path)),
        ("check + across events", lambda: check_and_lineage_loop(validator, path)),
        # Conformance off: its schemas would be fetched, and its cost is measured above.
        ("validate --jobs 1 --no-lineage", lambda: validate(path, *_CROSS, "--no-lineage")),
        ("validate --jobs 1 --lineage", lambda: validate(path, *_CROSS, "--lineage")),
    ]
    for _ in range(rounds):
        for label, action in actions:
            times.setdefault(label, []).append(cpu_best(1, action))
    for label, taken in times.items():
        speeds = sorted(mb / seconds for seconds in taken)
        print(
            f"  {label:<32} {statistics.median(speeds):8,.0f} MB/s median"
            f"  ({speeds[0]:,.0f} to {speeds[-1]:,.0f}, {rounds} rounds)"
        )
    without = statistics.median(times["validate --jobs 1 --no-lineage"])
    with_lineage = statistics.median(times["validate --jobs 1 --lineage"])
    cost = 1 - without / with_lineage
    verdict = "meets" if cost <= CROSS_EVENT_MAX_COST else "MISSES"
    print(
        f"cross-event checks cost {cost:.0%} of validate's MB/s (medians): "
        f"{verdict} the target of {CROSS_EVENT_MAX_COST:.0%} at most"
    )


_CROSS = ("--jobs", "1", "--no-conformance")


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def loads_loop(path: Path) -> int:
    count = 0
    with path.open("rb") as lines:
        for line in lines:
            json.loads(line)
            count += 1
    return count


def validate(path: Path, *extra: str) -> None:
    status = main(["validate", "-qq", "--no-progress", *extra, str(path)])
    if status != 0:
        raise SystemExit(f"validate exited {status}: the generated file should be all valid")


def run(size_mb: int, blank_mb: int, repeat: int) -> None:
    validator = Validator()
    event = typical_event(validator)
    tmp = Path(tempfile.mkdtemp(prefix="lc-bench-"))
    try:
        path = tmp / "events.jsonl"
        size, lines = write_lines(path, event, size_mb * 1_000_000)
        mb = size / 1e6
        print(
            f"{mb:,.0f} MB, {lines:,} events of {size // lines:,} bytes, "
            f"{os.cpu_count()} CPUs, best of {repeat}"
        )
        loads = best_of(repeat, lambda: loads_loop(path))
        single = best_of(repeat, lambda: validate(path, "--jobs", "1"))
        parallel = best_of(repeat, lambda: validate(path))
        rows = [
            ("json.loads loop (baseline)", loads),
            ("validate --jobs 1", single),
            ("validate (all cores)", parallel),
        ]
        mirror = schema_mirror()
        if mirror is not None:
            rows.append(
                ("+ conformance, 1 process", best_of(repeat, lambda: conform(path, mirror, 1)))
            )
            rows.append(
                (
                    "+ conformance, all cores",
                    best_of(repeat, lambda: conform(path, mirror, cpu_count())),
                )
            )
        for label, seconds in rows:
            speed = mb / seconds
            print(f"  {label:<28} {speed:8,.0f} MB/s  {seconds:6.2f} s  x{loads / seconds:5.2f}")
        verdict = "meets" if mb / parallel >= TARGET_MB_S else "MISSES"
        print(
            f"validate {verdict} the target of {TARGET_MB_S:.0f} MB/s ({mb / parallel:,.0f} MB/s)"
        )
        conformance_scenario(path, mb, rows[-1][1], mirror, tmp, repeat)
        path.unlink()
        sparse = tmp / "sparse.jsonl"
        size, events = write_sparse(sparse, event, blank_mb * 1_000_000)
        mb = size / 1e6
        print(f"{mb:,.0f} MB of blank lines around {events:,} events")
        for label, extra in (("validate --jobs 1", ("--jobs", "1")), ("validate (all cores)", ())):
            seconds = best_of(repeat, lambda extra=extra: validate(sparse, *extra))
            print(f"  {label:<28} {mb / seconds:8,.0f} MB/s  {seconds:6.2f} s")
        cross_event(validator, event, tmp, min(size_mb, 40), repeat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _verdict(label: str, mb: float, seconds: float) -> None:
    verdict = "meets" if mb / seconds >= TARGET_MB_S else "MISSES"
    print(f"{label} {verdict} the target of {TARGET_MB_S:.0f} MB/s ({mb / seconds:,.0f} MB/s)")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size-mb", type=int, default=200, help="file size in MB (default 200)")
    parser.add_argument(
        "--blank-mb", type=int, default=200, help="mostly blank file size in MB (default 200)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="timed runs each, best kept")
    parser.add_argument(
        "--cross-event-only",
        action="store_true",
        help="only the cross-event scenario (on a file of min(--size-mb, 40) MB)",
    )
    args = parser.parse_args()
    for flag, value in (("--size-mb", args.size_mb), ("--blank-mb", args.blank_mb)):
        if value < 1 or value > 2000:
            parser.error(f"{flag} must be between 1 and 2000")
    if args.cross_event_only:
        validator = Validator()
        tmp = Path(tempfile.mkdtemp(prefix="lc-bench-"))
        try:
            cross_event(
                validator, typical_event(validator), tmp, min(args.size_mb, 40), args.repeat
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    run(args.size_mb, args.blank_mb, max(1, args.repeat))


if __name__ == "__main__":
    sys.exit(cli())
