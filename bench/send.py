"""Events a second that ``lineage-contract send`` replays to the mock at ``--workers 2``.

    .venv/bin/python bench/send.py [--events 10000] [--batch 100] [--timeout 120]

Writes ``--events`` copies of bench/serve.py's 6 KB valid RunEvent (each its own
run id) as JSON Lines, starts ``lineage-contract serve --workers 2 --journal``
on 127.0.0.1 (port 0), and times ``lineage-contract send`` of that file in two
ways: one event a request, then ``--batch N`` to the batch operation. The mock
is started again for each, and stopped by its PID. The events per second are
the summary's (from the contract loaded to the last answer); the wall time
adds the command's start.

The batch run serves a copy of ``openapi.json`` with ``POST
/api/v1/lineage/batch`` (an array of events) added. A mock that cannot serve a
document with two operations yet is given the batch operation alone, which it
judges as one body a request (the table says so). Target (issue 15): at least
5,000 events/s with batches.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import PYTHON, ROOT, SERVE, TOKEN, event, launch

BATCH_PATH = "/api/v1/lineage/batch"


def documents(folder: Path) -> list[tuple[str, Path]]:
    """The batch documents to try in turn: both operations, then the batch one alone."""
    document = json.loads((ROOT / "openapi.json").read_text())
    operation = copy.deepcopy(document["paths"]["/api/v1/lineage"]["post"])
    operation["operationId"] = "recordLineageBatch"
    operation["requestBody"]["content"]["application/json"]["schema"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/OpenLineageEvent"},
    }
    both = copy.deepcopy(document)
    both["paths"][BATCH_PATH] = {"post": operation}
    alone = copy.deepcopy(document)
    alone["paths"] = {BATCH_PATH: {"post": operation}}
    out = []
    for name, doc in (("both operations", both), ("the batch operation alone", alone)):
        path = folder / f"{name.replace(' ', '-')}.json"
        path.write_text(json.dumps(doc))
        out.append((name, path))
    return out


def send(
    paths: list[Path], url: str, timeout: float, extra: list[str]
) -> tuple[dict[str, Any], float]:
    argv = [PYTHON, "-m", "lineage_contract", "send", *map(str, paths), "--url", url]
    argv += ["--token", TOKEN, "--format", "json", "--retries", "2", *extra]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=timeout, check=False)
    wall = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"send exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return json.loads(done.stdout), wall


def measure(
    name: str, serve_argv: list[str], paths: list[Path], timeout: float, extra: list[str]
) -> dict[str, Any]:
    running = launch(name, serve_argv)
    try:
        url = running.url
        if "--batch" in extra:
            extra = [*extra, "--batch-url", url.removesuffix("/api/v1/lineage") + BATCH_PATH]
        summary, wall = send(paths, url, timeout, extra)
    finally:
        running.stop()
    seconds = summary["seconds"]
    return {
        "name": name,
        "events": summary["sent"],
        "accepted": summary["accepted"],
        "requests": summary["requests"],
        "seconds": seconds,
        "wall": wall,
        "rate": summary["sent"] / seconds if seconds else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--size", type=int, default=6 * 1024, help="bytes an event")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a send may take")
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp:
        folder = Path(tmp)
        template = json.dumps(event(options.size, run_id="RUN-ID"))
        file = folder / "events.jsonl"
        with file.open("w") as out:
            for _ in range(options.events):
                out.write(template.replace("RUN-ID", str(uuid.uuid4())) + "\n")
        serve = [*SERVE, "--port", "0", "--workers", "2", "--token", TOKEN, "--quiet"]
        rows.append(
            measure(
                "single events",
                [*serve, "--journal", str(folder / "single.sqlite")],
                [file],
                options.timeout,
                [],
            )
        )
        for label, document in documents(folder):
            argv = [*serve, "--journal", str(folder / f"{document.stem}.sqlite")]
            try:
                row = measure(
                    f"--batch {options.batch} ({label})",
                    [*argv, "--spec", str(document)],
                    [file],
                    options.timeout,
                    ["--batch", str(options.batch)],
                )
            except RuntimeError as exc:
                print(f"mock with {label}: {exc}", file=sys.stderr)
                continue
            rows.append(row)
            break
    print(f"{options.events:,} events of {options.size:,} bytes, mock --workers 2 with journal")
    print(f"{'mode':48} {'accepted':>9} {'requests':>9} {'seconds':>8} {'wall':>6} {'events/s':>9}")
    for row in rows:
        print(
            f"{row['name']:48} {row['accepted']:>9,} {row['requests']:>9,} "
            f"{row['seconds']:>8.2f} {row['wall']:>6.2f} {row['rate']:>9,.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
