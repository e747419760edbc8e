"""A wheel built from the repo carries the one copy of the contract, and its types;
the code passes the checks the project promises (ruff, mypy --strict)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
        ],
        check=True,
        cwd=out,
        timeout=300,
    )
    (built,) = out.glob("lineage_contract-*.whl")
    return built


def test_wheel_carries_the_contract(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("lineage_contract/openapi.json") == (ROOT / "openapi.json").read_bytes()


def test_wheel_carries_the_profiles(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        packaged = archive.read("lineage_contract/contract/profiles/marquez.json")
    assert packaged == (ROOT / "lineage_contract/contract/profiles/marquez.json").read_bytes()


def test_wheel_is_typed(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "lineage_contract/py.typed" in names
    assert "lineage_contract/__init__.py" in names
    for part in ("contract", "validation", "mock", "strategies", "files", "testing", "cli"):
        assert f"lineage_contract/{part}/__init__.py" in names
    assert not any(name.startswith(("tests/", "fixtures/", "bench/")) for name in names)


def test_wheel_carries_the_console(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for name in ("index.html", "console.css", "console.js"):
            packaged = archive.read(f"lineage_contract/mock/console/{name}")
            assert packaged == (ROOT / "lineage_contract" / "mock" / "console" / name).read_bytes()


def test_wheel_declares_the_entry_points(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(
            archive.read(n).decode() for n in archive.namelist() if n.endswith("entry_points.txt")
        )
    assert "lineage-contract = lineage_contract.cli:main" in entry_points
    assert "lineage_contract = lineage_contract.pytest_plugin" in entry_points


def test_the_installed_wheel_finds_its_contract(wheel: Path, tmp_path: Path) -> None:
    # Unpacked beside nothing else: the package must read the copy inside it.
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path)
    code = (
        "from lineage_contract.contract import bundled_document_path as p;"
        "import sys; path = p(); print(path); sys.exit(0 if path.is_file() else 1)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {code}"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == tmp_path / "lineage_contract" / "openapi.json"


@pytest.mark.parametrize(
    "check",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy", "--no-incremental"],  # the packages and strictness pyproject.toml sets
    ],
    ids=["ruff-lint", "ruff-format", "mypy-strict"],
)
def test_the_code_passes_its_checks(check: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *check], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_openapi_core_is_an_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}

    extras = project["optional-dependencies"]
    assert "openapi-core" not in names(project["dependencies"])
    assert "openapi-spec-validator" in names(project["dependencies"])  # checks the contract
    assert {"openapi-core"} == names(extras["reference"])
    assert "openapi-core" in names(extras["test"])
