"""The test suite's own layout: shared code lives in ``tests/support`` and nowhere else.

A test package may import its own helper modules, ``tests.support`` and nothing else of ``tests``:
never a conftest (pytest loads those itself; their fixtures arrive by name), never a test module,
never another package's helpers. ``tests/support`` imports nothing from the test packages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports (``from tests.x import y`` counts as ``tests.x`` and ``tests.x.y``)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def violation(importer: Path, module: str) -> str | None:
    """Why ``importer`` may not import ``module``, or None when it may."""
    parts = module.split(".")
    if parts[0] != "tests" or len(parts) < 2:
        return None
    if parts[-1] == "conftest":
        return "imports a conftest"
    if parts[-1].startswith("test_"):
        return "imports a test module"
    package = importer.relative_to(TESTS).parts[0] if importer.parent != TESTS else None
    if parts[1] == "support":
        return None
    if package == "support":
        return "tests/support imports a test package"
    if parts[1] != package and (TESTS / parts[1]).is_dir():
        return f"imports another package's helper (tests.{parts[1]})"
    return None


def python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_file_imports_shared_code_only_from_tests_support():
    problems = [
        f"{path.relative_to(TESTS.parent)}:{line}: {why}: {module}"
        for path in python_files()
        for line, module in imported_modules(path)
        if (why := violation(path, module))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("importer", "module", "refused"),
    [
        ("web/test_api.py", "tests.web.conftest", True),
        ("web/test_api.py", "tests.agent.support", True),
        ("slack/test_socket_mode.py", "tests.slack.test_approvals", True),
        ("support/web.py", "tests.web.helpers", True),
        ("catalog/test_intents.py", "tests.catalog.planloop", False),
        ("web/test_api.py", "tests.support.web", False),
        ("web/test_api.py", "agent.service", False),
    ],
)
def test_the_check_refuses_what_it_should(importer, module, refused):
    assert (violation(TESTS / importer, module) is not None) is refused
