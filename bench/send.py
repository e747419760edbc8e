"""Events a second that ``lineage-contract send`` replays to the mock at ``--workers 2``.

    .venv/bin/python bench/send.py [--events 10000] [--batch 100] [--timeout 120]

Writes ``--events`` copies of bench/serve.py's 6 KB valid RunEvent (each its own
run id) as JSON Lines, starts ``lineage-contract serve --workers 2 --journal``
on 127.0.0.1 (port 0), and times ``lineage-contract send`` of that file in two
ways: one event a request, then ``--batch N`` to the batch operation. The mock
is started again for each, and stopped by its PID. The events per second are
the summary's (from the contract loaded to the last answer); the wall time
adds the command's start.

Both runs serve OpenLineage's own document from the shared corpus (``POST
/lineage`` and ``POST /lineage/batch``), so that only the batching differs.
Target (issue 15): at least 5,000 events/s with batches.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import PYTHON, ROOT, SERVE, event, launch

DOCUMENT = ROOT.parent / "shared" / "corpus" / "openlineage-spec" / "OpenLineage.yml"
EVENT_PATH = "/lineage"


def send(
    paths: list[Path], url: str, timeout: float, extra: list[str]
) -> tuple[dict[str, Any], float]:
    argv = [PYTHON, "-m", "lineage_contract", "send", *map(str, paths), "--url", url]
    argv += ["--spec", str(DOCUMENT), "--format", "json", "--retries", "2", *extra]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=timeout, check=False)
    wall = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"send exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return json.loads(done.stdout), wall


def measure(
    name: str, serve_argv: list[str], paths: list[Path], timeout: float, extra: list[str]
) -> dict[str, Any]:
    running = launch(name, serve_argv, path=EVENT_PATH)
    try:
        summary, wall = send(paths, running.url, timeout, extra)
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
        serve = [*SERVE, "--port", "0", "--workers", "2", "--quiet", "--spec", str(DOCUMENT)]
        for name, extra in (
            ("one event a request", []),
            (f"--batch {options.batch}", ["--batch", str(options.batch)]),
        ):
            journal = folder / f"{name.split()[0].strip('-')}.sqlite"
            argv = [*serve, "--journal", str(journal)]
            rows.append(measure(name, argv, [file], options.timeout, extra))
    print(f"{options.events:,} events of {options.size:,} bytes, mock --workers 2 with journal")
    print(f"{'mode':48} {'accepted':>9} {'requests':>9} {'seconds':>8} {'wall':>6} {'events/s':>9}")
    for row in rows:
        print(
            f"{row['name']:48} {row['accepted']:>9,} {row['requests']:>9,} "
            f"{row['seconds']:>8.2f} {row['wall']:>6.2f} {row['rate']:>9,.0f}"
        )
    single, batched = rows
    print(
        f"--batch {options.batch}: {batched['rate']:,.0f} events/s, "
        f"{batched['rate'] / max(single['rate'], 1):.1f}x one event a request "
        f"(target >= 5,000 events/s): {'met' if batched['rate'] >= 5000 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
