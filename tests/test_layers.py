"""Imports flow one way: domain <- store <- resolvers <- schema/web <- app (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import numplane

ROOT = Path(numplane.__file__).parent

# Each layer may import only the layers listed for it (besides itself and the standard library).
ALLOWED = {
    "domain": set(),
    "logs": set(),  # logging set-up and the ids of lines: usable by every layer
    # loop_turns.py (long loops in turns of the event loop) imports nothing of numplane: any shell may use it
    "store": {"domain"},
    "carriers": {"domain", "settings"},
    "routing": {"domain", "store"},
    "resolvers": {"domain", "store", "carriers", "routing", "settings", "changes", "loop_turns"},
    "changes": {"domain", "store", "settings", "loop_turns"},
    "jobs": {"domain", "store", "carriers", "routing", "resolvers", "settings", "changes", "logs"},
    "schema": {"domain", "store", "resolvers", "settings", "changes"},
    "web": {"domain", "store", "resolvers", "schema", "settings", "routing", "changes", "logs"},
    "kazoo": {"domain", "store", "carriers", "resolvers", "settings"},
}


def _numplane_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found |= {n.split(".")[1] for n in names if n.startswith("numplane.") and n.count(".") >= 1}
    return found


def test_layer_rules_form_no_cycle() -> None:
    """Two layers allowed to import each other would let a cycle through unnoticed: the rules must be a DAG."""
    done: set[str] = set()

    def visit(layer: str, path: tuple[str, ...]) -> None:
        assert layer not in path, f"layers import each other: {' -> '.join((*path, layer))}"
        if layer in done:
            return
        for below in ALLOWED.get(layer, set()):
            visit(below, (*path, layer))
        done.add(layer)

    for layer in ALLOWED:
        visit(layer, ())


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_is_below_it(layer: str) -> None:
    for path in (ROOT / layer).glob("*.py"):
        stray = _numplane_imports(path) - ALLOWED[layer] - {layer}
        assert not stray, f"{path.relative_to(ROOT)} imports {sorted(stray)}"
