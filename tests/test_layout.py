"""The package's parts import downwards only, and no module imports another in a circle."""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lineage_contract"

# Each part may import only parts ranked below it.
RANK = {
    "errors": 0,
    "contract": 1,
    "validation": 2,
    "spec": 3,
    "lineage": 3,
    "files": 4,
    "strategies": 4,
    "testing": 5,
    "mock": 6,
    "cli": 7,
    "pytest_plugin": 8,
    "__main__": 8,
    "__init__": 8,
}


def module_name(path: Path) -> str:
    parts = ["lineage_contract", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:``, which never run."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in (child, *_runtime_nodes(child)))
            continue
        yield node
        yield from _runtime_nodes(node)


def imports(name: str) -> set[str]:
    """The package's modules that ``name`` imports when it runs (at load or in a function)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # ``from . import x`` imports the submodule x, not the package's own names.
            targets = [target] if node.module else []
            targets += [f"{target}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    return found


GRAPH = {name: imports(name) for name in MODULES}


def part(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_belongs_to_a_ranked_part() -> None:
    assert {part(m) for m in MODULES} <= set(RANK)


def test_no_module_imports_another_in_a_circle() -> None:
    try:
        graphlib.TopologicalSorter(GRAPH).prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_part_imports_only_the_parts_below_it(name: str) -> None:
    upward = sorted(
        target
        for target in GRAPH[name]
        if part(target) != part(name) and RANK[part(target)] >= RANK[part(name)]
    )
    assert upward == [], f"{name} imports {upward} from its own level or above"


def test_the_top_level_holds_only_the_facade_the_errors_and_the_plugin() -> None:
    flat = {p.name for p in PACKAGE.glob("*.py")}
    assert flat == {"__init__.py", "__main__.py", "errors.py", "pytest_plugin.py"}


@pytest.mark.parametrize(
    ("name", "seen", "unseen"),
    [
        # relative, two levels up, to a private module
        ("lineage_contract.mock._app", "lineage_contract.validation._request", None),
        # ``from .. import strategies`` inside a function
        ("lineage_contract.cli._generate", "lineage_contract.strategies", "lineage_contract"),
        # what a module imports only under TYPE_CHECKING does not count
        ("lineage_contract.errors", None, "lineage_contract.validation._report"),
    ],
)
def test_the_walk_sees_imports_as_they_run(name: str, seen: str | None, unseen: str | None) -> None:
    if seen is not None:
        assert seen in GRAPH[name]
    if unseen is not None:
        assert unseen not in GRAPH[name]
