"""The domain is the pure core: it imports nothing of numplane outside numplane.domain, and no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import numplane.domain

FORBIDDEN_MODULES = {"sqlite3", "httpx", "strawberry", "starlette", "asyncio", "os", "socket", "time", "random"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_domain_imports_nothing_from_the_rest_of_the_package() -> None:
    root = Path(numplane.domain.__file__).parent
    for path in root.glob("*.py"):
        for module in _imports(path):
            if module.startswith("numplane"):
                assert module.startswith("numplane.domain"), f"{path.name} imports {module}"


def test_domain_does_no_io_and_reads_no_clock() -> None:
    root = Path(numplane.domain.__file__).parent
    for path in root.glob("*.py"):
        modules = {m.split(".")[0] for m in _imports(path)}
        assert not modules & FORBIDDEN_MODULES, f"{path.name} imports {modules & FORBIDDEN_MODULES}"
        assert "datetime.now" not in path.read_text(), f"{path.name} reads the clock"
