"""Reading a document, bounded in size and alias expansion: lineage_contract.contract._reading."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from lineage_contract import Contract, ContractError
from lineage_contract.contract import _reading
from lineage_contract.contract._reading import expanded_size, read_document

ROOT = Path(__file__).resolve().parents[1]
BUNDLED: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
# Nine levels of nine aliases: a few hundred bytes standing for 9**9 strings.
BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] + [
    f"{new}: &{new} [{','.join(f'*{old}' for _ in range(9))}]"
    for old, new in zip("abcdefgh", "bcdefghi", strict=True)
]
# Each level is a sequence of nine of the one before: a of nine strings.
LEVELS = [10]
for _ in BOMB[1:]:
    LEVELS.append(1 + 9 * LEVELS[-1])
# What the command may use: far more than it needs, far less than a bomb would take.
MEMORY = 1 << 30


def _bundled_yaml(**extra: Any) -> str:
    return yaml.safe_dump({**BUNDLED, **extra}, sort_keys=False)


def _bomb_at_the_root() -> str:
    return _bundled_yaml() + "".join(f"x-{line}\n" for line in BOMB)


def _bomb_in_an_example() -> str:
    document = json.loads(json.dumps(BUNDLED))
    document["components"]["schemas"]["Job"]["example"] = "BOMB"
    return yaml.safe_dump(document, sort_keys=False).replace(
        "example: BOMB", "example: {" + ", ".join(BOMB) + "}"
    )


def _run_bounded(*argv: str) -> tuple[subprocess.CompletedProcess[str], float]:
    # The limit is set in the child itself, so that a regression dies there.
    code = (
        "import resource, runpy, sys;"
        f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY}, {MEMORY}));"
        f"sys.argv = ['lineage-contract', *{list(argv)!r}];"
        "runpy.run_module('lineage_contract', run_name='__main__')"
    )
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    return result, time.monotonic() - start


@pytest.mark.parametrize("bomb", [_bomb_at_the_root, _bomb_in_an_example])
def test_an_alias_bomb_is_refused_quickly(tmp_path: Path, bomb: Any) -> None:
    spec = tmp_path / "bomb.yaml"
    spec.write_text(bomb())
    result, took = _run_bounded("validate", "--spec", str(spec), str(ROOT / "fixtures" / "valid"))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "aliases expand to more than" in result.stderr
    assert took < 30


def test_a_document_with_a_few_aliases_loads(tmp_path: Path) -> None:
    text = _bundled_yaml().replace("    Job:\n", "    Job: &job\n", 1)
    path = tmp_path / "aliases.yaml"
    path.write_text(text + "x-job: *job\nx-jobs: [*job, *job]\n")
    contract = Contract.load(path)
    job = BUNDLED["components"]["schemas"]["Job"]
    assert contract.document["x-job"] == job
    assert contract.document["x-jobs"] == [job, job]
    assert contract.request_schema == Contract.from_document(BUNDLED).request_schema


@pytest.mark.parametrize(
    ("text", "nodes"),
    [
        ("a", 1),
        ("a: 1", 3),
        ("[&x [1, 2], *x, *x]", 1 + 3 * 3),
        ("{a: &m {b: 1}, c: *m, d: *m}", 1 + 3 * (1 + 3)),
        ("\n".join(BOMB), 1 + sum(1 + size for size in LEVELS)),
    ],
)
def test_expanded_size_counts_every_alias_use(text: str, nodes: int) -> None:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    assert expanded_size(node) == nodes


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("loop.yaml", "openapi: 3.0.1\nx-a: &a [1, *a]\n", "contains itself"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("deep.yaml", "[" * 100_000 + "]" * 100_000, "nested too deeply|maximum nesting depth"),
    ],
)
def test_unreadable_shapes_are_refused_cleanly(
    tmp_path: Path, name: str, content: str, says: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ContractError, match=says):
        read_document(path)


def test_the_limits_are_where_they_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("a: [&x [1, 2], *x]\n")  # 1 + 1 + (1 + 3 + 3) = 9 nodes
    monkeypatch.setattr(_reading, "MAX_NODES", 9)
    assert read_document(path) == {"a": [[1, 2], [1, 2]]}
    monkeypatch.setattr(_reading, "MAX_NODES", 8)
    with pytest.raises(ContractError, match="expand to more than 8 values"):
        read_document(path)
    monkeypatch.setattr(_reading, "MAX_NODES", 9)
    monkeypatch.setattr(_reading, "MAX_BYTES", path.stat().st_size)
    assert read_document(path)
    monkeypatch.setattr(_reading, "MAX_BYTES", path.stat().st_size - 1)
    with pytest.raises(ContractError, match="larger than"):
        read_document(path)
