"""The import rules of docs/ARCHITECTURE.md, read from the source: data flows one way
(``data_access`` -> ``components`` -> ``app``), and no module imports itself back in a circle.

Imports are read with ``ast`` (nothing is imported), including those inside functions for the
layer rules; the circle check follows what runs at import time (module-level imports).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("data_access", "components", "app")
ROOT = "confusionflow"  # every module is named by this package: confusionflow.data_access.reader
# what each layer may never import, at any depth (its own or a third-party package's top name)
FORBIDDEN = {
    "data_access": {"components", "app", "dash", "plotly", "flask", "celery"},
    "components": {"app", "flask", "celery", "redis", "diskcache"},
}


def module_files() -> dict[str, Path]:
    """Dotted module name (``confusionflow.app.factory``) -> file, for every module of the three packages."""
    out = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = (ROOT, *path.relative_to(REPO).with_suffix("").parts)
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def layer_of(name: str) -> str:
    """The layer (or third-party top name) a dotted name belongs to: ``confusionflow.app.x`` -> ``app``."""
    parts = name.split(".")
    return parts[1] if parts[0] == ROOT and len(parts) > 1 else parts[0]


def imported_names(module: str, path: Path, *, top_level_only: bool) -> set[str]:
    """Dotted names ``module`` imports (``from a import b`` gives ``a`` and ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


MODULES = module_files()


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_downstream(layer: str) -> None:
    wrong = {
        f"{module} imports {name}"
        for module, path in MODULES.items()
        if layer_of(module) == layer
        for name in imported_names(module, path, top_level_only=False)
        if layer_of(name) in FORBIDDEN[layer]
    }
    assert not wrong, sorted(wrong)


def test_every_import_names_a_module_by_its_package() -> None:
    """``data_access.errors`` and ``confusionflow.data_access.errors`` would be two modules with two
    ``LogFormatError`` classes: an error raised under one name escapes an ``except`` of the other."""
    files = [p for folder in (*PACKAGES, ROOT, "tests", "benchmarks", "examples", "scripts") for p in
             sorted((REPO / folder).rglob("*.py"))]  # fmt: skip
    bare = {
        f"{path.relative_to(REPO)} imports {name}"
        for path in files
        for name in imported_names("confusionflow.x", path, top_level_only=False)
        if name.split(".")[0] in PACKAGES
    }
    assert files and not bare, sorted(bare)


def test_no_module_imports_itself_back_at_import_time() -> None:
    graph = {
        module: {n for n in imported_names(module, path, top_level_only=True) if n in MODULES and n != module}
        for module, path in MODULES.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for dep in sorted(graph[module]):
            if state.get(dep) == "open":
                cycles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, [" -> ".join(c) for c in cycles]


def test_the_rules_see_the_imports_they_forbid(tmp_path: Path) -> None:
    """The reader is not blind: relative, lazy and aliased imports are all found."""
    path = tmp_path / "mod.py"
    path.write_text(
        "from . import sibling\nfrom ..other import thing as t\nimport dash.html as h\n"
        "def f():\n    from confusionflow.app.factory import create_app\n"
    )
    everything = imported_names("confusionflow.components.pkg.mod", path, top_level_only=False)
    assert {
        "confusionflow.components.pkg.sibling",
        "confusionflow.components.other.thing",
        "dash.html",
        "confusionflow.app.factory",
    } <= everything
    assert "confusionflow.app.factory" not in imported_names(
        "confusionflow.components.pkg.mod", path, top_level_only=True
    )
