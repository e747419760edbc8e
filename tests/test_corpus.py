"""Every real OpenLineage event of the shared corpus, judged as its MANIFEST says.

The ``oleander_openapi`` column of ``openlineage-events/MANIFEST.tsv`` was
computed independently of this kit (the components of the seed document, refs
rewritten, checked again with a second oracle). Each row is ``valid`` or
``invalid (N): path: message ; ...``, the list possibly cut short.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from lineage_contract import Contract, Validator

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "openlineage-events"
MANIFEST = CORPUS / "MANIFEST.tsv"


_REQUIRED = re.compile(r"^'(?P<name>[^']*)' is a required property$")
_FORMAT = re.compile(r"^'.*' is not a '(?P<format>[^']+)'$")


@dataclass(frozen=True)
class Expected:
    file: str
    kind: str
    valid: bool
    count: int
    listed: tuple[tuple[str, str], ...]
    """(pointer, keyword) of the violations the manifest spells out."""


def _pointer(path: str) -> str:
    return "".join(f"/{p}" for p in path.split("/") if p)


def _listed(items: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items.split(" ; "):
        path, _, message = item.strip().partition(": ")
        message = message.strip()
        if match := _REQUIRED.match(message):
            out.append((_pointer(path) + "/" + match["name"], "required"))
        elif _FORMAT.match(message):
            out.append((_pointer(path), "format"))
        else:  # pragma: no cover - a manifest wording this test does not know
            raise AssertionError(f"unknown manifest message: {item!r}")
    return tuple(out)


def _manifest(column: str = "oleander_openapi") -> list[Expected]:
    if not MANIFEST.is_file():
        return []
    rows = []
    with MANIFEST.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            verdict = row[column].strip()
            if verdict == "valid":
                rows.append(Expected(row["file"], row["kind"], True, 0, ()))
                continue
            match = re.match(r"invalid \((\d+)\): (.*)$", verdict)
            assert match, verdict
            rows.append(Expected(row["file"], row["kind"], False, int(match[1]), _listed(match[2])))
    return rows


ROWS = _manifest()


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def test_the_manifest_is_what_the_issue_says() -> None:
    verdicts = Counter(row.valid for row in ROWS)
    assert verdicts == {True: 88, False: 61}
    assert {p.name for p in CORPUS.glob("*.json")} == {row.file for row in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=[row.file for row in ROWS])
def test_corpus_event(validator: Validator, row: Expected) -> None:
    report = validator.check((CORPUS / row.file).read_bytes())
    found = [(v.pointer, v.keyword) for v in report.violations]
    assert report.valid is row.valid, report.summary()
    assert len(found) == row.count, report.summary()
    assert set(row.listed) <= set(found), report.summary()
    assert len(set(found)) == len(found)
    assert "oneOf" not in {v.keyword for v in report.violations}
    assert "anyOf" not in {v.keyword for v in report.violations}


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r.kind in ("DatasetEvent", "JobEvent")], ids=lambda r: r.file
)
def test_dataset_and_job_events_are_not_run_events(validator: Validator, row: Expected) -> None:
    # This contract accepts only RunEvents.
    report = validator.check((CORPUS / row.file).read_bytes())
    assert not report.valid
    assert {"/run", "/job"} & {v.pointer for v in report.violations if v.keyword == "required"}


# OpenLineage's own document: the ``spec_2_0_2`` column (the JSON Schema beside it, as
# jsonschema reads it) says how each event must be judged, by either of its operations.
SPEC = CORPUS.parent / "openlineage-spec" / "OpenLineage.yml"
SPEC_ROWS = _manifest("spec_2_0_2")


@pytest.fixture(scope="module")
def spec_validator() -> Validator:
    return Validator(Contract.load(SPEC))


@pytest.mark.parametrize("row", SPEC_ROWS, ids=[row.file for row in SPEC_ROWS])
def test_corpus_event_against_the_openlineage_document(
    spec_validator: Validator, row: Expected
) -> None:
    report = spec_validator.check((CORPUS / row.file).read_bytes())
    found = [(v.pointer, v.keyword) for v in report.violations]
    assert report.valid is row.valid, report.summary()
    assert len(found) == row.count, report.summary()
    assert set(row.listed) <= set(found), report.summary()
    assert {"oneOf", "anyOf"}.isdisjoint(v.keyword for v in report.violations)


def test_dataset_and_job_events_are_events_of_the_openlineage_document(
    spec_validator: Validator,
) -> None:
    kinds = Counter(row.kind for row in SPEC_ROWS if row.valid)
    assert kinds["DatasetEvent"] >= 1 and kinds["JobEvent"] >= 1


def test_there_are_dataset_and_job_events() -> None:
    kinds = Counter(row.kind for row in ROWS)
    assert kinds["DatasetEvent"] >= 1 and kinds["JobEvent"] >= 1
