"""Components are pure: they never import the app package, and the ids module imports nothing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parents[2] / "components"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


@pytest.mark.parametrize(
    "path", sorted(COMPONENTS.rglob("*.py")), ids=lambda p: str(p.relative_to(COMPONENTS))
)
def test_no_component_imports_the_app(path: Path):
    assert not {m for m in imported_modules(path) if m == "app" or m.startswith("app.")}


def test_the_ids_module_imports_no_layout():
    assert imported_modules(COMPONENTS / "ids.py") <= {"__future__"}


def test_every_panel_id_is_declared_in_the_ids_module():
    from confusionflow.components import ids

    declared = {v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)}
    for path in COMPONENTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "id" and isinstance(node.value, ast.Constant):
                assert node.value.value in declared, (
                    f"{path.name}: id {node.value.value!r} not in confusionflow.components.ids"
                )
