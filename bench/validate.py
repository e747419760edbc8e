"""How fast is a verdict? Validator.check and check_request against json.loads.

For a small (~0.6 KB), typical (~6 KB) and large (~200 KB) valid RunEvent,
synthesized here so the script needs nothing but the package, it prints the
events per second of:

* ``json.loads`` of the event's bytes (the baseline, measured in the same run),
* ``Validator.check(bytes)``: parse and judge, formats included,
* ``Validator.check(object)``: judge the event already parsed (what JSON
  cannot hold is looked for first),
* ``Validator.check_request(...)``: route, bearer token, media type and body,
* openapi-core's ``validate_request`` on the same request (cached ``OpenAPI``
  object; fewer iterations, it is much slower),
* ``Validator.check(bytes)`` then ``Conformance.check(event)``: the contract and
  the OpenLineage facet and core schemas (offline, against the corpus's mirror
  or the one ``LINEAGE_CONTRACT_SCHEMAS`` names; skipped without one),

and each one's time as a multiple of ``json.loads``. Targets from issue 2:
payload at most 1x, request at most 2x; from issue 12: check with conformance
at most 2x. Run: ``.venv/bin/python bench/validate.py`` (about 30 s; ``--quick``
for a few seconds).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lineage_contract import Validator
from lineage_contract.spec import Conformance, SchemaStore, mirror_from_env
from lineage_contract.testing.reference import Reference

PATH = "/api/v1/lineage"
HEADERS = {"Authorization": "Bearer bench-token", "Content-Type": "application/json"}
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/spark"
SPEC = "https://openlineage.io/spec"
CORPUS_MIRROR = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "openlineage-spec" / "versions"
)


def conformance() -> Conformance | None:
    """Offline conformance over a mirror, or None when there is none."""
    mirror = mirror_from_env() or (CORPUS_MIRROR if CORPUS_MIRROR.is_dir() else None)
    if mirror is None:
        return None
    return Conformance(SchemaStore(mirror, cache_dir=None, offline=True))


def _facet(kind: str, version: str = "1-0-1", /, **fields: Any) -> dict[str, Any]:
    return {
        "_producer": PRODUCER,
        "_schemaURL": f"{SPEC}/facets/{version}/{kind}.json#/$defs/{kind}",
        **fields,
    }


def _dataset(index: int, columns: int, output: bool) -> dict[str, Any]:
    fields = [
        {
            "name": f"column_{c}",
            "type": ("BIGINT", "VARCHAR", "TIMESTAMP", "DECIMAL(18,2)")[c % 4],
            "description": f"column {c} of table {index}",
        }
        for c in range(columns)
    ]
    dataset: dict[str, Any] = {
        "namespace": "postgres://warehouse.example.com:5432",
        "name": f"analytics.public.table_{index}",
        "facets": {
            "schema": _facet("SchemaDatasetFacet", "1-1-1", fields=fields),
            "dataSource": _facet(
                "DatasourceDatasetFacet", name="warehouse", uri="postgres://warehouse:5432"
            ),
        },
    }
    if output:
        dataset["facets"]["columnLineage"] = _facet(
            "ColumnLineageDatasetFacet",
            "1-2-0",
            fields={
                f["name"]: {
                    "inputFields": [
                        {
                            "namespace": dataset["namespace"],
                            "name": f"analytics.public.src_{index}",
                            "field": f["name"],
                            "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                        }
                    ]
                }
                for f in fields
            },
        )
        dataset["outputFacets"] = {
            "outputStatistics": _facet(
                "OutputStatisticsOutputDatasetFacet", "1-0-2", rowCount=1200 * index, size=4096
            )
        }
    else:
        dataset["inputFacets"] = {
            "dataQualityMetrics": _facet(
                "DataQualityMetricsInputDatasetFacet",
                "1-0-2",
                rowCount=1200,
                bytes=65536,
                columnMetrics={f["name"]: {"nullCount": 0} for f in fields[:3]},
            )
        }
    return dataset


def event(datasets: int, columns: int) -> dict[str, Any]:
    """A valid RunEvent; 0 datasets gives the small one."""
    run_id = str(uuid.UUID(int=0x0190D3A46C1E7B8A9F3D2E4C5A6B7C8D))
    body: dict[str, Any] = {
        "eventType": "COMPLETE",
        "eventTime": "2024-05-01T12:10:00.123Z",
        "producer": PRODUCER,
        "schemaURL": f"{SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {
            "runId": run_id,
            "facets": {
                "nominalTime": _facet(
                    "NominalTimeRunFacet", nominalStartTime="2024-05-01T12:00:00Z"
                )
            },
        },
        "job": {"namespace": "spark-cluster", "name": "daily_orders.aggregate"},
        "inputs": [],
        "outputs": [],
    }
    if datasets:
        body["run"]["facets"]["parent"] = _facet(
            "ParentRunFacet",
            "1-1-0",
            run={"runId": run_id},
            job={"namespace": "airflow", "name": "orders_dag"},
        )
        body["job"]["facets"] = {
            "sql": _facet("SQLJobFacet", query="INSERT INTO daily SELECT * FROM orders"),
            "jobType": _facet(
                "JobTypeJobFacet",
                "2-0-3",
                processingType="BATCH",
                integration="SPARK",
                jobType="JOB",
            ),
        }
        body["inputs"] = [_dataset(i, columns, output=False) for i in range(datasets)]
        body["outputs"] = [
            _dataset(datasets + i, columns, output=True) for i in range(1 + datasets // 4)
        ]
    return body


def sized(target: int) -> bytes:
    """Compact JSON bytes of a valid event of about ``target`` bytes."""
    if target < 1500:
        return json.dumps(event(0, 0), separators=(",", ":")).encode()
    datasets, columns = 1, 1
    while True:
        data = json.dumps(event(datasets, columns), separators=(",", ":")).encode()
        if len(data) >= target:
            return data
        if columns < 12:
            columns += 1
        else:
            datasets += 1


def per_second(fn: Callable[[], Any], budget: float, repeats: int) -> float:
    """Calls per second: the best of ``repeats`` runs of about ``budget`` seconds each."""
    calls = 1
    while True:  # calibrate: enough calls to fill a run
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        spent = time.perf_counter() - start
        if spent >= budget / 4 or calls >= 1 << 24:
            break
        calls *= 4
    calls = max(1, int(calls * budget / max(spent, 1e-9)))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return 1 / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, rougher figures")
    args = parser.parse_args(argv)
    budget, repeats = (0.05, 2) if args.quick else (0.4, 3)

    validator = Validator()
    reference = Reference()
    spec = conformance()
    targets = {"small": 600, "typical": 6_000, "large": 200_000}
    rows = []
    started = time.perf_counter()
    for label, target in targets.items():
        data = sized(target)
        assert validator.check(data).valid, f"the {label} event must be valid"
        assert validator.check(json.loads(data)).valid
        assert validator.check_request("POST", PATH, HEADERS, data).valid
        request = reference.request("POST", PATH, HEADERS, data)
        openapi_validate = reference.openapi.validate_request
        openapi_validate(request)  # raises if openapi-core disagrees

        baseline = per_second(lambda d=data: json.loads(d), budget, repeats)  # type: ignore[misc]
        payload = per_second(lambda d=data: validator.check(d), budget, repeats)  # type: ignore[misc]
        obj = json.loads(data)
        parsed = per_second(lambda e=obj: validator.check(e), budget, repeats)  # type: ignore[misc]
        whole = per_second(
            lambda d=data: validator.check_request("POST", PATH, HEADERS, d),  # type: ignore[misc]
            budget,
            repeats,
        )
        core = per_second(
            lambda r=request, v=openapi_validate: v(r),  # type: ignore[misc]
            budget * 1.5,
            1,
        )
        conforming = 0.0
        if spec is not None:
            result = spec.check(validator.check(data).event)
            assert result.conforms and result.checked, f"the {label} event must conform"
            conforming = per_second(
                lambda d=data, s=spec: s.check(validator.check(d).event),  # type: ignore[misc]
                budget,
                repeats,
            )
        rows.append((label, len(data), baseline, payload, parsed, whole, core, conforming))

    print(
        f"{'event':<8} {'bytes':>8} | {'json.loads/s':>12} | {'check/s':>10} {'x':>6} | "
        f"{'object/s':>10} {'x':>6} | "
        f"{'request/s':>10} {'x':>6} | {'openapi-core/s':>14} {'x':>7} | "
        f"{'+spec/s':>10} {'x':>6}"
    )
    print("-" * 141)
    for label, size, baseline, payload, parsed, whole, core, conforming in rows:
        spec_cells = (
            f"{conforming:>10,.0f} {baseline / conforming:>5.2f}x"
            if conforming
            else f"{'(no mirror)':>17}"
        )
        print(
            f"{label:<8} {size:>8,} | {baseline:>12,.0f} | "
            f"{payload:>10,.0f} {baseline / payload:>5.2f}x | "
            f"{parsed:>10,.0f} {baseline / parsed:>5.2f}x | "
            f"{whole:>10,.0f} {baseline / whole:>5.2f}x | "
            f"{core:>14,.0f} {baseline / core:>6.1f}x | {spec_cells}"
        )
    print("-" * 141)
    print("x = time per event as a multiple of json.loads of the same bytes (lower is faster).")
    print("+spec = check(bytes) then Conformance.check(event), offline against a mirror.")
    print("Targets: check <= 1x, request <= 2x (issue 2); check + spec <= 2x (issue 12).")
    typical = next(r for r in rows if r[0] == "typical")
    targets = [
        ("check", typical[2] / typical[3], 1.0),
        ("request", typical[2] / typical[5], 2.0),
    ]
    if typical[7]:
        targets.append(("check + spec", typical[2] / typical[7], 2.0))
    for name, ratio, limit in targets:
        verdict = "met" if ratio <= limit else "MISSED"
        print(f"  typical {name}: {ratio:.2f}x (target {limit:g}x) {verdict}")
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
